"""`SourceRegistry`: every source type, registered by decorating its class."""

from __future__ import annotations

from typing import TypeVar

from sources.common.base import BaseSource
from sources.common.errors import UnknownSourceError

SourceClass = TypeVar("SourceClass", bound=type[BaseSource])


class SourceRegistry:
    _sources: dict[str, type[BaseSource]] = {}

    @classmethod
    def register(cls, source_class: SourceClass) -> SourceClass:
        source_type = source_class.__dict__.get("source_type")
        name = source_type.fget(None) if isinstance(source_type, property) else source_type  # type: ignore[union-attr]
        if not isinstance(name, str) or not name:
            raise TypeError(f"{source_class.__qualname__} must define source_type as a non-empty str property")
        existing = cls._sources.get(name)
        if existing is not None and existing is not source_class:
            raise ValueError(
                f"source type {name!r} is registered twice: {existing.__module__}.{existing.__qualname__} "
                f"and {source_class.__module__}.{source_class.__qualname__}"
            )
        cls._sources[name] = source_class
        return source_class

    @classmethod
    def get_source(cls, source_type: str) -> BaseSource:
        return cls.get_source_class(source_type)()

    @classmethod
    def get_source_class(cls, source_type: str) -> type[BaseSource]:
        try:
            return cls._sources[source_type]
        except KeyError:
            known = ", ".join(sorted(cls._sources)) or "none"
            raise UnknownSourceError(f"unknown source type {source_type!r}; registered: {known}") from None

    @classmethod
    def source_types(cls) -> list[str]:
        return sorted(cls._sources)

    @classmethod
    def all_sources(cls) -> dict[str, type[BaseSource]]:
        return dict(sorted(cls._sources.items()))

    @classmethod
    def unregister(cls, source_type: str) -> None:
        cls._sources.pop(source_type, None)
