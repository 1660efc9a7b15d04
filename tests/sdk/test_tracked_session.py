"""make_tracked_session: one scrubbed RequestRecord per attempt, to observers and to the log; timeouts."""

from __future__ import annotations

import json
import string
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from sources.common import events
from sources.common.clock import FakeClock, use_clock
from sources.common.http import DEFAULT_TIMEOUT, JobContext, RequestRecord, job_context, make_tracked_session
from sources.common.retry import RetryPolicy

API = "https://api.acme.test/v1"


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def fake_clock() -> Iterator[FakeClock]:
    with use_clock(FakeClock()) as clock:
        yield clock  # type: ignore[misc]


@pytest.fixture
def records() -> Iterator[list[RequestRecord]]:
    seen: list[RequestRecord] = []
    with events.observing(lambda event: seen.append(event) if isinstance(event, RequestRecord) else None):
        yield seen


def test_one_record_per_request_with_every_field(mocked: responses.RequestsMock, records: list[RequestRecord]) -> None:
    mocked.post(f"{API}/search", json={"results": [1, 2, 3]}, status=201)
    session = make_tracked_session()

    with job_context(team_id=7, source_type="Acme", source_id="src-1", schema_id="sch-1", job_id="job-1"):
        response = session.post(f"{API}/search", json={"query": "paid"})

    assert response.status_code == 201
    [record] = records
    assert record.method == "POST"
    assert record.url == f"{API}/search"
    assert record.status == 201
    assert record.latency_ms >= 0
    assert record.request_bytes == len(b'{"query": "paid"}')
    assert record.response_bytes == len(response.content)
    assert record.error_class is None
    assert record.timeout == DEFAULT_TIMEOUT
    assert record.context == JobContext(7, "Acme", "src-1", "sch-1", "job-1")


def test_job_context_outside_a_block_is_empty_and_nested_blocks_override_field_by_field(
    mocked: responses.RequestsMock, records: list[RequestRecord]
) -> None:
    mocked.get(f"{API}/items", json=[])
    session = make_tracked_session()

    session.get(f"{API}/items")
    with job_context(team_id=7, job_id="job-1"), job_context(schema_id="sch-2"):
        session.get(f"{API}/items")

    assert [record.context for record in records] == [JobContext(), JobContext(7, None, None, "sch-2", "job-1")]


def test_an_unknown_job_context_field_is_named() -> None:
    unknown = job_context(tenant=3)
    with pytest.raises(TypeError, match=r"job_context: unknown field\(s\) tenant; known: job_id, schema_id"):
        unknown.__enter__()


def test_every_retry_attempt_gets_its_own_record(
    mocked: responses.RequestsMock, records: list[RequestRecord], fake_clock: FakeClock
) -> None:
    mocked.get(f"{API}/items", status=503)
    mocked.get(f"{API}/items", status=429, headers={"Retry-After": "2"})
    mocked.get(f"{API}/items", json=[{"id": 1}])

    response = make_tracked_session().get(f"{API}/items")

    assert response.status_code == 200
    assert [record.status for record in records] == [503, 429, 200]
    assert fake_clock.sleeps == [1.0, 2.0]


def test_a_transport_error_is_recorded_with_its_class_and_no_status(
    mocked: responses.RequestsMock, records: list[RequestRecord], fake_clock: FakeClock
) -> None:
    mocked.get(f"{API}/items", body=requests.exceptions.ConnectionError("connection refused"))
    session = make_tracked_session(retry=RetryPolicy(max_attempts=2))

    with pytest.raises(requests.exceptions.ConnectionError):
        session.get(f"{API}/items")

    assert [(record.status, record.error_class, record.response_bytes) for record in records] == [
        (None, "ConnectionError", 0),
        (None, "ConnectionError", 0),
    ]


