"""Every row carries its primary key, non-null and unique across the whole sync."""

from __future__ import annotations

from typing import Any

from harness.checks._common import row_key, show_key
from harness.checks.context import CheckContext
from harness.runs.records import RunSpec

ID = "rows.primary_key"
LEVEL = "endpoint"
SCENARIOS = ("full",)
PROVES = (
    "In the full sync, every yielded row has each declared primary-key field, none is null, and no key appears "
    "twice across the run (unless the SourceResponse declares has_duplicate_primary_keys): merge on the primary "
    "key can neither drop nor double a row."
)
APPLIES = "every endpoint with fixtures."


def check(ctx: CheckContext) -> None:
    record = ctx.run(RunSpec("full"))
    keys = ctx.primary_keys(record)
    seen: dict[tuple[Any, ...], tuple[int, int]] = {}
    for batch in record.batches:
        for position, row in enumerate(batch.rows):
            missing = [key for key in keys if key not in row]
            if missing:
                ctx.fail(
                    f"primary key {list(keys)} in every row",
                    f"batch {batch.index} row {position} has no {missing[0]!r}; its fields: {sorted(row)[:12]}",
                    "declare the id field the API returns, or add it to each row",
                )
            key = row_key(row, keys)
            if any(value is None for value in key):
                ctx.fail(
                    "non-null primary keys",
                    f"batch {batch.index} row {position} has {show_key(key, keys)}",
                    "pick a primary key the API always fills",
                )
            if key in seen and not (record.response and record.response.has_duplicate_primary_keys):
                first_batch, first_row = seen[key]
                ctx.fail(
                    "each primary key once per sync",
                    f"{show_key(key, keys)} is yielded in batch {first_batch} row {first_row} and again in batch "
                    f"{batch.index} row {position}",
                    "make pages not overlap (advance the offset/cursor by what was returned) or declare a unique key",
                )
            seen.setdefault(key, (batch.index, position))
