"""The Batcher: buffers what a source yields and hands out Arrow tables of bounded size."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pyarrow as pa

from harness.pipeline.errors import InvalidItemError, PipelineConfigError, SyncTarget
from harness.pipeline.rows import encode_row, rows_to_table

DEFAULT_MAX_ROWS = 5000
DEFAULT_MAX_BYTES = 200 * 1024 * 1024

_UNNAMED = SyncTarget(source="?", endpoint="?")


class Batcher:
    """Buffers `dict` / `list[dict]` items into tables of `max_rows` rows or `max_bytes` bytes, whichever comes
    first. A `pyarrow.Table` passes through as it is (after the rows buffered before it), never re-buffered.

    The byte size of buffered rows is an estimate of their Arrow size (string/bytes lengths, 8 bytes for other
    scalars); a batch is cut as soon as the estimate reaches `max_bytes`, so it holds at least one row.
    """

    def __init__(
        self,
        max_rows: int = DEFAULT_MAX_ROWS,
        max_bytes: int = DEFAULT_MAX_BYTES,
        target: SyncTarget = _UNNAMED,
    ) -> None:
        if max_rows < 1 or max_bytes < 1:
            raise PipelineConfigError(
                f"{target}: batch thresholds must be positive (max_rows={max_rows}, max_bytes={max_bytes})"
            )
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self.target = target
        self._rows: list[dict[str, Any]] = []
        self._bytes = 0
        self._items_seen = 0
        self._batches_out = 0

    def add(self, item: Any) -> Iterator[pa.Table]:
        """Take one yielded item; yield every table that is ready because of it."""
        self._items_seen += 1
        if isinstance(item, pa.RecordBatch):
            item = pa.Table.from_batches([item])
        if isinstance(item, pa.Table):
            yield from self.flush()
            if item.num_rows:
                yield self._emit(item)
        elif isinstance(item, dict):
            yield from self._add_row(item)
        elif isinstance(item, list):
            for position, row in enumerate(item):
                if not isinstance(row, dict):
                    raise InvalidItemError(
                        f"{self.target}: item {self._items_seen} is a list whose element {position} is a "
                        f"{type(row).__name__}; a list item must hold dicts"
                    )
                yield from self._add_row(row)
        else:
            raise InvalidItemError(
                f"{self.target}: item {self._items_seen} is a {type(item).__name__}; "
                "expected a dict, a list of dicts or a pyarrow.Table"
            )

    def flush(self) -> Iterator[pa.Table]:
        """Yield the buffered rows as one table, if there are any."""
        if self._rows:
            rows, self._rows, self._bytes = self._rows, [], 0
            yield self._emit(rows_to_table(rows, self.target, self._batches_out + 1))

    def batches(self, items: Iterable[Any]) -> Iterator[pa.Table]:
        """Every table for a whole stream of items, the last partial batch included."""
        for item in items:
            yield from self.add(item)
        yield from self.flush()

    def _add_row(self, row: dict[str, Any]) -> Iterator[pa.Table]:
        encoded, size = encode_row(row)
        self._rows.append(encoded)
        self._bytes += size
        if len(self._rows) >= self.max_rows or self._bytes >= self.max_bytes:
            yield from self.flush()

    def _emit(self, table: pa.Table) -> pa.Table:
        self._batches_out += 1
        return table
