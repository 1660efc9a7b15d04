"""The reference pipeline the conformance checks run sources through: Batcher → Delta Lake."""

from harness.pipeline.batcher import DEFAULT_MAX_BYTES, DEFAULT_MAX_ROWS, Batcher
from harness.pipeline.delta_writer import DeltaWriter, WriteDisposition
from harness.pipeline.errors import (
    BatchConversionError,
    DeltaWriteError,
    DuplicatePrimaryKeyError,
    InvalidItemError,
    MissingColumnError,
    NullPrimaryKeyError,
    PartitionError,
    PipelineConfigError,
    PipelineError,
    SchemaConflictError,
    SyncTarget,
    WatermarkError,
)
from harness.pipeline.partitioning import PARTITION_COLUMN, PartitionSpec, partition_of
from harness.pipeline.reader import TableMissingError, read_table
from harness.pipeline.rows import encode_json, plain_row
from harness.pipeline.run import BatchEvent, BatchObserver, RunResult, run
from harness.pipeline.watermarks import Watermark, WatermarkStore, WatermarkTracker

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_ROWS",
    "PARTITION_COLUMN",
    "BatchConversionError",
    "BatchEvent",
    "BatchObserver",
    "Batcher",
    "DeltaWriteError",
    "DeltaWriter",
    "DuplicatePrimaryKeyError",
    "InvalidItemError",
    "MissingColumnError",
    "NullPrimaryKeyError",
    "PartitionError",
    "PartitionSpec",
    "PipelineConfigError",
    "PipelineError",
    "RunResult",
    "SchemaConflictError",
    "SyncTarget",
    "TableMissingError",
    "Watermark",
    "WatermarkError",
    "WatermarkStore",
    "WatermarkTracker",
    "WriteDisposition",
    "encode_json",
    "partition_of",
    "plain_row",
    "read_table",
    "run",
]
