"""The Acme Helpdesk API, simulated: what it answers to a request, with its real filter, sort and paging rules.

- `GET /v1/me`: the account and the token's scopes (the credential probe).
- `GET /v1/tickets`: `limit`, `sort_by` (created_at | updated_at, default created_at), `order` (asc | desc,
  default **desc**), `updated_since` / `created_since` (at or after, inclusive) and `updated_after` /
  `created_after` (strictly after), all documented as ISO 8601 in UTC with `Z`, `2024-03-01T00:00:00Z`; tickets
  store their times to the second, so a ticket written in the same second as a value is at that value. One of
  `cursor` (the `next_cursor` of the page before: an opaque keyset position, the last row's sort value and id,
  valid whatever changed since), `starting_after` (a ticket id, resolved where
  that ticket is now) or `page` (from 1). Body `{"data": [...], "has_more": bool, "next_cursor": str | null}`.
- `GET /v1/agents`: `page` (1 or more), `per_page`; a JSON list with `Link: <...>; rel="next"` while more pages exist.
- `GET /v1/events`: newest first only; `limit`, `since` (inclusive), `before` (exclusive), both documented as epoch
  milliseconds; `cursor` (opaque). Body `{"events": [...], "next_cursor": str | null}`.
Unknown parameters are rejected with 400, a wrong token with 401, as the vendor does. A filter value outside the
documented encoding is a 400 `invalid_param` (`filter_value_error`); `lenient=True` is the API as it was before it
enforced that (any ISO 8601 text accepted), the vendor a connector author may have recorded against. The token goes
in `Authorization: Bearer <token>`; the deprecated `?api_key=<token>` is still accepted (the docs warn that URLs
end up in logs).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import operator
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests

from acme_vendor.dataset import AcmeData, parse
from harness.recording.recorder import SimulatedResponse

BASE_URL = "https://api.acme-helpdesk.test/v1"
TOKEN = "fake-acme-token-0001"
RATE_HEADERS = {"X-RateLimit-Limit": "600", "X-RateLimit-Remaining": "599", "Content-Type": "application/json"}
UNAUTHORIZED_BODY = {"error": {"code": "unauthorized", "message": "Invalid API token"}}
FORBIDDEN_BODY = {"error": {"code": "forbidden", "message": "Token lacks the required scope"}}
MAX_LIMIT = 100


def _error(status: int, code: str, message: str) -> SimulatedResponse:
    return SimulatedResponse(status, {"error": {"code": code, "message": message}}, dict(RATE_HEADERS))


def _params(request: requests.PreparedRequest, allowed: set[str]) -> dict[str, str] | SimulatedResponse:
    params = dict(parse_qsl(urlsplit(request.url or "").query, keep_blank_values=True))
    unknown = sorted(set(params) - allowed)
    if unknown:
        return _error(400, "invalid_param", f"Unknown parameter: {unknown[0]}")
    return params


ISO_Z = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z")
# The tickets time filters: `_since` keeps rows at or after the value, `_after` rows strictly after it.
TIME_FILTERS: dict[str, tuple[str, Callable[[Any, Any], bool]]] = {
    "updated_since": ("updated_at", operator.ge),
    "created_since": ("created_at", operator.ge),
    "updated_after": ("updated_at", operator.gt),
    "created_after": ("created_at", operator.gt),
}
ISO_FILTERS = tuple(TIME_FILTERS)
EPOCH_MS_FILTERS = ("since", "before")


def filter_value_error(path: str, params: dict[str, str], lenient: bool = False) -> SimulatedResponse | None:
    """The vendor's 400 for a filter value outside its documented encoding, else None."""
    for name in ISO_FILTERS if path == "/v1/tickets" else ():
        value = params.get(name)
        if value is None:
            continue
        if lenient:
            try:
                parse(value)
            except ValueError:
                return _error(400, "invalid_param", f"{name} is not an ISO 8601 time")
        elif not ISO_Z.fullmatch(value):
            return _error(400, "invalid_param", f"{name} must be an ISO 8601 UTC time like 2024-03-01T00:00:00Z")
    for name in EPOCH_MS_FILTERS if path == "/v1/events" else ():
        value = params.get(name)
        if value is not None and not value.isdigit():
            return _error(400, "invalid_param", f"{name} must be epoch milliseconds")
    return None


def _millis(value: str) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(value) / 1000, tz=dt.UTC)


def _limit(params: dict[str, str], default: int) -> int:
    return max(1, min(MAX_LIMIT, int(params.get("limit", default))))


def _ticket_cursor(sort_by: str, order: str, row: dict[str, Any]) -> str:
    position = {"s": sort_by, "o": order, "v": row[sort_by], "id": row["id"]}
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode()


def _after_cursor(rows: list[dict[str, Any]], token: str, sort_by: str, order: str) -> list[dict[str, Any]] | None:
    try:
        position = json.loads(base64.urlsafe_b64decode(token))
        if (position["s"], position["o"]) != (sort_by, order):
            return None
        last = (position["v"], position["id"])
    except (ValueError, KeyError, TypeError):
        return None
    if order == "desc":
        return [row for row in rows if (row[sort_by], row["id"]) < last]
    return [row for row in rows if (row[sort_by], row["id"]) > last]


