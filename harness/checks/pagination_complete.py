"""A full sync fetches every recorded page exactly once and stops."""

from __future__ import annotations

from harness.checks.context import CheckContext
from harness.runs.records import RunSpec

ID = "pagination.complete"
LEVEL = "endpoint"
SCENARIOS = ("full",)
PROVES = (
    "Replaying the recorded full sync strictly, the source requests every recorded page exactly once, asks for "
    "nothing that was not recorded (a repeated URL means the paginator does not advance; a request after the last "
    "page means it ignores has_more / the absent next link), terminates (the replay stops it after 10x the recorded "
    "requests) and does not stop early at a page cap."
)
APPLIES = "every endpoint with fixtures."


def check(ctx: CheckContext) -> None:
    record = ctx.run(RunSpec("full"))
    if record.page_caps:
        cap = record.page_caps[0]
        ctx.fail(
            "the full sync to reach the last page",
            f"it stopped at its page cap of {cap.max_pages} pages at {cap.url} with pages left",
            "raise the endpoint's max_pages (or remove the cap) so a full sync is complete",
        )
    if not record.wire:
        ctx.fail(
            "the full sync to request its recorded pages",
            f"the run made no request ({record.recorded_entries} recorded)",
            "check that items() actually pages through the endpoint",
        )
