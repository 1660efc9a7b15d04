"""Faults the harness injects into a replay (fixtures never carry them). Declarative, so any backend can apply them.

A fault fires on a request that matches a recorded entry when that entry would be the `before_page`-th one
served (1-based, in the order the source consumes them). `times=None` keeps firing for every later request.
The faulted response does not consume the entry: the retry that follows gets the recorded page.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Literal

from harness.fixtures.manifest import RateLimitSignal

FaultKind = Literal["status", "stall"]

AUTH_MESSAGES = {401: "Bad credentials: the token is invalid or expired", 403: "Forbidden: the token lacks a scope"}


def generic_error_body(status: int) -> dict[str, object]:
    """An error body in the common vendor shapes at once (top-level message, error object, JSON:API errors)."""
    message = AUTH_MESSAGES.get(status, "error")
    return {
        "message": message,
        "error": {"message": message, "type": "authentication_error" if status == 401 else "permission_error"},
        "errors": [{"status": str(status), "title": message, "detail": message, "message": message}],
    }


SERVER_ERROR_BODY = {"message": "Service Unavailable", "error": "server_error"}
RATE_LIMIT_BODY = {"message": "API rate limit exceeded", "error": "rate_limited"}


@dataclasses.dataclass(frozen=True)
class Fault:
    kind: FaultKind
    before_page: int = 1
    times: int | None = 1
    status: int = 0
    headers: tuple[tuple[str, str], ...] = ()
    body: str = ""
    shown: tuple[str, ...] = ("retry-after",)  # the headers `describe` names

    def fires_on(self, page: int, fired: int) -> bool:
        if self.times is not None and fired >= self.times:
            return False
        return page == self.before_page if self.times is not None else page >= self.before_page

    def describe(self) -> str:
        repeat = "every request" if self.times is None else ("once" if self.times == 1 else f"{self.times} times")
        what = "a stalled response" if self.kind == "stall" else f"HTTP {self.status}"
        extra = "".join(f" {name}: {value}" for name, value in self.headers if name.lower() in self.shown)
        start = "from" if self.times is None else "before"
        return f"{what}{extra} {repeat} {start} page {self.before_page}"


def rate_limit(
    before_page: int,
    retry_after: float,
    times: int | None = 1,
    signal: RateLimitSignal | None = None,
    now: float = 0.0,
) -> Fault:
    """429 + `Retry-After: retry_after`, or the vendor's own `signal` asking for the same wait (an `epoch` reset
    header counts from `now`, the run's frozen time)."""
    if signal is None:
        value = str(int(retry_after)) if float(retry_after).is_integer() else str(retry_after)
        return Fault("status", before_page, times, 429, (("Retry-After", value),), json.dumps(RATE_LIMIT_BODY))
    wait = now + retry_after if signal.reset_kind == "epoch" else retry_after
    headers = (*signal.headers, (signal.reset_header, str(int(wait))))
    shown = (signal.reset_header.lower(), *(name.lower() for name, _ in signal.headers))
    return Fault("status", before_page, times, signal.status, headers, json.dumps(RATE_LIMIT_BODY), shown)


def server_error(before_page: int, status: int = 503, times: int | None = 1) -> Fault:
    return Fault("status", before_page, times, status, (), json.dumps(SERVER_ERROR_BODY))


def auth_error(
    status: Literal[401, 403], before_page: int = 1, body: str | None = None, headers: tuple[tuple[str, str], ...] = ()
) -> Fault:
    """A 401/403 on every request from `before_page` on, with the vendor's body when known."""
    return Fault("status", before_page, None, status, headers, body or json.dumps(generic_error_body(status)))


def stall(before_page: int, times: int | None = 1) -> Fault:
    return Fault("stall", before_page, times)
