"""Incremental-field values: typing, parsing, ordering, shifting a watermark, and finding one inside a request.

A watermark reaches the source the way the pipeline hands it over (`typed_watermark`): a datetime with a time
zone for datetime fields, a date for date fields, an int for integer fields. A request carries it only in the
encoding the endpoint declares (`carries_value`), read the way the vendor reads the request: query and form
values URL-decoded (an unencoded `+` arrives as a space), JSON bodies parsed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl, unquote_plus, urlsplit

from harness.fixtures.json_leaves import json_leaves
from harness.fixtures.watermark_encodings import NAMED, Encoding, encoding
from harness.replay.base import WireRequest


def parse_instant(value: Any) -> dt.datetime:
    """The pipeline's reading of an instant (harness.pipeline.partitioning), imported on first use: the pipeline
    package loads Arrow and Delta Lake, which a run that never reaches the pipeline does not need."""
    from harness.pipeline.partitioning import parse_instant as pipeline_parse_instant

    return pipeline_parse_instant(value)


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


# Without a declaration, a value must still be one of the standard encodings exactly (no space for `T`). Only a
# declaration tells seconds from milliseconds, so the checks always pass the endpoint's declared encodings.
STANDARD_ENCODINGS: tuple[Encoding, ...] = tuple(encoding(name) for name in NAMED)


class WatermarkTypeError(ValueError):
    """A watermark literal that does not fit the incremental field's declared type."""


def typed_watermark(value: Any, field_type: str | None) -> Any:
    """`value` as the pipeline hands it to a source for a field of `field_type`.

    datetime / timestamp: an aware datetime (naive ones and dates are UTC); date: a date; integer: an int;
    anything else is handed over unchanged. Raises WatermarkTypeError when the value does not fit the type.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise WatermarkTypeError("a boolean is not a watermark")
    if field_type in ("datetime", "timestamp"):
        if isinstance(value, int | float) or (isinstance(value, str) and value.strip().lstrip("-").isdigit()):
            raise WatermarkTypeError(f"is a number but the field is a {field_type}: write it as ISO 8601 text")
        try:
            return parse_instant(value.replace("Z", "+00:00") if isinstance(value, str) else value)
        except (ValueError, TypeError):
            raise WatermarkTypeError(f"is not an ISO 8601 {field_type}") from None
    if field_type == "date":
        if isinstance(value, dt.datetime):
            raise WatermarkTypeError("has a time of day but the field is a date")
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise WatermarkTypeError("is not a date (YYYY-MM-DD)") from None
    if field_type == "integer":
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
        raise WatermarkTypeError("is not an integer but the field is one")
    return value


def request_fields(request: WireRequest) -> list[tuple[str, str]]:
    """(name, value) pairs as the vendor decodes them: query pairs, form pairs or JSON leaves, else the raw body."""
    fields = parse_qsl(urlsplit(request.url).query, keep_blank_values=True)
    body = request.body
    if not body:
        return fields
    try:
        parsed = json.loads(body)
    except ValueError:
        pairs = parse_qsl(body, keep_blank_values=True)
        return fields + (pairs if pairs else [("body", body)])
    return fields + list(json_leaves(parsed, ""))


def target_instant(value: Any, field_type: str | None) -> dt.datetime | None:
    """The instant a watermark stands for, or None for a watermark that is not a point in time."""
    if is_temporal(field_type, value):
        return parse_instant(value)
    if field_type == "integer" and isinstance(value, int) and abs(value) > 10**8:
        return parse_instant(value)  # an epoch number, the unit read from its magnitude
    return None


def _near(instant: dt.datetime, target: dt.datetime, lookback_seconds: float, date_only: bool) -> bool:
    slack = DATE_SLACK if date_only else EXACT_SLACK
    return target - dt.timedelta(seconds=lookback_seconds) - slack <= instant <= target + slack


def carries_value(
    request: WireRequest,
    value: Any,
    field_type: str | None,
    lookback_seconds: float = 0,
    encodings: Sequence[Encoding] | None = None,
) -> bool:
    """Whether the request sends `value` in exactly one of `encodings` (default: any standard encoding, exactly).

    A temporal value may be sent up to `lookback_seconds` early; a date-only encoding may drop the time of day.
    """
    return bool(carried_as(request, value, field_type, lookback_seconds, encodings))


def carried_as(
    request: WireRequest,
    value: Any,
    field_type: str | None,
    lookback_seconds: float = 0,
    encodings: Sequence[Encoding] | None = None,
) -> list[tuple[str, str]]:
    """The (field, token) pairs of the request that carry `value` in exactly one of `encodings`."""
    fields = request_fields(request)
    target = target_instant(value, field_type)
    if target is None:
        pattern = re.compile(rf"(?<![\w.-]){re.escape(str(value))}(?![\w.])")
        return [(name, text) for name, text in fields if pattern.search(text)]
    found = []
    for name, text in fields:
        for item in encodings or STANDARD_ENCODINGS:
            for token, instant in item.instants(text):
                if _near(instant, target, lookback_seconds, item.date_only):
                    found.append((name, token))
    return found


def near_misses(
    request: WireRequest, value: Any, field_type: str | None, lookback_seconds: float = 0
) -> list[tuple[str, str]]:
    """(field, decoded value) of every request field that holds the watermark in some loose form: ISO with a
    space for `T`, epoch seconds or milliseconds, a date. The evidence when the declared encoding is missing."""
    target = target_instant(value, field_type)
    if target is None:
        return []
    misses = []
    for name, text in request_fields(request):
        if any(_near(instant, target, lookback_seconds, date_only) for instant, date_only in _temporal_tokens(text)):
            misses.append((name, text))
    return misses