def test_a_streamed_response_is_counted_from_its_length_and_left_unread(
    mocked: responses.RequestsMock, records: list[RequestRecord]
) -> None:
    mocked.get(f"{API}/export", body=b"a,b\n1,2\n", headers={"Content-Length": "8"})

    response = make_tracked_session().get(f"{API}/export", stream=True)

    assert records[0].response_bytes == 8
    assert response.raw.read() == b"a,b\n1,2\n"


# --- timeouts -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("session_timeout", "call_kwargs", "expected"),
    [
        (DEFAULT_TIMEOUT, {}, DEFAULT_TIMEOUT),
        (DEFAULT_TIMEOUT, {"timeout": None}, DEFAULT_TIMEOUT),
        (DEFAULT_TIMEOUT, {"timeout": 5}, 5),
        ((3.0, 9.0), {}, (3.0, 9.0)),
        (None, {}, None),
        (None, {"timeout": 4}, 4),
    ],
    ids=["default", "caller passes None", "caller's own", "session's own", "disabled", "disabled, caller's own"],
)
def test_the_timeout_each_request_is_sent_with(
    mocked: responses.RequestsMock,
    records: list[RequestRecord],
    session_timeout: Any,
    call_kwargs: dict[str, Any],
    expected: Any,
) -> None:
    mocked.get(f"{API}/items", json=[])

    make_tracked_session(timeout=session_timeout).get(f"{API}/items", **call_kwargs)

    assert records[0].timeout == expected
    assert mocked.calls[0].request.req_kwargs["timeout"] == expected  # type: ignore[attr-defined]


# --- credentials never leak ---------------------------------------------------------------------------

TOKEN = "fake-acme-token-0001"
QUERY_KEY = "fake-acme-qkey-0002"
PASSED_SECRET = "fake-acme-path-0003"
BASIC_PASSWORD = "fake-acme-basic-0004"
USERINFO_PASSWORD = "fake-acme-user-0005"
ALL_SECRETS = [TOKEN, QUERY_KEY, PASSED_SECRET, BASIC_PASSWORD, USERINFO_PASSWORD]


def assert_no_secret(texts: list[str], secrets: list[str]) -> None:
    for text in texts:
        for secret in secrets:
            assert secret not in text, f"{secret!r} leaked into {text!r}"


def test_no_credential_reaches_a_record_or_a_log_line(
    mocked: responses.RequestsMock, records: list[RequestRecord], fake_clock: FakeClock
) -> None:
    mocked.get(f"{API}/accounts/{PASSED_SECRET}/items", status=503)
    mocked.get(f"{API}/accounts/{PASSED_SECRET}/items", json=[])
    mocked.get(f"{API}/echo/{TOKEN}", json={})
    mocked.get(f"https://svc:{USERINFO_PASSWORD}@api.acme.test/basic", json={})
    session = make_tracked_session(headers={"Authorization": f"Bearer {TOKEN}"}, secrets=[PASSED_SECRET])
    basic = make_tracked_session(auth=("svc", BASIC_PASSWORD))

    with capture_logs() as logs:
        session.get(f"{API}/accounts/{PASSED_SECRET}/items", params={"api_key": QUERY_KEY, "access_token": TOKEN})
        session.get(f"{API}/echo/{TOKEN}")
        basic.get(f"https://svc:{USERINFO_PASSWORD}@api.acme.test/basic")

    assert len(records) == 4
    assert [record.url for record in records] == [
        f"{API}/accounts/REDACTED/items?api_key=REDACTED&access_token=REDACTED",
        f"{API}/accounts/REDACTED/items?api_key=REDACTED&access_token=REDACTED",
        f"{API}/echo/REDACTED",
        "https://api.acme.test/basic",
    ]
    http_logs = [entry for entry in logs if entry["event"] == "http_request"]
    assert len(http_logs) == 4
    assert http_logs[0]["url"] == records[0].url
    assert_no_secret([repr(record) for record in records], ALL_SECRETS)
    assert_no_secret([repr(entry) for entry in logs], ALL_SECRETS)


