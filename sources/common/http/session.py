"""`make_tracked_session`: a `requests.Session` whose every request is recorded, timed out and retried.

Each request (each retry attempt included) produces one `RequestRecord`: to the structured log, to the
event bus (`sources.common.events`) and to an OpenTelemetry counter and histogram (no-ops unless the
process configures a meter provider).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

import requests
import structlog
from opentelemetry import metrics
from requests.adapters import HTTPAdapter

from sources.common import events
from sources.common.http.context import current_job_context
from sources.common.http.records import RequestRecord
from sources.common.retry import DEFAULT_RETRY, RetryPolicy
from sources.common.scrub import scrub_message, scrub_url, secret_header_values

# (connect, read) seconds. A request with no timeout can hang a sync forever.
DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 60.0)

_logger = structlog.get_logger("sources.http")
_meter = metrics.get_meter("sources.http")
_request_counter = _meter.create_counter("warehouse_source_http_requests", description="HTTP requests sent")
_latency_histogram = _meter.create_histogram(
    "warehouse_source_http_latency", unit="ms", description="HTTP request latency"
)


def _body_size(body: Any) -> int:
    if body is None:
        return 0
    if isinstance(body, str):
        return len(body.encode())
    if isinstance(body, bytes):
        return len(body)
    return 0  # streamed bodies: size unknown without consuming them


def _response_size(response: requests.Response | None, streamed: bool) -> int:
    if response is None:
        return 0
    if streamed:  # reading the body here would consume the caller's stream
        return int(response.headers.get("Content-Length") or 0)
    return len(response.content)


def _scrub_exception(exc: requests.RequestException, secrets: set[str]) -> None:
    """Transport errors quote the URL (`Max retries exceeded with url: /v1/items?api_key=...`): scrub it."""
    message = str(exc)
    scrubbed = scrub_message(message, secrets)
    if scrubbed != message:
        exc.args = (scrubbed,)


class TrackedHTTPAdapter(HTTPAdapter):
    """Records every `send`. Calls `super().send()` so in-process replay (which patches it) still sees it."""

    def __init__(self, secrets: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.secrets = set(secrets)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        started = time.perf_counter()
        response: requests.Response | None = None
        error: BaseException | None = None
        try:
            response = super().send(request, **kwargs)
            return response
        except BaseException as exc:
            error = exc
            if isinstance(exc, requests.RequestException):
                _scrub_exception(exc, self.secrets | secret_header_values(request.headers))
            raise
        finally:
            elapsed = time.perf_counter() - started
            try:
                self._record(request, kwargs.get("timeout"), response, error, elapsed, bool(kwargs.get("stream")))
            except Exception as exc:  # a bug in recording must never replace the request's own outcome
                _logger.warning("http_record_failed", error_class=type(exc).__name__)

    def _record(
        self,
        request: requests.PreparedRequest,
        timeout: Any,
        response: requests.Response | None,
        error: BaseException | None,
        elapsed: float,
        streamed: bool,
    ) -> None:
        secrets = self.secrets | secret_header_values(request.headers)
        record = RequestRecord(
            method=request.method or "GET",
            url=scrub_url(request.url or "", secrets),
            status=response.status_code if response is not None else None,
            latency_ms=round(elapsed * 1000, 3),
            request_bytes=_body_size(request.body),
            response_bytes=_response_size(response, streamed),
            error_class=type(error).__name__ if error is not None else None,
            timeout=timeout,
            context=current_job_context(),
        )
        fields = record.as_log_fields()
        _logger.info("http_request", **fields)
        attributes = {
            "method": record.method,
            "status": str(record.status),
            "source_type": record.context.source_type or "",
            "error_class": record.error_class or "",
        }
        _request_counter.add(1, attributes)
        _latency_histogram.record(record.latency_ms, attributes)
        events.emit(record)


class TrackedSession(requests.Session):
    """A session that applies a default timeout and a retry policy to every request."""

    def __init__(self, timeout: Any, retry: RetryPolicy | None, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.default_timeout = timeout
        self.retry_policy = retry
        self.secrets = frozenset(secrets)

    def request(self, method: str, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None and self.default_timeout is not None:
            kwargs["timeout"] = self.default_timeout
        send = super().request
        if self.retry_policy is None:
            return send(method, url, *args, **kwargs)
        return self.retry_policy.call_redacting(self.secrets, send, method, url, *args, **kwargs)


def _auth_secrets(auth: Any) -> set[str]:
    """The password of a `(user, password)` auth pair; the header it becomes is scrubbed per request."""
    if isinstance(auth, tuple) and len(auth) == 2 and isinstance(auth[1], str):
        return {auth[1]}
    return set()


def make_tracked_session(
    headers: Mapping[str, str] | None = None,
    retry: RetryPolicy | None = DEFAULT_RETRY,
    timeout: Any = DEFAULT_TIMEOUT,
    secrets: Iterable[str] = (),
    auth: Any = None,
) -> TrackedSession:
    """A session for every outbound call of a source.

    `headers` are sent with every request; their credential values are scrubbed from every record.
    `secrets` are further values to scrub (e.g. a key sent in a query string). `retry=None` disables
    retries; `timeout=None` disables the default timeout (the conformance suite will flag it).
    """
    known_secrets = set(secrets) | secret_header_values(headers or {}) | _auth_secrets(auth)
    session = TrackedSession(timeout=timeout, retry=retry, secrets=known_secrets)
    if headers:
        session.headers.update(headers)
    session.auth = auth
    adapter = TrackedHTTPAdapter(secrets=known_secrets)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
