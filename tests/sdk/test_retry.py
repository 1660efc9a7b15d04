"""RetryPolicy on a fake clock: what is retried, how long it waits, and when it gives up."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Iterator

import pytest
import requests
import responses

from sources.common.clock import FakeClock, use_clock
from sources.common.errors import RateLimitCeilingExceeded
from sources.common.http import make_tracked_session
from sources.common.retry import DEFAULT_RETRY, NO_RETRY, RetryPolicy

URL = "https://api.acme.test/v1/items"
START = 1_700_000_000.0


@pytest.fixture
def clock() -> Iterator[FakeClock]:
    with use_clock(FakeClock(start=START)) as fake:
        yield fake  # type: ignore[misc]


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def get(policy: RetryPolicy = DEFAULT_RETRY, **kwargs: object) -> requests.Response:
    return make_tracked_session(retry=policy).get(URL, **kwargs)  # type: ignore[arg-type]


def test_429_with_retry_after_seconds_waits_exactly_that_long(clock: FakeClock, mocked: responses.RequestsMock) -> None:
    mocked.get(URL, status=429, headers={"Retry-After": "7"})
    mocked.get(URL, json=[{"id": 1}])

    response = get()

    assert response.status_code == 200
    assert clock.sleeps == [7.0]
    assert len(mocked.calls) == 2


def test_429_with_an_http_date_waits_until_that_date(clock: FakeClock, mocked: responses.RequestsMock) -> None:
    mocked.get(URL, status=429, headers={"Retry-After": email.utils.formatdate(START + 42, usegmt=True)})
    mocked.get(URL, json=[])

    assert get().status_code == 200
    assert clock.sleeps == [42.0]


@pytest.fixture
def local_time_far_from_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")  # UTC+14
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_an_http_date_without_zone_is_read_as_gmt_whatever_the_local_zone(
    clock: FakeClock, mocked: responses.RequestsMock, local_time_far_from_utc: None
) -> None:
    undeclared_zone = email.utils.formatdate(START + 42)  # "... -0000": GMT by RFC 5322, naive when parsed
    assert undeclared_zone.endswith("-0000")
    mocked.get(URL, status=429, headers={"Retry-After": undeclared_zone})
    mocked.get(URL, json=[])

    assert get().status_code == 200
    assert clock.sleeps == [42.0]


def test_an_http_date_in_the_past_means_retry_now(clock: FakeClock, mocked: responses.RequestsMock) -> None:
    mocked.get(URL, status=429, headers={"Retry-After": email.utils.formatdate(START - 100, usegmt=True)})
    mocked.get(URL, json=[])

    assert get().status_code == 200
    assert clock.sleeps == [0.0]


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [("epoch", str(int(START) + 12), 12.0), ("seconds", "9", 9.0), ("epoch", str(int(START) - 5), 0.0)],
    ids=["epoch", "seconds", "epoch already passed"],
)
def test_the_apis_reset_header_sets_the_wait(
    clock: FakeClock, mocked: responses.RequestsMock, kind: str, value: str, expected: float
) -> None:
    mocked.get(URL, status=429, headers={"X-RateLimit-Reset": value})
    mocked.get(URL, json=[])

    policy = RetryPolicy(reset_header="X-RateLimit-Reset", reset_header_kind=kind)  # type: ignore[arg-type]
    assert get(policy).status_code == 200
    assert clock.sleeps == [expected]


def test_retry_after_wins_over_the_reset_header(clock: FakeClock, mocked: responses.RequestsMock) -> None:
    mocked.get(URL, status=429, headers={"Retry-After": "3", "X-RateLimit-Reset": str(int(START) + 60)})
    mocked.get(URL, json=[])

    get(RetryPolicy(reset_header="X-RateLimit-Reset"))

    assert clock.sleeps == [3.0]


@pytest.mark.parametrize("header", ["soon", "nan", "inf", ""])
def test_an_unreadable_retry_after_falls_back_to_backoff(
    clock: FakeClock, mocked: responses.RequestsMock, header: str
) -> None:
    mocked.get(URL, status=429, headers={"Retry-After": header})
    mocked.get(URL, json=[])

    assert get().status_code == 200
    assert clock.sleeps == [1.0]


def test_a_retry_after_beyond_the_ceiling_fails_at_once_without_sleeping(
    clock: FakeClock, mocked: responses.RequestsMock
) -> None:
    mocked.get(URL, status=429, headers={"Retry-After": "3600"})

    with pytest.raises(RateLimitCeilingExceeded) as raised:
        get(RetryPolicy(max_retry_after=300), params={"api_key": "fake-acme-key-0001", "limit": 5})

    assert str(raised.value) == (
        f"GET {URL}?api_key=REDACTED&limit=5 answered 429 asking to wait 3600s, "
        "beyond the 300s ceiling; failing now instead of sleeping"
    )
    assert clock.sleeps == []
    assert len(mocked.calls) == 1


def test_the_ceiling_message_never_shows_the_sessions_secrets(clock: FakeClock, mocked: responses.RequestsMock) -> None:
    url = "https://api.acme.test/v1/accounts/fake-acme-acct-0001/items"
    mocked.get(url, status=429, headers={"Retry-After": "9999"})
    session = make_tracked_session(headers={"Authorization": "Bearer fake-acme-acct-0001"})

    with pytest.raises(RateLimitCeilingExceeded) as raised:
        session.get(url)

    assert "fake-acme-acct-0001" not in str(raised.value)
    assert "/accounts/REDACTED/items" in str(raised.value)


def test_without_attempts_left_a_long_retry_after_returns_the_response(
    clock: FakeClock, mocked: responses.RequestsMock
) -> None:
    mocked.get(URL, status=429, headers={"Retry-After": "3600"})

    response = get(NO_RETRY)

    assert response.status_code == 429
    assert clock.sleeps == []


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_transient_5xx_then_200_succeeds(clock: FakeClock, mocked: responses.RequestsMock, status: int) -> None:
    mocked.get(URL, status=status)
    mocked.get(URL, json=[{"id": 1}])

    response = get()

    assert response.status_code == 200
    assert response.json() == [{"id": 1}]
    assert clock.sleeps == [1.0]


def test_a_persistent_5xx_makes_exactly_max_attempts_then_returns_the_last_response(
    clock: FakeClock, mocked: responses.RequestsMock
) -> None:
    mocked.get(URL, status=503, json={"error": "down"})

    response = get(RetryPolicy(max_attempts=4))

    assert response.status_code == 503
    assert len(mocked.calls) == 4
    assert clock.sleeps == [1.0, 2.0, 4.0]
    with pytest.raises(requests.HTTPError, match=r"^503 Server Error: Service Unavailable for url: "):
        response.raise_for_status()


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_are_never_retried(clock: FakeClock, mocked: responses.RequestsMock, status: int) -> None:
    mocked.get(URL, status=status)

    response = get()

    assert response.status_code == status
    assert len(mocked.calls) == 1
    assert clock.sleeps == []


@pytest.mark.parametrize(
    "error",
    [
        requests.exceptions.ConnectionError("reset"),
        requests.exceptions.ReadTimeout("slow"),
        requests.exceptions.ConnectTimeout("no route"),
    ],
    ids=["ConnectionError", "ReadTimeout", "ConnectTimeout"],
)
def test_transport_errors_are_retried_then_re_raised(
    clock: FakeClock, mocked: responses.RequestsMock, error: Exception
) -> None:
    mocked.get(URL, body=error)

    with pytest.raises(type(error)):
        get(RetryPolicy(max_attempts=3))

    assert len(mocked.calls) == 3
    assert clock.sleeps == [1.0, 2.0]


def test_a_transport_error_then_success_returns_the_success(clock: FakeClock, mocked: responses.RequestsMock) -> None:
    mocked.get(URL, body=requests.exceptions.ConnectionError("reset"))
    mocked.get(URL, json=[])

    assert get().status_code == 200
    assert len(mocked.calls) == 2


def test_no_retry_makes_one_attempt_even_on_a_transport_error(clock: FakeClock, mocked: responses.RequestsMock) -> None:
    mocked.get(URL, body=requests.exceptions.ConnectionError("reset"))

    with pytest.raises(requests.exceptions.ConnectionError):
        get(NO_RETRY)

    assert len(mocked.calls) == 1


def test_backoff_doubles_up_to_its_cap_and_is_the_same_every_run(mocked: responses.RequestsMock) -> None:
    mocked.get(URL, status=500)
    policy = RetryPolicy(max_attempts=7, backoff_initial=2.0, backoff_max=20.0)

    runs = []
    for _ in range(2):
        with use_clock(FakeClock()) as fake:
            get(policy)
        runs.append(fake.sleeps)  # type: ignore[attr-defined]

    assert runs[0] == runs[1] == [2.0, 4.0, 8.0, 16.0, 20.0, 20.0]


def test_a_session_without_retry_makes_one_attempt(clock: FakeClock, mocked: responses.RequestsMock) -> None:
    mocked.get(URL, status=503)

    assert make_tracked_session(retry=None).get(URL).status_code == 503
    assert len(mocked.calls) == 1


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"max_attempts": 0}, "max_attempts must be at least 1, got 0"),
        ({"backoff_initial": -1.0}, "must not be negative"),
        ({"reset_header_kind": "millis"}, "reset_header_kind must be 'epoch' or 'seconds', got 'millis'"),
    ],
)
def test_a_nonsensical_policy_is_refused(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RetryPolicy(**settings)  # type: ignore[arg-type]


def test_a_response_discarded_for_a_retry_is_closed_and_the_returned_one_is_not(
    clock: FakeClock, mocked: responses.RequestsMock
) -> None:
    mocked.get(URL, status=503, body=b"busy")
    mocked.get(URL, body=b"a,b\n1,2\n")
    session = make_tracked_session()
    seen: list[requests.Response] = []
    session.hooks["response"].append(lambda response, *args, **kwargs: seen.append(response))

    returned = session.get(URL, stream=True)

    assert [response.status_code for response in seen] == [503, 200]
    assert seen[0].raw.closed is True
    assert returned is seen[1]
    assert returned.raw.read() == b"a,b\n1,2\n"


def test_retry_response_adds_responses_to_retry_beyond_the_statuses():
    import requests
    import responses

    from sources.common.clock import FakeClock, use_clock
    from sources.common.retry import RetryPolicy

    def rate_limited_403(response: requests.Response) -> bool:
        return response.status_code == 403 and response.headers.get("x-remaining") == "0"

    policy = RetryPolicy(retry_response=rate_limited_403)
    with responses.RequestsMock() as mock, use_clock(FakeClock()) as clock:
        mock.get("https://api.example.test/a", status=403, headers={"x-remaining": "0", "Retry-After": "3"})
        mock.get("https://api.example.test/a", status=200, json={})
        mock.get("https://api.example.test/b", status=403)
        assert policy.call(requests.get, "https://api.example.test/a").status_code == 200
        assert clock.sleeps == [3.0]
        assert policy.call(requests.get, "https://api.example.test/b").status_code == 403
        assert len(mock.calls) == 3  # the plain 403 was tried once
