"""The watermark reaches the vendor: the API filters, not the source."""

from __future__ import annotations

import datetime as dt

from harness.checks._common import field_type, need_scenario, row_key, show_key
from harness.checks._watermark import declared_encoding, miss_evidence, show
from harness.checks.context import CheckContext
from harness.runs.records import RunRecord, RunSpec
from harness.runs.targets import EndpointUnderTest
from harness.runs.watermark_values import carries_value, shifted, sort_value

ID = "incremental.server_filter"
LEVEL = "endpoint"
SCENARIOS = ("full", "incremental")
PROVES = (
    "The incremental scenario's requests carry the watermark in the encoding the manifest declares from the "
    "vendor's documentation (inside a query value, a filter expression or a JSON body); running"
    " with a different, unrecorded watermark changes the requests (a probe captures the "
    "first request that differs and stops); the incremental sync fetches fewer pages than the full one; and every "
    "row it returns is at or past the watermark minus the endpoint's lookback_seconds. A source that pages "
    "through everything and filters client-side fails."
)
APPLIES = "incremental endpoints (the schema supports_incremental)."
PROBE_SHIFT_DAYS = 3


def applies(target: EndpointUnderTest) -> bool:
    return target.incremental


def probe(ctx: CheckContext, scenario: str, overrides: tuple[tuple[str, object], ...]) -> RunRecord:
    record = ctx.runs.run(ctx.endpoint, RunSpec(scenario, overrides=overrides, probe=True))
    if record.egress:
        ctx.require_clean(record)
    return record


def check(ctx: CheckContext) -> None:
    scenario = need_scenario(ctx, "incremental", "a watermark in the middle of the data")
    full = ctx.run(RunSpec("full"))
    incremental = ctx.run(RunSpec("incremental"))
    field, watermark = scenario.incremental_field, incremental.inputs.db_incremental_field_last_value
    kind = field_type(ctx, field)
    lookback = ctx.endpoint.fixtures.lookback_seconds
    spec = declared_encoding(ctx)
    if watermark is None:
        ctx.fail(
            "the incremental scenario to set last_value",
            f"[endpoints.{ctx.endpoint.name}.scenarios.incremental] has no last_value",
            "record the scenario with a watermark in the middle of the data and write it into the manifest",
        )
    moved = shifted(watermark, kind, PROBE_SHIFT_DAYS)
    probed = probe(ctx, "incremental", (("db_incremental_field_last_value", moved),))
    if probed.stop != "ProbeCaptured":
        ctx.fail(
            "a different watermark to change the request sent to the API",
            f"with last_value {moved!r} instead of {watermark!r} the source sent exactly the recorded requests "
            f"({len(probed.wire)} of them): the filter runs client-side",
            "send the watermark as the API's server-side filter parameter instead of filtering rows after fetching",
        )
    if not any(carries_value(request, watermark, kind, lookback, spec.encodings) for request in incremental.wire):
        first = incremental.first_request.url if incremental.first_request else "no request at all"
        loose = next(
            (text for r in incremental.wire if (text := miss_evidence(r, watermark, kind, lookback, spec))), None
        )
        ctx.fail(
            f"the watermark {field}={show(watermark)} in the incremental sync's requests (server-side filter), "
            f"encoded as {spec.describe()}",
            loose or f"no request carries it; the first was {first}",
            f"format the watermark as {spec.encodings[0]} and send it in the API's filter parameter"
            if loose
            else "map inputs.db_incremental_field_last_value into the API's filter parameter",
        )
    captured = probed.wire[-1]
    if not carries_value(captured, moved, kind, lookback, spec.encodings):
        ctx.fail(
            f"the request to carry the watermark it was given ({moved!r}), encoded as {spec.describe()}",
            miss_evidence(captured, moved, kind, lookback, spec)
            or f"with last_value {moved!r} the first changed request was {captured.key.describe()}",
            "derive the filter from inputs.db_incremental_field_last_value, not from a constant",
        )
    keys = incremental.response.primary_keys if incremental.response and incremental.response.primary_keys else ()
    floor = sort_value(watermark, kind)
    if hasattr(floor, "timestamp") and lookback:
        floor = floor - dt.timedelta(seconds=lookback)
    if not incremental.rows:
        ctx.inconclusive(
            f"the incremental scenario ({field} >= {watermark!r}) returned no rows, so no row could be compared "
            "with the watermark and no page could be skipped",
            "record the incremental scenario with a watermark in the middle of the data (some rows before it, "
            "some after)",
        )
    excluded = [row for row in full.rows if row.get(field) is not None and sort_value(row[field], kind) < floor]
    if full.rows and not excluded:
        ctx.inconclusive(
            f"the incremental scenario's watermark ({field} >= {watermark!r}) is at or before every row of the full "
            f"sync: it excluded nothing (the incremental sync fetched {incremental.pages_served} page(s), the full "
            f"sync {full.pages_served}), so skipping pages and the row floor were never exercised",
            "record the incremental scenario with a watermark in the middle of the data (some rows before it, "
            "some after)",
        )
    if full.pages_served > 1 and incremental.pages_served >= full.pages_served:
        ctx.fail(
            "the incremental sync to fetch fewer pages than the full one",
            f"incremental ({field} >= {watermark!r}) fetched {incremental.pages_served} pages, the full sync "
            f"{full.pages_served}",
            "filter server-side so pages before the watermark are never fetched",
        )
    for row in incremental.rows:
        value = row.get(field)
        if value is not None and sort_value(value, kind) < floor:
            ctx.fail(
                f"every incremental row at or past the watermark {field}={watermark!r} (lookback {lookback:g}s)",
                f"row {show_key(row_key(row, keys), keys)} has {field}={value!r}",
                "send the watermark to the API's filter (and set lookback_seconds in the manifest if it looks back)",
            )
