"""The mitmdump addon of the conformance harness (`mitmdump -s harness/replay/mitm_addon.py`).

One long-lived mitmdump serves every run; the harness switches what it does over a unix control socket:

- `replay`: answer every request from a scenario's HAR entries with the in-process backend's rules
  (`harness.replay.matching`, faults, loop guard, probes); a request that stops the run is answered with a
  marked response the client turns back into the same `ReplayStop` (or the stalled read) in the source's code.
- `forward`: record mode. Requests go upstream (to the vendor, or to one loopback address serving a simulator)
  and every flow is kept in memory until the harness takes it; nothing is written to disk here.
- `idle`: every request is refused with a marked response.

Whatever the mode, `server_connect` refuses any upstream connection the current mode does not allow, so an
unmatched request is never forwarded (mitmproxy forwards once a replay set is used up otherwise).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import pickle
from pathlib import Path
from typing import Any

import requests
from mitmproxy import ctx, http

from harness.replay.base import ReplayMode, ReplayStop
from harness.replay.inprocess import InProcessReplay
from harness.replay.mitm_protocol import (
    FRAME,
    ID_HEADER,
    LOGGED_HEADER,
    MARKER_HEADERS,
    ORIGINAL_URL_HEADER,
    STOP_HEADER,
    TIMEOUT_HEADER,
    decode_timeout,
    frame,
)

# Added by the client's connection to the proxy, not by the source: left out of the wire log.
TRANSPORT_HEADERS = frozenset({"host", "proxy-connection"})


def stop_response(kind: str, message: str) -> http.Response:
    body = json.dumps({"stop": kind, "message": message}).encode()
    return http.Response.make(599, body, {"Content-Type": "application/json", STOP_HEADER: kind})


class _Pool(InProcessReplay):
    """The in-process backend's serving rules, fed from mitmproxy flows instead of `responses`."""

    def __init__(self, mode: ReplayMode, secrets: frozenset[str], hars: list[Any], faults: list[Any]) -> None:
        super().__init__(mode=mode, secrets=secrets)
        self.load(hars)
        self.inject(faults)
        self.request_ids: list[str] = []

    def serve(self, flow: http.HTTPFlow) -> http.Response:
        response = self._serve(flow)
        response.headers[LOGGED_HEADER] = str(len(self._log))
        return response

    def _serve(self, flow: http.HTTPFlow) -> http.Response:
        request = flow.request
        prepared = requests.PreparedRequest()
        prepared.method = request.method
        prepared.url = request.url
        prepared.headers = requests.structures.CaseInsensitiveDict(
            (name, value)
            for name, value in request.headers.items(multi=True)
            if name.lower() not in MARKER_HEADERS | TRANSPORT_HEADERS
        )
        content = request.get_content(strict=False)
        prepared.body = content if content else None
        prepared.req_kwargs = {"timeout": decode_timeout(request.headers.get(TIMEOUT_HEADER))}  # type: ignore[attr-defined]
        logged = len(self._log)
        try:
            status, headers, body = self._respond(prepared)
        except ReplayStop as stop:
            return stop_response(type(stop).__name__, str(stop))
        except requests.exceptions.ReadTimeout as stall:
            return stop_response("ReadTimeout", str(stall))
        finally:
            if len(self._log) > logged:
                self.request_ids.append(request.headers.get(ID_HEADER, ""))
        return http.Response.make(status, body.encode() if isinstance(body, str) else body, headers)

    def report(self, since: int = 0) -> dict[str, Any]:
        """The wire log from entry `since` on, and everything else in full."""
        return {
            "since": since,
            "wire": tuple(self._log[since:]),
            "request_ids": tuple(self.request_ids[since:]),
            "unmatched": tuple(self._unmatched),
            "hangs": tuple(self._hangs),
            "consumed": tuple(self._consumed),
        }


