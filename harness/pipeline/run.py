"""`run`: one sync of a `SourceResponse` into a Delta table, the way a warehouse pipeline would do it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa

from harness.pipeline.batcher import DEFAULT_MAX_BYTES, DEFAULT_MAX_ROWS, Batcher
from harness.pipeline.delta_writer import DeltaWriter, WriteDisposition
from harness.pipeline.errors import SyncTarget
from harness.pipeline.partitioning import PartitionSpec
from harness.pipeline.watermarks import Watermark, WatermarkStore, WatermarkTracker
from sources.common.typings import SourceInputs, SourceResponse


@dataclasses.dataclass(frozen=True)
class BatchEvent:
    """One batch about to be written: `index` counts from 1, `table` is the batch as the Batcher made it."""

    index: int
    table: pa.Table
    target: SyncTarget


BatchObserver = Callable[[BatchEvent], None]
"""Called before each batch is written. An exception it raises stops the run with batch `index` unwritten."""


@dataclasses.dataclass(frozen=True)
class RunResult:
    rows_written: int
    batches: int
    watermark: Watermark | None
    table_path: Path
    partition_column: str | None
    write_disposition: WriteDisposition


def run(
    source_response: SourceResponse,
    inputs: SourceInputs,
    table_dir: Path | str,
    *,
    observer: BatchObserver | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
    max_bytes: int = DEFAULT_MAX_BYTES,
    batch_per_item: bool = False,
    watermark_store: WatermarkStore | None = None,
    source_name: str | None = None,
) -> RunResult:
    """Pull every item from the source, batch it and write it to the Delta table at `table_dir`.

    Incremental (merge) when `inputs.should_use_incremental_field`, full refresh otherwise. Each batch is
    durable before the next is pulled; the watermark is stored in `watermark_store` (default: the table
    directory) after each batch and at the end. `batch_per_item` makes each yielded item its own batch (see
    `Batcher`). Whatever is raised (by the source, the observer or the pipeline) propagates with the table
    and watermark as they were after the last written batch.
    """
    table_path = Path(table_dir)
    target = SyncTarget(source=source_name or inputs.source_id, endpoint=source_response.name)
    disposition: WriteDisposition = "incremental" if inputs.should_use_incremental_field else "full_refresh"
    writer = DeltaWriter(
        table_path,
        disposition=disposition,
        primary_keys=source_response.primary_keys,
        partition=PartitionSpec.from_response(source_response, target),
        allow_duplicate_keys=bool(source_response.has_duplicate_primary_keys),
        target=target,
    )
    tracker = (
        WatermarkTracker.from_inputs(inputs, source_response.sort_mode, target)
        if disposition == "incremental"
        else None
    )
    store = watermark_store or WatermarkStore(table_path)
    batcher = Batcher(max_rows=max_rows, max_bytes=max_bytes, target=target, batch_per_item=batch_per_item)

    rows_written = 0
    batches = 0
    for index, batch in enumerate(batcher.batches(source_response.items()), start=1):
        if observer is not None:
            observer(BatchEvent(index=index, table=batch, target=target))
        bounds = tracker.bounds(batch, index) if tracker is not None else None
        rows_written += writer.write(batch, index)
        batches = index
        if tracker is not None and bounds is not None:
            store.save(tracker.advance(bounds))

    watermark = None
    if tracker is not None:
        watermark = tracker.finish()
        store.save(watermark)
    return RunResult(
        rows_written=rows_written,
        batches=batches,
        watermark=watermark,
        table_path=table_path,
        partition_column=writer.partition_column,
        write_disposition=disposition,
    )
