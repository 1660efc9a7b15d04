"""A row keeps its partition across syncs, so merge finds it again."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from harness.checks._common import row_key, show_key
from harness.checks.context import CheckContext
from harness.runs.records import RunSpec
from harness.runs.targets import EndpointUnderTest

ID = "partition.stable"
LEVEL = "endpoint"
SCENARIOS = ("full", "resync")
PROVES = (
    "Running `full` then `resync` (a later sync where rows changed) through the Delta pipeline into one table: "
    "every yielded row has non-null partition keys, every primary key is in the table exactly once, and a row "
    "present after both syncs has the same partition value both times. Partitioning on a field that changes "
    "(updated_at) moves rows between partitions and duplicates them."
)
APPLIES = "endpoints whose SourceResponse asks for partitioning (partition_mode, partition_count or partition_size)."


def applies(target: EndpointUnderTest) -> bool:
    profile = target.profile
    return profile is not None and bool(
        profile.partition_mode or profile.partition_count or profile.partition_size or profile.partition_keys
    )


def check(ctx: CheckContext) -> None:
    from harness.pipeline import PARTITION_COLUMN  # the pipeline (Arrow, Delta Lake) loads with the first chain

    if ctx.endpoint.scenario("resync") is None:  # a live recording gets it later, with --resync
        ctx.inconclusive("no resync recording", f"python -m harness record {ctx.source_type} --live --resync")
    chain = ctx.chain(RunSpec("full"), RunSpec("resync"))
    first, second = chain.steps
    keys = ctx.primary_keys(first)
    partition_keys = (first.response.partition_keys if first.response else None) or keys
    for step in chain.steps:
        for row in step.rows:
            for field in partition_keys:
                if row.get(field) is None:
                    ctx.fail(
                        f"partition key {field!r} present and non-null in every row",
                        f"{step.spec.scenario} sync: row {show_key(row_key(row, keys), keys)} has "
                        f"{field}={row.get(field)!r}",
                        "partition on a creation-time field every row has (created_at, created)",
                    )
    if first.table is None or second.table is None:
        return
    before = {row_key(row, keys): row.get(PARTITION_COLUMN) for row in first.table.rows}
    placements: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
    for row in second.table.rows:
        placements[row_key(row, keys)].append(row.get(PARTITION_COLUMN))
    for key, partitions in sorted(placements.items(), key=lambda item: str(item[0])):  # table order varies
        if len(partitions) > 1:
            ctx.fail(
                "each primary key exactly once in the table after full + resync",
                f"{show_key(key, keys)} is in the table {len(partitions)} times, "
                f"in partitions {sorted(map(str, partitions))}: "
                f"the partition keys {list(partition_keys)} changed between syncs",
                "partition on a creation-time field (created_at), never on updated_at",
            )
    for key, partition in before.items():
        after = placements.get(key)
        if after and after[0] != partition:
            ctx.fail(
                "the same partition for a row in both syncs",
                f"{show_key(key, keys)} moved from partition {partition!r} to {after[0]!r}",
                "partition on a creation-time field (created_at), never on updated_at",
            )
    yielded = {row_key(row, keys) for step in chain.steps for row in step.rows}
    missing = [show_key(key, keys) for key in yielded if key not in placements and key in before]
    if missing and second.spec.scenario == "resync" and ctx.endpoint.incremental:
        ctx.fail(
            "every synced row in the table after the resync",
            f"{len(missing)} rows vanished, e.g. {missing[0]}",
            "keep partition values stable so merge updates rows in place",
        )
