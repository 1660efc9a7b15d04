"""Every connector, imported so that `SourceRegistry` knows it. Add one import line per new source."""

from sources.common.registry import SourceRegistry
from sources.hubspot.source import HubspotSource
from sources.klaviyo.source import KlaviyoSource

__all__ = ["HubspotSource", "KlaviyoSource", "SourceRegistry"]
