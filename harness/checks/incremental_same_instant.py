"""Rows changed in the same instant as the watermark still reach the next incremental sync."""

from __future__ import annotations

from collections import Counter
from typing import Any

from harness.checks._common import row_key, show_key
from harness.checks._watermark import show
from harness.checks.context import CheckContext, listing
from harness.runs import same_instant
from harness.runs.same_instant import SameInstantRecord
from harness.runs.targets import EndpointUnderTest
from harness.runs.watermark_values import sort_value
from harness.simulators.loader import has_model

ID = "incremental.same_instant"
LEVEL = "endpoint"
SCENARIOS = ("full",)
PROVES = (
    "Against the vendor model (fixtures/<source>/simulator.py: vendor_model()), never the recording: after a full "
    "incremental sync, the vendor edits one delivered row that was not the last so that its incremental field "
    "equals exactly the watermark the sync left (the largest delivered value, at the precision the vendor stores) "
    "and creates one row with that value; the next incremental sync, from that watermark as the pipeline hands it "
    "over, delivers both, and the Delta table merged by primary key holds each row once at its latest value. A "
    "strictly-after filter, or a watermark moved forward 'to avoid duplicates', loses rows written in the same "
    "second after the sync read the vendor."
)
APPLIES = "incremental endpoints whose fixtures have a vendor model; otherwise not applicable: no simulator."
FIX = (
    "filter inclusively at the watermark (the vendor's at-or-after operator); where the vendor only offers "
    "strictly-after, send the watermark minus the vendor's precision (one second) and let the merge on the primary "
    "key drop the rows delivered again; never move the watermark forward"
)


def applies(target: EndpointUnderTest) -> bool:
    return target.incremental and has_model(target.sut.fixtures_root / target.source_type)


def _describe_changes(record: SameInstantRecord) -> str:
    keys, field = record.keys, record.field
    parts = []
    if record.updated is not None:
        parts.append(f"edited {show_key(record.updated, keys)} (delivered before with {field}={record.updated_from!r})")
    if record.inserted is not None:
        parts.append(f"created {show_key(record.inserted, keys)}")
    both = "both " if len(parts) > 1 else ""
    return " and ".join(parts) + f", {both}at {field}={show(record.watermark)}"


def _table_problems(record: SameInstantRecord, allow_duplicates: bool) -> list[str]:
    """What the merged Delta table gets wrong: a key stored twice, a changed row missing or at an older value."""
    keys, field = record.keys, record.field
    stored = [row_key(row, keys) for row in record.table_rows]
    problems = []
    if not allow_duplicates:
        twice = [show_key(key, keys) for key, count in Counter(stored).items() if count > 1]
        if twice:
            problems.append(f"{len(twice)} primary key(s) stored more than once in the table: {listing(twice)}")
    table = {row_key(row, keys): row for row in record.table_rows}
    for key in record.changed:
        row = table.get(key)
        if row is None:
            problems.append(f"{show_key(key, keys)} is not in the table")
        elif sort_value(row.get(field), record.field_type) != sort_value(record.watermark, record.field_type):
            problems.append(f"{show_key(key, keys)} is in the table with {field}={row.get(field)!r}")
    return problems


def _first_request(record: SameInstantRecord) -> str:
    first = record.incremental.first_request if record.incremental is not None else None
    return first.key.describe() if first is not None else "no request"


def check(ctx: CheckContext) -> None:
    record = same_instant.run(ctx.endpoint)
    ctx.require_clean(record.full)
    if record.incremental is not None:
        ctx.require_clean(record.incremental)
    field = record.field
    if record.incremental is not None:
        incremental = record.incremental
        delivered = {row_key(row, record.keys) for row in incremental.rows}
        lost = [show_key(key, record.keys) for key in record.changed if key not in delivered]
        if lost:
            ctx.fail(
                f"every row whose {field} equals the watermark the previous sync left ({show(record.watermark)}) "
                "to be delivered by the next incremental sync: the vendor may write more rows in the watermark's "
                'instant after a sync read it (DESIGN.md, "Rows at the watermark\'s instant")',
                f"after a full sync against the vendor model ({len(record.full.rows)} rows), the vendor "
                f"{_describe_changes(record)}; the next incremental sync from last_value={record.watermark!r} sent "
                f"{_first_request(record)} and delivered {len(incremental.rows)} row(s) but lost {len(lost)}: "
                f"{listing(lost)}",
                FIX,
            )
        allow_duplicates = bool(incremental.response and incremental.response.has_duplicate_primary_keys)
        problems = _table_problems(record, allow_duplicates)
        if problems:
            ctx.fail(
                f"the Delta table, merged by primary key after both syncs, to hold each row once at its latest {field}",
                f"the vendor {_describe_changes(record)}; " + "; ".join(problems),
                "declare the primary key the vendor identifies rows by, so the merge replaces a row delivered again",
            )
    if record.unexpressed or record.incremental is None:
        why = _inconclusive_reason(record)
        if why is not None:
            ctx.inconclusive(why, _inconclusive_fix(ctx))


def _inconclusive_reason(record: SameInstantRecord) -> str | None:
    full = record.full
    if record.field is None:
        return "the full scenario syncs without an incremental field, so there is no watermark to write at"
    if not full.rows:
        return "the full sync against the vendor model delivered no rows, so it left no watermark"
    if record.watermark is None:
        return f"no delivered row carries {record.field}, so the sync left no watermark"
    if not record.changed:
        return "the vendor model cannot write a row at the watermark: " + "; ".join(record.unexpressed)
    return None


def _inconclusive_fix(ctx: CheckContext) -> str:
    simulator: Any = ctx.sut.fixtures_root / ctx.source_type / "simulator.py"
    return (
        f"let vendor_model() in {simulator} edit or create {ctx.endpoint.name} rows at a given time (ListEndpoint "
        "touch/create with version_of and field set to the incremental field)"
    )
