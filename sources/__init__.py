"""Every connector, imported so that `SourceRegistry` knows it. Add one import line per new source."""

from sources.common.registry import SourceRegistry
from sources.klaviyo.source import KlaviyoSource

__all__ = ["KlaviyoSource", "SourceRegistry"]
