"""Rows come out in the order `sort_mode` promises."""

from __future__ import annotations

from harness.checks._common import field_type, row_key, show_key
from harness.checks.context import CheckContext
from harness.runs.records import RunRecord, RunSpec
from harness.runs.targets import EndpointUnderTest
from harness.runs.watermark_values import sort_value

ID = "sort.honest"
LEVEL = "endpoint"
SCENARIOS = ("full", "incremental")
PROVES = (
    "On an incremental endpoint, the incremental field of the rows the full and incremental syncs yield is "
    "non-decreasing when the SourceResponse says sort_mode='asc' and non-increasing when it says 'desc' — the "
    "pipeline advances the watermark on that promise, so a wrong sort_mode skips rows on the next sync."
)
APPLIES = "incremental endpoints (the schema supports_incremental)."


def applies(target: EndpointUnderTest) -> bool:
    return target.incremental


def check(ctx: CheckContext) -> None:
    compared = 0
    for name in ("full", "incremental"):
        scenario = ctx.endpoint.scenario(name)
        if scenario is not None:
            compared = max(compared, _check_order(ctx, ctx.run(RunSpec(name)), scenario.incremental_field))
    if compared < 2:
        ctx.inconclusive(
            f"no scenario yielded two rows with the incremental field (at most {compared}), so their order was "
            "never compared",
            "record the full scenario with several rows",
        )


def _check_order(ctx: CheckContext, record: RunRecord, field: str | None) -> int:
    """Fails on the first row out of order; returns how many rows carried the field."""
    fields = ctx.schema_incremental_fields()
    field = field or (fields[0].field if fields else None)
    if field is None or record.response is None:
        return 0
    kind = field_type(ctx, field)
    mode = record.response.sort_mode
    keys = record.response.primary_keys or ()
    previous = None
    compared = 0
    for row in record.rows:
        if row.get(field) is None:
            continue
        compared += 1
        value = sort_value(row[field], kind)
        if previous is not None:
            before_value, before_row = previous
            wrong = value < before_value if mode == "asc" else value > before_value
            if wrong:
                ctx.fail(
                    f"rows ordered by {field!r} {'ascending' if mode == 'asc' else 'descending'} (sort_mode={mode!r})",
                    f"{record.spec.scenario} sync: row {show_key(row_key(row, keys), keys)} with "
                    f"{field}={row[field]!r} comes after row {show_key(row_key(before_row, keys), keys)} with "
                    f"{field}={before_row[field]!r}",
                    "ask the API for that order explicitly (its sort parameter) or declare the sort_mode it returns",
                )
        previous = (value, row)
    return compared
