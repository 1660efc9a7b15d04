"""Rows delivered by webhook are yielded with the pull rows and merge by primary key."""

from __future__ import annotations

import json
from typing import Any

from harness.checks._common import need_scenario, row_key, show_key
from harness.checks.context import CheckContext
from harness.runs.records import RunSpec
from harness.runs.targets import EndpointUnderTest

ID = "webhook.merge"
LEVEL = "endpoint"
SCENARIOS = ("full", "resync")
PROVES = (
    "After a full sync through the Delta pipeline, the check writes webhook rows (modified copies of synced rows "
    "and one new row) as parquet into the webhook folder and runs the next sync: the source yields the webhook "
    "rows alongside the pull rows, and the table ends with every primary key exactly once, holding the webhook "
    "values."
)
APPLIES = "schemas with supports_webhooks=True of a WebhookSource."
MARK = " (webhook)"


def applies(target: EndpointUnderTest) -> bool:
    return target.webhooks


def _new_key_value(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value + 10_000_000
    return f"{value}-webhook"


def _editable_field(row: dict[str, Any], reserved: set[str]) -> str | None:
    return next((key for key, value in row.items() if isinstance(value, str) and key not in reserved), None)


def check(ctx: CheckContext) -> None:
    second = "resync" if ctx.endpoint.scenario("resync") else need_scenario(ctx, "full", "a pull sync").name
    full = ctx.run(RunSpec("full"))
    keys = ctx.primary_keys(full)
    pulled_again = {row_key(row, keys) for row in ctx.run(RunSpec(second)).rows}
    reserved = set(keys) | set(full.response.partition_keys or () if full.response else ())
    reserved |= {field.field for field in ctx.schema_incremental_fields()}
    if not full.rows:
        ctx.fail(
            "a full scenario with rows to build webhook rows from",
            f"the full sync of {ctx.endpoint.name!r} yielded no rows",
            f"record the full scenario over a dataset with rows (python -m harness record {ctx.source_type})",
        )
    candidates = [row for row in full.rows if row_key(row, keys) not in pulled_again]
    field = _editable_field(full.rows[0], reserved)
    modified = []
    for row in candidates[:2]:
        changed = dict(row)
        if field is not None:
            changed[field] = f"{row.get(field)}{MARK}"
        modified.append(changed)
    new = dict(full.rows[-1])
    for key in keys:
        new[key] = _new_key_value(new[key])
    webhook_rows = [*modified, new]
    spec = RunSpec(second, webhook_rows=json.dumps(webhook_rows, default=str))
    chain = ctx.chain(RunSpec("full"), spec)
    delivered = {row_key(row, keys) for row in chain.steps[1].rows}
    for row in webhook_rows:
        if row_key(row, keys) not in delivered:
            ctx.fail(
                "webhook-delivered rows yielded with the pull rows",
                f"the webhook folder held {len(webhook_rows)} rows; {show_key(row_key(row, keys), keys)} was never "
                "yielded",
                "chain self.get_webhook_source_manager(inputs).iter_tables() into items() for webhook schemas",
            )
    table = chain.steps[1].table
    if table is None:
        return
    counts: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for row in table.rows:
        counts.setdefault(row_key(row, keys), []).append(row)
    for row in webhook_rows:
        key = row_key(row, keys)
        stored = counts.get(key, [])
        if len(stored) != 1:
            ctx.fail(
                "each webhook row exactly once in the table (merged by primary key)",
                f"{show_key(key, keys)} is in the table {len(stored)} times",
                "yield webhook rows with the same primary key and partition fields as pull rows",
            )
        if field is not None and stored[0].get(field) != row.get(field):
            ctx.fail(
                "the webhook values to win for a row the webhook changed",
                f"{show_key(key, keys)} has {field}={stored[0].get(field)!r}, the webhook sent {row.get(field)!r}",
                "yield webhook rows after the pull rows of the same sync",
            )
