"""A stalled response ends in the request timeout, not a hang."""

from __future__ import annotations

from harness.checks._common import fault_page, same_rows
from harness.checks.context import CheckContext
from harness.replay.faults import stall
from harness.runs.records import RunSpec

ID = "faults.stall"
LEVEL = "endpoint"
SCENARIOS = ("full",)
PROVES = (
    "When the response to page k stalls, the request's timeout fires (the replay raises ReadTimeout when the "
    "request carried a timeout and records 'would hang' when it did not): the sync either retries and finishes "
    "with the same rows or fails with a timeout error — it never hangs."
)
APPLIES = "every endpoint with fixtures."


def check(ctx: CheckContext) -> None:
    full = ctx.run(RunSpec("full"))
    page = fault_page(full)
    stalled = ctx.runs.run(ctx.endpoint, RunSpec("full", faults=(stall(page),)))
    ctx.require_clean(stalled, allow_error=True, allow_unconsumed=True)
    if stalled.error is None:
        same_rows(ctx, full, stalled, "the sync with a stalled page", "retry the request that timed out")
        return
    text = f"{stalled.error.type} {stalled.error.message}".lower()
    if "timeout" not in text and "timed out" not in text:
        ctx.fail(
            "a stalled response to end in a timeout error (or a retry)",
            f"it ended with {stalled.error.describe()}",
            "let the requests timeout propagate (or retry it through the SDK's RetryPolicy)",
        )
