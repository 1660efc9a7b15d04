"""The sync follows the vendor's own pagination signals, read through the endpoint's declared contract."""

from __future__ import annotations

from harness.checks.context import CheckContext
from harness.fixtures.har import HarError, read_har
from harness.fixtures.manifest import Scenario
from harness.fixtures.pagination import Call
from harness.fixtures.pagination_walk import Finding, walk
from harness.runs.records import RunRecord, RunSpec

ID = "pagination.follows_vendor"
LEVEL = "endpoint"
SCENARIOS = ("full", "incremental", "future", "resync", "earliest")
PROVES = (
    "Read through the vendor's pagination contract declared in the manifest (never through the connector's "
    "paginator), every recorded response of every scenario and every replayed run agree with the vendor: each next "
    'page the vendor offered (Link rel="next", next URL, cursor with has_more, offset, page number) is the next '
    "request made, the sync stops exactly when the vendor says there is no more, and where the vendor states a total "
    "the rows of the listing add up to it. A recording made through a skipping or stopping paginator fails too."
)
APPLIES = "every endpoint with fixtures (the manifest must declare [endpoints.<name>.pagination])."

FIXES = {
    "skipped": "request exactly the next page the vendor offered in each response (its next URL or cursor, with "
    "the same other parameters) before anything else on that listing",
    "past_end": "stop when the vendor says there is no more (no next link, has_more false, the last page count)",
    "stopped": "keep paging until the vendor offers no next page; a page cap must not end a full sync",
    "total": "page through every page the vendor offers; the listing's rows must add up to the total it states",
    "position": "continue from the LAST row of the page before: its value as it is (not shifted), compared the way "
    "the contract declares (inclusive: drop the rows already received by id; strict: with the tie-break key)",
}
EXPECTED = {
    "skipped": "each next page the vendor offered to be the next request made",
    "past_end": "the sync to stop exactly where the vendor says there is no more",
    "stopped": "the sync to go on while the vendor offers a next page",
    "total": "the rows of each listing to add up to the total the vendor states",
    "position": "each keyset request to carry the position of the last row of the page before it",
}


def check(ctx: CheckContext) -> None:
    contract = ctx.endpoint.fixtures.pagination
    manifest = ctx.sut.manifest.path
    if contract is None:
        ctx.fail(
            "the vendor's pagination contract to be declared for the endpoint",
            f"{manifest} has no [endpoints.{ctx.endpoint.name}.pagination]",
            'declare the vendor\'s documented pagination, e.g. style = "link-header" (see DESIGN.md, '
            '"The vendor\'s pagination contract")',
        )
    scenarios = list(ctx.endpoint.fixtures.scenarios.values())
    for scenario in scenarios:  # the recording itself: a buggy connector's recording still carries the vendor's word
        try:
            entries = read_har(scenario.har).entries
        except HarError as exc:
            ctx.fail("a readable recording", str(exc), f"re-record it (python -m harness record {ctx.source_type})")
        finding = walk(contract, [Call.of_entry(entry) for entry in entries], truncated=scenario.truncated is not None)
        _report(ctx, finding, f"the recording {_name(scenario)}")
    for scenario in scenarios:  # and the connector's requests when the recording is replayed to it
        record = ctx.runs.run(ctx.endpoint, RunSpec(scenario.name))
        truncated = scenario.truncated is not None or not record.completed
        finding = walk(contract, _wire_calls(record, scenario), truncated=truncated)
        _report(ctx, finding, f"the replayed {_name(scenario)}")


def _name(scenario: Scenario) -> str:
    return f"scenario {scenario.name!r} ({scenario.har.parent.name}/{scenario.har.name})"


def _wire_calls(record: RunRecord, scenario: Scenario) -> list[Call]:
    entries = read_har(scenario.har).entries
    calls = []
    for request in record.wire:
        if request.entry is None:
            calls.append(Call(request.method, request.url, request.body, request.status))
            continue
        response = entries[request.entry].response
        calls.append(Call(request.method, request.url, request.body, response.status, response.headers, response.body))
    return calls


def _report(ctx: CheckContext, finding: Finding | None, where: str) -> None:
    if finding is None:
        return
    ctx.fail(EXPECTED[finding.kind], f"{where}: {finding.text}", FIXES[finding.kind])
