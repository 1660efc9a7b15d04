"""How a recording reaches the vendor, and what it captures: `Exchange`s, held in memory until scrubbed.

- `InProcessSimulator`: `responses` hands every request to the simulator inside this process (the default).
- `ThroughMitmdump`: the connector's requests go through a mitmdump child in forward-proxy mode, over TLS
  with the proxy's own CA. Upstream is the live vendor (`live=True`), or a simulator served on 127.0.0.1
  (`SimulatorServer`), which tests the whole live path — proxy, TLS, capture, scrubbing — offline.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

import requests
import responses

from harness.one_line import describe
from harness.recording.scrubbing import Exchange
from harness.replay.mitm_process import MitmProcess
from harness.replay.mitm_protocol import ORIGINAL_URL_HEADER
from harness.replay.mitm_transport import through_proxy

Simulator = Callable[[requests.PreparedRequest], Any]  # -> SimulatedResponse
# Called with each request before it reaches the vendor; raises to stop the request (and the recording).
RequestGuard = Callable[[requests.PreparedRequest], None]
# Set by the transport, not by the vendor (mitmproxy hands over decoded bodies): never recorded.
TRANSPORT_RESPONSE_HEADERS = frozenset({"content-length", "content-encoding", "transfer-encoding", "connection"})
STATUS_TEXT = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 401: "Unauthorized"}
STATUS_TEXT |= {403: "Forbidden", 404: "Not Found", 429: "Too Many Requests", 500: "Internal Server Error"}


class CaptureError(RuntimeError):
    """The transport could not complete an exchange (a connection error, a simulator that raised)."""


class ConnectorFailed(Exception):
    """The recorded work raised: its error, and the exchanges that crossed the wire until then."""

    def __init__(self, error: Exception, exchanges: list[Exchange]) -> None:
        super().__init__(str(error))
        self.error = error
        self.exchanges = exchanges


class Transport(Protocol):
    def capture(
        self, simulator: Simulator | None, work: Callable[[], Any], guard: RequestGuard | None = None
    ) -> list[Exchange]: ...


def _body_text(body: Any) -> str | None:
    if body is None:
        return None
    return body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)


class InProcessSimulator:
    def capture(
        self, simulator: Simulator | None, work: Callable[[], Any], guard: RequestGuard | None = None
    ) -> list[Exchange]:
        assert simulator is not None, "the in-process transport answers from a simulator"
        exchanges: list[Exchange] = []
        failures: list[str] = []

        def respond(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
            if guard is not None:
                guard(request)
            started = dt.datetime.now(dt.UTC)
            try:
                simulated = simulator(request)
            except Exception as exc:
                failures.append(f"the simulator raised {describe(exc)} answering {request.method} {request.url}")
                raise CaptureError(failures[-1]) from exc  # reported even if the connector catches or wraps it
            exchanges.append(
                Exchange(
                    method=request.method or "GET",
                    url=request.url or "",
                    request_headers=tuple((name, str(value)) for name, value in request.headers.items()),
                    request_body=_body_text(request.body),
                    status=simulated.status,
                    reason=STATUS_TEXT.get(simulated.status, ""),
                    response_headers=tuple(simulated.headers.items()),
                    response_body=simulated.text(),
                    started=started,
                )
            )
            return simulated.status, dict(simulated.headers), simulated.text()

        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
                mock.add_callback(method, re.compile(r"https?://.*"), callback=respond)
            try:
                work()
            except Exception as exc:
                if failures:
                    raise CaptureError(failures[0]) from None
                raise ConnectorFailed(exc, exchanges) from exc
        if failures:
            raise CaptureError(failures[0])
        return exchanges


class SimulatorServer:
    """A simulator behind a plain HTTP server on 127.0.0.1, the upstream the proxy forwards to offline."""

    def __init__(self, simulator: Simulator) -> None:
        self.simulator = simulator
        self.failures: list[str] = []
        server_self = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                prepared = requests.PreparedRequest()
                prepared.method = self.command
                prepared.url = self.headers.get(ORIGINAL_URL_HEADER) or self.path
                prepared.headers = requests.structures.CaseInsensitiveDict(
                    (name, value)
                    for name, value in self.headers.items()
                    if name.lower() not in ("host", ORIGINAL_URL_HEADER)
                )
                prepared.body = body
                try:
                    simulated = server_self.simulator(prepared)
                    status, headers, text = simulated.status, dict(simulated.headers), simulated.text()
                except Exception as exc:
                    server_self.failures.append(f"{self.command} {prepared.url}: {type(exc).__name__}: {exc}")
                    status, headers, text = 500, {"Content-Type": "application/json"}, json.dumps({"error": "x"})
                data = text.encode()
                self.send_response_only(status, STATUS_TEXT.get(status, ""))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="simulator-server", daemon=True)

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.server.server_address[:2]
        return str(host), int(port)

    def __enter__(self) -> SimulatorServer:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class ThroughMitmdump:
    def __init__(self, process: MitmProcess, *, live: bool) -> None:
        self.process = process
        self.live = live

    def capture(
        self, simulator: Simulator | None, work: Callable[[], Any], guard: RequestGuard | None = None
    ) -> list[Exchange]:
        # The frozen time each request was sent at, in send order (mitmdump's own clock is not frozen).
        stamps: list[dt.datetime] = []

        def intercept(
            adapter: Any, request: requests.PreparedRequest, kwargs: dict[str, Any], send: Callable[..., Any]
        ) -> requests.Response:
            if guard is not None:
                guard(request)
            stamps.append(dt.datetime.now(dt.UTC))
            return send(request, **kwargs)

        failures: list[str] = []
        flows: list[dict[str, Any]] = []
        try:
            try:
                if self.live:
                    self.process.command("forward", upstream=None)
                    self._run(work, intercept)
                else:
                    assert simulator is not None, "an offline recording through mitmdump serves a simulator"
                    with SimulatorServer(simulator) as server:
                        failures = server.failures
                        self.process.command("forward", upstream=server.address)
                        self._run(work, intercept)
            finally:
                flows = self.process.command("take_flows")
                self.process.command("idle")
        except Exception as exc:
            if failures:
                raise CaptureError(f"the simulator failed on {failures[0]}") from None
            raise ConnectorFailed(exc, self._exchanges(flows, stamps)) from exc
        if failures:
            raise CaptureError(f"the simulator failed on {failures[0]}")
        errors = [flow for flow in flows if "error" in flow]
        if errors:
            raise CaptureError(f"{errors[0]['url']}: {errors[0]['error']}")
        return self._exchanges(flows, stamps)

    @staticmethod
    def _exchanges(flows: list[dict[str, Any]], stamps: list[dt.datetime]) -> list[Exchange]:
        return [
            Exchange(
                method=flow["method"],
                url=flow["url"],
                request_headers=tuple(flow["request_headers"]),
                request_body=flow["request_body"],
                status=flow["status"],
                reason=flow["reason"],
                response_headers=tuple(
                    (name, value)
                    for name, value in flow["response_headers"]
                    if name.lower() not in TRANSPORT_RESPONSE_HEADERS
                ),
                response_body=flow["response_body"],
                started=stamps[index] if index < len(stamps) else None,
            )
            for index, flow in enumerate(flows)
            if "error" not in flow
        ]

    def _run(self, work: Callable[[], Any], intercept: Any) -> None:
        with through_proxy(self.process.proxy_url, self.process.ca_path, intercept):
            work()
