"""The source hands over a batch at least every few requests."""

from __future__ import annotations

from harness.checks.context import CheckContext
from harness.runs.records import RunSpec

ID = "progress.safe_point"
LEVEL = "endpoint"
SCENARIOS = ("full",)
PROVES = (
    "During the full sync no more than 3 requests go by without a yielded batch: each yield is a safe point "
    "where the pipeline makes rows durable and a resumable source saves its position, so a crash or heartbeat "
    "timeout loses at most a few pages. Bypass with a written reason when the API cannot do better."
)
APPLIES = "every endpoint with fixtures."
MAX_REQUESTS_BETWEEN_YIELDS = 3


def check(ctx: CheckContext) -> None:
    record = ctx.run(RunSpec("full"))
    previous = 0
    for batch in record.batches:
        gap = batch.requests_before - previous
        if gap > MAX_REQUESTS_BETWEEN_YIELDS:
            ctx.fail(
                f"a yielded batch at least every {MAX_REQUESTS_BETWEEN_YIELDS} requests",
                f"batch {batch.index} came after {gap} requests without a yield "
                f"(requests {previous + 1}..{batch.requests_before} of {len(record.wire)})",
                "yield each page's rows as soon as the page is fetched, instead of collecting pages first",
            )
        previous = batch.requests_before
    trailing = len(record.wire) - previous
    if trailing > MAX_REQUESTS_BETWEEN_YIELDS:
        ctx.fail(
            f"a yielded batch at least every {MAX_REQUESTS_BETWEEN_YIELDS} requests",
            f"the last {trailing} requests (after batch {len(record.batches)}) yielded nothing",
            "yield each page's rows (an empty list for an empty page) as soon as the page is fetched",
        )
    if len(record.wire) <= MAX_REQUESTS_BETWEEN_YIELDS:
        ctx.inconclusive(
            f"the full sync made {len(record.wire)} request(s); a gap of more than {MAX_REQUESTS_BETWEEN_YIELDS} "
            "requests without a yield cannot occur in so few, so buffering pages would pass unseen",
            f"record the full scenario over more than {MAX_REQUESTS_BETWEEN_YIELDS} pages (a smaller page size in "
            "the recording config, or more data in the simulator)",
        )
