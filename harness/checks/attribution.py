"""Which property a strict-replay mismatch breaks: the live request diffed against its closest recorded one.

A request the recording does not have stops every run that sends it, so one connector bug would fail every check
whose runs reach that request, each with the same text. Instead the mismatch is attributed by what differs:

| what differs from the closest recorded request | owner |
|---|---|
| a credential in the query or body (a redacted value, or a `api_key`-like name) | `credentials` |
| a value that denotes `db_incremental_field_last_value` (any encoding) | `incremental.server_filter` |
| a value that denotes `db_incremental_field_earliest_value` | `incremental.desc_earliest` |
| a sort parameter (`sort`, `order`, `direction`, ...) | `sort.honest` |
| a page parameter (`page`, `cursor`, `offset`, `starting_after`, `limit`, ...), a page fetched twice, a request
  after the last page | `pagination.complete` |
| anything else (another path, an unknown parameter) | nobody: the check whose run hit it fails |

The owner fails with the specific message; other checks report `blocked by <owner>` (see `harness/suite/suite.py`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from harness.fixtures.har import read_har
from harness.replay.base import Unmatched, WireRequest
from harness.replay.matching import RequestKey, closeness, request_key
from sources.common.scrub import REDACTED
from sources.common.typings import SourceInputs

CREDENTIALS = "credentials.placement"
WATERMARK = "incremental.server_filter"
EARLIEST = "incremental.desc_earliest"
SORT = "sort.honest"
PAGINATION = "pagination.complete"

CREDENTIAL_NAMES = re.compile(
    r"^(api[_-]?key|apikey|key|token|access[_-]?token|auth[_-]?token|private[_-]?token|client[_-]?secret|secret|"
    r"password|passwd|signature|hapikey)$",
    re.IGNORECASE,
)
SORT_NAMES = re.compile(r"(^|[_\[.-])(sort|sort_by|sortby|order|order_by|orderby|direction|dir)($|[_\].-])", re.I)
PAGE_NAMES = re.compile(
    r"(page|cursor|offset|starting_after|ending_before|after|continuation|next|limit|per_page|size|skip|"
    r"start_index|marker)",
    re.IGNORECASE,
)
_INSTANT = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?|(?<!\d)\d{10}(?:\d{3})?(?!\d)"
)


@dataclasses.dataclass(frozen=True)
class Divergence:
    """How the live request differs from the closest recorded one, and whose property that breaks."""

    owner: str | None
    parameter: str | None
    sent: str | None
    recorded: str | None
    closest: RequestKey | None
    what: str  # e.g. "the watermark parameter"

    def cause(self) -> str:
        """One line naming the difference (for `blocked by <owner> (...)`)."""
        if self.parameter is None:
            return "the request matches no recorded request"
        return f"{self.what} {self.parameter}: sent {_show(self.sent)}, recorded {_show(self.recorded)}"


def _show(value: str | None) -> str:
    return "nothing" if value is None else repr(value)


@functools.lru_cache(maxsize=256)
def _recorded_keys(har_path: Path, mtime: float) -> tuple[RequestKey, ...]:
    entries = read_har(har_path).entries
    return tuple(request_key(e.request.method, e.request.url, e.request.body, e.request.mime_type) for e in entries)


def closest_recorded(miss: Unmatched, har_path: Path | None, wire: tuple[WireRequest, ...]) -> RequestKey | None:
    """The recorded request closest to the live one; among equals, one the run had not been served yet."""
    if har_path is None or not har_path.is_file():
        return None
    keys = _recorded_keys(har_path, har_path.stat().st_mtime)
    served = {request.entry for request in wire if request.entry is not None}
    live = miss.request.key
    ranked = sorted(
        range(len(keys)), key=lambda index: (closeness(live, keys[index]), index not in served), reverse=True
    )
    return keys[ranked[0]] if ranked else None


def _pairs(key: RequestKey) -> dict[str, list[str]]:
    pairs: dict[str, list[str]] = {}
    for name, value in key.query:
        pairs.setdefault(name, []).append(value)
    if key.body is not None and key.body[0] in ("json", "form") and isinstance(key.body[1], tuple):
        # A JSON object or a form body: (name, value) pairs; a JSON list or scalar is compared as a whole.
        items = key.body[1]
        if all(isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str) for item in items):
            for name, value in items:
                text = value if isinstance(value, str) else json.dumps(value, default=str)
                pairs.setdefault(f"body.{name}", []).append(text)
        else:
            pairs["body"] = [json.dumps(items, default=str)]
    elif key.body is not None:
        pairs["body"] = [str(key.body[1])]
    return pairs


def _instants(text: str) -> set[dt.datetime]:
    found = set()
    for token in _INSTANT.findall(text):
        moment = _parse_instant(token)
        if moment is not None:
            found.add(moment)
    return found


def _parse_instant(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    text = str(value).strip()
    if re.fullmatch(r"\d{10}(\d{3})?", text):
        seconds = int(text) / (1000 if len(text) == 13 else 1)
        return dt.datetime.fromtimestamp(int(seconds), dt.UTC)
    try:
        moment = dt.datetime.fromisoformat(text.replace(" ", "T", 1).replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)


def _denotes(values: list[str] | None, watermark: Any) -> bool:
    instant = _parse_instant(watermark) if watermark is not None else None
    return instant is not None and any(instant in _instants(value) for value in values or ())


def _classify(
    name: str, sent: list[str] | None, recorded: list[str] | None, inputs: SourceInputs | None
) -> tuple[str, str]:
    bare = name.removeprefix("body.")
    if REDACTED in (sent or ()) or REDACTED in (recorded or ()) or CREDENTIAL_NAMES.match(bare):
        return CREDENTIALS, "the credential parameter"
    watermark = inputs.db_incremental_field_last_value if inputs else None
    if _denotes(sent, watermark) or _denotes(recorded, watermark):
        return WATERMARK, "the watermark parameter"
    earliest = inputs.db_incremental_field_earliest_value if inputs else None
    if _denotes(sent, earliest) or _denotes(recorded, earliest):
        return EARLIEST, "the earliest-value parameter"
    if SORT_NAMES.search(bare) or bare.lower() in ("sort", "order", "direction"):
        return SORT, "the sort parameter"
    if PAGE_NAMES.search(bare):
        return PAGINATION, "the page parameter"
    return "", "the parameter"


_PRIORITY = (CREDENTIALS, WATERMARK, EARLIEST, SORT, PAGINATION, "")


def attribute(
    miss: Unmatched, har_path: Path | None, wire: tuple[WireRequest, ...], inputs: SourceInputs | None
) -> Divergence:
    """What differs between the unmatched request and the closest recorded one, and which check owns it."""
    closest = closest_recorded(miss, har_path, wire)
    live = miss.request.key
    if closest is None or closest.method != live.method or closest.base_url != live.base_url:
        return Divergence(None, None, None, None, closest, "the request")
    sent, recorded = _pairs(live), _pairs(closest)
    names = sorted(set(sent) | set(recorded))
    differing = [name for name in names if Counter(sent.get(name, ())) != Counter(recorded.get(name, ()))]
    found = []
    for name in differing:
        owner, what = _classify(name, sent.get(name), recorded.get(name), inputs)
        found.append((_PRIORITY.index(owner), name, owner, what))
    if not found:
        return Divergence(None, None, None, None, closest, "the request")
    _, name, owner, what = min(found)
    return Divergence(
        owner or None,
        name,
        _joined(sent.get(name)),
        _joined(recorded.get(name)),
        closest,
        what,
    )


def _joined(values: list[str] | None) -> str | None:
    return None if values is None else ",".join(values)
