"""`lazy_import`: a module imported on first attribute access, for dependencies a process may never use.

`import sources` registers every connector; a process that checks one source, or only lists them, should not pay
for the others' vendor SDKs or for the SDK's Redis client before it opens a connection. Write
`redis = lazy_import("redis")` where `import redis` was: `redis.Redis(...)`, `except redis.RedisError` and
annotations (with `from __future__ import annotations`) read the same; the import happens at the first
attribute that is looked up. An import error surfaces there too, as the same ImportError.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands for module `name` until an attribute is needed, then forwards every lookup to the real module."""

    __slots__ = ("_module", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def _load(self) -> ModuleType:
        if self._module is None:
            self._module = importlib.import_module(self._name)  # the import lock makes this thread-safe
        return self._module

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._load(), attribute)

    def __dir__(self) -> list[str]:
        return dir(self._load())

    def __repr__(self) -> str:
        state = "imported" if self._module is not None else "not imported yet"
        return f"<lazy module {self._name!r} ({state})>"


def lazy_import(name: str) -> Any:
    """`name` as a lazily imported module (typed `Any` so that attribute access type-checks as on the module)."""
    return LazyModule(name)
