"""Every paginator against a fake API that paginates the way real vendors do.

For any dataset and page size: every row exactly once and in order, the exact number of requests, and a
resume after any page (through a JSON round trip of the saved request, with a fresh client and paginator)
that yields the rest exactly once without starting again from page 1.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import math
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
import responses
from hypothesis import given, settings
from hypothesis import strategies as st

from sources.common.errors import ResumableStateError
from sources.common.http import make_tracked_session
from sources.common.rest_source import (
    BasePaginator,
    HeaderLinkPaginator,
    JSONLinkPaginator,
    JSONResponseCursorPaginator,
    OffsetPaginator,
    Page,
    PageNumberPaginator,
    PageRequest,
    RESTClient,
    TimeWindowPaginator,
)
from sources.common.rest_source.errors import UnexpectedResponseError

BASE = "https://api.example.test"
Rows = list[dict[str, Any]]
Callback = Callable[[requests.PreparedRequest], tuple[int, dict[str, str], str]]

PROPERTY_SETTINGS = settings(max_examples=40, deadline=None)


def make_rows(count: int) -> Rows:
    return [{"id": f"row-{index:04d}", "seq": index} for index in range(count)]


def query_of(request: requests.PreparedRequest) -> dict[str, str]:
    return {name: values[-1] for name, values in parse_qs(urlsplit(request.url).query).items()}


def reply(body: Any, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    return 200, {"Content-Type": "application/json", **(headers or {})}, json.dumps(body)


@dataclasses.dataclass
class Scenario:
    """A fake endpoint (one callback on every URL under `route`) and how a connector would page through it."""

    route: str
    callback: Callback
    paginator: Callable[[], BasePaginator]
    expected_requests: int
    path: str
    data_selector: str | None
    method: str = "GET"
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    body: Any = None


# ---- fake APIs, one per pagination style --------------------------------------------------------------


def link_header_api(rows: Rows, size: int, link_style: str) -> Scenario:
    """GitHub: `per_page`, an opaque `after` token, and `Link` with next (plus first/prev) when more remain."""

    def link(after: int) -> str:
        query = urlencode({"per_page": size, "after": after})
        return {
            "absolute": f"{BASE}/v3/repos/acme/issues?{query}",
            "root-relative": f"/v3/repos/acme/issues?{query}",
            "path-relative": f"issues?{query}",
            "query-only": f"?{query}",
        }[link_style]

    def callback(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        query = query_of(request)
        start, per_page = int(query.get("after", 0)), int(query["per_page"])
        links = [f'<{link(0)}>; rel="first"']
        if start > 0:
            links.append(f'<{link(max(0, start - per_page))}>; rel="prev"')
        if start + per_page < len(rows):
            links.append(f'<{link(start + per_page)}>; rel="next"')
        return reply(rows[start : start + per_page], {"Link": ", ".join(links)})

    return Scenario(
        route=f"{BASE}/v3/repos/acme/issues",
        callback=callback,
        paginator=HeaderLinkPaginator,
        expected_requests=max(1, math.ceil(len(rows) / size)),
        path="/v3/repos/acme/issues",
        data_selector=None,
        params={"per_page": size},
    )


def json_link_api(rows: Rows, size: int, link_path: str, relative: bool) -> Scenario:
    """JSON:API `links.next` or Zendesk `next_page`: a full (or relative) URL in the body, null at the end."""

    def callback(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        query = query_of(request)
        number, per_page = int(query.get("page[number]", 1)), int(query["page[size]"])
        start = (number - 1) * per_page
        next_url = None
        if start + per_page < len(rows):
            next_query = urlencode({"page[size]": per_page, "page[number]": number + 1})
            next_url = f"/api/v2/tickets?{next_query}" if relative else f"{BASE}/api/v2/tickets?{next_query}"
        page = rows[start : start + per_page]
        if link_path == "links.next":
            return reply({"data": page, "links": {"self": request.url, "next": next_url}})
        return reply({"data": page, "next_page": next_url, "count": len(rows)})

    return Scenario(
        route=f"{BASE}/api/v2/tickets",
        callback=callback,
        paginator=lambda: JSONLinkPaginator(next_url_path=link_path),
        expected_requests=max(1, math.ceil(len(rows) / size)),
        path="/api/v2/tickets",
        data_selector="data",
        params={"page[size]": size},
    )


def has_more_api(rows: Rows, size: int) -> Scenario:
    """Stripe: `limit`, `starting_after=<last id>`, `has_more` exact."""
    position = {row["id"]: index for index, row in enumerate(rows)}

    def callback(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        query = query_of(request)
        limit = int(query["limit"])
        start = position[query["starting_after"]] + 1 if "starting_after" in query else 0
        page = rows[start : start + limit]
        return reply({"object": "list", "data": page, "has_more": start + limit < len(rows)})

    return Scenario(
        route=f"{BASE}/v1/customers",
        callback=callback,
        paginator=lambda: JSONResponseCursorPaginator(
            cursor_path=None,
            cursor_param="starting_after",
            has_more_path="has_more",
            cursor_from_last_item="id",
        ),
        expected_requests=max(1, math.ceil(len(rows) / size)),
        path="/v1/customers",
        data_selector="data",
        params={"limit": size},
    )


def encode_cursor(index: int) -> str:
    return base64.urlsafe_b64encode(f"position:{index}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    return int(base64.urlsafe_b64decode(cursor.encode()).decode().split(":")[1])


def end_flag_api(rows: Rows, size: int) -> Scenario:
    """Zendesk cursor export: `after_cursor` is always set, `end_of_stream` says when to stop."""

    def callback(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        query = query_of(request)
        per_page = int(query["per_page"])
        start = decode_cursor(query["cursor"]) if "cursor" in query else 0
        end = start + per_page
        return reply(
            {
                "tickets": rows[start:end],
                "after_cursor": encode_cursor(min(end, len(rows))),
                "after_url": f"{BASE}/api/v2/incremental/tickets/cursor.json?cursor={encode_cursor(end)}",
                "end_of_stream": end >= len(rows),
            }
        )

    return Scenario(
        route=f"{BASE}/api/v2/incremental/tickets/cursor.json",
        callback=callback,
        paginator=lambda: JSONResponseCursorPaginator(
            cursor_path="after_cursor", cursor_param="cursor", end_path="end_of_stream"
        ),
        expected_requests=max(1, math.ceil(len(rows) / size)),
        path="/api/v2/incremental/tickets/cursor.json",
        data_selector="tickets",
        params={"per_page": size},
    )


def next_cursor_api(rows: Rows, size: int, location: str, exact_end: bool) -> Scenario:
    """A `next_cursor` that is null at the end; in the query or in a POST search body.

    An exact server nulls the cursor on the last page; a lazy one only on the empty page after a full one.
    """

    def callback(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        sent = json.loads(request.body or b"{}") if location == "json" else query_of(request)
        limit = int(sent["limit"])
        start = decode_cursor(sent["cursor"]) if sent.get("cursor") else 0
        page = rows[start : start + limit]
        more = start + limit < len(rows) if exact_end else len(page) == limit
        return reply({"results": page, "next_cursor": encode_cursor(start + limit) if more else None})

    # a lazy server sends a cursor after an exactly full page; the empty page after it ends the run
    expected = max(1, math.ceil(len(rows) / size)) if exact_end else len(rows) // size + 1
    is_json = location == "json"
    return Scenario(
        route=f"{BASE}/v1/search",
        callback=callback,
        paginator=lambda: JSONResponseCursorPaginator(
            cursor_path="next_cursor", cursor_param="cursor", cursor_location="json" if is_json else "params"
        ),
        expected_requests=expected,
        path="/v1/search",
        data_selector="results",
        method="POST" if is_json else "GET",
        params={} if is_json else {"limit": size},
        body={"limit": size, "query": "status:open"} if is_json else None,
    )


def offset_api(rows: Rows, size: int, with_total: bool) -> Scenario:
    """`offset` + `limit`, with or without a `total` in the body."""

    def callback(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        query = query_of(request)
        offset, limit = int(query["offset"]), int(query["limit"])
        body: dict[str, Any] = {"items": rows[offset : offset + limit]}
        if with_total:
            body["total"] = len(rows)
        return reply(body)

    # without a total, an exactly full last page is followed by an empty one
    expected = max(1, math.ceil(len(rows) / size)) if with_total else len(rows) // size + 1
    return Scenario(
        route=f"{BASE}/v2/contacts",
        callback=callback,
        paginator=lambda: OffsetPaginator(limit=size, total_path="total" if with_total else None),
        expected_requests=expected,
        path="/v2/contacts",
        data_selector="items",
    )


def page_number_api(rows: Rows, size: int, stop: str, base_page: int) -> Scenario:
    """`page` + `per_page`: stop at `meta.total_pages`, on a short page, or on an empty page."""

    def callback(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        query = query_of(request)
        number, per_page = int(query["page"]), int(query["per_page"])
        start = (number - base_page) * per_page
        body: dict[str, Any] = {"deals": rows[start : start + per_page]}
        if stop == "total_pages":
            body["meta"] = {"total_pages": math.ceil(len(rows) / per_page), "page": number}
        return reply(body)

    def paginator() -> PageNumberPaginator:
        if stop == "total_pages":
            return PageNumberPaginator(
                base_page=base_page, total_pages_path="meta.total_pages", page_size=size, page_size_param="per_page"
            )
        if stop == "short_page":
            return PageNumberPaginator(base_page=base_page, page_size=size, page_size_param="per_page")
        return PageNumberPaginator(base_page=base_page)

    expected = {
        "total_pages": max(1, math.ceil(len(rows) / size)),
        "short_page": len(rows) // size + 1,
        "empty_page": math.ceil(len(rows) / size) + 1,
    }[stop]
    return Scenario(
        route=f"{BASE}/api/v1/deals",
        callback=callback,
        paginator=paginator,
        expected_requests=expected,
        path="/api/v1/deals",
        data_selector="deals",
        params={} if stop != "empty_page" else {"per_page": size},
    )


WINDOW_START = datetime(2024, 3, 1, tzinfo=UTC)


def parse_instant(raw: str, fmt: str) -> datetime:
    if fmt == "epoch":
        return datetime.fromtimestamp(int(raw), tz=UTC)
    if fmt == "epoch_ms":
        return datetime.fromtimestamp(int(raw) / 1000, tz=UTC)
    if fmt == "date":
        return datetime.fromisoformat(raw).replace(tzinfo=UTC)
    assert raw.endswith("Z"), raw
    return datetime.fromisoformat(raw.replace("Z", "+00:00"))


def time_window_api(offsets: list[int], span: int, window: int, fmt: str) -> tuple[Scenario, Rows]:
    """Rows stamped at `offsets` (in seconds, or days for `date`); the API returns `[since, until)` sorted."""
    unit = timedelta(days=1) if fmt == "date" else timedelta(seconds=1)
    stamped = sorted((WINDOW_START + offset * unit, index) for index, offset in enumerate(offsets))
    rows = [{"id": f"evt-{index:04d}", "created": moment.isoformat()} for moment, index in stamped]
    moments = [moment for moment, _ in stamped]

    def callback(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        query = query_of(request)
        since, until = parse_instant(query["since"], fmt), parse_instant(query["until"], fmt)
        page = [row for row, moment in zip(rows, moments, strict=True) if since <= moment < until]
        return reply({"events": page})

    scenario = Scenario(
        route=f"{BASE}/v1/events",
        callback=callback,
        paginator=lambda: TimeWindowPaginator(
            start=WINDOW_START,
            end=WINDOW_START + span * unit,
            window=window * unit,
            start_param="since",
            end_param="until",
            fmt=fmt,  # type: ignore[arg-type]
        ),
        expected_requests=math.ceil(span / window),
        path="/v1/events",
        data_selector="events",
    )
    return scenario, rows


# ---- the property every style must hold --------------------------------------------------------------


def new_client() -> RESTClient:
    return RESTClient(BASE, session=make_tracked_session(retry=None))


def run(scenario: Scenario, resume_from: PageRequest | None = None, limit: int | None = None) -> list[Page]:
    """Pages of one `paginate` call, with a bound so a paginator that never stops fails instead of hanging."""
    bound = scenario.expected_requests + 1
    pages = new_client().paginate(
        scenario.path,
        method=scenario.method,
        params=scenario.params,
        json=scenario.body,
        paginator=scenario.paginator(),
        data_selector=scenario.data_selector,
        resume_from=resume_from,
    )
    fetched = list(islice(pages, bound if limit is None else limit))
    assert len(fetched) < bound, f"no end after {len(fetched)} pages ({scenario.expected_requests} expected)"
    return fetched


def rows_of(pages: list[Page]) -> Rows:
    return [row for page in pages for row in page.items]


def serve(scenario: Scenario) -> responses.RequestsMock:
    mock = responses.RequestsMock(assert_all_requests_are_fired=False)
    for method in ("GET", "POST"):
        mock.add_callback(method, scenario.route, callback=scenario.callback)
    return mock


def assert_pages_and_resume(scenario: Scenario, rows: Rows, stop_after: Callable[[int], int]) -> None:
    with serve(scenario) as api:
        pages = run(scenario)
        assert rows_of(pages) == rows
        assert len(api.calls) == scenario.expected_requests
        assert [page.number for page in pages] == list(range(1, len(pages) + 1))
        assert pages[-1].next_request is None
        assert all(page.next_request is not None for page in pages[:-1])

        k = stop_after(len(pages))
        api.calls.reset()
        first = run(scenario, limit=k)
        saved = first[-1].next_request
        if saved is None:
            rest: list[Page] = []
        else:
            restored = PageRequest.from_state(json.loads(json.dumps(saved.to_state())))
            assert restored == saved
            rest = run(scenario, resume_from=restored)
            assert rest[0].request == saved
        assert rows_of(first) + rows_of(rest) == rows
        assert len(api.calls) == k + len(rest)
        assert len(first) + len(rest) == len(pages)


row_counts = st.integers(min_value=0, max_value=300)
page_sizes = st.integers(min_value=1, max_value=50)


def stop_point(data: st.DataObject) -> Callable[[int], int]:
    return lambda page_count: data.draw(st.integers(min_value=1, max_value=page_count), label="stop after page")


@PROPERTY_SETTINGS
@given(
    count=row_counts,
    size=page_sizes,
    link_style=st.sampled_from(["absolute", "root-relative", "path-relative", "query-only"]),
    data=st.data(),
)
def test_link_header_paginator_yields_every_row_once_and_resumes(
    count: int, size: int, link_style: str, data: st.DataObject
) -> None:
    rows = make_rows(count)
    assert_pages_and_resume(link_header_api(rows, size, link_style), rows, stop_point(data))


@PROPERTY_SETTINGS
@given(
    count=row_counts,
    size=page_sizes,
    link_path=st.sampled_from(["links.next", "next_page"]),
    relative=st.booleans(),
    data=st.data(),
)
def test_json_link_paginator_yields_every_row_once_and_resumes(
    count: int, size: int, link_path: str, relative: bool, data: st.DataObject
) -> None:
    rows = make_rows(count)
    assert_pages_and_resume(json_link_api(rows, size, link_path, relative), rows, stop_point(data))


@PROPERTY_SETTINGS
@given(count=row_counts, size=page_sizes, data=st.data())
def test_has_more_cursor_paginator_yields_every_row_once_and_resumes(
    count: int, size: int, data: st.DataObject
) -> None:
    rows = make_rows(count)
    assert_pages_and_resume(has_more_api(rows, size), rows, stop_point(data))


@PROPERTY_SETTINGS
@given(count=row_counts, size=page_sizes, data=st.data())
def test_end_flag_cursor_paginator_yields_every_row_once_and_resumes(
    count: int, size: int, data: st.DataObject
) -> None:
    rows = make_rows(count)
    assert_pages_and_resume(end_flag_api(rows, size), rows, stop_point(data))


@PROPERTY_SETTINGS
@given(
    count=row_counts,
    size=page_sizes,
    location=st.sampled_from(["params", "json"]),
    exact_end=st.booleans(),
    data=st.data(),
)
def test_next_cursor_paginator_yields_every_row_once_and_resumes(
    count: int, size: int, location: str, exact_end: bool, data: st.DataObject
) -> None:
    rows = make_rows(count)
    assert_pages_and_resume(next_cursor_api(rows, size, location, exact_end), rows, stop_point(data))


@PROPERTY_SETTINGS
@given(count=row_counts, size=page_sizes, with_total=st.booleans(), data=st.data())
def test_offset_paginator_yields_every_row_once_and_resumes(
    count: int, size: int, with_total: bool, data: st.DataObject
) -> None:
    rows = make_rows(count)
    assert_pages_and_resume(offset_api(rows, size, with_total), rows, stop_point(data))


@PROPERTY_SETTINGS
@given(
    count=row_counts,
    size=page_sizes,
    stop=st.sampled_from(["total_pages", "short_page", "empty_page"]),
    base_page=st.sampled_from([0, 1]),
    data=st.data(),
)
def test_page_number_paginator_yields_every_row_once_and_resumes(
    count: int, size: int, stop: str, base_page: int, data: st.DataObject
) -> None:
    rows = make_rows(count)
    assert_pages_and_resume(page_number_api(rows, size, stop, base_page), rows, stop_point(data))


@PROPERTY_SETTINGS
@given(
    span=st.integers(min_value=1, max_value=5000),
    fmt=st.sampled_from(["iso", "epoch", "epoch_ms", "date"]),
    data=st.data(),
)
def test_time_window_paginator_yields_every_row_once_and_resumes(span: int, fmt: str, data: st.DataObject) -> None:
    if fmt == "date":
        span = 1 + span % 60
    window = data.draw(st.integers(min_value=1, max_value=span + 10), label="window")
    offsets = data.draw(st.lists(st.integers(min_value=0, max_value=span - 1), max_size=300), label="offsets")
    scenario, rows = time_window_api(offsets, span, window, fmt)
    assert_pages_and_resume(scenario, rows, stop_point(data))


# ---- edge cases, each spelled out --------------------------------------------------------------------

EDGE_STYLES: dict[str, Callable[[Rows, int], Scenario]] = {
    "link header": lambda rows, size: link_header_api(rows, size, "path-relative"),
    "json link": lambda rows, size: json_link_api(rows, size, "links.next", relative=True),
    "has_more": has_more_api,
    "end flag": end_flag_api,
    "next cursor (lazy end)": lambda rows, size: next_cursor_api(rows, size, "params", exact_end=False),
    "next cursor in POST body": lambda rows, size: next_cursor_api(rows, size, "json", exact_end=True),
    "offset with total": lambda rows, size: offset_api(rows, size, with_total=True),
    "offset without total": lambda rows, size: offset_api(rows, size, with_total=False),
    "page number with total pages": lambda rows, size: page_number_api(rows, size, "total_pages", 1),
    "page number, short page stop": lambda rows, size: page_number_api(rows, size, "short_page", 1),
    "page number, empty page stop": lambda rows, size: page_number_api(rows, size, "empty_page", 1),
}


@pytest.mark.parametrize("style", EDGE_STYLES)
def test_an_empty_first_page_ends_after_one_request(style: str) -> None:
    scenario = EDGE_STYLES[style]([], 10)
    with serve(scenario) as api:
        pages = run(scenario)
        assert [page.items for page in pages] == [[]]
        assert pages[0].next_request is None
        assert len(api.calls) == 1


EXACTLY_FULL_REQUESTS = {
    "offset without total": 4,  # three full pages, then the empty page that proves the end
    "page number, short page stop": 4,
    "page number, empty page stop": 4,
    "next cursor (lazy end)": 4,
    "offset with total": 3,
    "page number with total pages": 3,
    "has_more": 3,
    "end flag": 3,
    "link header": 3,
    "json link": 3,
    "next cursor in POST body": 3,
}


@pytest.mark.parametrize("style", EDGE_STYLES)
def test_an_exactly_full_last_page_stops_on_the_right_request(style: str) -> None:
    rows = make_rows(30)
    scenario = EDGE_STYLES[style](rows, 10)
    with serve(scenario) as api:
        assert rows_of(run(scenario)) == rows
        assert len(api.calls) == EXACTLY_FULL_REQUESTS[style]


def test_a_relative_link_is_resolved_against_the_page_that_carried_it() -> None:
    rows = make_rows(5)
    scenario = link_header_api(rows, 2, "path-relative")
    with serve(scenario) as api:
        pages = run(scenario)
        sent = [call.request.url for call in api.calls]
    assert [page.request.url for page in pages[1:]] == [
        f"{BASE}/v3/repos/acme/issues?per_page=2&after=2",
        f"{BASE}/v3/repos/acme/issues?per_page=2&after=4",
    ]
    assert all(page.request.params == {} for page in pages[1:])  # the link carries every parameter
    assert sent[1:] == [page.request.url for page in pages[1:]]


@settings(deadline=None)
@given(
    url=st.text(min_size=1, max_size=40),
    method=st.sampled_from(["GET", "POST"]),
    params=st.dictionaries(
        st.text(max_size=10), st.one_of(st.integers(), st.text(max_size=10), st.booleans(), st.none())
    ),
    body=st.one_of(st.none(), st.dictionaries(st.text(max_size=10), st.integers())),
)
def test_page_request_state_round_trips_through_json(url: str, method: str, params: dict[str, Any], body: Any) -> None:
    request = PageRequest(url=url, method=method, params=params, json=body)
    state = json.loads(json.dumps(request.to_state()))
    assert PageRequest.from_state(state) == request
    assert request.copy() == request and request.copy() is not request


def test_a_page_request_copy_does_not_share_its_params() -> None:
    request = PageRequest(url=f"{BASE}/x", params={"page": 1}, json={"filter": {"a": 1}})
    duplicate = request.copy()
    duplicate.params["page"] = 2
    duplicate.json["filter"]["a"] = 2
    assert request.params == {"page": 1} and request.json == {"filter": {"a": 1}}


@pytest.mark.parametrize(
    ("state", "complaint"),
    [
        ({"method": "GET"}, "needs a string 'url'"),
        ("https://api.example.test/x", "needs a string 'url'"),
        ({"url": f"{BASE}/x", "cursor": "abc"}, "unknown keys ['cursor']"),
        ({"url": f"{BASE}/x", "params": ["page", 2]}, "'params' is not an object"),
    ],
)
def test_a_saved_request_of_another_shape_is_a_clear_error(state: Any, complaint: str) -> None:
    with pytest.raises(ResumableStateError, match=complaint.replace("[", r"\[").replace("]", r"\]")) as raised:
        PageRequest.from_state(state)
    assert "\n" not in str(raised.value)


@pytest.fixture
def new_york_local_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize("fmt", ["iso", "epoch", "epoch_ms", "date"])
@pytest.mark.usefixtures("new_york_local_time")
def test_naive_window_bounds_are_utc_whatever_the_machine_time_zone(fmt: str) -> None:
    naive = TimeWindowPaginator(
        start=datetime(2024, 3, 1, 23, 0), end=datetime(2024, 3, 3), window=timedelta(hours=12), fmt=fmt
    )
    aware = TimeWindowPaginator(
        start=datetime(2024, 3, 1, 23, 0, tzinfo=UTC),
        end=datetime(2024, 3, 3, tzinfo=UTC),
        window=timedelta(hours=12),
        fmt=fmt,
    )
    naive_request, aware_request = PageRequest(url=BASE), PageRequest(url=BASE)
    naive.init_request(naive_request)
    aware.init_request(aware_request)
    assert naive_request.params == aware_request.params
    if fmt == "iso":
        assert naive_request.params == {"start_time": "2024-03-01T23:00:00Z", "end_time": "2024-03-02T11:00:00Z"}


def test_a_resumed_window_continues_from_the_saved_start() -> None:
    saved = PageRequest(url=BASE, params={"start_time": 1709337600, "end_time": 1709380800})
    paginator = TimeWindowPaginator(
        start=datetime(2024, 3, 1, tzinfo=UTC), end=datetime(2024, 3, 3), window=timedelta(hours=12), fmt="epoch"
    )
    paginator.resume(saved)
    paginator.update_state(requests.Response(), [])
    paginator.update_request(saved)
    assert saved.params == {"start_time": 1709380800, "end_time": 1709424000}


@pytest.mark.parametrize("raw", [None, "yesterday", "2024-13-01"])
def test_a_saved_window_without_a_readable_start_is_a_clear_error(raw: Any) -> None:
    paginator = TimeWindowPaginator(
        start=datetime(2024, 3, 1, tzinfo=UTC), end=datetime(2024, 3, 3, tzinfo=UTC), window=timedelta(hours=1)
    )
    with pytest.raises(ResumableStateError, match=r"no iso time in 'start_time': found"):
        paginator.resume(PageRequest(url=f"{BASE}/v1/events", params={"start_time": raw}))


def test_a_window_that_is_not_positive_is_rejected() -> None:
    with pytest.raises(ValueError, match="needs a positive window, got 0:00:00"):
        TimeWindowPaginator(start=WINDOW_START, end=WINDOW_START, window=timedelta(0))


def test_an_empty_time_range_sends_no_request() -> None:
    paginator = TimeWindowPaginator(start=WINDOW_START, end=WINDOW_START, window=timedelta(hours=1))
    with responses.RequestsMock() as api:
        assert list(new_client().paginate("/v1/events", paginator=paginator)) == []
        assert len(api.calls) == 0


@pytest.mark.parametrize(
    ("make", "complaint"),
    [
        (lambda: OffsetPaginator(limit=0), "OffsetPaginator needs a limit of at least 1, got 0"),
        (lambda: PageNumberPaginator(page_size=0), "PageNumberPaginator needs a page_size of at least 1, got 0"),
        (
            lambda: JSONResponseCursorPaginator(cursor_path=None),
            "JSONResponseCursorPaginator needs a cursor_path or a cursor_from_last_item",
        ),
    ],
)
def test_a_paginator_that_could_never_move_is_rejected_when_built(
    make: Callable[[], BasePaginator], complaint: str
) -> None:
    with pytest.raises(ValueError, match=complaint):
        make()


@pytest.mark.parametrize(
    ("paginator", "body", "complaint"),
    [
        (OffsetPaginator(limit=2, total_path="total"), {"items": [], "total": "many"}, "the total at 'total'"),
        (
            PageNumberPaginator(total_pages_path="meta.pages"),
            {"items": [], "meta": {"pages": [3]}},
            "the page count at 'meta.pages'",
        ),
    ],
)
def test_a_count_that_is_not_a_number_is_a_clear_error(paginator: BasePaginator, body: Any, complaint: str) -> None:
    with responses.RequestsMock() as api:
        api.add(responses.GET, f"{BASE}/v1/items", json=body)
        with pytest.raises(UnexpectedResponseError, match=f"^{re.escape(BASE)}/v1/items.*: {complaint}"):
            list(new_client().paginate("/v1/items", paginator=paginator, data_selector="items"))
