"""The mitmdump replay backend (`pytest harness --replay mitm`): the same HAR files, served by a real proxy.

Every request of a run goes through the harness's one mitmdump (`harness.replay.mitm_process`), over TLS with
the proxy's own CA. The addon answers from the scenario's entries with the in-process backend's rules
(`harness.replay.matching`, faults, loop guard, probes) and keeps the wire log; this side only knows what the
proxy cannot: the request's timeout (sent to the addon in a header) and the line of the source that sent it.
A request the addon stops on comes back as a marked response and is raised here, inside the source's call,
exactly as the in-process backend raises it. Unmatched requests never leave the proxy (`server_connect`).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import warnings
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import SystemTimeWarning

from harness.fixtures.har import Har, HarEntry
from harness.replay import base
from harness.replay.base import ReplayBackend, ReplayMode, ReplayStop, Unmatched, WireRequest
from harness.replay.faults import Fault
from harness.replay.inprocess import find_origin
from harness.replay.mitm_process import MitmProcess, shared_process
from harness.replay.mitm_protocol import ID_HEADER, LOGGED_HEADER, STOP_HEADER, TIMEOUT_HEADER, encode_timeout
from harness.replay.mitm_transport import Send, through_proxy

_request_ids = itertools.count(1)


class MitmReplay(ReplayBackend):
    name = "mitm"

    def __init__(
        self,
        *,
        mode: ReplayMode = ReplayMode.STRICT,
        secrets: frozenset[str] = frozenset(),
        origin_dirs: Sequence[str] = (),
        process: Callable[[], MitmProcess] = shared_process,
    ) -> None:
        self.mode = mode
        self.secrets = secrets
        self.origin_dirs = tuple(origin_dirs)
        self._process_factory = process
        self._process: MitmProcess | None = None
        self._hars: list[Har] = []
        self._entries: list[HarEntry] = []
        self._faults: list[Fault] = []
        self._origins: dict[str, str | None] = {}
        self._report: dict[str, Any] = {}
        self._wire: list[WireRequest] = []
        self._ids: list[str] = []
        self._dirty = False
        self._logged = 0
        self._stop: ReplayStop | None = None
        self._stack: ExitStack | None = None
        self._adapters: list[HTTPAdapter] = []

    # -- setup -------------------------------------------------------------------------------------------------
    def load(self, hars: Sequence[Har]) -> None:
        self._hars.extend(hars)
        self._entries.extend(entry for har in hars for entry in har.entries)

    def inject(self, faults: Sequence[Fault]) -> None:
        self._faults = list(faults)

    def start(self) -> None:
        # A run's clock is frozen at its recording's time, which urllib3 warns about on every TLS connection;
        # OpenSSL verifies the proxy's certificate on the real clock, so nothing is wrong.
        warnings.filterwarnings("ignore", category=SystemTimeWarning)
        process = self._process_factory()
        process.command(
            "replay", hars=self._hars, mode=self.mode.value, secrets=self.secrets, faults=list(self._faults)
        )
        self._process = process
        stack = ExitStack()
        stack.enter_context(through_proxy(process.proxy_url, process.ca_path, self._send))
        self._stack = stack

    def stop(self) -> None:
        if self._stack is not None:
            self._stack.close()
            self._stack = None
        for adapter in self._adapters:  # no connection to the proxy outlives its run (nor reaches the next one)
            adapter.close()
        self._adapters.clear()
        if self._process is not None:
            self._absorb(self._process.command("idle", since=len(self._wire)))
            self._process = None

    # -- the client half of a request --------------------------------------------------------------------------
    def _send(
        self, adapter: HTTPAdapter, request: requests.PreparedRequest, kwargs: dict[str, Any], send: Send
    ) -> requests.Response:
        if not any(known is adapter for known in self._adapters):
            self._adapters.append(adapter)
        request_id = str(next(_request_ids))
        self._origins[request_id] = find_origin(self.origin_dirs)
        marked = request.copy()
        marked.headers[ID_HEADER] = request_id
        marked.headers[TIMEOUT_HEADER] = encode_timeout(kwargs.get("timeout"))
        self._dirty = True
        response = send(marked, **kwargs)
        logged = response.headers.pop(LOGGED_HEADER, None)
        if logged is not None:
            self._logged = max(self._logged, int(logged))
        kind = response.headers.get(STOP_HEADER)
        if kind is None:
            return response
        message = json.loads(response.content)["message"]
        if kind == "ReadTimeout":
            raise requests.exceptions.ReadTimeout(message, request=request)
        stop_class = getattr(base, kind, ReplayStop)
        stop = stop_class(message) if isinstance(stop_class, type) and issubclass(stop_class, ReplayStop) else None
        self._stop = stop or ReplayStop(message)
        raise self._stop

    def _current(self) -> dict[str, Any]:
        if self._dirty and self._process is not None:
            self._absorb(self._process.command("report", since=len(self._wire)))
        return self._report

    def _absorb(self, report: dict[str, Any]) -> None:
        """Add the addon's new wire entries (with this side's origins) to the log; keep the rest as reported."""
        self._dirty = False
        if not report:
            return
        ids = report["request_ids"]
        self._ids.extend(ids)
        self._wire.extend(
            self._with_origin(wire, request_id) for wire, request_id in zip(report["wire"], ids, strict=True)
        )
        self._report = report

    def _with_origin(self, wire: WireRequest, request_id: str) -> WireRequest:
        return dataclasses.replace(wire, origin=self._origins.get(request_id))

    # -- logs ----------------------------------------------------------------------------------------------------
    @property
    def request_count(self) -> int:
        """Known from the proxy's last answer: no round trip to the addon while the run goes on."""
        return max(self._logged, len(self._wire))

    @property
    def wire_log(self) -> tuple[WireRequest, ...]:
        self._current()
        return tuple(self._wire)

    @property
    def unmatched(self) -> tuple[Unmatched, ...]:
        report = self._current()
        return tuple(
            dataclasses.replace(miss, request=self._with_origin(miss.request, self._ids[miss.request.index]))
            for miss in report.get("unmatched", ())
        )

    def unconsumed(self) -> tuple[HarEntry, ...]:
        consumed = self._current().get("consumed", (False,) * len(self._entries))
        return tuple(entry for entry, used in zip(self._entries, consumed, strict=True) if not used)

    @property
    def entry_count(self) -> int:
        return len(self._entries)

    @property
    def hangs(self) -> tuple[WireRequest, ...]:
        report = self._current()
        return tuple(self._with_origin(wire, self._ids[wire.index]) for wire in report.get("hangs", ()))

    @property
    def stop_reason(self) -> ReplayStop | None:
        return self._stop
