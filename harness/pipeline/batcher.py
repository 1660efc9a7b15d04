"""The Batcher: buffers what a source yields and hands out Arrow tables of bounded size."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from harness.pipeline.errors import BatchConversionError, InvalidItemError, PipelineConfigError, SyncTarget, first_line
from harness.pipeline.rows import row_sizes, rows_to_table

DEFAULT_MAX_ROWS = 5000
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
FIRST_CONVERSION_ROWS = 10

_UNNAMED = SyncTarget(source="?", endpoint="?")


class Batcher:
    """Buffers `dict` / `list[dict]` items into tables of `max_rows` rows or `max_bytes` bytes, whichever comes
    first. A `pyarrow.Table` passes through as it is (after the rows buffered before it), never re-buffered.

    With `batch_per_item`, every dict/list item ends its batch, so batch k holds exactly the source's k-th
    yield (split further only by the limits): the unit of the crash model, where a source saves its resume
    state after each yield.

    A row's size is its Arrow size (`rows.row_sizes`); a batch ends with the row that brings it to `max_bytes`,
    so it always holds at least one row. Rows are converted to Arrow in chunks sized from the average row width
    seen so far, so that neither the row count nor the bytes of one chunk run far past the batch limits.
    """

    def __init__(
        self,
        max_rows: int = DEFAULT_MAX_ROWS,
        max_bytes: int = DEFAULT_MAX_BYTES,
        target: SyncTarget = _UNNAMED,
        batch_per_item: bool = False,
    ) -> None:
        if max_rows < 1 or max_bytes < 1:
            raise PipelineConfigError(
                f"{target}: batch thresholds must be positive (max_rows={max_rows}, max_bytes={max_bytes})"
            )
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self.target = target
        self.batch_per_item = batch_per_item
        self._pending: list[dict[str, Any]] = []
        self._converted: list[tuple[pa.Table, pa.Array]] = []
        self._converted_rows = 0
        self._converted_bytes = 0
        self._rows_seen = 0
        self._bytes_seen = 0
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
            return
        if isinstance(item, dict):
            self._pending.append(item)
        elif isinstance(item, list):
            self._check_rows(item)
            self._pending.extend(item)
        else:
            raise InvalidItemError(
                f"{self.target}: item {self._items_seen} is a {type(item).__name__}; "
                "expected a dict, a list of dicts or a pyarrow.Table"
            )
        if self.batch_per_item:
            yield from self.flush()
        elif len(self._pending) >= self._conversion_rows():
            self._convert_pending()
            yield from self._full_batches()

    def flush(self) -> Iterator[pa.Table]:
        """Yield everything buffered, in batches within the limits."""
        self._convert_pending()
        yield from self._full_batches()
        if self._converted_rows:
            batch, _ = self._take(self._converted_rows)
            yield self._emit(batch)

    def batches(self, items: Iterable[Any]) -> Iterator[pa.Table]:
        """Every table for a whole stream of items, the last partial batch included."""
        for item in items:
            yield from self.add(item)
        yield from self.flush()

    def _check_rows(self, rows: list[Any]) -> None:
        if all(isinstance(row, dict) for row in rows):
            return
        position, row = next((i, row) for i, row in enumerate(rows) if not isinstance(row, dict))
        raise InvalidItemError(
            f"{self.target}: item {self._items_seen} is a list whose element {position} is a "
            f"{type(row).__name__}; a list item must hold dicts"
        )

    def _conversion_rows(self) -> int:
        """How many pending rows to collect before converting them: what still fits the current batch."""
        rows_left = self.max_rows - self._converted_rows
        if not self._rows_seen:
            return max(1, min(rows_left, FIRST_CONVERSION_ROWS))
        average = max(self._bytes_seen / self._rows_seen, 1)
        bytes_left = max(self.max_bytes - self._converted_bytes, 0)
        return max(1, min(rows_left, math.ceil(bytes_left / average)))

    def _convert_pending(self) -> None:
        if not self._pending:
            return
        rows, self._pending = self._pending, []
        table = rows_to_table(rows, self.target, self._batches_out + 1)
        if not table.num_rows:
            return  # rows without any key hold nothing to write
        sizes = row_sizes(table)
        total = pc.sum(sizes).as_py() or 0
        self._converted.append((table, sizes))
        self._converted_rows += table.num_rows
        self._converted_bytes += total
        self._rows_seen += table.num_rows
        self._bytes_seen += total

    def _full_batches(self) -> Iterator[pa.Table]:
        while self._converted_rows >= self.max_rows or self._converted_bytes >= self.max_bytes:
            _, sizes = self._combined()
            cut = self.max_rows
            reached = pc.index(pc.greater_equal(pc.cumulative_sum(sizes), self.max_bytes), True).as_py()
            if reached >= 0:
                cut = min(cut, reached + 1)
            batch, _ = self._take(cut)
            yield self._emit(batch)

    def _combined(self) -> tuple[pa.Table, pa.Array]:
        if len(self._converted) > 1:
            tables = [table for table, _ in self._converted]
            try:
                table = pa.concat_tables(tables, promote_options="permissive")
            except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
                raise BatchConversionError(
                    f"{self.target}: rows for batch {self._batches_out + 1} do not share column types: "
                    f"{first_line(error)}"
                ) from None
            sizes = pa.concat_arrays([sizes for _, sizes in self._converted])
            self._converted = [(table, sizes)]
        return self._converted[0]

    def _take(self, rows: int) -> tuple[pa.Table, pa.Array]:
        """Remove the first `rows` converted rows from the buffer and return them."""
        table, sizes = self._combined()
        head, head_sizes = table.slice(0, rows), sizes.slice(0, rows)
        rest, rest_sizes = table.slice(rows), sizes.slice(rows)
        self._converted = [(rest, rest_sizes)] if rest.num_rows else []
        self._converted_rows = rest.num_rows
        self._converted_bytes = (pc.sum(rest_sizes).as_py() or 0) if rest.num_rows else 0
        return head, head_sizes

    def _emit(self, table: pa.Table) -> pa.Table:
        self._batches_out += 1
        return table
