"""`RESTClient.paginate`: page caps, data selectors, and the clear errors that replace hangs and tracebacks."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
import responses
from structlog.testing import capture_logs

from sources.common import events
from sources.common.http import RequestRecord, make_tracked_session
from sources.common.rest_source import (
    JSONResponseCursorPaginator,
    OffsetPaginator,
    PageCapHit,
    PageNumberPaginator,
    PageRequest,
    RESTClient,
    SinglePagePaginator,
)
from sources.common.rest_source.client import describe_request
from sources.common.rest_source.errors import PaginationLoopError, UnexpectedResponseError

BASE = "https://api.example.test"
ROWS = [{"id": index} for index in range(25)]


def offset_callback(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
    query = dict(part.split("=") for part in request.url.split("?", 1)[1].split("&"))
    offset, limit = int(query["offset"]), int(query["limit"])
    return 200, {}, json.dumps({"items": ROWS[offset : offset + limit]})


@pytest.fixture
def api() -> responses.RequestsMock:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.GET, f"{BASE}/v1/orders", callback=offset_callback)
        yield mock


def new_client() -> RESTClient:
    return RESTClient(BASE, session=make_tracked_session(retry=None))


def paginate_orders(max_pages: int | None, **kwargs: Any) -> list[Any]:
    pages = new_client().paginate(
        "/v1/orders",
        paginator=OffsetPaginator(limit=5),
        data_selector="items",
        max_pages=max_pages,
        **kwargs,
    )
    return list(pages)


def test_max_pages_stops_early_emits_page_cap_hit_and_logs_the_resource_and_parent(
    api: responses.RequestsMock,
) -> None:
    seen: list[Any] = []
    with events.observing(seen.append), capture_logs() as logs:
        pages = paginate_orders(2, resource="orders", parent={"_accounts_id": "acct_7"})

    assert [row["id"] for page in pages for row in page.items] == list(range(10))
    assert len(api.calls) == 2
    assert pages[-1].next_request is None  # a capped run is over: nothing to resume
    caps = [event for event in seen if isinstance(event, PageCapHit)]
    assert caps == [PageCapHit("orders", 2, f"{BASE}/v1/orders", {"_accounts_id": "acct_7"})]
    cap_logs = [entry for entry in logs if entry["event"] == "page_cap_reached"]
    assert len(cap_logs) == 1
    assert cap_logs[0]["log_level"] == "warning"
    assert cap_logs[0]["resource"] == "orders"
    assert cap_logs[0]["parent"] == {"_accounts_id": "acct_7"}
    assert cap_logs[0]["max_pages"] == 2


def test_a_cap_equal_to_the_real_page_count_is_not_reported(api: responses.RequestsMock) -> None:
    seen: list[Any] = []
    with events.observing(seen.append), capture_logs() as logs:
        pages = paginate_orders(6)  # 25 rows at 5 a page: five full pages and the empty page that ends it
    assert len(pages) == 6
    assert not [event for event in seen if isinstance(event, PageCapHit)]
    assert not [entry for entry in logs if entry["event"] == "page_cap_reached"]


def test_without_a_resource_name_the_cap_names_the_path(api: responses.RequestsMock) -> None:
    seen: list[Any] = []
    with events.observing(seen.append):
        paginate_orders(1)
    assert [event.resource for event in seen if isinstance(event, PageCapHit)] == ["/v1/orders"]


def test_the_cap_event_url_carries_no_credentials() -> None:
    with responses.RequestsMock() as api:
        api.add(responses.GET, f"{BASE}/v1/orders", json={"items": [{"id": 1}]})
        seen: list[Any] = []
        with events.observing(seen.append):
            client = new_client()
            list(
                client.paginate(
                    f"{BASE}/v1/orders?api_key=sk_live_abcdef",
                    paginator=PageNumberPaginator(),
                    data_selector="items",
                    max_pages=1,
                )
            )
    (cap,) = [event for event in seen if isinstance(event, PageCapHit)]
    assert "sk_live_abcdef" not in cap.url


@pytest.mark.parametrize("max_pages", [0, -3])
def test_a_cap_below_one_page_is_rejected_before_any_request(max_pages: int) -> None:
    expected = f"orders: max_pages must be at least 1, got {max_pages}"
    with responses.RequestsMock() as api, pytest.raises(ValueError, match=expected):
        list(new_client().paginate("/v1/orders", resource="orders", max_pages=max_pages))
    assert len(api.calls) == 0


def test_resume_from_a_saved_request_starts_there(api: responses.RequestsMock) -> None:
    saved = PageRequest(url=f"{BASE}/v1/orders", params={"offset": 20, "limit": 5})
    pages = paginate_orders(None, resume_from=saved)
    assert [row["id"] for page in pages for row in page.items] == list(range(20, 25))
    assert api.calls[0].request.url == f"{BASE}/v1/orders?offset=20&limit=5"
    assert [page.number for page in pages] == [1, 2]


def test_a_paginator_instance_can_be_reused_for_a_second_run(api: responses.RequestsMock) -> None:
    client, paginator = new_client(), OffsetPaginator(limit=10)
    first = list(client.paginate("/v1/orders", paginator=paginator, data_selector="items"))
    second = list(client.paginate("/v1/orders", paginator=paginator, data_selector="items"))
    assert [len(page.items) for page in first] == [10, 10, 5]
    assert [len(page.items) for page in second] == [10, 10, 5]


def test_requests_go_through_the_tracked_session() -> None:
    records: list[RequestRecord] = []
    with responses.RequestsMock() as api, events.observing(records.append):
        api.add(responses.GET, f"{BASE}/v1/me", json={"id": "u1"})
        pages = list(RESTClient(BASE).paginate("v1/me"))
    assert [page.items for page in pages] == [[{"id": "u1"}]]
    assert [(record.method, record.url, record.status) for record in records if isinstance(record, RequestRecord)] == [
        ("GET", f"{BASE}/v1/me", 200)
    ]


@pytest.mark.parametrize(
    ("body", "selector", "items"),
    [
        ({"data": [{"id": 1}, {"id": 2}]}, "data", [{"id": 1}, {"id": 2}]),
        ({"data": {"id": 1}}, "data", [{"id": 1}]),  # a single object is one row
        ({"data": None}, "data", []),
        ({"other": []}, "data", []),
        ({"result": {"rows": [{"id": 3}]}}, "result.rows", [{"id": 3}]),
        ([{"id": 4}], None, [{"id": 4}]),
        ({"data": [{"id": 5}]}, lambda body: body["data"], [{"id": 5}]),
    ],
)
def test_the_data_selector_picks_the_rows(body: Any, selector: Any, items: list[Any]) -> None:
    with responses.RequestsMock() as api:
        api.add(responses.GET, f"{BASE}/v1/things", json=body)
        pages = list(new_client().paginate("/v1/things", data_selector=selector))
    assert [page.items for page in pages] == [items]


def test_the_client_wide_selector_applies_unless_a_call_overrides_it() -> None:
    with responses.RequestsMock() as api:
        api.add(responses.GET, f"{BASE}/v1/things", json={"data": [{"id": 1}], "alt": [{"id": 2}]})
        client = RESTClient(BASE, session=make_tracked_session(retry=None), data_selector="data")
        assert next(client.paginate("/v1/things")).items == [{"id": 1}]
        assert next(client.paginate("/v1/things", data_selector="alt")).items == [{"id": 2}]


def test_a_non_json_body_is_a_one_line_error_naming_the_resource_and_url() -> None:
    with responses.RequestsMock() as api:
        api.add(responses.GET, f"{BASE}/v1/orders", body="<html>maintenance</html>", content_type="text/html")
        with pytest.raises(UnexpectedResponseError) as raised:
            list(new_client().paginate("/v1/orders", resource="orders"))
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("orders: GET https://api.example.test/v1/orders returned 200 with a non-JSON body")
    assert "text/html" in message and "maintenance" in message


def test_an_api_that_ignores_the_page_parameter_is_a_loop_error_not_a_hang() -> None:
    with responses.RequestsMock() as api:
        api.add(responses.GET, f"{BASE}/v1/deals", json={"deals": [{"id": 1}, {"id": 2}]})
        pages = new_client().paginate(
            "/v1/deals", paginator=PageNumberPaginator(page_param="p"), data_selector="deals", resource="deals"
        )
        with pytest.raises(PaginationLoopError, match=r"deals: .* returned the same 2 rows as the page before it"):
            list(pages)
        assert len(api.calls) == 2


def test_a_cursor_that_never_moves_is_a_loop_error_not_a_hang() -> None:
    with responses.RequestsMock() as api:
        api.add(responses.GET, f"{BASE}/v1/feed", json={"items": [], "next": "abc"})
        pages = new_client().paginate(
            "/v1/feed",
            paginator=JSONResponseCursorPaginator(cursor_path="next", cursor_param="cursor"),
            data_selector="items",
            resource="feed",
        )
        with pytest.raises(PaginationLoopError, match="feed: the next page's request is the same"):
            list(pages)
        assert len(api.calls) == 2


def test_an_http_error_reaches_the_caller_through_raise_for_status() -> None:
    with responses.RequestsMock() as api:
        api.add(responses.GET, f"{BASE}/v1/orders", status=401, json={"error": "unauthorized"})
        with pytest.raises(requests.HTTPError, match="401 Client Error"):
            list(new_client().paginate("/v1/orders"))


def test_a_custom_status_check_replaces_the_default() -> None:
    checked: list[int] = []
    with responses.RequestsMock() as api:
        api.add(responses.GET, f"{BASE}/v1/orders", status=404, json={"items": []})
        client = RESTClient(
            BASE,
            session=make_tracked_session(retry=None),
            raise_for_status=lambda response: checked.append(response.status_code),
        )
        pages = list(client.paginate("/v1/orders", paginator=SinglePagePaginator(), data_selector="items"))
    assert checked == [404]
    assert [page.items for page in pages] == [[]]


@pytest.mark.parametrize(
    ("path", "url"),
    [
        ("v1/orders", f"{BASE}/api/v1/orders"),
        ("/v1/orders", f"{BASE}/api/v1/orders"),
        ("https://other.example.test/x", "https://other.example.test/x"),
    ],
)
def test_paths_are_joined_to_the_base_url(path: str, url: str) -> None:
    assert RESTClient(f"{BASE}/api", session=make_tracked_session()).url_for(path) == url


def test_a_loop_error_shows_the_full_request_without_its_credentials() -> None:
    with responses.RequestsMock() as api:
        api.add(responses.GET, f"{BASE}/v1/deals", json={"deals": [{"id": 1}]})
        pages = new_client().paginate(
            "/v1/deals",
            params={"api_key": "sk_test_0123456789", "status": "open"},
            paginator=PageNumberPaginator(page_param="p"),
            data_selector="deals",
            resource="deals",
        )
        with pytest.raises(PaginationLoopError) as raised:
            list(pages)
    message = str(raised.value)
    assert "sk_test_0123456789" not in message
    assert f"{BASE}/v1/deals?api_key=REDACTED&status=open&p=2" in message


@pytest.mark.parametrize(
    ("request_", "described"),
    [
        (PageRequest(url=f"{BASE}/v1/x"), f"{BASE}/v1/x"),
        (PageRequest(url=f"{BASE}/v1/x", params={"page": 2}), f"{BASE}/v1/x?page=2"),
        (PageRequest(url=f"{BASE}/v1/x?a=1", params={"ids": [1, 2]}), f"{BASE}/v1/x?a=1&ids=1&ids=2"),
        (PageRequest(url=f"{BASE}/v1/x", params={"token": "abcd1234"}), f"{BASE}/v1/x?token=REDACTED"),
    ],
)
def test_describe_request_joins_the_params_and_scrubs_credentials(request_: PageRequest, described: str) -> None:
    assert describe_request(request_) == described
