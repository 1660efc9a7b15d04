"""A watermark after all data yields nothing and ends."""

from __future__ import annotations

from harness.checks._common import need_scenario, row_key, show_key
from harness.checks.context import CheckContext
from harness.runs.records import RunSpec
from harness.runs.targets import EndpointUnderTest

ID = "incremental.future"
LEVEL = "endpoint"
SCENARIOS = ("future",)
PROVES = (
    "With a watermark later than every row, the incremental sync makes exactly the recorded requests, yields zero "
    "rows and terminates."
)
APPLIES = "incremental endpoints (the schema supports_incremental)."


def applies(target: EndpointUnderTest) -> bool:
    return target.incremental


def check(ctx: CheckContext) -> None:
    scenario = need_scenario(ctx, "future", "a watermark after all data: zero rows")
    record = ctx.run(RunSpec("future"))
    if record.rows:
        keys = record.response.primary_keys if record.response and record.response.primary_keys else ()
        row = record.rows[0]
        ctx.fail(
            f"zero rows for a watermark after all data ({scenario.incremental_field}={scenario.last_value!r})",
            f"{len(record.rows)} rows, e.g. {show_key(row_key(row, keys), keys)} with "
            f"{scenario.incremental_field}={row.get(scenario.incremental_field or '')!r}",
            "filter server-side on the watermark (and do not re-yield the last page when nothing is newer)",
        )
