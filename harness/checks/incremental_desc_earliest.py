"""A descending source scrolls older rows from the earliest value it has synced."""

from __future__ import annotations

from harness.checks._common import field_type, need_scenario
from harness.checks._watermark import declared_encoding
from harness.checks.context import CheckContext
from harness.runs.records import RunSpec
from harness.runs.targets import EndpointUnderTest
from harness.runs.watermark_values import carries_value, shifted

ID = "incremental.desc_earliest"
LEVEL = "endpoint"
SCENARIOS = ("earliest",)
PROVES = (
    "On an endpoint that can only sort descending, the `earliest` scenario (last_value and earliest_value both "
    "set) replays strictly, some request carries db_incremental_field_earliest_value (rows older than it are "
    "requested), and a different, unrecorded earliest value changes the requests: an interrupted first sync "
    "continues into older rows instead of stopping at the newest ones."
)
APPLIES = "incremental endpoints whose SourceResponse has sort_mode='desc', or with an `earliest` scenario."
PROBE_SHIFT_DAYS = -2


def applies(target: EndpointUnderTest) -> bool:
    descending = target.profile is not None and target.profile.sort_mode == "desc"
    return target.incremental and (descending or target.scenario("earliest") is not None)


def check(ctx: CheckContext) -> None:
    scenario = need_scenario(ctx, "earliest", "last_value and earliest_value set: scrolling older rows")
    kind = field_type(ctx, scenario.incremental_field)
    spec = declared_encoding(ctx)
    record = ctx.runs.run(ctx.endpoint, RunSpec("earliest"))
    earliest = record.inputs.db_incremental_field_earliest_value
    if record.egress:
        ctx.require_clean(record)
    if earliest is None:
        ctx.fail(
            "the earliest scenario to set earliest_value",
            f"[endpoints.{ctx.endpoint.name}.scenarios.earliest] has no earliest_value",
            "record the scenario with both last_value and earliest_value and write both into the manifest",
        )
    if not any(carries_value(request, earliest, kind, 0, spec.encodings) for request in record.wire):
        ctx.fail(
            f"a request for rows older than earliest_value {earliest!r}",
            f"none of the {len(record.wire)} requests carries it (first: "
            f"{record.first_request.url if record.first_request else '-'})",
            "with sort_mode='desc', request rows older than inputs.db_incremental_field_earliest_value first, then "
            "rows newer than db_incremental_field_last_value",
        )
    ctx.require_clean(record)
    moved = shifted(earliest, kind, PROBE_SHIFT_DAYS)
    probed = ctx.runs.run(
        ctx.endpoint,
        RunSpec("earliest", overrides=(("db_incremental_field_earliest_value", moved),), probe=True),
    )
    if probed.stop != "ProbeCaptured" or not carries_value(probed.wire[-1], moved, kind, 0, spec.encodings):
        ctx.fail(
            "a different earliest_value to change the request for older rows",
            f"with earliest_value {moved!r} instead of {earliest!r} the source sent "
            + (probed.wire[-1].key.describe() if probed.stop == "ProbeCaptured" else "exactly the recorded requests"),
            "derive the older-rows filter from inputs.db_incremental_field_earliest_value",
        )
