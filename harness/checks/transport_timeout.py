"""Every request carries a timeout."""

from __future__ import annotations

from harness.context import CheckContext
from harness.records import RunSpec

ID = "transport.timeout"
LEVEL = "endpoint"
SCENARIOS = ("full",)
PROVES = (
    "Every request of the full sync is sent with a timeout (both as the tracked transport recorded it and as it "
    "reached the wire), so a stalled vendor ends the request instead of hanging the sync."
)
APPLIES = "every endpoint with fixtures."


def check(ctx: CheckContext) -> None:
    record = ctx.run(RunSpec("full"))
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
