"""A 429 is waited out as the server asks, and an absurd wait fails fast."""

from __future__ import annotations

from harness.checks._common import fault_page, same_rows
from harness.checks.context import CheckContext
from harness.replay.faults import rate_limit
from harness.runs.records import RunSpec

ID = "faults.rate_limit"
LEVEL = "endpoint"
SCENARIOS = ("full",)
PROVES = (
    "When the vendor answers 429 with Retry-After: 7 before page k, the source sleeps (on the fake clock) at "
    "least 7 s, retries and finishes with the same rows as an undisturbed sync; when every answer from page k on "
    "is a 429 asking for a day, it fails promptly with an error that says so instead of sleeping for a day."
)
APPLIES = "every endpoint with fixtures."
RETRY_AFTER = 7
A_DAY = 86_400


def check(ctx: CheckContext) -> None:
    full = ctx.run(RunSpec("full"))
    page = fault_page(full)
    limited = ctx.runs.run(ctx.endpoint, RunSpec("full", faults=(rate_limit(page, RETRY_AFTER),)))
    ctx.require_clean(limited, allow_error=True)
    if limited.error is not None:
        ctx.fail(
            f"the sync to wait out a 429 with Retry-After: {RETRY_AFTER} and finish",
            f"it raised {limited.error.describe()} (slept {list(limited.sleeps)})",
            "retry 429 through the SDK's RetryPolicy (make_tracked_session's default does)",
        )
    if not any(sleep >= RETRY_AFTER for sleep in limited.sleeps):
        ctx.fail(
            f"a wait of at least {RETRY_AFTER}s after 429 with Retry-After: {RETRY_AFTER}",
            f"slept {list(limited.sleeps)} before retrying page {page}",
            "honour Retry-After (the SDK's RetryPolicy does; set reset_header for vendor headers)",
        )
    same_rows(ctx, full, limited, "the sync with a 429 mid-way", "retry the page that was rate-limited")

    day = ctx.runs.run(ctx.endpoint, RunSpec("full", faults=(rate_limit(page, A_DAY, times=None),)))
    slept = sum(day.sleeps)
    if slept >= A_DAY:
        ctx.fail(
            "a clear error instead of sleeping when the server asks to wait a day",
            f"429 Retry-After: {A_DAY} from page {page} on: the source slept {slept:.0f}s ({list(day.sleeps)})",
            "keep RetryPolicy.max_retry_after at a sane ceiling (default 300 s) so such a wait fails fast",
        )
    ctx.require_clean(day, allow_error=True, allow_unconsumed=True)
    if day.error is None:
        ctx.fail(
            "the sync to fail when every request is rate-limited for a day",
            f"it completed with {len(day.rows)} rows and no error",
            "raise the HTTP error instead of ending the sync as if the data ended",
        )
    text = f"{day.error.type} {day.error.message}".lower()
    if not any(word in text for word in ("429", "retry-after", "rate", "wait")):
        ctx.fail(
            "an error that says the API rate-limited the sync",
            f"429 Retry-After: {A_DAY} ended the sync with {day.error.describe()}",
            "let the SDK's RateLimitCeilingExceeded (or the 429 HTTP error) propagate instead of replacing it",
        )
