"""The Delta table a drift check merges every step's batches into, by primary key (Arrow and Delta Lake)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from harness import pipeline
from harness.pipeline.batcher import Batcher
from harness.pipeline.delta_writer import DeltaWriter
from harness.pipeline.errors import SyncTarget
from harness.pipeline.partitioning import PartitionSpec
from harness.pipeline.watermarks import Watermark, WatermarkTracker
from harness.runs.records import BatchRecord, RunRecord
from harness.simulators.model import Key


class DriftTable:
    """One Delta table every step's batches are merged into by primary key; tracks the incremental watermark."""

    def __init__(self, record: RunRecord, path: Path) -> None:
        assert record.response is not None
        self.path = path
        self.response = record.response
        self.target = SyncTarget(source=record.source_type, endpoint=record.endpoint)
        field = record.inputs.incremental_field if record.inputs.should_use_incremental_field else None
        self.tracker = (
            WatermarkTracker(Watermark(field), self.response.sort_mode, self.target) if field is not None else None
        )
        self.index = 0

    def merge(self, batches: Iterable[BatchRecord]) -> None:
        """One step's batches as one merge (a later batch's row wins, as batch-by-batch merges would have it)."""
        names = tuple(self.response.primary_keys or ())
        latest: dict[Key, dict[str, Any]] = {}
        for batch in batches:
            for row in batch.rows:
                key = tuple(row.get(name) for name in names)
                latest.pop(key, None)
                latest[key] = row
        if not latest:
            return
        writer = DeltaWriter(
            self.path,
            disposition="incremental",
            primary_keys=self.response.primary_keys,
            partition=PartitionSpec.from_response(self.response, self.target),  # type: ignore[arg-type]
            allow_duplicate_keys=bool(self.response.has_duplicate_primary_keys),
            target=self.target,
        )
        for table in Batcher(target=self.target, batch_per_item=True).batches([list(latest.values())]):
            self.index += 1
            bounds = self.tracker.bounds(table, self.index) if self.tracker is not None else None
            writer.write(table, self.index)
            if self.tracker is not None and bounds is not None:
                self.tracker.advance(bounds)

    def watermark(self) -> Any:
        return self.tracker.finish().last_value if self.tracker is not None else None

    def rows(self) -> tuple[dict[str, Any], ...]:
        if not (self.path / "_delta_log").is_dir():
            return ()
        return tuple(pipeline.read_table(self.path).to_pylist())
