"""Writing batches into one Delta Lake table: overwrite-then-append for full refresh, merge for incremental."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import TableNotFoundError

from harness.pipeline.delta_types import storable
from harness.pipeline.errors import DeltaWriteError, PipelineConfigError, SyncTarget, first_line
from harness.pipeline.keys import deduplicate_keys, require_columns, require_non_null_keys
from harness.pipeline.partitioning import PARTITION_COLUMN, PartitionSpec, add_partition_column
from harness.pipeline.schema_alignment import align_to_schema

WriteDisposition = Literal["full_refresh", "incremental"]


def quote_identifier(name: str) -> str:
    """A column name quoted for a Delta merge predicate (case and odd characters preserved)."""
    return '"' + name.replace('"', '""') + '"'


def merge_predicate(columns: Sequence[str]) -> str:
    return " AND ".join(f"target.{quote_identifier(c)} = source.{quote_identifier(c)}" for c in columns)


def open_table(path: Path) -> DeltaTable | None:
    try:
        return DeltaTable(str(path))
    except TableNotFoundError:
        return None


def arrow_schema(table: DeltaTable) -> pa.Schema:
    return pa.schema(table.schema().to_arrow())


class DeltaWriter:
    """Writes one run's batches to the table at `table_dir`.

    full_refresh: the first batch overwrites the table (schema and partitioning included), later batches append;
    new columns are merged into the schema. incremental: merge on primary keys plus the partition column
    (update matched rows, insert the rest, new columns merged); the first write creates the table.

    Partitioning follows `partition`, except that an incremental run into an existing unpartitioned table keeps
    it unpartitioned (its rows have no partition values to match on).
    """

    def __init__(
        self,
        table_dir: Path,
        *,
        disposition: WriteDisposition,
        primary_keys: Sequence[str] | None,
        partition: PartitionSpec | None,
        allow_duplicate_keys: bool,
        target: SyncTarget,
    ) -> None:
        self.table_dir = Path(table_dir)
        self.disposition = disposition
        self.primary_keys = list(primary_keys or [])
        self.allow_duplicate_keys = allow_duplicate_keys
        self.target = target
        if disposition == "incremental" and not self.primary_keys:
            raise PipelineConfigError(f"{target}: an incremental sync needs primary keys to merge on, got none")
        self._table = open_table(self.table_dir)
        self.partition = self._effective_partition(partition)
        self._batches_written = 0

    @property
    def partition_column(self) -> str | None:
        return PARTITION_COLUMN if self.partition is not None else None

    def _effective_partition(self, partition: PartitionSpec | None) -> PartitionSpec | None:
        existing = self._table.metadata().partition_columns if self._table is not None else []
        if partition is None:
            if existing and (self.disposition == "incremental" or PARTITION_COLUMN in existing):
                raise PipelineConfigError(
                    f"{self.target}: the table at {self.table_dir} is partitioned by {', '.join(existing)} "
                    "but the source declares no partitioning; remove the table to change its partitioning"
                )
            return None
        if self._table is None or self.disposition == "full_refresh":
            return partition
        if not existing:
            return None
        if existing != [PARTITION_COLUMN]:
            raise PipelineConfigError(
                f"{self.target}: the table at {self.table_dir} is partitioned by {', '.join(existing)}, "
                f"not by {PARTITION_COLUMN!r}"
            )
        return partition

    def prepare(self, batch: pa.Table, batch_index: int) -> pa.Table:
        """Check keys, add the partition column and fit existing column types; nothing is written."""
        require_columns(batch, self.primary_keys, "primary key", self.target, batch_index)
        if self.disposition == "incremental":
            require_non_null_keys(batch, self.primary_keys, self.target, batch_index)
            batch = deduplicate_keys(batch, self.primary_keys, self.allow_duplicate_keys, self.target, batch_index)
        if self.partition is not None:
            batch = add_partition_column(batch, self.partition, self.target, batch_index)
        batch = storable(batch, self.target, batch_index)
        if self._table is not None and not self._replaces_table():
            batch = align_to_schema(batch, arrow_schema(self._table), self.target, batch_index)
        return batch

    def write(self, batch: pa.Table, batch_index: int) -> int:
        """Prepare and write one batch; returns the number of rows written."""
        prepared = self.prepare(batch, batch_index)
        if prepared.num_rows == 0:
            return 0
        try:
            self._write(prepared)
        except Exception as error:  # deltalake raises DeltaError, plain Exception or OSError, with Rust backtraces
            raise DeltaWriteError(
                f"{self.target}: writing batch {batch_index} to the Delta table at {self.table_dir} failed: "
                f"{first_line(error)}"
            ) from error
        if self._table is None:
            self._table = DeltaTable(str(self.table_dir))
        self._batches_written += 1
        return prepared.num_rows

    def _write(self, prepared: pa.Table) -> None:
        partition_by = [PARTITION_COLUMN] if self.partition is not None else None
        # Writing through the open DeltaTable (a write or a merge) moves it to the new version in place.
        destination = self._table if self._table is not None else str(self.table_dir)
        if self._replaces_table():
            write_deltalake(destination, prepared, mode="overwrite", schema_mode="overwrite", partition_by=partition_by)
        elif self._table is None or self.disposition == "full_refresh":
            write_deltalake(destination, prepared, mode="append", schema_mode="merge", partition_by=partition_by)
        else:
            self._merge(self._table, prepared)

    def _replaces_table(self) -> bool:
        return self.disposition == "full_refresh" and self._batches_written == 0

    def _merge(self, table: DeltaTable, batch: pa.Table) -> None:
        match_on = [*self.primary_keys, *([PARTITION_COLUMN] if self.partition is not None else [])]
        (
            table.merge(
                batch,
                predicate=merge_predicate(match_on),
                source_alias="source",
                target_alias="target",
                merge_schema=True,
            )
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .execute()
        )