def test_a_token_passed_per_request_in_a_header_is_scrubbed_from_the_url(
    mocked: responses.RequestsMock, records: list[RequestRecord]
) -> None:
    mocked.get(f"{API}/tokens/{TOKEN}", json={})

    make_tracked_session().get(f"{API}/tokens/{TOKEN}", headers={"X-Api-Key": TOKEN})

    assert records[0].url == f"{API}/tokens/REDACTED"


SECRETS = st.text(alphabet=string.ascii_letters + string.digits + "-_+/=", min_size=8, max_size=32)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(secret=SECRETS)
def test_any_secret_stays_out_of_records_and_logs(secret: str) -> None:
    seen: list[RequestRecord] = []
    with responses.RequestsMock() as mock, events.observing(seen.append), capture_logs() as logs:
        mock.get(f"{API}/search", json={"ok": True})
        session = make_tracked_session(headers={"Authorization": f"Bearer {secret}"}, secrets=[secret])
        session.get(f"{API}/search", params={"q": secret, "token": secret})

    [record] = seen
    [log_entry] = [entry for entry in logs if entry["event"] == "http_request"]
    # Compare what carries request data; the fixed vocabulary (`JobContext`, `http_request`) may spell anything.
    log_values = {name: value for name, value in log_entry.items() if name not in ("event", "log_level")}
    assert_no_secret([record.url, json.dumps(log_values, default=str)], [secret])


def test_an_observer_that_raises_does_not_break_the_request(
    mocked: responses.RequestsMock, records: list[RequestRecord]
) -> None:
    mocked.get(f"{API}/items", json=[])

    def broken(event: object) -> None:
        raise RuntimeError("observer bug")

    with events.observing(broken), capture_logs() as logs:
        response = make_tracked_session().get(f"{API}/items")

    assert response.status_code == 200
    assert len(records) == 1
    assert any(entry["event"] == "observer_failed" and "observer bug" in entry["error"] for entry in logs)


def test_a_failure_while_recording_is_logged_and_the_response_still_returned(
    mocked: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    mocked.get(f"{API}/items", json=[{"id": 1}])

    def broken_scrub(url: str, secrets: object = ()) -> str:
        raise RuntimeError("scrubber bug")

    monkeypatch.setattr("sources.common.http.session.scrub_url", broken_scrub)
    with capture_logs() as logs:
        response = make_tracked_session().get(f"{API}/items")

    assert response.json() == [{"id": 1}]
    assert [entry for entry in logs if entry["event"] == "http_record_failed"] == [
        {"event": "http_record_failed", "error_class": "RuntimeError", "log_level": "warning"}
    ]


def test_a_transport_error_message_carries_no_credential(mocked: responses.RequestsMock) -> None:
    url = f"{API}/accounts/{PASSED_SECRET}/items?api_key={QUERY_KEY}"
    failure = requests.exceptions.ConnectionError(
        f"HTTPSConnectionPool(host='api.acme.test', port=443): Max retries exceeded with url: "
        f"/v1/accounts/{PASSED_SECRET}/items?api_key={QUERY_KEY} (Caused by NewConnectionError('refused'))"
    )
    mocked.get(url, body=failure)
    session = make_tracked_session(retry=None, secrets=[PASSED_SECRET])

    with pytest.raises(requests.exceptions.ConnectionError) as raised:
        session.get(url)

    assert str(raised.value) == (
        "HTTPSConnectionPool(host='api.acme.test', port=443): Max retries exceeded with url: "
        "/v1/accounts/REDACTED/items?api_key=REDACTED (Caused by NewConnectionError('refused'))"
    )


def test_an_unmatched_replay_request_names_the_url_without_its_credentials(mocked: responses.RequestsMock) -> None:
    mocked.get(f"{API}/other", json={})

    with pytest.raises(requests.exceptions.ConnectionError) as raised:
        make_tracked_session(retry=None).get(f"{API}/items", params={"access_token": TOKEN})

    assert f"{API}/items?access_token=REDACTED" in str(raised.value)
    assert TOKEN not in str(raised.value)
