"""The replay backend interface: serve recorded HAR entries to a source and log what it asked for.

A backend loads one or more HAR files, is started around a run and stopped after it, and exposes what the
run did on the wire: every request in order (`wire_log`), those no recorded entry matched (`unmatched`), the
recorded entries nobody asked for (`unconsumed`), and the faults it injected. Checks never use a backend
directly; `harness.runs.engine` drives one and turns its logs into an immutable `RunRecord`.

Matching rules (`harness.replay.matching`): method + URL path exact, query and body exact but order-insensitive.
Each entry is served at most once; identical requests recorded N times are served N times in recorded order.
In `strict` mode an unmatched request stops the run (`UnmatchedRequest`). In `probe` mode the first unmatched
request is captured and the run stops (`ProbeCaptured`): probes only need the request a changed input produces.
"""

from __future__ import annotations

import dataclasses
import enum
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from harness.fixtures.har import Har, HarEntry
from harness.replay.credential_places import CredentialPlace
from harness.replay.faults import Fault
from harness.replay.matching import RequestKey


class ReplayMode(enum.Enum):
    STRICT = "strict"
    PROBE = "probe"


@dataclasses.dataclass(frozen=True)
class WireRequest:
    index: int
    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: str | None
    timeout: Any
    key: RequestKey
    entry: int | None = None
    page: int | None = None
    fault: str | None = None
    status: int | None = None
    origin: str | None = None
    # Where the request as sent (before scrubbing) carried a credential outside its headers.
    credentials: tuple[CredentialPlace, ...] = ()

    @property
    def matched(self) -> bool:
        return self.entry is not None


@dataclasses.dataclass(frozen=True)
class Unmatched:
    request: WireRequest
    closest: tuple[str, ...]
    already_served: bool
    after_last_page: bool


class ReplayStop(BaseException):
    """Ends a run from inside the transport. A BaseException so that a source's `except Exception` cannot hide it."""


class UnmatchedRequest(ReplayStop):
    pass


class LoopGuardTripped(ReplayStop):
    pass


class WouldHang(ReplayStop):
    pass


class ProbeCaptured(ReplayStop):
    pass


class RunawayRun(ReplayStop):
    """The source neither ended nor made progress on the wire: endless batches, or wall time ran out."""


class ReplayBackend(ABC):
    name: str = "abstract"

    @abstractmethod
    def load(self, hars: Sequence[Har]) -> None:
        """Add the entries of these HAR files to the pool served by the next run."""

    @abstractmethod
    def inject(self, faults: Sequence[Fault]) -> None:
        """Faults to apply during the next run (see `harness.replay.faults`)."""

    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...

    @property
    @abstractmethod
    def wire_log(self) -> tuple[WireRequest, ...]: ...

    @property
    def request_count(self) -> int:
        """How many requests the wire log holds so far (a backend may know it without fetching the log)."""
        return len(self.wire_log)

    @property
    @abstractmethod
    def unmatched(self) -> tuple[Unmatched, ...]: ...

    @abstractmethod
    def unconsumed(self) -> tuple[HarEntry, ...]: ...

    @property
    @abstractmethod
    def entry_count(self) -> int:
        """How many recorded entries were loaded."""

    @property
    @abstractmethod
    def hangs(self) -> tuple[WireRequest, ...]:
        """Requests a stall fault answered while they carried no timeout: in production they would hang."""

    @property
    @abstractmethod
    def stop_reason(self) -> ReplayStop | None:
        """The stop the backend raised into the run, if any (the source may have wrapped or swallowed it)."""

    def __enter__(self) -> ReplayBackend:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
