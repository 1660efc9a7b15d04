"""Every request carries a timeout."""

from __future__ import annotations

from harness.checks.context import CheckContext
from harness.runs.records import RunRecord, RunSpec

ID = "transport.timeout"
LEVEL = "endpoint"
SCENARIOS = ("full", "incremental", "future", "resync", "earliest")
PROVES = (
    "Every request of every recorded scenario is sent with a timeout (both as the tracked transport recorded it "
    "and as it reached the wire), so a stalled vendor ends the request instead of hanging the sync."
)
APPLIES = "every endpoint with fixtures."


def check(ctx: CheckContext) -> None:
    for scenario in ctx.endpoint.fixtures.scenarios:  # an incremental code path may build its own session
        _check_run(ctx, ctx.run(RunSpec(scenario)))


def _check_run(ctx: CheckContext, record: RunRecord) -> None:
    for tracked in record.tracked:
        if tracked.timeout is None:
            ctx.fail(
                "a timeout on every request",
                f"{tracked.method} {tracked.url} was sent with timeout=None",
                "keep make_tracked_session's default timeout (never pass timeout=None)",
            )
    for request in record.wire:
        if request.timeout is None:
            origin = f" (sent from {request.origin})" if request.origin else ""
            ctx.fail(
                "a timeout on every request",
                f"{request.method} {request.url}{origin} reached the wire with no timeout",
                "send it through make_tracked_session, which sets a default timeout",
            )
