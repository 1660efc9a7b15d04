"""The incremental field the user picked is the one the source filters on."""

from __future__ import annotations

import contextlib
from typing import Any

from harness.checks._common import need_scenario
from harness.checks._watermark import declared_encoding
from harness.checks.context import CheckContext
from harness.checks.incremental_watermark_encoding import ID as ENCODING_CHECK
from harness.replay.base import WireRequest
from harness.runs.records import RunSpec
from harness.runs.targets import EndpointUnderTest
from harness.runs.watermark_values import WatermarkTypeError, carries_value, shifted, typed_watermark

ID = "incremental.honours_field"
LEVEL = "endpoint"
SCENARIOS = ("full", "incremental")
PROVES = (
    "For each incremental field the schema advertises, a probe run with that field chosen "
    "(inputs.incremental_field) and an unrecorded watermark of that field's type sends a request carrying that "
    "watermark, and the requests for different fields differ: the chosen field drives the filter. A source that "
    "always filters on INCREMENTAL_FIELDS[...][0] sends the same request for every field and fails."
)
APPLIES = "incremental endpoints (the schema supports_incremental)."
PROBE_SHIFT_DAYS = 5


def applies(target: EndpointUnderTest) -> bool:
    return target.incremental


def _watermark_for(ctx: CheckContext, field: str, kind: str, fallback: Any) -> Any:
    """A value of this field from the middle of the full sync's rows, moved off any recorded value."""
    full = ctx.run(RunSpec("full"))
    values = sorted(row[field] for row in full.rows if row.get(field) is not None)
    base = values[len(values) // 2] if values else fallback
    with contextlib.suppress(WatermarkTypeError):
        base = typed_watermark(base, kind)  # handed over as the pipeline would: typed by the field's type
    return shifted(base, kind, PROBE_SHIFT_DAYS)


def check(ctx: CheckContext) -> None:
    need_scenario(ctx, "incremental", "a watermark in the middle of the data")
    lookback = ctx.endpoint.fixtures.lookback_seconds
    spec = declared_encoding(ctx)
    captured: dict[str, WireRequest] = {}
    # One watermark per field type: fields of one type get the same value, so only the field can differ.
    watermarks: dict[str, Any] = {}
    for field in ctx.schema_incremental_fields():
        if field.field_type not in watermarks:
            fallback = ctx.run(RunSpec("incremental")).inputs.db_incremental_field_last_value
            watermarks[field.field_type] = _watermark_for(ctx, field.field, field.field_type, fallback)
        watermark = watermarks[field.field_type]
        overrides = (
            ("incremental_field", field.field),
            ("incremental_field_type", field.field_type),
            ("db_incremental_field_last_value", watermark),
        )
        record = ctx.runs.run(ctx.endpoint, RunSpec("incremental", overrides=overrides, probe=True))
        if record.egress:
            ctx.require_clean(record)
        if record.stop != "ProbeCaptured":
            ctx.fail(
                f"choosing incremental field {field.field!r} with watermark {watermark!r} to change the request",
                "the source sent exactly the recorded requests of the incremental scenario",
                "filter on inputs.incremental_field with inputs.db_incremental_field_last_value",
            )
        request = record.wire[-1]
        if not carries_value(request, watermark, field.field_type, lookback, spec.encodings):
            if carries_value(request, watermark, field.field_type, lookback):
                # The field drives the filter; only the encoding is off, and that check owns it.
                ctx.fail_as(
                    ENCODING_CHECK,
                    f"sends the watermark of {field.field!r} but not as {spec.describe()}",
                    f"the request to filter on the chosen field {field.field!r} with its watermark {watermark!r} "
                    f"(encoded as {spec.describe()})",
                    f"with incremental_field={field.field!r} the source sent {request.key.describe()}",
                    f'format the watermark as {spec.encodings[0]} (DESIGN.md, "Watermarks")',
                )
            ctx.fail(
                f"the request to filter on the chosen field {field.field!r} with its watermark {watermark!r} "
                f"(encoded as {spec.describe()})",
                f"with incremental_field={field.field!r} the source sent {request.key.describe()}",
                "read inputs.incremental_field (never INCREMENTAL_FIELDS[...][0]) and map the watermark to that "
                "field's filter parameter",
            )
        for other, other_request in captured.items():
            if other_request.key == request.key:
                ctx.fail(
                    "a different request for each advertised incremental field",
                    f"choosing {field.field!r} sent the same request as choosing {other!r}: {request.key.describe()}",
                    "read inputs.incremental_field (never INCREMENTAL_FIELDS[...][0]) and filter on that field",
                )
        captured[field.field] = request
