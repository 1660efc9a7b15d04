"""The crash model at every checkpoint: nothing is lost, and a resumable source really resumes."""

from __future__ import annotations

from harness.checks._common import canonical, row_key, show_key
from harness.checks.context import CheckContext, listing
from harness.runs.records import ResumeRecord, RunSpec

ID = "resume.every_checkpoint"
LEVEL = "endpoint"
SCENARIOS = ("full",)
PROVES = (
    "For EVERY k from 1 to the number of batches of the full sync: the consumer holds batches 1..k-1, the process "
    "dies while handling batch k (code after the source's k-th yield never runs), and a new source instance runs "
    "with the same Redis state over a fresh replay. Then rows(1..k-1) plus the resumed rows cover every primary "
    "key of the full sync, repeated keys carry identical rows, and a resumable source that saved state before the "
    "crash does not start again from page 1 (it skips at least one request of the full sync); a resumable source "
    "that yields several batches saves state at all; each run is a new source instance. Saving the "
    "next position before the batch was handed over loses "
    "batch k and fails here."
)
APPLIES = "every endpoint with fixtures."


def _lost_evidence(record: ResumeRecord, lost: list[str]) -> str:
    k = record.crash_at
    crashed = record.crashed
    evidence = f"crash while handling batch {k}: {len(lost)} row(s) never came back, e.g. {listing(lost, 3)}"
    batch = crashed.batches[k - 1] if len(crashed.batches) >= k else None
    early = [state for state in crashed.states if batch is not None and state.requests_before >= batch.requests_before]
    if early:
        evidence += (
            f"; the state {early[-1].state!r} was saved after request {batch.requests_before} fetched batch {k} but "
            f"before batch {k} was yielded, so the resumed run started past it"
        )
    elif crashed.states:
        evidence += f"; last state saved before the crash: {crashed.states[-1].state!r}"
    first = record.resumed.first_request
    if first is not None:
        evidence += f"; the resumed run started at {first.url}"
    return evidence


def check(ctx: CheckContext) -> None:
    full = ctx.run(RunSpec("full"))
    keys = ctx.primary_keys(full)
    expected = {row_key(row, keys): row for row in full.rows}
    full_requests = {request.key for request in full.wire}
    if ctx.sut.resumable and len(full.batches) >= 2 and not full.states:
        ctx.fail(
            "a resumable source to save its position after each batch",
            f"the full sync yielded {len(full.batches)} batches and never called save_state: a crash restarts it "
            "from page 1",
            "call resumable_source_manager.save_state(...) with the next position after yielding each batch",
        )
    for k in range(1, len(full.batches) + 1):
        record = ctx.resume("full", k)
        durable = [row for batch in record.crashed.batches[: k - 1] for row in batch.rows]
        resumed = record.resumed.rows
        have = {row_key(row, keys) for row in durable} | {row_key(row, keys) for row in resumed}
        lost = [show_key(key, keys) for key in expected if key not in have]
        if lost:
            ctx.fail(
                'every row of the full sync after a crash and a resume (DESIGN.md, "The crash model")',
                _lost_evidence(record, lost),
                "call save_state(...) after the yield of each batch, never before handing the batch over",
            )
        resumed_requests = {request.key for request in record.resumed.wire}
        if ctx.sut.resumable and record.crashed.states and full_requests <= resumed_requests:
            first = record.resumed.first_request.url if record.resumed.first_request else "-"
            ctx.fail(
                "a resumable source to continue from its saved state",
                f"crash while handling batch {k} after saving {record.crashed.states[-1].state!r}; the new "
                f"instance requested all {len(full.wire)} pages of the full sync again, starting from page 1 "
                f"({first})",
                "in items(), load_state() when can_resume() and start from the saved position",
            )
        durable_text = {row_key(row, keys): canonical(row) for row in durable}
        for row in resumed:
            key = row_key(row, keys)
            if key in durable_text and durable_text[key] != canonical(row):
                ctx.fail(
                    "a re-yielded row to repeat the whole row (merge dedupes it)",
                    f"crash at batch {k}: {show_key(key, keys)} came back different after the resume",
                    "re-yield the same page content on resume",
                )
    if len(full.batches) < 2:
        ctx.inconclusive(
            f"the full sync yielded {len(full.batches)} batch(es) from {len(full.wire)} request(s), so no crash "
            "falls between two batches and resuming from saved state was never exercised",
            "record the full scenario with more rows than one batch holds (a smaller page size in the recording "
            "config, or more data in the simulator), or yield each page as it arrives instead of batching "
            "internally",
        )