def _tickets(data: AcmeData, params: dict[str, str]) -> SimulatedResponse:
    sort_by = params.get("sort_by", "created_at")
    order = params.get("order", "desc")
    if sort_by not in ("created_at", "updated_at") or order not in ("asc", "desc"):
        return _error(400, "invalid_param", f"Cannot sort by {sort_by!r} {order!r}")
    rows = data.tickets
    for name, (field, keeps) in TIME_FILTERS.items():
        if name not in params:
            continue
        try:
            floor = parse(params[name])
        except ValueError:
            return _error(400, "invalid_param", f"{name} is not an ISO 8601 time")
        rows = [row for row in rows if keeps(parse(row[field]), floor)]
    rows = sorted(rows, key=lambda row: (row[sort_by], row["id"]), reverse=order == "desc")
    after = params.get("starting_after")
    limit = _limit(params, 10)
    if "cursor" in params:
        found = _after_cursor(rows, params["cursor"], sort_by, order)
        if found is None:
            return _error(400, "invalid_cursor", "Malformed cursor, or a cursor of another sort order")
        rows = found
    elif after is not None:
        ids = [row["id"] for row in rows]
        if after not in ids:
            return _error(400, "invalid_param", f"No such ticket: {after}")
        rows = rows[ids.index(after) + 1 :]
    elif "page" in params:
        rows = rows[(max(1, int(params["page"])) - 1) * limit :]
    page, more = rows[:limit], len(rows) > limit
    body = {"data": page, "has_more": more, "next_cursor": _ticket_cursor(sort_by, order, page[-1]) if more else None}
    return SimulatedResponse(200, body, dict(RATE_HEADERS))


def _agents(data: AcmeData, params: dict[str, str]) -> SimulatedResponse:
    page = int(params.get("page", 1))
    if page < 1:
        return _error(400, "invalid_param", "page must be 1 or more")
    per_page = max(1, min(MAX_LIMIT, int(params.get("per_page", 10))))
    start = (page - 1) * per_page
    rows = data.agents[start : start + per_page]
    headers = dict(RATE_HEADERS)
    last = max(1, -(-len(data.agents) // per_page))
    links = []
    if page < last:
        links.append(f'<{BASE_URL}/agents?{urlencode({"page": page + 1, "per_page": per_page})}>; rel="next"')
    links.append(f'<{BASE_URL}/agents?{urlencode({"page": last, "per_page": per_page})}>; rel="last"')
    headers["Link"] = ", ".join(links)
    return SimulatedResponse(200, rows, headers)


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode()


def _events(data: AcmeData, params: dict[str, str]) -> SimulatedResponse:
    rows = sorted(data.events, key=lambda row: (row["occurred_at"], row["id"]), reverse=True)
    if "since" in params:
        rows = [row for row in rows if parse(row["occurred_at"]) >= _millis(params["since"])]
    if "before" in params:
        rows = [row for row in rows if parse(row["occurred_at"]) < _millis(params["before"])]
    offset = 0
    if "cursor" in params:
        try:
            offset = int(json.loads(base64.urlsafe_b64decode(params["cursor"]))["o"])
        except (ValueError, KeyError, TypeError):
            return _error(400, "invalid_cursor", "Malformed cursor")
    limit = _limit(params, 10)
    page = rows[offset : offset + limit]
    more = offset + limit < len(rows)
    body = {"events": page, "next_cursor": _cursor(offset + limit) if more else None}
    return SimulatedResponse(200, body, dict(RATE_HEADERS))


LEGACY_KEY_PARAM = "api_key"


def _authorized(request: requests.PreparedRequest, token: str) -> bool:
    if request.headers.get("Authorization") == f"Bearer {token}":
        return True
    return dict(parse_qsl(urlsplit(request.url or "").query)).get(LEGACY_KEY_PARAM) == token


def simulator(
    data: AcmeData, token: str = TOKEN, *, lenient: bool = False
) -> Callable[[requests.PreparedRequest], SimulatedResponse]:
    def respond(request: requests.PreparedRequest) -> SimulatedResponse:
        if not _authorized(request, token):
            return SimulatedResponse(401, UNAUTHORIZED_BODY, dict(RATE_HEADERS))
        path = urlsplit(request.url or "").path
        routes: dict[str, tuple[set[str], Callable[[AcmeData, dict[str, str]], SimulatedResponse]]] = {
            "/v1/tickets": (
                {"limit", "sort_by", "order", *ISO_FILTERS, "starting_after", "page", "cursor"},
                _tickets,
            ),
            "/v1/agents": ({"page", "per_page"}, _agents),
            "/v1/events": ({"limit", "since", "before", "cursor"}, _events),
        }
        if path == "/v1/me":
            body: Any = {"id": "acct_1", "name": "Acme Outdoors", "scopes": ["tickets", "agents", "events"]}
            return SimulatedResponse(200, body, dict(RATE_HEADERS))
        if path not in routes:
            return _error(404, "not_found", f"No route {path}")
        allowed, handler = routes[path]
        params = _params(request, allowed | {LEGACY_KEY_PARAM})
        if isinstance(params, SimulatedResponse):
            return params
        return filter_value_error(path, params, lenient) or handler(data, params)

    return respond
