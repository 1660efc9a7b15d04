"""Dotted-path lookups into JSON bodies (`links.next`, `paging.next.after`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

JSONPath = str | Callable[[Any], Any]


def find(body: Any, path: JSONPath | None) -> Any:
    """The value at `path` (a dotted string or a callable), or None when any step is missing."""
    if path is None:
        return body
    if callable(path):
        return path(body)
    current = body
    for step in path.split("."):
        if isinstance(current, dict):
            current = current.get(step)
        elif isinstance(current, list) and step.lstrip("-").isdigit():
            index = int(step)
            current = current[index] if -len(current) <= index < len(current) else None
        else:
            return None
        if current is None:
            return None
    return current
