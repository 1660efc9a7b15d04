"""Retry policy on tenacity: transport errors, 429 (honouring `Retry-After` or a reset header) and transient 5xx.

Bounded (`max_attempts`), deterministic (no jitter) and sleeping through `sources.common.clock`, so tests run
on a fake clock. A wait the server asks for beyond `max_retry_after` fails fast with a clear error instead of
sleeping. Timeouts are module-level settings in `sources.common.http`.
"""

from __future__ import annotations

import dataclasses
import datetime
import email.utils
import functools
import math
from collections.abc import Callable, Iterable
from typing import Literal, TypeVar

import requests
import structlog
import tenacity

from sources.common import clock
from sources.common.errors import RateLimitCeilingExceeded
from sources.common.scrub import scrub_url, secret_header_values

T = TypeVar("T")

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRYABLE_EXCEPTIONS: tuple[type[BaseException], ...] = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
)
MAX_ATTEMPTS = 5
BACKOFF_INITIAL_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 30.0
MAX_RETRY_AFTER_SECONDS = 300.0

_logger = structlog.get_logger("sources.retry")


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """How a tracked session retries. `reset_header` names the API's own rate-limit reset header."""

    max_attempts: int = MAX_ATTEMPTS
    retry_statuses: frozenset[int] = RETRYABLE_STATUSES
    backoff_initial: float = BACKOFF_INITIAL_SECONDS
    backoff_max: float = BACKOFF_MAX_SECONDS
    max_retry_after: float = MAX_RETRY_AFTER_SECONDS
    reset_header: str | None = None
    reset_header_kind: Literal["epoch", "seconds"] = "epoch"
    retry_transport_errors: bool = True
    # Responses to retry beyond `retry_statuses`, e.g. an API that signals rate limits with a 403 and a header.
    retry_response: Callable[[requests.Response], bool] | None = None

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"RetryPolicy.max_attempts must be at least 1, got {self.max_attempts}")
        if self.backoff_initial < 0 or self.backoff_max < 0 or self.max_retry_after < 0:
            raise ValueError("RetryPolicy backoff_initial, backoff_max and max_retry_after must not be negative")
        if self.reset_header_kind not in ("epoch", "seconds"):
            raise ValueError(
                f"RetryPolicy.reset_header_kind must be 'epoch' or 'seconds', got {self.reset_header_kind!r}"
            )

    def server_wait(self, response: requests.Response) -> float | None:
        """Seconds the server asked us to wait, from `Retry-After` or the reset header; None if it did not say."""
        retry_after = response.headers.get("Retry-After")
        if retry_after is not None and (seconds := _parse_retry_after(retry_after)) is not None:
            return seconds
        if self.reset_header and (value := response.headers.get(self.reset_header)) is not None:
            reset = _parse_number(value)
            if reset is None:
                return None
            return max(0.0, reset - clock.now() if self.reset_header_kind == "epoch" else reset)
        return None

    def call(self, fn: Callable[..., requests.Response], *args: object, **kwargs: object) -> requests.Response:
        """Call `fn` until it returns a non-retryable response, the attempts run out, or the ceiling is hit.

        When attempts run out on a retryable status, the last response is returned so the caller's
        `raise_for_status()` produces the usual error; a transport error is re-raised.
        """
        return self.call_redacting((), fn, *args, **kwargs)

    def call_redacting(
        self, secrets: Iterable[str], fn: Callable[..., requests.Response], *args: object, **kwargs: object
    ) -> requests.Response:
        """`call`, with `secrets` (and the request's credential headers) scrubbed from any error it raises."""
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.max_attempts),
            wait=functools.partial(self._wait, frozenset(secrets)),
            retry=self._should_retry,
            sleep=clock.sleep,
            before_sleep=self._before_sleep,
            retry_error_callback=_last_outcome,
            reraise=True,
        )
        return retrying(fn, *args, **kwargs)

    def _should_retry(self, state: tenacity.RetryCallState) -> bool:
        outcome = state.outcome
        if outcome is None:
            return False
        if outcome.failed:
            return self.retry_transport_errors and isinstance(outcome.exception(), RETRYABLE_EXCEPTIONS)
        response = outcome.result()
        if response.status_code in self.retry_statuses:
            return True
        return self.retry_response is not None and self.retry_response(response)

    def _wait(self, secrets: frozenset[str], state: tenacity.RetryCallState) -> float:
        backoff = min(self.backoff_max, self.backoff_initial * 2 ** (state.attempt_number - 1))
        outcome = state.outcome
        if outcome is None or outcome.failed or state.attempt_number >= self.max_attempts:
            return backoff  # no further attempt follows the last one: nothing to sleep for or refuse
        response: requests.Response = outcome.result()
        asked = self.server_wait(response)
        if asked is None:
            return backoff
        if asked > self.max_retry_after:
            response.close()
            raise RateLimitCeilingExceeded(
                f"{response.request.method} {_safe_url(response, secrets)} answered {response.status_code} "
                f"asking to wait {asked:.0f}s, beyond the {self.max_retry_after:.0f}s ceiling; "
                "failing now instead of sleeping"
            )
        return asked

    def _before_sleep(self, state: tenacity.RetryCallState) -> None:
        outcome = state.outcome
        reason: str | int | None = None
        if outcome is not None and outcome.failed:
            reason = type(outcome.exception()).__name__
        elif outcome is not None:
            response: requests.Response = outcome.result()
            reason = response.status_code
            response.close()  # discarded: hand its connection back to the pool
        wait = state.next_action.sleep if state.next_action else None
        _logger.info("http_retry", attempt=state.attempt_number, reason=reason, wait_seconds=wait)


def _last_outcome(state: tenacity.RetryCallState) -> requests.Response:
    assert state.outcome is not None
    return state.outcome.result()  # re-raises a transport error


def _parse_number(value: str) -> float | None:
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _parse_retry_after(value: str) -> float | None:
    """`Retry-After` is either delay-seconds or an HTTP-date."""
    seconds = _parse_number(value)
    if seconds is not None:
        return max(0.0, seconds)
    try:
        parsed = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:  # RFC 9110 dates are GMT; a naive one must not be read as local time
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return max(0.0, parsed.timestamp() - clock.now())


def _safe_url(response: requests.Response, secrets: frozenset[str]) -> str:
    request = response.request
    return scrub_url(request.url or "", secrets | secret_header_values(request.headers))


DEFAULT_RETRY = RetryPolicy()
NO_RETRY = RetryPolicy(max_attempts=1, retry_transport_errors=False)
