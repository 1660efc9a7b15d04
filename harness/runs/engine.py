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
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import structlog
import structlog.testing

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
    Checkpoint,
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
from sources.common.redis_client import get_redis_client
from sources.common.rest_source import PageCapHit
from sources.common.resumable import StateLoaded, StateSaved
from sources.common.typings import SourceInputs, SourceResponse

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
    # pyarrow is imported only by runs that need it (the pipeline, webhook rows, a source yielding Arrow): an item
    # cannot be an Arrow table unless something has imported pyarrow already.
    pa = sys.modules.get("pyarrow")
    if pa is not None and isinstance(item, pa.RecordBatch):
        item = pa.Table.from_batches([item])
    if pa is not None and isinstance(item, pa.Table):
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
    import pyarrow as pa
    import pyarrow.parquet as pq

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
        self.on_batch: Callable[[int], None] | None = None

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
            if self.on_batch is not None:
                self.on_batch(len(self.batches))
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
    resume_state: bytes | None = None,
) -> RunRecord:
    """Run `spec` once, from a fresh replay of the scenario's HAR (or from `backend`, e.g. a vendor model).

    `resume_state` (raw, as a checkpoint read it) is put in Redis under the run's resume key first: the run is then
    the new source instance that starts after a crash. A plain run of a scenario (no faults, crash, overrides,
    probe or pipeline) records a checkpoint at every batch handed over, with a resumable source's resume state
    (`RunRecord.checkpoints`)."""
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
    resume_key = _resume_key(sut, inputs) if sut.resumable else None
    if resume_key is not None and resume_state is not None:
        get_redis_client().set(resume_key, resume_state)
    observer = _Observer(backend)
    checkpoints: list[Checkpoint] = []
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
        readable = resume_key is not None or not sut.resumable
        if readable and job_id is None and spec == RunSpec(scenario=spec.scenario):
            # A plain run of a scenario is what the crash model reads its crash points off (RunCache.resume).
            observer.on_batch = _checkpointer(observer, checkpoints, clock, logs, stdlib_logs, resume_key, started)
        try:
            response = open_response(source, sut.config, inputs)
            profile = ResponseProfile.of(response)
            if spec.pipeline:
                from harness import pipeline  # Arrow and Delta Lake: only for runs through the pipeline

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
        from harness import pipeline

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
        checkpoints=tuple(checkpoints),
    )


def _resume_key(sut: SourceUnderTest, inputs: SourceInputs) -> str | None:
    """The Redis key the source keeps its resume state under for `inputs`, asked of an instance of its own (the one
    under test is not touched); None when it cannot tell (the run then falls back to crashing for real)."""
    try:
        key = sut.fresh_source().get_resumable_source_manager(inputs).key  # type: ignore[attr-defined]
    except Exception:
        return None
    return key if isinstance(key, str) else None


def _checkpointer(
    observer: _Observer,
    checkpoints: list[Checkpoint],
    clock: Any,
    logs: list[Any],
    stdlib_logs: list[Any],
    resume_key: str | None,
    started: float,
) -> Callable[[int], None]:
    """Records a `Checkpoint` per batch handed over; the resume state is read from Redis when there is a key."""
    client = get_redis_client() if resume_key is not None else None

    def checkpoint(batch: int) -> None:
        checkpoints.append(
            Checkpoint(
                batch=batch,
                wire=observer.backend.request_count,
                tracked=len(observer.tracked),
                states=len(observer.states),
                loaded=len(observer.loaded),
                page_caps=len(observer.page_caps),
                sleeps=len(clock.sleeps),
                logs=(*logs, *stdlib_logs),
                resume_state=client.get(resume_key) if client is not None and resume_key is not None else None,
                seconds=time.perf_counter() - started,
            )
        )

    return checkpoint


