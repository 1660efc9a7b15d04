"""The in-process replay backend: `responses` intercepts `HTTPAdapter.send` and answers from the HAR pool."""

from __future__ import annotations

import dataclasses
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import requests
import responses

from harness.fixtures.har import Har, HarEntry
from harness.replay.base import (
    LoopGuardTripped,
    ProbeCaptured,
    ReplayBackend,
    ReplayMode,
    ReplayStop,
    Unmatched,
    UnmatchedRequest,
    WireRequest,
    WouldHang,
)
from harness.replay.credential_places import credential_places
from harness.replay.faults import Fault
from harness.replay.matching import RequestKey, closeness, request_key
from sources.common.scrub import REDACTED, is_sensitive_header, scrub_text, secret_header_values

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
# Set by the transport, not by the vendor: replaying them would describe a body we do not send.
DROPPED_RESPONSE_HEADERS = frozenset({"content-length", "content-encoding", "transfer-encoding", "connection"})
PAGE_CAP_FACTOR = 10
MIN_PAGE_CAP = 50
MAX_FAULTED_ATTEMPTS = 12


def find_origin(directories: Sequence[str]) -> str | None:
    """`file:line` of the innermost frame inside one of `directories` (the source's own code)."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        for directory in directories:
            if filename.startswith(directory):
                return f"{relative_path(filename)}:{frame.f_lineno}"
        frame = frame.f_back
    return None


def relative_path(filename: str) -> str:
    try:
        return str(Path(filename).relative_to(Path.cwd()))
    except ValueError:
        return filename


def _request_body(request: requests.PreparedRequest) -> str | None:
    body = request.body
    if body is None:
        return None
    return body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)


class InProcessReplay(ReplayBackend):
    name = "in-process"

    def __init__(
        self,
        *,
        mode: ReplayMode = ReplayMode.STRICT,
        secrets: frozenset[str] = frozenset(),
        origin_dirs: Sequence[str] = (),
    ) -> None:
        self.mode = mode
        self.secrets = secrets
        self.origin_dirs = tuple(origin_dirs)
        self._entries: list[HarEntry] = []
        self._keys: list[RequestKey] = []
        self._consumed: list[bool] = []
        self._faults: list[Fault] = []
        self._fired: list[int] = []
        self._log: list[WireRequest] = []
        self._unmatched: list[Unmatched] = []
        self._hangs: list[WireRequest] = []
        self._stop: ReplayStop | None = None
        self._mock: responses.RequestsMock | None = None

    # -- setup -------------------------------------------------------------------------------------------------
    def load(self, hars: Sequence[Har]) -> None:
        for har in hars:
            for entry in har.entries:
                request = entry.request
                self._entries.append(entry)
                self._keys.append(request_key(request.method, request.url, request.body, request.mime_type))
                self._consumed.append(False)

    def inject(self, faults: Sequence[Fault]) -> None:
        self._faults = list(faults)
        self._fired = [0] * len(self._faults)

    def start(self) -> None:
        mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        for method in METHODS:
            mock.add_callback(method, re.compile(r".*"), callback=self._respond, content_type=None)
        mock.start()
        self._mock = mock

    def stop(self) -> None:
        if self._mock is not None:
            self._mock.stop()
            self._mock.reset()
            self._mock = None

    # -- logs ----------------------------------------------------------------------------------------------------
    @property
    def wire_log(self) -> tuple[WireRequest, ...]:
        return tuple(self._log)

    @property
    def unmatched(self) -> tuple[Unmatched, ...]:
        return tuple(self._unmatched)

    def unconsumed(self) -> tuple[HarEntry, ...]:
        return tuple(entry for entry, used in zip(self._entries, self._consumed, strict=True) if not used)

    @property
    def entry_count(self) -> int:
        return len(self._entries)

    @property
    def hangs(self) -> tuple[WireRequest, ...]:
        return tuple(self._hangs)

    @property
    def stop_reason(self) -> ReplayStop | None:
        return self._stop

    @property
    def page_cap(self) -> int:
        return max(MIN_PAGE_CAP, PAGE_CAP_FACTOR * len(self._entries))

    # -- serving -------------------------------------------------------------------------------------------------
    def _halt(self, stop: ReplayStop) -> ReplayStop:
        self._stop = stop
        return stop

    def _wire(self, request: requests.PreparedRequest) -> WireRequest:
        """The next wire-log record of a live request: scrubbed, keyed for matching, where it was sent from and
        where it carries a credential (read before scrubbing)."""
        kwargs: dict[str, Any] = getattr(request, "req_kwargs", {}) or {}
        secrets = self.secrets | frozenset(secret_header_values(dict(request.headers)))
        body = _request_body(request)
        method = request.method or "GET"
        content_type = request.headers.get("Content-Type")
        return WireRequest(
            index=len(self._log),
            method=method,
            url=scrub_text(request.url or "", secrets),
            headers=tuple(
                (name, REDACTED if is_sensitive_header(name) else str(value)) for name, value in request.headers.items()
            ),
            body=scrub_text(body, secrets) if body is not None else None,
            timeout=kwargs.get("timeout"),
            key=request_key(method, request.url or "", body, content_type, secrets),
            origin=find_origin(self.origin_dirs),
            credentials=credential_places(request.url or "", body, content_type, secrets),
        )

    def _respond(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        wire = self._wire(request)
        key = wire.key
        if len(self._log) >= self.page_cap:
            self._log.append(wire)
            raise self._halt(
                LoopGuardTripped(
                    f"stopped after {len(self._log)} requests ({PAGE_CAP_FACTOR}x the {len(self._entries)} recorded)"
                )
            )
        index = self._match(key)
        if index is None:
            return self._unmatched_request(wire)
        page = sum(self._consumed) + 1
        for position, fault in enumerate(self._faults):
            if fault.fires_on(page, self._fired[position]):
                self._fired[position] += 1
                return self._apply_fault(fault, wire, page, request)
        self._consumed[index] = True
        response = self._entries[index].response
        self._log.append(_with(wire, entry=index, page=page, status=response.status))
        headers = {name: value for name, value in response.headers if name.lower() not in DROPPED_RESPONSE_HEADERS}
        if not any(name.lower() == "content-type" for name in headers):
            headers["Content-Type"] = response.mime_type
        return response.status, headers, response.body

    def _match(self, key: RequestKey) -> int | None:
        for index, recorded in enumerate(self._keys):
            if not self._consumed[index] and recorded == key:
                return index
        return None

    def _unmatched_request(self, wire: WireRequest) -> tuple[int, dict[str, str], str]:
        self._log.append(wire)
        if self.mode is ReplayMode.PROBE:
            raise self._halt(ProbeCaptured(wire.key.describe()))
        ranked = sorted(range(len(self._keys)), key=lambda index: closeness(wire.key, self._keys[index]), reverse=True)
        closest = tuple(
            self._keys[index].describe() + (" (already served)" if self._consumed[index] else "")
            for index in ranked[:3]
        )
        unmatched = Unmatched(
            request=wire,
            closest=closest,
            already_served=any(key == wire.key for key in self._keys),
            after_last_page=bool(self._consumed) and all(self._consumed),
        )
        self._unmatched.append(unmatched)
        raise self._halt(UnmatchedRequest(f"no recorded response for {wire.key.describe()}"))

    def _apply_fault(
        self, fault: Fault, wire: WireRequest, page: int, request: requests.PreparedRequest
    ) -> tuple[int, dict[str, str], str]:
        faulted = _with(wire, page=page, fault=fault.describe(), status=fault.status or None)
        self._log.append(faulted)
        attempts = sum(1 for logged in self._log if logged.page == page and logged.fault)
        if fault.times is None and attempts > MAX_FAULTED_ATTEMPTS:
            raise self._halt(
                LoopGuardTripped(f"page {page} was requested {attempts} times while answering {fault.describe()}")
            )
        if fault.kind == "stall":
            if wire.timeout is None:
                self._hangs.append(faulted)
                raise self._halt(WouldHang(f"{wire.method} {wire.url} carried no timeout and the response stalled"))
            raise requests.exceptions.ReadTimeout(
                f"stalled response: read timed out (timeout={wire.timeout!r}) for {wire.url}", request=request
            )
        headers = dict(fault.headers)
        if not any(name.lower() == "content-type" for name in headers):
            headers["Content-Type"] = "application/json"
        return fault.status, headers, fault.body


def _with(wire: WireRequest, **changes: Any) -> WireRequest:
    return dataclasses.replace(wire, **changes)
