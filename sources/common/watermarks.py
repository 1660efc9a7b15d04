"""Watermarks (`db_incremental_field_last_value`) as the instants and encodings vendor filters take.

A watermark may come back from the warehouse as a datetime (naive means UTC), a date (its midnight, UTC),
ISO 8601 text (`Z` allowed; naive means UTC) or, where the encoding is epoch seconds, a number. Errors name
the place (`where`, e.g. `"zendesk tickets"`) and are raised as `error`, so a connector keeps its own type.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sources.common.errors import SourceError


class WatermarkError(SourceError, ValueError):
    """A watermark that is not a point in time."""


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def parse_instant(
    value: Any,
    where: str,
    *,
    epoch_numbers: bool = False,
    error: type[Exception] = WatermarkError,
    name: str = "watermark",
) -> datetime:
    """The watermark as an aware UTC datetime; with `epoch_numbers` a number is read as epoch seconds."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day, tzinfo=UTC)
    elif epoch_numbers and _is_number(value):
        moment = datetime.fromtimestamp(value, tz=UTC)
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise error(f"{where}: {name} {value!r} is not an ISO 8601 datetime") from None
    else:
        raise error(f"{where}: {name} {value!r} is not a datetime")
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def epoch_seconds(value: Any, where: str, *, error: type[Exception] = WatermarkError, name: str = "watermark") -> int:
    """Whole epoch seconds, rounded down; a number is taken as epoch seconds already."""
    if _is_number(value):
        return int(value)
    return int(parse_instant(value, where, error=error, name=name).timestamp())


def epoch_millis(value: Any, where: str, *, error: type[Exception] = WatermarkError, name: str = "watermark") -> int:
    """Epoch milliseconds. A bare number is refused: it could be seconds or milliseconds."""
    return int(parse_instant(value, where, error=error, name=name).timestamp() * 1000)


def iso_seconds(value: Any, where: str, *, error: type[Exception] = WatermarkError, name: str = "watermark") -> str:
    """ISO 8601 in UTC to the second (`2024-03-01T00:00:00+00:00`); a number is taken as epoch seconds.

    Truncating to whole seconds can only widen a greater-than filter, never skip a row.
    """
    moment = parse_instant(value, where, epoch_numbers=True, error=error, name=name)
    return moment.replace(microsecond=0).isoformat()


def iso_z(value: Any, where: str, *, error: type[Exception] = WatermarkError, name: str = "watermark") -> str:
    """ISO 8601 in UTC to the second with `Z` (`2024-03-01T00:00:00Z`), as most APIs document their filters."""
    return iso_seconds(value, where, error=error, name=name).removesuffix("+00:00") + "Z"