def crash_prefix(full: RunRecord, crash_at: int) -> RunRecord | None:
    """The run that crashes while handling batch `crash_at`, read off a complete run of the same spec: replay is
    deterministic, so until batch k is handed over the two runs are the same run, and a crash leaves nothing of what
    came after. None when `full` cannot stand for it (it did not complete cleanly, or has no such checkpoint).

    The crashed record holds the first k batches and what was recorded before batch k was handed over; its
    `unconsumed` entries are not tracked (the crash model never requires them)."""
    if not full.completed or full.egress or full.hangs or full.unmatched or len(full.checkpoints) < crash_at:
        return None
    point = full.checkpoints[crash_at - 1]
    return dataclasses.replace(
        full,
        spec=dataclasses.replace(full.spec, crash_at=crash_at),
        wire=full.wire[: point.wire],
        tracked=full.tracked[: point.tracked],
        batches=full.batches[:crash_at],
        states=full.states[: point.states],
        loaded_states=full.loaded_states[: point.loaded],
        unconsumed=(),
        sleeps=full.sleeps[: point.sleeps],
        page_caps=full.page_caps[: point.page_caps],
        logs=point.logs,
        crashed=True,
        duration=point.seconds,
        checkpoints=full.checkpoints[:crash_at],
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
    """The crash model at checkpoint `crash_at` (DESIGN.md, "The crash model")."""
    job_id = f"conformance-resume-{next(_job_counter)}"
    crashed = execute(target, RunSpec(scenario=scenario, crash_at=crash_at), job_id=job_id, keep_state=True)
    resumed = execute(target, RunSpec(scenario=scenario), job_id=job_id, allow_unconsumed_entries=True)
    return ResumeRecord(crash_at, crashed, resumed)


def execute_chain(
    target: EndpointUnderTest, steps: tuple[RunSpec, ...], recorded: tuple[RunRecord | None, ...] = ()
) -> ChainRecord:
    """The steps' syncs one after the other into one Delta table. A step whose plain run is already `recorded`
    (in the same position) feeds that run's batches to the pipeline instead of running the source again."""
    table_dir = work_root() / f"table-{next(_job_counter)}"
    records = []
    for index, step in enumerate(steps):
        piped = dataclasses.replace(step, pipeline=True)
        earlier = recorded[index] if index < len(recorded) else None
        if earlier is not None and _replayable(earlier):
            records.append(_pipeline_from(earlier, piped, table_dir))
        else:
            records.append(execute(target, piped, table_dir=table_dir))
    return ChainRecord(tuple(records))


def _replayable(record: RunRecord) -> bool:
    """A run whose batches the pipeline would have received unchanged: it completed cleanly and every batch was
    rows (dicts), kept as yielded. Arrow batches are not (their types do not survive the record's rows)."""
    clean = record.completed and not (record.egress or record.hangs or record.unmatched or record.unconsumed)
    return (
        clean
        and record.response is not None
        and all(batch.kind in ("list", "dict") and batch.problem is None for batch in record.batches)
    )


def _pipeline_from(recorded: RunRecord, spec: RunSpec, table_dir: Path) -> RunRecord:
    """`spec` (a pipeline run) made of `recorded`: replay is deterministic, so the source would yield the same
    batches again; only the pipeline runs, over them."""
    from harness import pipeline

    profile = recorded.response
    assert profile is not None
    batches = [list(batch.rows) if batch.kind == "list" else dict(batch.rows[0]) for batch in recorded.batches]
    response = SourceResponse(
        name=profile.name,
        items=lambda: iter(batches),
        primary_keys=list(profile.primary_keys) if profile.primary_keys else None,
        partition_count=profile.partition_count,
        partition_size=profile.partition_size,
        partition_keys=list(profile.partition_keys) if profile.partition_keys else None,
        partition_mode=profile.partition_mode,  # type: ignore[arg-type]
        partition_format=profile.partition_format,  # type: ignore[arg-type]
        sort_mode=profile.sort_mode,  # type: ignore[arg-type]
        has_duplicate_primary_keys=profile.has_duplicate_primary_keys,
    )
    started = time.perf_counter()
    error: ErrorRecord | None = None
    table: TableSnapshot | None = None
    try:
        with structlog.testing.capture_logs():
            result = pipeline.run(response, recorded.inputs, table_dir, source_name=recorded.source_type)
        # A sync that yields no batch leaves the table as the previous sync of a chain left it.
        written = result.batches or (Path(result.table_path) / "_delta_log").is_dir()
        rows = pipeline.read_table(result.table_path).to_pylist() if written else []
        table = TableSnapshot(result.table_path, tuple(rows), result.partition_column)
    except Exception as exc:
        error = ErrorRecord(type(exc).__name__, str(exc).strip(), None)
    if table is None and (table_dir / "_delta_log").is_dir():
        table = TableSnapshot(table_dir, tuple(pipeline.read_table(table_dir).to_pylist()), None)
    return dataclasses.replace(
        recorded,
        spec=spec,
        error=error,
        table=table,
        duration=recorded.duration + time.perf_counter() - started,
        checkpoints=(),
    )


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
        """The crash model at `crash_at`. The crashed run is read off the scenario's complete run (its checkpoint
        at batch k holds the saved state a crash there leaves); the new instance's run is shared by every k that
        leaves the same saved state. Without checkpoints (a source whose resume key cannot be read, a run that
        did not complete), the crash happens for real."""
        key = self._key(target, "resume", scenario, crash_at)
        if key not in self._runs:
            crashed = crash_prefix(self.run(target, RunSpec(scenario=scenario)), crash_at)
            if crashed is None:
                self._runs[key] = execute_resume(target, scenario, crash_at)
            else:
                state = crashed.checkpoints[-1].resume_state
                resumed_key = self._key(target, "resumed", scenario, state)
                if resumed_key not in self._runs:
                    job_id = f"conformance-resume-{next(_job_counter)}"
                    self._runs[resumed_key] = execute(
                        target,
                        RunSpec(scenario=scenario),
                        job_id=job_id,
                        allow_unconsumed_entries=True,
                        resume_state=state,
                    )
                self._runs[key] = ResumeRecord(crash_at, crashed, self._runs[resumed_key])
        return self._runs[key]

    def chain(self, target: EndpointUnderTest, steps: tuple[RunSpec, ...]) -> ChainRecord:
        """Steps whose plain run another check already made share it: only the pipeline runs for them."""
        key = self._key(target, "chain", steps)
        if key not in self._runs:
            recorded = tuple(
                self._runs.get(self._key(target, "run", dataclasses.replace(step, pipeline=False))) for step in steps
            )
            self._runs[key] = execute_chain(target, steps, recorded)
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
