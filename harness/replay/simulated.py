"""A replay backend that answers from a vendor model in-process, instead of from recorded HAR entries.

Same transport as the in-process HAR backend (`responses` on `HTTPAdapter.send`), same wire log, faults, loop
guard and stop reasons; every request is answered by `VendorModel.respond` against the dataset's current
version, so nothing is "unmatched" or "unconsumed" (a request the vendor cannot route gets the vendor's own
error). `between_pages(n, action)` changes the dataset after the n-th served response and before the next one.

`answer(request)` is the whole vendor side: another transport (e.g. a proxy addon) can serve a model through it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import requests

from harness.fixtures.har import Har, HarEntry
from harness.replay.base import LoopGuardTripped, ReplayMode, WireRequest
from harness.replay.inprocess import InProcessReplay
from harness.simulators.model import VendorModel

# A sync against a model has no recording to size the loop guard by: this many requests stop it.
SIMULATED_REQUEST_CAP = 600


@dataclasses.dataclass(frozen=True)
class ErrorAnswer:
    """An error the vendor model answered (4xx/5xx): the request and the vendor's body, as the source got it."""

    request: WireRequest
    status: int
    body: str

    def describe(self, limit: int = 300) -> str:
        body = " ".join(self.body.split())
        body = body if len(body) <= limit else body[: limit - 1] + "…"
        return f"{self.request.method} {self.request.url} answered {self.status}: {body}"


class SimulatedReplay(InProcessReplay):
    name = "simulated"

    def __init__(
        self,
        model: VendorModel,
        *,
        mode: ReplayMode = ReplayMode.STRICT,
        secrets: frozenset[str] = frozenset(),
        origin_dirs: Sequence[str] = (),
    ) -> None:
        super().__init__(mode=mode, secrets=secrets, origin_dirs=origin_dirs)
        self.model = model
        self._served = 0
        self._scheduled: list[tuple[int, Callable[[], None]]] = []
        self.error_answers: list[ErrorAnswer] = []

    def load(self, hars: Sequence[Har]) -> None:
        raise TypeError("a simulated replay answers from its vendor model; it loads no HAR files")

    def between_pages(self, after_responses: int, action: Callable[[], None]) -> None:
        """Run `action` once, after `after_responses` responses were served and before the next request."""
        self._scheduled.append((after_responses, action))

    @property
    def entry_count(self) -> int:
        return 0

    def unconsumed(self) -> tuple[HarEntry, ...]:
        return ()

    @property
    def page_cap(self) -> int:
        return SIMULATED_REQUEST_CAP

    def answer(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        """The vendor model's response to one request, after any change scheduled before it."""
        due = [entry for entry in self._scheduled if entry[0] <= self._served]
        for entry in due:
            self._scheduled.remove(entry)
            entry[1]()
        simulated = self.model.respond(request)
        headers = dict(simulated.headers)
        if not any(name.lower() == "content-type" for name in headers):
            headers["Content-Type"] = "application/json"
        return simulated.status, headers, simulated.text()

    def _respond(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        wire = self._wire(request)
        if len(self._log) >= self.page_cap:
            self._log.append(wire)
            raise self._halt(LoopGuardTripped(f"stopped after {len(self._log)} requests to the vendor model"))
        page = self._served + 1
        for position, fault in enumerate(self._faults):
            if fault.fires_on(page, self._fired[position]):
                self._fired[position] += 1
                return self._apply_fault(fault, wire, page, request)
        status, headers, text = self.answer(request)
        self._served += 1
        # `entry` marks the request as answered by the vendor (there is no recorded entry to point at).
        answered = dataclasses.replace(wire, entry=self._served - 1, page=page, status=status)
        self._log.append(answered)
        if status >= 400:
            self.error_answers.append(ErrorAnswer(answered, status, text))
        return status, headers, text
