"""Resume states as JSON: a dataclass's fields to JSON text and back, datetimes and dates kept as such.

JSON has no datetime, so one is stored as ISO-8601 text and turned back into a datetime on load when the
dataclass field is annotated as one (`datetime`, `date`, `Decimal`, `UUID`, or an optional of them); a list
comes back as a tuple where the field is annotated as a tuple. A value
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


def _restorable_type(annotation: Any) -> type | None:
    """`datetime` for `datetime`, `datetime | None`, `Optional[datetime]`; None for anything else."""
    candidates = (
        typing.get_args(annotation)
        if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union
        else (annotation,)
    )
    found = [candidate for candidate in candidates if candidate in _RESTORABLE]
    return found[0] if len(found) == 1 else None


def _is_tuple(annotation: Any) -> bool:
    return annotation is tuple or typing.get_origin(annotation) is tuple


def _restore(kind: type, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if kind is datetime.datetime:
        return datetime.datetime.fromisoformat(value)
    if kind is datetime.date:
        return datetime.date.fromisoformat(value)
    return kind(value)


def restore_types(data_class: type, payload: dict[str, Any]) -> dict[str, Any]:
    """`payload` with ISO text turned back into the datetime/date/Decimal/UUID its field is annotated as.

    Raises ValueError when such a field holds text that does not parse.
    """
    try:
        hints = typing.get_type_hints(data_class)
    except (NameError, TypeError):  # annotations that do not resolve: leave the values as JSON gave them
        return dict(payload)
    restored = dict(payload)
    for field in dataclasses.fields(data_class):
        if _is_tuple(hints.get(field.name)) and isinstance(restored.get(field.name), list):
            restored[field.name] = tuple(restored[field.name])
        kind = _restorable_type(hints.get(field.name))
        if kind is not None and field.name in restored:
            try:
                restored[field.name] = _restore(kind, restored[field.name])
            except (ValueError, decimal.InvalidOperation):
                raise ValueError(
                    f"field {field.name!r} should be a {kind.__name__}, found {restored[field.name]!r:.80}"
                ) from None
    return restored
