"""The crash model when the vendor's data changes between the crash and the resume."""

from __future__ import annotations

import datetime as dt
from typing import Any, NoReturn

from harness.checks._common import row_key, show_key
from harness.checks.context import CheckContext, listing
from harness.runs import drift
from harness.runs.drift import DriftResumeRecord
from harness.runs.targets import EndpointUnderTest
from harness.simulators.loader import has_model

ID = "resume.under_drift"
LEVEL = "endpoint"
SCENARIOS = ("full",)
PROVES = (
    "For EVERY k from 1 to the number of batches of the full sync against the vendor model "
    "(fixtures/<source>/simulator.py: vendor_model()): the sync runs on dataset v1 and the process dies while "
    "handling batch k; the vendor's data then changes (seeded: a delivered row and a not-yet-delivered row are "
    "updated, so the vendor's sort moves them, one row is inserted; the last row delivered before the crash and "
    "the first row not yet delivered are deleted), a new source "
    "instance resumes with the same job id, and on incremental endpoints the next incremental sync runs from the "
    "watermark the pipeline stored. Every row of v2 (deleted rows aside) is then in the Delta table (batches "
    "1..k-1 merged with everything after by primary key) at its latest version. A paginator that saves a page "
    "number or an offset resumes past rows that moved and fails here, and so does a resume from the id of an "
    "object the vendor deleted (the vendor refuses it: the first line names k and the vendor's answer)."
)
APPLIES = "endpoints of resumable sources whose fixtures have a vendor model; otherwise not applicable: no simulator."


def applies(target: EndpointUnderTest) -> bool:
    return target.sut.resumable and has_model(target.sut.fixtures_root / target.source_type)


def _instant(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, str):
        try:
            return _instant(dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00")))
        except ValueError:
            return value
    return value


def same_version(stored: Any, latest: Any) -> bool:
    return stored == latest or _instant(stored) == _instant(latest)


def _evidence(record: DriftResumeRecord, keys: tuple[str, ...], lost: list[str], stale: list[str]) -> str:
    k = record.crash_at
    parts = [f"crash while handling batch {k}, then the vendor's data changed: {record.drift.describe(keys)}"]
    if lost:
        parts.append(f"{len(lost)} row(s) of the new version never reached the table: {listing(lost)}")
    if stale:
        parts.append(f"{len(stale)} row(s) are in the table at an older version: {listing(stale)}")
    if record.crashed.states:
        saved = record.crashed.states[-1].state
        parts.append(f"the resume started from the state saved after batch {k - 1}: {saved!r}")
    else:
        parts.append("no state was saved before the crash, so the resume started from the beginning")
    first = record.resumed.first_request
    if first is not None:
        parts.append(f"its first request was {first.key.describe()}")
    if record.incremental is not None:
        parts.append(f"the next incremental sync ran from {record.watermark!r}")
    return "; ".join(parts)


def _shortfall(record: DriftResumeRecord, keys: tuple[str, ...], incremental: bool) -> tuple[list[str], list[str]]:
    """Rows lost and rows left at an older version. A full-refresh endpoint is only asked for the rows that
    existed before the change (the next full refresh brings new rows and versions); an incremental one for every
    row of the new version at that version."""
    table = {row_key(row, keys): row for row in record.table_rows}
    wanted = [key for key in record.expected if incremental or key in record.existed]
    lost = [show_key(key, keys) for key in wanted if key not in table]
    field = record.version_field if incremental else None
    stale = [
        f"{show_key(key, keys)} has {field}={table[key].get(field)!r}, the vendor has {record.expected[key]!r}"
        for key in wanted
        if field and key in table and not same_version(table[key].get(field), record.expected[key])
    ]
    return lost, stale


def _error_outcome(record: DriftResumeRecord) -> str:
    """How the run after the change failed, for the per-crash-point list: the vendor's status, else the exception."""
    answer, run = record.stopped_on, record.failed_run
    assert run is not None and run.error is not None
    return f"failed ({answer.status if answer is not None else run.error.type})"


def _fail_on_error(ctx: CheckContext, record: DriftResumeRecord, keys: tuple[str, ...], per_k: str) -> NoReturn:
    run, answer = record.failed_run, record.stopped_on
    assert run is not None and run.error is not None
    which = "the resumed run" if run is record.resumed else "the incremental sync after the resume"
    evidence = [
        f"crash while handling batch {record.crash_at}, then the vendor's data changed: {record.drift.describe(keys)}",
        f"{which} raised {run.error.describe()}",
    ]
    if answer is not None:
        evidence.append(f"the vendor's answer: {answer.describe(600)}")
    if record.crashed.states:
        evidence.append(
            f"the resume started from the state saved before the crash: {record.crashed.states[-1].state!r}"
        )
    first = record.resumed.first_request
    if first is not None:
        evidence.append(f"the resumed run's first request was {first.key.describe()}")
    ctx.fail(
        f"the resume after a crash while handling batch {record.crash_at} to survive the vendor's changes while the "
        f"source was down, but {which} failed: "
        + (answer.describe(200) if answer is not None else f"it raised {run.error.describe()}"),
        "; ".join(evidence) + f". Per crash point: {per_k}",
        "resume from a position that does not name an object the vendor can delete (the last delivered row's sort "
        "value and the keys already delivered at it, or the vendor's keyset cursor), or answer the vendor's 'no "
        "such object' error by restarting from such a position",
    )


def check(ctx: CheckContext) -> None:
    plain = drift.baseline(ctx.endpoint)
    ctx.require_clean(plain)
    keys = ctx.primary_keys(plain)
    incremental = plain.inputs.should_use_incremental_field
    failures: list[tuple[DriftResumeRecord, list[str], list[str]]] = []
    errors: list[DriftResumeRecord] = []
    outcomes: list[str] = []
    for k in range(1, len(plain.batches) + 1):
        record = drift.resume_under_drift(ctx.endpoint, k)
        ctx.require_clean(record.crashed, allow_unconsumed=True)
        if record.failed_run is not None:
            for run in (record.resumed, record.incremental):
                if run is not None:
                    ctx.require_clean(run, allow_error=True)
            ctx.blame_misplaced_credential(record.failed_run)
            errors.append(record)
            outcomes.append(f"k={k}: {_error_outcome(record)}")
            continue
        ctx.require_clean(record.resumed)
        if record.incremental is not None:
            ctx.require_clean(record.incremental)
        lost, stale = _shortfall(record, keys, incremental)
        if lost or stale:
            failures.append((record, lost, stale))
            outcomes.append(f"k={k}: {len(lost)} lost" + (f", {len(stale)} stale" if stale else ""))
    if errors and (not failures or errors[0].crash_at < failures[0][0].crash_at):
        _fail_on_error(ctx, errors[0], keys, ", ".join(outcomes))
    if failures:
        record, lost, stale = failures[0]
        per_k = ", ".join(outcomes)
        ctx.fail(
            "every row of the vendor's new version in the table after a crash, a change of the data, a resume and "
            'the next incremental sync (DESIGN.md, "Under drift")',
            _evidence(record, keys, lost, stale) + f". Per crash point: {per_k}",
            "resume from a stable position, not a page number or an offset: save the last delivered (sort value, "
            "primary key) and restart the query filtered from it (rows at that value again, merge dedupes), or "
            "the vendor's own cursor where it encodes the position",
        )
