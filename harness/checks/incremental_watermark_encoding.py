"""Every request that carries a watermark carries it exactly as the vendor documents it."""

from __future__ import annotations

from typing import Any

from harness.checks._common import field_type
from harness.checks._watermark import declared_encoding, example, show
from harness.checks.context import CheckContext
from harness.runs.records import RunSpec
from harness.runs.targets import EndpointUnderTest
from harness.runs.watermark_values import carried_as, near_misses

ID = "incremental.watermark_encoding"
LEVEL = "endpoint"
SCENARIOS = ("incremental", "future", "resync", "earliest")
PROVES = (
    "Every request of every scenario with a watermark (incremental, future, resync, earliest) that carries "
    "last_value or earliest_value carries it in exactly the encoding the manifest declares from the vendor's "
    "documentation (iso8601-z, iso8601-offset, epoch-s, epoch-ms, date or a strftime pattern), read as the vendor "
    "decodes the request: an unencoded `+` arrives as a space, `str(datetime)` has a space for `T`, `isoformat()` "
    "an offset where `Z` is required, epoch seconds are not milliseconds. Watermarks reach the source typed as the "
    "pipeline hands them over (datetime, date, int)."
)
APPLIES = "incremental endpoints (the schema supports_incremental)."


def applies(target: EndpointUnderTest) -> bool:
    return target.incremental


def check(ctx: CheckContext) -> None:
    spec = declared_encoding(ctx)
    lookback = ctx.endpoint.fixtures.lookback_seconds
    for name in SCENARIOS:
        scenario = ctx.endpoint.scenario(name)
        if scenario is None:
            continue
        kind = field_type(ctx, scenario.incremental_field)
        record = ctx.run(RunSpec(name))
        if record.egress:
            ctx.require_clean(record)
        for key in ("last_value", "earliest_value"):
            value: Any = getattr(record.inputs, f"db_incremental_field_{key}")  # typed, as the source got it
            if value is None:
                continue
            for request in record.wire:
                exact = {field for field, _ in carried_as(request, value, kind, lookback, spec.encodings)}
                loose = near_misses(request, value, kind, lookback)
                wrong = [(field, text) for field, text in loose if field not in exact]
                if not wrong:
                    continue
                field, text = wrong[0]
                wanted = example(spec, value, kind)
                ctx.fail(
                    f"every request carrying the watermark to carry it as {spec.describe()}",
                    f"scenario {name!r}, {key} {show(value)}: {request.method} {request.url} sends {field}={text!r} "
                    f"(as the vendor decodes it), not {' or '.join(str(item) for item in spec.encodings)}",
                    f"send {field}={wanted!r}: format the typed watermark as {spec.encodings[0]} (not str() or "
                    "isoformat() of a datetime, not seconds for milliseconds) and pass it through requests' params= "
                    "so it is URL-encoded (an unencoded '+' reads as a space; DESIGN.md, \"Watermarks\")",
                )
