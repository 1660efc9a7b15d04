"""Every request on the wire went through the tracked transport."""

from __future__ import annotations

from collections import Counter

from harness.checks.context import CheckContext
from harness.replay.matching import request_key
from harness.runs.records import RunSpec
from sources.common.scrub import scrub_url

ID = "transport.tracked"
LEVEL = "endpoint"
SCENARIOS = ("full", "incremental", "future", "resync", "earliest")
PROVES = (
    "Every request of every recorded scenario that reached the wire has a matching tracked-transport "
    "RequestRecord (same method and URL), so each is logged, counted and attributed to the job: nothing goes around "
    "make_tracked_session (requests.get, requests.Session(), a vendor SDK's own client)."
)
APPLIES = "every endpoint with fixtures."


def check(ctx: CheckContext) -> None:
    secrets = ctx.sut.secrets

    def key(method: str, url: str) -> object:
        return request_key(method, scrub_url(url, secrets), None, None)

    for scenario in ctx.endpoint.fixtures.scenarios:  # an incremental code path may build its own session
        record = ctx.run(RunSpec(scenario))
        tracked = Counter(key(item.method, item.url) for item in record.tracked)
        for request in record.wire:
            wire_key = key(request.method, request.url)
            if tracked[wire_key] > 0:
                tracked[wire_key] -= 1
                continue
            origin = f" from {request.origin}" if request.origin else ""
            ctx.fail(
                "every request to go through the tracked transport",
                f"scenario {scenario!r}: {request.method} {request.url} was sent{origin} with no tracked-transport "
                "record",
                "use make_tracked_session() (or RESTClient, or inject the tracked session into the vendor SDK) "
                "instead of requests.get / requests.Session()",
            )
