"""Runs: the crash model, what a RunRecord captures, and the per-session cache."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from acme_vendor.corpus import GOOD, copy_fixtures
from acme_vendor.source import AcmeSource, constant

from harness.replay.faults import rate_limit
from harness.runs import engine as run
from harness.runs.engine import RunCache
from harness.runs.records import RunSpec
from harness.suite.api import run_check
from harness.suite.suite import Suite
from sources.common.registry import SourceRegistry


@pytest.fixture
def tickets(acme_root: Path):
    return Suite(acme_root).target(GOOD, "tickets")


def test_a_crash_at_batch_k_keeps_k_batches_and_never_runs_the_code_after_the_kth_yield(tickets) -> None:
    full = RunCache().run(tickets, RunSpec("full"))
    record = RunCache().resume(tickets, "full", 2)

    assert record.crashed.crashed
    assert [batch.rows for batch in record.crashed.batches] == [batch.rows for batch in full.batches[:2]]
    # The good source saves after each yield: after batch 1 only, since the process died in batch 2.
    assert [state.after_batch for state in record.crashed.states] == [1]
    assert record.resumed.loaded_states == (record.crashed.states[-1].state,)
    assert record.resumed.rows == [row for batch in full.batches[1:] for row in batch.rows]


def test_a_run_record_holds_requests_batches_states_and_is_immutable(tickets) -> None:
    record = RunCache().run(tickets, RunSpec("full"))

    assert record.completed
    assert len(record.wire) == len(record.tracked) == record.recorded_entries == record.pages_served
    assert [batch.requests_before for batch in record.batches] == list(range(1, len(record.batches) + 1))
    assert [state.after_batch for state in record.states] == list(range(1, len(record.batches)))
    assert all(request.timeout is not None for request in record.wire)
    assert not any("Bearer" in value for request in record.wire for _, value in request.headers)
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.error = None  # type: ignore[misc]


def test_fault_runs_record_fake_clock_sleeps(tickets) -> None:
    record = RunCache().run(tickets, RunSpec("full", faults=(rate_limit(2, 7),)))

    assert record.completed
    assert 7.0 in record.sleeps
    assert [request.status for request in record.wire][:3] == [200, 429, 200]


def test_runs_are_cached_per_spec(tickets) -> None:
    cache = RunCache()

    assert cache.run(tickets, RunSpec("full")) is cache.run(tickets, RunSpec("full"))
    assert cache.run(tickets, RunSpec("full")) is not cache.run(tickets, RunSpec("incremental"))


def test_a_pipeline_chain_reads_the_delta_table_back(tickets) -> None:
    chain = RunCache().chain(tickets, (RunSpec("full"), RunSpec("resync")))
    first, second = chain.steps

    assert first.table is not None and second.table is not None
    assert sorted(row["id"] for row in first.table.rows) == sorted(row["id"] for row in first.rows)
    assert {row["id"] for row in second.table.rows} == {row["id"] for row in first.rows + second.rows}


class SpinsWithoutRequests(AcmeSource):
    """A loop that neither requests nor yields: only the wall-time watchdog can end it."""

    source_type = constant("acme_spins")

    def pages(self, client, endpoint, phases, manager):  # type: ignore[no-untyped-def]
        yield from super().pages(client, endpoint, phases, manager)
        while True:
            pass


def test_a_run_that_spins_without_requests_is_stopped_by_the_watchdog(
    acme_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run, "RUN_WALL_TIME_LIMIT_SECONDS", 0.3)
    copy_fixtures(acme_root / GOOD, "acme_spins", tmp_path / "acme_spins")
    SourceRegistry.register(SpinsWithoutRequests)
    try:
        verdict = run_check("acme_spins", "agents", "pagination.complete", fixtures_root=tmp_path, fresh=True)
    finally:
        SourceRegistry.unregister("acme_spins")

    assert verdict.status == "failed"
    assert "expected the sync to terminate" in (verdict.message or "")
    assert "still running after 0.3s of wall time" in (verdict.message or "")


def test_a_crash_read_off_the_full_runs_checkpoints_is_the_crash_run_itself(tickets) -> None:
    full = RunCache().run(tickets, RunSpec("full"))
    assert len(full.checkpoints) == len(full.batches) >= 3

    for k in range(1, len(full.batches) + 1):
        real = run.execute(tickets, RunSpec("full", crash_at=k), keep_state=True)
        derived = run.crash_prefix(full, k)

        assert derived is not None and derived.crashed and real.crashed
        assert derived.spec == real.spec
        assert [batch.rows for batch in derived.batches] == [batch.rows for batch in real.batches]
        assert derived.states == real.states
        assert [request.key for request in derived.wire] == [request.key for request in real.wire]
        assert len(derived.tracked) == len(real.tracked)
        # The saved state a crash at k leaves in Redis is the checkpoint's.
        manager = tickets.sut.fresh_source().get_resumable_source_manager(real.inputs)
        assert derived.checkpoints[-1].resume_state == run.get_redis_client().get(manager.key)
        manager.clear_state()


def test_every_crash_point_comes_from_one_run_and_equal_saved_states_share_the_resumed_run(tickets) -> None:
    cache = RunCache()
    records = [cache.resume(tickets, "full", k) for k in range(1, 4)]

    assert [record.crashed.crashed for record in records] == [True, True, True]
    assert records[0].crashed.states == ()  # nothing saved before batch 1 was handed over: a fresh start
    assert records[0].resumed.loaded_states == ()
    assert records[1].resumed.loaded_states == (records[1].crashed.states[-1].state,)
    assert cache.resume(tickets, "full", 2).resumed is records[1].resumed


def test_a_run_that_did_not_complete_gives_no_crash_points(tickets) -> None:
    full = RunCache().run(tickets, RunSpec("full"))
    stopped = dataclasses.replace(full, stop="ReplayStop", stop_message="stopped")

    assert run.crash_prefix(full, 1) is not None
    assert run.crash_prefix(stopped, 1) is None
    assert run.crash_prefix(full, len(full.batches) + 1) is None


def test_a_chain_step_whose_plain_run_was_made_feeds_its_batches_to_the_pipeline_with_the_same_table(tickets) -> None:
    steps = (RunSpec("full"), RunSpec("resync"))
    real = RunCache().chain(tickets, steps)
    cache = RunCache()
    plain = [cache.run(tickets, step) for step in steps]
    shared = cache.chain(tickets, steps)

    for made, fed, run_record in zip(real.steps, shared.steps, plain, strict=True):
        assert fed.spec == made.spec and fed.spec.pipeline
        assert fed.wire == run_record.wire  # the source did not run again
        assert fed.error is None and made.error is None
        assert fed.table is not None and made.table is not None
        assert sorted(map(repr, fed.table.rows)) == sorted(map(repr, made.table.rows))
