"""Incremental-field values: parsing, ordering, shifting a watermark, and finding one inside a request."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from typing import Any
from urllib.parse import unquote_plus

from harness.pipeline.partitioning import parse_instant
from harness.replay.base import WireRequest

TEMPORAL_TYPES = frozenset({"datetime", "date", "timestamp"})
_ISO_TOKEN = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?")
_EPOCH_TOKEN = re.compile(r"(?<![\d.])\d{9,13}(?:\.\d+)?(?![\d])")
# A watermark sent as a date loses its time of day; one sent with a lookback is earlier by that much.
DATE_SLACK = dt.timedelta(days=1)
EXACT_SLACK = dt.timedelta(seconds=1)


def is_temporal(field_type: str | None, value: Any = None) -> bool:
    if field_type in TEMPORAL_TYPES:
        return True
    if field_type is None and value is not None:
        try:
            parse_instant(value)
        except (ValueError, TypeError, OverflowError):
            return False
        return not isinstance(value, int) or value > 10**8
    return False


def sort_value(value: Any, field_type: str | None) -> Any:
    """A value ordered the way the field is: instants as UTC datetimes, integers as ints, else text."""
    if value is None:
        return None
    if is_temporal(field_type, value):
        return parse_instant(value)
    if field_type == "integer":
        return int(value)
    return value


def parseable(value: Any, field_type: str | None) -> bool:
    try:
        sort_value(value, field_type)
    except (ValueError, TypeError, OverflowError):
        return False
    return value is not None


def shifted(value: Any, field_type: str | None, days: int) -> Any:
    """`value` moved by `days` (instants) or by `days` units (integers), in the same representation."""
    if not is_temporal(field_type, value):
        if isinstance(value, int) or field_type == "integer":
            return int(value) + days
        return f"{value}-probe{days}"
    moved = parse_instant(value) + dt.timedelta(days=days, hours=1, minutes=1, seconds=1)
    if isinstance(value, bool):
        raise ValueError("a boolean is not a watermark")
    if isinstance(value, int | float):
        return int(moved.timestamp() * (1000 if abs(value) >= 10**11 else 1))
    if isinstance(value, dt.datetime):
        return moved if value.tzinfo else moved.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return (parse_instant(value) + dt.timedelta(days=days)).date()
    text = str(value).strip()
    if text.lstrip("-").isdigit():
        return str(int(moved.timestamp() * (1000 if len(text) >= 12 else 1)))
    if len(text) == 10:
        return (parse_instant(value) + dt.timedelta(days=days)).date().isoformat()
    formatted = moved.isoformat()
    return formatted.replace("+00:00", "Z") if text.endswith("Z") else formatted


def request_text(request: WireRequest) -> str:
    text = unquote_plus(request.url)
    if request.body:
        text += " " + unquote_plus(request.body)
        with contextlib.suppress(ValueError):
            text += " " + json.dumps(json.loads(request.body))
    return text


def _temporal_tokens(text: str) -> list[tuple[dt.datetime, bool]]:
    """(instant, date_only) for every ISO date/datetime and every plausible epoch number in `text`."""
    found = []
    for match in _ISO_TOKEN.finditer(text):
        token = match.group(0)
        try:
            found.append((parse_instant(token.replace(" ", "T")), len(token) == 10))
        except (ValueError, OverflowError):
            continue
    for match in _EPOCH_TOKEN.finditer(text):
        token = match.group(0)
        try:
            number = float(token) if "." in token else int(token)
            found.append((parse_instant(number), False))
        except (ValueError, OverflowError, OSError):
            continue
    return found


def carries_value(request: WireRequest, value: Any, field_type: str | None, lookback_seconds: float = 0) -> bool:
    """Whether the request sends `value` in any common encoding (ISO, date, epoch s/ms, in a filter or a body).

    A temporal value may be sent up to `lookback_seconds` early; a date-only encoding may drop the time of day.
    """
    text = request_text(request)
    if not is_temporal(field_type, value):
        return re.search(rf"(?<![\w.-]){re.escape(str(value))}(?![\w.])", text) is not None
    target = parse_instant(value)
    early = dt.timedelta(seconds=lookback_seconds)
    for instant, date_only in _temporal_tokens(text):
        slack = DATE_SLACK if date_only else EXACT_SLACK
        if target - early - slack <= instant <= target + slack:
            return True
    return False
