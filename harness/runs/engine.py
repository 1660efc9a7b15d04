"""A RUN: one scenario of one endpoint, with injected faults or a crash, turned into an immutable `RunRecord`.

Checks ask `RunCache` for runs and read the records; they never drive the replay themselves. A run:
- replays the scenario's HAR in-process (strict, or `probe`: capture the first unrecorded request and stop),
- freezes time at the scenario's recording time (`frozen_clock`: every sleep, `time.sleep` included, is recorded
  and none waits; `datetime.now()` reads the HAR's first `startedDateTime`), sets the egress guard and the job
  context,
- opens the source's `SourceResponse` the way a sync job does and consumes `items()` (directly, or through
  the Delta pipeline when `pipeline=True`),
- stops after batch `crash_at` when asked: batch `crash_at` was received but the code after the source's
  `crash_at`-th `yield` never runs (the generator is abandoned, not closed, as a dying process would leave it).
"""

from __future__ import annotations

import atexit
import contextlib
import copy
import dataclasses
import itertools
import json
import shutil
import signal
import tempfile
import threading
import time
import traceback
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import structlog
import structlog.testing

from harness import pipeline
from harness.fixtures.har import read_har
from harness.replay import make_backend
from harness.replay.base import ReplayBackend, ReplayMode, ReplayStop, RunawayRun
from harness.replay.egress import egress_guard
from harness.replay.faults import Fault
from harness.replay.inprocess import relative_path
from harness.runs.frozen_time import frozen_clock, recording_time
from harness.runs.log_capture import capture_stdlib_logs
from harness.runs.records import (
    BatchRecord,
    ChainRecord,
    CredentialCall,
    CredentialsRecord,
    ErrorRecord,
    ResumeRecord,
    RunRecord,
    RunSpec,
    SavedState,
    TableSnapshot,
)
from harness.runs.sync_driver import job_scope, make_inputs, open_response
from harness.runs.targets import EndpointUnderTest, ResponseProfile, SourceUnderTest
from sources.common import events
from sources.common.http import RequestRecord
from sources.common.rest_source import PageCapHit
from sources.common.resumable import StateLoaded, StateSaved
from sources.common.typings import SourceInputs

RUN_WALL_TIME_LIMIT_SECONDS = 60.0
# A source yielding this many batches per recorded response (empty pages forever) is not going to end.
BATCHES_PER_ENTRY = 500
MIN_BATCH_CAP = 10_000

_job_counter = itertools.count(1)
# Generators a crash left mid-iteration. Kept alive so that no `finally` of theirs runs during the session:
# a process that dies does not run them either.
_abandoned: list[Any] = []
_work_root: Path | None = None


def work_root() -> Path:
    global _work_root
    if _work_root is None:
        _work_root = Path(tempfile.mkdtemp(prefix="conformance-"))
        atexit.register(shutil.rmtree, _work_root, True)
    return _work_root


# -- executing ---------------------------------------------------------------------------------------------------


def _batch_record(index: int, item: Any, requests_before: int) -> BatchRecord:
    if isinstance(item, pa.RecordBatch):
        item = pa.Table.from_batches([item])
    if isinstance(item, pa.Table):
        return BatchRecord(index, "table", tuple(item.to_pylist()), requests_before)
    if isinstance(item, dict):
        return BatchRecord(index, "dict", (copy.deepcopy(item),), requests_before)
    if isinstance(item, list):
        rows = tuple(copy.deepcopy(row) for row in item if isinstance(row, dict))
        strays = [type(row).__name__ for row in item if not isinstance(row, dict)]
        problem = f"a list holding {', '.join(sorted(set(strays)))}" if strays else None
        return BatchRecord(index, "list", rows, requests_before, problem)
    return BatchRecord(index, type(item).__name__, (), requests_before, f"a {type(item).__name__}")


