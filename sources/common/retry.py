"""Retry policy on tenacity: transport errors, 429 (honouring `Retry-After` or a reset header) and transient 5xx.

Bounded (`max_attempts`), deterministic (no jitter) and sleeping through `sources.common.clock`, so tests run
on a fake clock. A wait the server asks for beyond `max_retry_after` fails fast with a clear error instead of
sleeping. Timeouts are module-level settings in `sources.common.http`.
"""

from __future__ import annotations

import dataclasses
import email.utils
from collections.abc import Callable
from typing import Literal, TypeVar

import requests
import structlog
import tenacity

from sources.common import clock
from sources.common.errors import RateLimitCeilingExceeded
from sources.common.scrub import scrub_url

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

    def server_wait(self, response: requests.Response) -> float | None:
        """Seconds the server asked us to wait, from `Retry-After` or the reset header; None if it did not say."""
        retry_after = response.headers.get("Retry-After")
        if retry_after is not None:
            return _parse_retry_after(retry_after)
        if self.reset_header and (value := response.headers.get(self.reset_header)) is not None:
            try:
                number = float(value)
            except ValueError:
                return None
            return max(0.0, number - clock.now()) if self.reset_header_kind == "epoch" else max(0.0, number)
        return None

    def call(self, fn: Callable[..., requests.Response], *args: object, **kwargs: object) -> requests.Response:
        """Call `fn` until it returns a non-retryable response, the attempts run out, or the ceiling is hit.

        When attempts run out on a retryable status, the last response is returned so the caller's
        `raise_for_status()` produces the usual error; a transport error is re-raised.
        """
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.max_attempts),
            wait=self._wait,
            retry=self._should_retry,
            sleep=clock.sleep,
            before_sleep=self._log_retry,
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
        return outcome.result().status_code in self.retry_statuses

    def _wait(self, state: tenacity.RetryCallState) -> float:
        backoff = min(self.backoff_max, self.backoff_initial * 2 ** (state.attempt_number - 1))
        outcome = state.outcome
        if outcome is None or outcome.failed:
            return backoff
        response: requests.Response = outcome.result()
        asked = self.server_wait(response)
        if asked is None:
            return backoff
        if asked > self.max_retry_after:
            raise RateLimitCeilingExceeded(
                f"{response.request.method} {_safe_url(response)} answered {response.status_code} asking to wait "
                f"{asked:.0f}s, beyond the {self.max_retry_after:.0f}s ceiling; failing now instead of sleeping"
            )
        return asked

    def _log_retry(self, state: tenacity.RetryCallState) -> None:
        outcome = state.outcome
        detail = (
            type(outcome.exception()).__name__
            if outcome is not None and outcome.failed
            else getattr(outcome.result(), "status_code", None) if outcome is not None else None
        )
        wait = state.next_action.sleep if state.next_action else None
        _logger.info("http_retry", attempt=state.attempt_number, reason=detail, wait_seconds=wait)


def _last_outcome(state: tenacity.RetryCallState) -> requests.Response:
    assert state.outcome is not None
    return state.outcome.result()  # re-raises a transport error


def _parse_retry_after(value: str) -> float | None:
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, parsed.timestamp() - clock.now())


def _safe_url(response: requests.Response) -> str:
    return scrub_url(response.request.url or "")


DEFAULT_RETRY = RetryPolicy()
NO_RETRY = RetryPolicy(max_attempts=1, retry_transport_errors=False)