class ConformanceAddon:
    def __init__(self) -> None:
        self.mode = "idle"
        self.pool: _Pool | None = None
        self.upstream: tuple[str, int] | None = None  # forward mode: every flow goes here (a served simulator)
        self.flows: list[dict[str, Any]] = []
        self.server: asyncio.AbstractServer | None = None

    # -- mitmproxy events --------------------------------------------------------------------------------------
    def load(self, loader: Any) -> None:
        loader.add_option("conformance_control", str, "", "unix socket the harness drives this addon through")
        loader.add_option("conformance_ready", str, "", "file written with the listening port once running")

    async def running(self) -> None:
        ready = Path(ctx.options.conformance_ready)
        addresses = ctx.master.addons.get("proxyserver").listen_addrs()
        if not addresses:
            _write_atomically(ready, {"error": "the proxy is not listening"})
            return
        self.server = await asyncio.start_unix_server(self._serve_control, path=ctx.options.conformance_control)
        _write_atomically(ready, {"port": addresses[0][1], "pid": os.getpid()})

    def done(self) -> None:
        if self.server is not None:
            self.server.close()

    def server_connect(self, data: Any) -> None:
        address = tuple(data.server.address or ("?", 0))
        if self.mode != "forward" or (self.upstream is not None and address != self.upstream):
            data.server.error = f"upstream connections are refused by the conformance harness ({self.mode} mode)"

    def request(self, flow: http.HTTPFlow) -> None:
        if self.mode == "replay" and self.pool is not None:
            flow.response = self.pool.serve(flow)
        elif self.mode == "forward":
            flow.metadata["conformance_url"] = flow.request.url
            if self.upstream is not None:
                host = flow.request.host_header or flow.request.host
                flow.request.headers[ORIGINAL_URL_HEADER] = flow.request.url
                flow.request.scheme = "http"
                flow.request.host, flow.request.port = self.upstream
                flow.request.host_header = host
        else:
            flow.response = stop_response("UnmatchedRequest", f"no scenario is loaded in the proxy ({self.mode})")

    def response(self, flow: http.HTTPFlow) -> None:
        if self.mode == "forward" and "conformance_url" in flow.metadata and flow.response is not None:
            self.flows.append(_captured(flow))

    def error(self, flow: http.HTTPFlow) -> None:
        if self.mode == "forward" and flow.error is not None:
            self.flows.append({"url": flow.metadata.get("conformance_url", flow.request.url), "error": flow.error.msg})

    # -- control ---------------------------------------------------------------------------------------------
    async def _serve_control(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                (size,) = FRAME.unpack(await reader.readexactly(FRAME.size))
                name, arguments = pickle.loads(await reader.readexactly(size))
                try:
                    answer: tuple[str, Any] = ("ok", getattr(self, f"command_{name}")(**arguments))
                except Exception as exc:
                    answer = ("error", f"{type(exc).__name__}: {exc}")
                writer.write(frame(answer))
                await writer.drain()
        writer.close()

    def command_replay(self, hars: list[Any], mode: str, secrets: frozenset[str], faults: list[Any]) -> int:
        self.mode, self.upstream, self.flows = "replay", None, []
        self.pool = _Pool(ReplayMode(mode), secrets, hars, faults)
        return self.pool.entry_count

    def command_report(self, since: int = 0) -> dict[str, Any]:
        return self.pool.report(since) if self.pool is not None else {}

    def command_idle(self, since: int = 0) -> dict[str, Any]:
        report = self.command_report(since)
        self.mode, self.pool, self.upstream = "idle", None, None
        return report

    def command_forward(self, upstream: tuple[str, int] | None) -> None:
        self.mode, self.pool, self.flows = "forward", None, []
        self.upstream = tuple(upstream) if upstream else None  # type: ignore[assignment]

    def command_take_flows(self) -> list[dict[str, Any]]:
        flows, self.flows = self.flows, []
        return flows

    def command_ping(self) -> str:
        return "pong"


def _captured(flow: http.HTTPFlow) -> dict[str, Any]:
    request, response = flow.request, flow.response
    assert response is not None
    content = request.get_content(strict=False)
    return {
        "url": flow.metadata["conformance_url"],
        "method": request.method,
        "request_headers": [
            (name, value)
            for name, value in request.headers.items(multi=True)
            if name.lower() not in MARKER_HEADERS | TRANSPORT_HEADERS
        ],
        "request_body": content.decode("utf-8", "replace") if content else None,
        "status": response.status_code,
        "reason": response.reason,
        "response_headers": list(response.headers.items(multi=True)),
        "response_body": response.get_text(strict=False) or "",
    }


def _write_atomically(path: Path, document: dict[str, Any]) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(document))
    temporary.replace(path)


addons = [ConformanceAddon()]
