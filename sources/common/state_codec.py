"""Resume states as JSON: a dataclass's fields to JSON text and back, datetimes and dates kept as such.

JSON has no datetime, so one is stored as ISO-8601 text and turned back into a datetime on load when the
dataclass field is annotated as one (`datetime`, `date`, `Decimal`, `UUID`, or an optional of them); a list
comes back as a tuple where the field is annotated as a tuple. On load each value is checked against its
field's annotation, so the state of another source that happens to use the same field names is refused. A value
JSON cannot hold faithfully (a set, an arbitrary object) is refused when saving, not turned into text that
would come back as a different type.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import json
import types
import typing
import uuid
from typing import Any

_RESTORABLE: tuple[type, ...] = (datetime.datetime, datetime.date, decimal.Decimal, uuid.UUID)


def _encode(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    raise TypeError(f"a {type(value).__name__} value cannot be saved as JSON resume state: {value!r:.80}")


def dumps_state(payload: dict[str, Any]) -> str:
    """JSON text of a state payload (`dataclasses.asdict` of the state)."""
    return json.dumps(payload, default=_encode)


def _alternatives(annotation: Any) -> tuple[Any, ...]:
    """`(int, None)` for `int | None` or `Optional[int]`; `(int,)` for `int`."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return typing.get_args(annotation)
    return (annotation,)


def _base(kind: Any) -> Any:
    return typing.get_origin(kind) or kind


def _fits(kind: Any, value: Any) -> bool:
    """Whether `value` is of `kind`; kinds JSON cannot tell apart (Literal, Any, classes) always fit."""
    kind = _base(kind)
    if kind is type(None):
        return value is None
    if kind is bool:
        return isinstance(value, bool)
    if kind in (int, float):
        return isinstance(value, int if kind is int else int | float) and not isinstance(value, bool)
    if kind in (str, list, dict, tuple) or kind in _RESTORABLE:
        return isinstance(value, kind)
    return True


def _restore(kind: type, value: str) -> Any:
    if kind is datetime.datetime:
        return datetime.datetime.fromisoformat(value)
    if kind is datetime.date:
        return datetime.date.fromisoformat(value)
    return kind(value)


def _restore_field(name: str, annotation: Any, value: Any) -> Any:
    alternatives = _alternatives(annotation)
    restorable = [kind for kind in alternatives if kind in _RESTORABLE]
    if isinstance(value, str) and len(restorable) == 1 and str not in alternatives:
        try:
            value = _restore(restorable[0], value)
        except (ValueError, decimal.InvalidOperation):
            raise ValueError(f"field {name!r} should be a {restorable[0].__name__}, found {value!r:.80}") from None
    if isinstance(value, list) and any(_base(kind) is tuple for kind in alternatives):
        value = tuple(value)
    if not any(_fits(kind, value) for kind in alternatives):
        shown = " | ".join(getattr(kind, "__name__", str(kind)) for kind in alternatives)
        raise ValueError(f"field {name!r} should be of type {shown}, found {value!r:.80}")
    return value


def restore_types(data_class: type, payload: dict[str, Any]) -> dict[str, Any]:
    """`payload` checked against the dataclass's annotations, ISO text turned back into datetimes and the like.

    Raises ValueError naming the field when a value is not of its annotated type (for the types JSON can
    tell apart: str, int, float, bool, list, dict, tuple, None and the restorable ones).
    """
    try:
        hints = typing.get_type_hints(data_class)
    except (NameError, TypeError):  # annotations that do not resolve: leave the values as JSON gave them
        return dict(payload)
    restored = dict(payload)
    for field in dataclasses.fields(data_class):
        if field.name in restored and field.name in hints:
            restored[field.name] = _restore_field(field.name, hints[field.name], restored[field.name])
    return restored
