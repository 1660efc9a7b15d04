"""Every connector, imported so that `SourceRegistry` knows it. Add one import line per new source."""

from sources.common.registry import SourceRegistry

__all__ = ["SourceRegistry"]
