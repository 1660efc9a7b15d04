"""A 429 is waited out as the server asks, and an absurd wait fails fast: with `Retry-After`, and with the vendor's
own documented answer where the manifest declares one (`[rate_limit]`: a reset header in seconds or epoch)."""

from __future__ import annotations

from harness.checks._common import fault_page, same_rows
from harness.checks.context import CheckContext
from harness.fixtures.har import read_har
from harness.fixtures.manifest import RateLimitSignal
from harness.replay.faults import rate_limit
from harness.runs.frozen_time import recording_time
from harness.runs.records import RunRecord, RunSpec

ID = "faults.rate_limit"
LEVEL = "endpoint"
SCENARIOS = ("full",)
PROVES = (
    "When the vendor answers 429 with Retry-After: 7 before page k, the source sleeps (on the fake clock) at "
    "least 7 s, retries and finishes with the same rows as an undisturbed sync; when every answer from page k on "
    "is a 429 asking for a day, it fails promptly with an error that says so instead of sleeping for a day. Where "
    "the manifest declares the vendor's own over-the-limit answer ([rate_limit]: its status, a reset header in "
    "seconds or as an epoch second), the same holds for that answer."
)
APPLIES = "every endpoint with fixtures."
RETRY_AFTER = 7
A_DAY = 86_400


def _asking(signal: RateLimitSignal | None, wait: int) -> str:
    if signal is None:
        return f"429 with Retry-After: {wait}"
    return f"the vendor's answer asking for {wait}s ({signal.describe()})"


def check(ctx: CheckContext) -> None:
    full = ctx.run(RunSpec("full"))
    page = fault_page(full)
    _waits_it_out(ctx, full, page, None, 0.0)
    _fails_fast_on_a_day(ctx, page, None, 0.0)
    signal = ctx.sut.manifest.rate_limit
    if signal is not None:
        # An epoch reset counts from the run's frozen time: the `full` recording's.
        now = recording_time(read_har(ctx.endpoint.fixtures.scenarios["full"].har)).timestamp()
        _waits_it_out(ctx, full, page, signal, now)
        _fails_fast_on_a_day(ctx, page, signal, now)


def _waits_it_out(ctx: CheckContext, full: RunRecord, page: int, signal: RateLimitSignal | None, now: float) -> None:
    limited = ctx.runs.run(ctx.endpoint, RunSpec("full", faults=(rate_limit(page, RETRY_AFTER, 1, signal, now),)))
    ctx.require_clean(limited, allow_error=True)
    fix = (
        "retry 429 through the SDK's RetryPolicy (make_tracked_session's default does)"
        if signal is None
        else f"read the vendor's {signal.reset_header} ({signal.reset_kind}): "
        f'RetryPolicy(reset_header="{signal.reset_header}", reset_header_kind="{signal.reset_kind}")'
        + (f", and retry its {signal.status} (retry_response=...)" if signal.status != 429 else "")
    )
    if limited.error is not None:
        ctx.fail(
            f"the sync to wait out {_asking(signal, RETRY_AFTER)} and finish",
            f"it raised {limited.error.describe()} (slept {list(limited.sleeps)})",
            fix,
        )
    if not any(sleep >= RETRY_AFTER for sleep in limited.sleeps):
        ctx.fail(
            f"a wait of at least {RETRY_AFTER}s after {_asking(signal, RETRY_AFTER)}",
            f"slept {list(limited.sleeps)} before retrying page {page}",
            "honour Retry-After (the SDK's RetryPolicy does; set reset_header for vendor headers)"
            if signal is None
            else fix,
        )
    same_rows(ctx, full, limited, "the sync with a 429 mid-way", "retry the page that was rate-limited")


def _fails_fast_on_a_day(ctx: CheckContext, page: int, signal: RateLimitSignal | None, now: float) -> None:
    day = ctx.runs.run(ctx.endpoint, RunSpec("full", faults=(rate_limit(page, A_DAY, None, signal, now),)))
    slept = sum(day.sleeps)
    if slept >= A_DAY:
        ctx.fail(
            "a clear error instead of sleeping when the server asks to wait a day",
            f"{_asking(signal, A_DAY)} from page {page} on: the source slept {slept:.0f}s ({list(day.sleeps)})",
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
    words = ("429", "retry-after", "rate", "wait", str(signal.status) if signal else "429")
    if not any(word in text for word in words):
        ctx.fail(
            "an error that says the API rate-limited the sync",
            f"{_asking(signal, A_DAY)} ended the sync with {day.error.describe()}",
            "let the SDK's RateLimitCeilingExceeded (or the 429 HTTP error) propagate instead of replacing it",
        )