def _error_origin(exc: BaseException, origin_dirs: tuple[str, ...]) -> str | None:
    frames = traceback.extract_tb(exc.__traceback__)
    for frame in reversed(frames):
        if any(frame.filename.startswith(directory) for directory in origin_dirs):
            return f"{relative_path(frame.filename)}:{frame.lineno}"
    return None


def _flatten_nested(row: dict[str, Any]) -> dict[str, Any]:
    """Nested values as JSON text, the way the pipeline stores dict rows (see harness/pipeline/rows.py)."""
    return {
        key: json.dumps(value, default=str, ensure_ascii=False, separators=(",", ":"))
        if isinstance(value, dict | list | tuple)
        else value
        for key, value in row.items()
    }


def _write_webhook_rows(webhook_dir: Path, inputs: SourceInputs, rows_json: str) -> None:
    rows = [_flatten_nested(row) for row in json.loads(rows_json)]
    folder = webhook_dir / str(inputs.team_id) / inputs.schema_id
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), folder / "0001-webhook.parquet")


class _Observer:
    def __init__(self, backend: ReplayBackend) -> None:
        self.backend = backend
        self.batches: list[BatchRecord] = []
        self.tracked: list[RequestRecord] = []
        self.states: list[SavedState] = []
        self.loaded: list[dict[str, Any]] = []
        self.page_caps: list[PageCapHit] = []

    def __call__(self, event: Any) -> None:
        if isinstance(event, RequestRecord):
            self.tracked.append(event)
        elif isinstance(event, StateSaved):
            self.states.append(SavedState(dict(event.state), len(self.batches), self.backend.request_count))
        elif isinstance(event, StateLoaded):
            self.loaded.append(dict(event.state))
        elif isinstance(event, PageCapHit):
            self.page_caps.append(event)

    def capture(self, items: Iterable[Any]) -> Iterator[Any]:
        limit = max(MIN_BATCH_CAP, BATCHES_PER_ENTRY * self.backend.entry_count)
        for item in items:
            self.batches.append(_batch_record(len(self.batches) + 1, item, self.backend.request_count))
            if len(self.batches) > limit:
                raise RunawayRun(
                    f"yielded {len(self.batches)} batches from {self.backend.request_count} requests without ending"
                )
            yield item


