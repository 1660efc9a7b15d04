"""harness.testing: a HAR fixture served to connector tests answers only the requests that were recorded, matched
as the replay matches them."""

from __future__ import annotations

import json
import re
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
import requests
import responses

from harness.fixtures.har import HarEntry, HarRequest, HarResponse, write_har
from harness.recording.recorder import SimulatedResponse
from harness.testing import (
    config_error,
    crash_while_handling,
    query,
    query_lists,
    recorded_bodies,
    serve_har_file,
    serve_simulator,
)

ANY_ACME_URL = re.compile(r"https://api\.acme\.example/.*")
PAGE_1 = "https://api.acme.example/orders?limit=2"
PAGE_2 = "https://api.acme.example/orders?limit=2&cursor=b"
SEARCH = "https://api.acme.example/orders/search"


def entry(method: str, url: str, rows: list[str], body: str | None = None) -> HarEntry:
    answer = HarResponse(200, "OK", (("Content-Type", "application/json"),), json.dumps({"data": rows}))
    return HarEntry(HarRequest(method, url, body=body), answer)


@pytest.fixture
def har_path(tmp_path: Path) -> Path:
    path = tmp_path / "orders" / "full.har"
    entries = [
        entry("GET", PAGE_1, ["o1", "o2"]),
        entry("GET", PAGE_2, ["o3"]),
        entry("POST", SEARCH, ["o9"], body='{"after": "1"}'),
    ]
    write_har(path, entries, {"name": "test", "version": "1"})
    return path


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as started:
        yield started


def test_requests_get_their_recorded_answers_in_order(mock: responses.RequestsMock, har_path: Path) -> None:
    server = serve_har_file(mock, har_path, ANY_ACME_URL, methods=("GET", "POST"))
    assert requests.get(PAGE_1).json() == {"data": ["o1", "o2"]}
    assert requests.get(PAGE_2).json() == {"data": ["o3"]}
    assert requests.post(SEARCH, data='{"after": "1"}').json() == {"data": ["o9"]}
    assert server.served == [0, 1, 2] and server.all_served
    assert server.rows("data") == ["o1", "o2", "o3", "o9"]


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("https://api.acme.example/orders?limit=3", None),
        ("https://api.acme.example/orders?limit=2&limit=2", None),
        (SEARCH, '{"after": "2"}'),
    ],
)
def test_a_request_that_was_not_recorded_fails_the_test(
    mock: responses.RequestsMock, har_path: Path, url: str, body: str | None
) -> None:
    serve_har_file(mock, har_path, ANY_ACME_URL, methods=("GET", "POST"))
    with pytest.raises(AssertionError, match="not in the fixture"):
        requests.request("POST" if body else "GET", url, data=body)


@pytest.mark.parametrize(
    ("method", "url", "body", "index"),
    [
        ("GET", "https://api.acme.example/orders?cursor=b&limit=2", None, 1),  # the same pairs in another order
        ("POST", SEARCH, '{"after":"1"}', 2),  # the same JSON value, spelled without the space
    ],
)
def test_requests_match_like_the_replay(
    mock: responses.RequestsMock, har_path: Path, method: str, url: str, body: str | None, index: int
) -> None:
    server = serve_har_file(mock, har_path, ANY_ACME_URL, methods=("GET", "POST"))
    requests.request(method, url, data=body)
    assert server.served == [index]


def test_each_entry_is_served_once_unless_replaying_used_ones(mock: responses.RequestsMock, har_path: Path) -> None:
    server = serve_har_file(mock, har_path, ANY_ACME_URL)
    requests.get(PAGE_1)
    with pytest.raises(AssertionError, match="already served"):
        requests.get(PAGE_1)
    assert server.served == [0] and not server.all_served


def test_a_resumed_run_may_ask_for_a_served_page_again(mock: responses.RequestsMock, har_path: Path) -> None:
    server = serve_har_file(mock, har_path, ANY_ACME_URL, replay_used=True)
    for url in (PAGE_1, PAGE_2, PAGE_2):
        requests.get(url)
    assert server.served == [0, 1, 1]
    assert not server.all_served  # a page served twice is not "every entry once"


def test_recorded_bodies(har_path: Path) -> None:
    assert recorded_bodies(har_path) == [{"data": ["o1", "o2"]}, {"data": ["o3"]}, {"data": ["o9"]}]


def test_a_simulator_answers_every_matching_request(mock: responses.RequestsMock) -> None:
    seen: list[str] = []

    def simulator(request: requests.PreparedRequest) -> SimulatedResponse:
        seen.append(request.url or "")
        return SimulatedResponse(429, {"error": "slow down"}, {"Retry-After": "3"})

    serve_simulator(mock, simulator, ANY_ACME_URL, methods=("GET", "POST"))
    answer = requests.post(SEARCH)
    assert (answer.status_code, answer.json(), answer.headers["Retry-After"]) == (429, {"error": "slow down"}, "3")
    assert seen == [SEARCH]


def test_a_crash_while_handling_a_batch_keeps_the_batches_before_it_and_stops_the_source() -> None:
    after_yield: list[int] = []

    def batches() -> Generator[list[int], None, None]:
        for number in range(1, 6):
            yield [number]
            after_yield.append(number)

    assert crash_while_handling(batches(), batch=3) == [[1], [2]]
    assert after_yield == [1, 2]  # the code after batch 3's yield never ran


def test_query_helpers_read_one_or_every_value() -> None:
    url = "https://api.acme.example/orders?tag=a&tag=b&empty=&limit=2"
    assert query(url) == {"tag": "b", "empty": "", "limit": "2"}
    assert query_lists(url) == {"tag": ["a", "b"], "empty": [""], "limit": ["2"]}


def test_config_error_returns_the_one_line_message_and_fails_on_a_valid_config() -> None:
    import sources  # noqa: F401  (registers every source)
    from sources.common.registry import SourceRegistry

    typeform = SourceRegistry.get_source("typeform")
    message = config_error(typeform, {"personal_access_token": "fake-typeform-token-0001", "page_size": 0})
    assert message.startswith("typeform config: field 'page_size'")
    with pytest.raises(AssertionError, match="parse_config accepted"):
        config_error(typeform, {"personal_access_token": "fake-typeform-token-0001"})
