"""Primary-key checks for a batch: presence, nulls and duplicates."""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

from harness.pipeline.errors import (
    DuplicatePrimaryKeyError,
    MissingColumnError,
    NullPrimaryKeyError,
    SyncTarget,
)

_ROW_INDEX = "__row_index"
_EXAMPLES_SHOWN = 5


def require_columns(table: pa.Table, columns: Sequence[str], role: str, target: SyncTarget, batch_index: int) -> None:
    """Raise naming the first of `columns` the batch lacks; `role` says what the column is for."""
    for column in columns:
        if column not in table.column_names:
            raise MissingColumnError(
                f"{target}: {role} column {column!r} is missing from batch {batch_index} "
                f"(columns: {', '.join(table.column_names) or 'none'})"
            )


def require_non_null_keys(table: pa.Table, primary_keys: Sequence[str], target: SyncTarget, batch_index: int) -> None:
    for key in primary_keys:
        nulls = table.column(key).null_count
        if nulls:
            raise NullPrimaryKeyError(
                f"{target}: primary key column {key!r} is null in {nulls} row(s) of batch {batch_index}"
            )


def _describe_key(row: dict[str, object], primary_keys: Sequence[str]) -> str:
    return ", ".join(f"{key}={row[key]!r}" for key in primary_keys)


def deduplicate_keys(
    table: pa.Table,
    primary_keys: Sequence[str],
    allow_duplicates: bool,
    target: SyncTarget,
    batch_index: int,
) -> pa.Table:
    """The batch with one row per primary key.

    Duplicates are an error naming the repeated keys, unless the source declared them expected; then the last
    row of each key wins (the same rule that makes a later batch's row win over an earlier one's in a merge).
    """
    keys = list(primary_keys)
    counts = table.select(keys).group_by(keys, use_threads=False).aggregate([([], "count_all")])
    if counts.num_rows == table.num_rows:
        return table
    if not allow_duplicates:
        repeated = counts.filter(pc.greater(counts.column("count_all"), 1))
        examples = [
            f"({_describe_key(row, keys)}) x{row['count_all']}"
            for row in repeated.slice(0, _EXAMPLES_SHOWN).to_pylist()
        ]
        more = f" and {repeated.num_rows - _EXAMPLES_SHOWN} more" if repeated.num_rows > _EXAMPLES_SHOWN else ""
        raise DuplicatePrimaryKeyError(
            f"{target}: batch {batch_index} repeats primary key ({', '.join(keys)}): {'; '.join(examples)}{more}"
        )
    indexed = table.select(keys).append_column(_ROW_INDEX, pa.array(range(table.num_rows), type=pa.int64()))
    last_rows = indexed.group_by(keys, use_threads=False).aggregate([(_ROW_INDEX, "max")])
    keep = pc.sort_indices(last_rows.column(f"{_ROW_INDEX}_max"))
    return table.take(pc.take(last_rows.column(f"{_ROW_INDEX}_max"), keep))