@contextlib.contextmanager
def watchdog(seconds: float) -> Iterator[None]:
    """Stop a run that is still going after `seconds` of wall time (a loop that makes no request at all)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise RunawayRun(f"still running after {seconds:g}s of wall time")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def execute(
    target: EndpointUnderTest,
    spec: RunSpec,
    *,
    job_id: str | None = None,
    keep_state: bool = False,
    table_dir: Path | None = None,
    allow_unconsumed_entries: bool = False,
    backend: ReplayBackend | None = None,
) -> RunRecord:
    """Run `spec` once, from a fresh replay of the scenario's HAR (or from `backend`, e.g. a vendor model)."""
    sut = target.sut
    scenario = target.scenario(spec.scenario)
    if scenario is None:
        raise KeyError(f"{sut.source_type}/{target.name}: no {spec.scenario!r} scenario in {sut.manifest.path}")
    source = sut.fresh_source()  # every run is a new process as far as the source can tell
    har = read_har(scenario.har)
    if backend is None:
        backend = make_backend(
            mode=ReplayMode.PROBE if spec.probe else ReplayMode.STRICT,
            secrets=sut.secrets,
            origin_dirs=sut.origin_dirs,
        )
        backend.load([har])
    backend.inject(spec.faults)
    run_dir = work_root() / f"run-{next(_job_counter)}"
    webhook_dir = run_dir / "webhooks"
    inputs = make_inputs(
        source,
        sut.config,
        target.name,
        scenario,
        job_id=job_id or f"conformance-{run_dir.name}",
        webhook_dir=webhook_dir,
    )
    if spec.overrides:
        inputs = dataclasses.replace(inputs, **dict(spec.overrides))
    if spec.webhook_rows:
        _write_webhook_rows(webhook_dir, inputs, spec.webhook_rows)
    observer = _Observer(backend)
    profile: ResponseProfile | None = None
    error: ErrorRecord | None = None
    stop: ReplayStop | None = None
    crashed = False
    table: TableSnapshot | None = None
    started = time.perf_counter()
    with (
        watchdog(RUN_WALL_TIME_LIMIT_SECONDS),
        structlog.testing.capture_logs() as logs,
        capture_stdlib_logs() as stdlib_logs,
        egress_guard(sut.origin_dirs) as egress,
        backend,  # started on real time: a backend may wait for a child process
        frozen_clock(recording_time(har)) as clock,
        events.observing(observer),
        job_scope(source, inputs),
    ):
        try:
            response = open_response(source, sut.config, inputs)
            profile = ResponseProfile.of(response)
            if spec.pipeline:
                piped = dataclasses.replace(response, items=lambda: observer.capture(response.items()))
                result = pipeline.run(piped, inputs, table_dir or run_dir / "table", source_name=sut.source_type)
                # A sync that yields no batch leaves the table as the previous sync of a chain left it.
                written = result.batches or (Path(result.table_path) / "_delta_log").is_dir()
                rows = pipeline.read_table(result.table_path).to_pylist() if written else []
                table = TableSnapshot(result.table_path, tuple(rows), result.partition_column)
            else:
                iterator = iter(response.items())
                for item in observer.capture(iterator):
                    if spec.crash_at is not None and len(observer.batches) >= spec.crash_at:
                        crashed = True
                        _abandoned.append(iterator)
                        break
                    del item
        except ReplayStop as exc:
            stop = exc
        except Exception as exc:
            error = ErrorRecord(type(exc).__name__, str(exc).strip(), _error_origin(exc, sut.origin_dirs))
            cause = exc.__context__
            while cause is not None and stop is None:  # a source that wrapped our stop into its own error
                if isinstance(cause, ReplayStop):
                    stop = cause
                cause = cause.__context__
    stop = stop or backend.stop_reason
    if not keep_state and sut.resumable:
        source.get_resumable_source_manager(inputs).clear_state()  # type: ignore[attr-defined]
    if table is None and table_dir is not None and (table_dir / "_delta_log").is_dir():
        table = TableSnapshot(table_dir, tuple(pipeline.read_table(table_dir).to_pylist()), None)
    return RunRecord(
        source_type=sut.source_type,
        endpoint=target.name,
        spec=spec,
        inputs=inputs,
        response=profile,
        recorded_entries=backend.entry_count,
        wire=backend.wire_log,
        tracked=tuple(observer.tracked),
        batches=tuple(observer.batches),
        states=tuple(observer.states),
        loaded_states=tuple(observer.loaded),
        error=error,
        stop=type(stop).__name__ if stop is not None else None,
        stop_message=str(stop) if stop is not None else None,
        unmatched=backend.unmatched,
        unconsumed=() if allow_unconsumed_entries else backend.unconsumed(),
        hangs=backend.hangs,
        sleeps=tuple(clock.sleeps),
        egress=tuple(egress),
        page_caps=tuple(observer.page_caps),
        logs=(*logs, *stdlib_logs),
        table=table,
        crashed=crashed,
        duration=time.perf_counter() - started,
    )


def profile(target: EndpointUnderTest) -> ResponseProfile | None:
    """The endpoint's `SourceResponse` settings, from opening it (without consuming items) for the full scenario."""
    sut = target.sut
    scenario = target.scenario("full")
    backend = make_backend(mode=ReplayMode.PROBE, secrets=sut.secrets, origin_dirs=sut.origin_dirs)
    inputs = make_inputs(
        sut.source, sut.config, target.name, scenario, job_id=f"conformance-profile-{next(_job_counter)}"
    )
    try:
        with (
            structlog.testing.capture_logs(),
            egress_guard(sut.origin_dirs),
            backend,
            frozen_clock(recording_time(read_har(scenario.har))),
            job_scope(sut.source, inputs),
        ):
            return ResponseProfile.of(open_response(sut.source, sut.config, inputs))
    except (Exception, ReplayStop):
        return None


