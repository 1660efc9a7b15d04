"""`SourceRegistry`: every source type, registered by decorating its class."""

from __future__ import annotations

import inspect
from typing import TypeVar

from sources.common.base import BaseSource
from sources.common.errors import UnknownSourceError

SourceClass = TypeVar("SourceClass", bound=type[BaseSource])


def _qualified(source_class: type) -> str:
    return f"{source_class.__module__}.{source_class.__qualname__}"


def _declared_source_type(source_class: type) -> str:
    """The value of the class's `source_type` property, read without an instance."""
    declared = inspect.getattr_static(source_class, "source_type", None)
    if not isinstance(declared, property) or declared.fget is None:
        raise TypeError(f"{_qualified(source_class)} must define source_type as a property returning a non-empty str")
    try:
        name = declared.fget(None)
    except Exception as exc:  # the getter used `self`: it must return a constant
        raise TypeError(
            f"{_qualified(source_class)}.source_type must return a constant str without using self "
            f"({type(exc).__name__}: {exc})"
        ) from None
    if not isinstance(name, str) or not name:
        raise TypeError(f"{_qualified(source_class)}.source_type must return a non-empty str, got {name!r}")
    return str(name)


class SourceRegistry:
    _sources: dict[str, type[BaseSource]] = {}

    @classmethod
    def register(cls, source_class: SourceClass) -> SourceClass:
        """Class decorator: make `source_class` findable by its `source_type`."""
        missing = sorted(getattr(source_class, "__abstractmethods__", ()))
        if missing:
            raise TypeError(
                f"{_qualified(source_class)} cannot be registered: it does not implement {', '.join(missing)}"
            )
        name = _declared_source_type(source_class)
        existing = cls._sources.get(name)
        if existing is not None and existing is not source_class:
            raise ValueError(
                f"source type {name!r} is registered twice: {_qualified(existing)} and {_qualified(source_class)}"
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
