"""A transient 5xx is retried; a persistent one fails within a bounded number of attempts."""

from __future__ import annotations

from harness.checks._common import fault_page, same_rows
from harness.checks.context import CheckContext
from harness.replay.faults import server_error
from harness.runs.records import RunSpec

ID = "faults.transient"
LEVEL = "endpoint"
SCENARIOS = ("full",)
PROVES = (
    "A single 503 before page k is retried and the sync finishes with the same rows; a 503 on every request from "
    "page k on ends the sync with an error after a bounded number of attempts (at most 10 for that page), never "
    "silently as if the data ended and never retrying forever."
)
APPLIES = "every endpoint with fixtures."
MAX_ATTEMPTS = 10


def check(ctx: CheckContext) -> None:
    full = ctx.run(RunSpec("full"))
    page = fault_page(full)
    once = ctx.runs.run(ctx.endpoint, RunSpec("full", faults=(server_error(page),)))
    ctx.require_clean(once, allow_error=True)
    if once.error is not None:
        ctx.fail(
            f"a single 503 before page {page} to be retried",
            f"the sync raised {once.error.describe()}",
            "retry 5xx through the SDK's RetryPolicy (make_tracked_session's default does)",
        )
    same_rows(ctx, full, once, "the sync with one 503 mid-way", "retry the page that failed")

    always = ctx.runs.run(ctx.endpoint, RunSpec("full", faults=(server_error(page, times=None),)))
    attempts = sum(1 for request in always.wire if request.page == page and request.fault)
    if attempts > MAX_ATTEMPTS:
        ctx.fail(
            f"at most {MAX_ATTEMPTS} attempts at a page that keeps answering 503",
            f"page {page} was requested {attempts} times ({always.stop_message or 'then the sync ended'})",
            "bound retries (RetryPolicy.max_attempts)",
        )
    ctx.require_clean(always, allow_error=True, allow_unconsumed=True)
    if always.error is None:
        ctx.fail(
            "a persistent 503 to fail the sync",
            f"every request from page {page} on answered 503 and the sync ended without error after "
            f"{len(always.rows)} rows",
            "raise on the final 5xx (response.raise_for_status()) instead of treating it as the end of data",
        )