def execute_resume(target: EndpointUnderTest, scenario: str, crash_at: int) -> ResumeRecord:
    """The crash model at checkpoint `crash_at` (harness/README.md, "The crash model")."""
    job_id = f"conformance-resume-{next(_job_counter)}"
    crashed = execute(target, RunSpec(scenario=scenario, crash_at=crash_at), job_id=job_id, keep_state=True)
    resumed = execute(target, RunSpec(scenario=scenario), job_id=job_id, allow_unconsumed_entries=True)
    return ResumeRecord(crash_at, crashed, resumed)


def execute_chain(target: EndpointUnderTest, steps: tuple[RunSpec, ...]) -> ChainRecord:
    table_dir = work_root() / f"table-{next(_job_counter)}"
    records = [execute(target, dataclasses.replace(step, pipeline=True), table_dir=table_dir) for step in steps]
    return ChainRecord(tuple(records))


class RunCache:
    """Runs shared by the checks of one session: each (source, endpoint, spec) replays once."""

    def __init__(self) -> None:
        self._runs: dict[tuple[Any, ...], Any] = {}

    def _key(self, target: EndpointUnderTest, *parts: Any) -> tuple[Any, ...]:
        return (str(target.sut.fixtures_root), target.source_type, target.name, *parts)

    def run(self, target: EndpointUnderTest, spec: RunSpec) -> RunRecord:
        key = self._key(target, "run", spec)
        if key not in self._runs:
            self._runs[key] = execute(target, spec)
        return self._runs[key]

    def resume(self, target: EndpointUnderTest, scenario: str, crash_at: int) -> ResumeRecord:
        key = self._key(target, "resume", scenario, crash_at)
        if key not in self._runs:
            self._runs[key] = execute_resume(target, scenario, crash_at)
        return self._runs[key]

    def chain(self, target: EndpointUnderTest, steps: tuple[RunSpec, ...]) -> ChainRecord:
        key = self._key(target, "chain", steps)
        if key not in self._runs:
            self._runs[key] = execute_chain(target, steps)
        return self._runs[key]

    def credentials(
        self, sut: SourceUnderTest, schema_names: tuple[str | None, ...], faults: tuple[Fault, ...] = ()
    ) -> CredentialsRecord:
        key = (str(sut.fixtures_root), sut.source_type, "credentials", schema_names, faults)
        if key not in self._runs:
            assert sut.manifest.credentials_har is not None
            self._runs[key] = execute_credentials(sut, sut.manifest.credentials_har, schema_names, faults)
        return self._runs[key]

    def clear(self) -> None:
        self._runs.clear()


def execute_credentials(
    sut: SourceUnderTest, har_path: Path, schema_names: tuple[str | None, ...], faults: tuple[Fault, ...] = ()
) -> CredentialsRecord:
    backend = make_backend(secrets=sut.secrets, origin_dirs=sut.origin_dirs)
    har = read_har(har_path)
    backend.load([har])
    backend.inject(faults)
    calls = []
    source = sut.fresh_source()
    with (
        structlog.testing.capture_logs(),
        egress_guard(sut.origin_dirs) as egress,
        backend,
        frozen_clock(recording_time(har)) as clock,
    ):
        for schema_name in schema_names:
            result = error = stop = None
            try:
                outcome = source.validate_credentials(sut.config, 1, schema_name)
                result = (bool(outcome[0]), outcome[1])
            except ReplayStop as exc:
                stop = type(exc).__name__
            except Exception as exc:
                error = ErrorRecord(type(exc).__name__, str(exc).strip(), _error_origin(exc, sut.origin_dirs))
            calls.append(CredentialCall(schema_name, result, error, stop))
    return CredentialsRecord(
        tuple(calls),
        faults,
        backend.wire_log,
        backend.unmatched,
        backend.unconsumed(),
        tuple(egress),
        tuple(clock.sleeps),
    )
