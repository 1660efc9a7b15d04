"""What a run leaves behind: immutable records the checks read (`RunRecord` and friends), and `RunSpec`."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from harness.fixtures.har import HarEntry
from harness.replay.base import Unmatched, WireRequest
from harness.replay.egress import EgressAttempt
from harness.replay.faults import Fault
from harness.runs.targets import ResponseProfile
from sources.common.http import RequestRecord
from sources.common.rest_source import PageCapHit
from sources.common.typings import SourceInputs


@dataclasses.dataclass(frozen=True)
class RunSpec:
    """What to run. Hashable: runs are cached by (source, endpoint, spec)."""

    scenario: str = "full"
    faults: tuple[Fault, ...] = ()
    crash_at: int | None = None
    overrides: tuple[tuple[str, Any], ...] = ()
    probe: bool = False
    pipeline: bool = False
    webhook_rows: str | None = None  # JSON list of rows delivered through the webhook folder

    def describe(self) -> str:
        parts = [f"scenario {self.scenario!r}"]
        if self.overrides:
            parts.append(", ".join(f"{name}={value!r}" for name, value in self.overrides))
        parts.extend(fault.describe() for fault in self.faults)
        if self.crash_at is not None:
            parts.append(f"crash while handling batch {self.crash_at}")
        return "; ".join(parts)


@dataclasses.dataclass(frozen=True)
class BatchRecord:
    index: int
    kind: str
    rows: tuple[dict[str, Any], ...]
    requests_before: int
    problem: str | None = None


@dataclasses.dataclass(frozen=True)
class SavedState:
    state: dict[str, Any]
    after_batch: int
    requests_before: int


@dataclasses.dataclass(frozen=True)
class ErrorRecord:
    type: str
    message: str
    origin: str | None

    def describe(self) -> str:
        where = f" (raised at {self.origin})" if self.origin else ""
        return f"{self.type}: {self.message}{where}"


@dataclasses.dataclass(frozen=True)
class TableSnapshot:
    path: Path
    rows: tuple[dict[str, Any], ...]
    partition_column: str | None


@dataclasses.dataclass(frozen=True)
class Checkpoint:
    """The run as it stood the moment batch `batch` was handed over: how much of each record existed (the log
    lines themselves), and the source's saved resume state in Redis (raw, None when there was none). A crash
    while handling that batch would have left exactly this behind, so one run gives every crash point (see
    `engine.crash_prefix`)."""

    batch: int
    wire: int
    tracked: int
    states: int
    loaded: int
    page_caps: int
    sleeps: int
    logs: tuple[dict[str, Any], ...]  # the log lines themselves (structlog's, then the standard library's)
    resume_state: bytes | None
    seconds: float


@dataclasses.dataclass(frozen=True)
class RunRecord:
    source_type: str
    endpoint: str
    spec: RunSpec
    inputs: SourceInputs
    response: ResponseProfile | None
    recorded_entries: int
    wire: tuple[WireRequest, ...]
    tracked: tuple[RequestRecord, ...]
    batches: tuple[BatchRecord, ...]
    states: tuple[SavedState, ...]
    loaded_states: tuple[dict[str, Any], ...]
    error: ErrorRecord | None
    stop: str | None
    stop_message: str | None
    unmatched: tuple[Unmatched, ...]
    unconsumed: tuple[HarEntry, ...]
    hangs: tuple[WireRequest, ...]
    sleeps: tuple[float, ...]
    egress: tuple[EgressAttempt, ...]
    page_caps: tuple[PageCapHit, ...]
    logs: tuple[dict[str, Any], ...]
    table: TableSnapshot | None
    crashed: bool
    duration: float
    # One per batch handed over, when the run could read the source's resume state (empty otherwise).
    checkpoints: tuple[Checkpoint, ...] = ()

    @property
    def rows(self) -> list[dict[str, Any]]:
        return [row for batch in self.batches for row in batch.rows]

    @property
    def pages_served(self) -> int:
        return sum(1 for request in self.wire if request.matched)

    @property
    def first_request(self) -> WireRequest | None:
        return self.wire[0] if self.wire else None

    @property
    def completed(self) -> bool:
        return self.error is None and self.stop is None and not self.crashed


@dataclasses.dataclass(frozen=True)
class ResumeRecord:
    """The crash model at checkpoint k: the crashed run, then a new source instance on the same Redis state."""

    crash_at: int
    crashed: RunRecord
    resumed: RunRecord


@dataclasses.dataclass(frozen=True)
class ChainRecord:
    """Syncs run one after the other into one Delta table (e.g. `full` then `resync`)."""

    steps: tuple[RunRecord, ...]


@dataclasses.dataclass(frozen=True)
class CredentialCall:
    schema_name: str | None
    result: tuple[bool, str | None] | None
    error: ErrorRecord | None
    stop: str | None


@dataclasses.dataclass(frozen=True)
class CredentialsRecord:
    """`validate_credentials` called for each schema name in order, over one replay of the credentials HAR."""

    calls: tuple[CredentialCall, ...]
    faults: tuple[Fault, ...]
    wire: tuple[WireRequest, ...]
    unmatched: tuple[Unmatched, ...]
    unconsumed: tuple[HarEntry, ...]
    egress: tuple[EgressAttempt, ...]
    sleeps: tuple[float, ...]
