"""The partition column: which bucket a row lands in, computed from its partition-key values only.

Modes (as in PostHog's data-imports pipeline):
- md5: `int(md5("|".join(str(v) for v in key values))) % partition_count`.
- numerical: `key // partition_size` of the first partition key (an integer).
- datetime: the first partition key's instant formatted per `partition_format` (default week), in UTC:
  month "2024-03", week "2024-w09" (ISO week), day "2024-03-05", hour "2024-03-05T14".

A row's partition never depends on the other rows of its batch (no per-batch mode detection), so a row keeps
its partition across batches and runs and a merge on (primary keys, partition) finds it again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from harness.pipeline.errors import MissingColumnError, PartitionError, PipelineConfigError, SyncTarget
from sources.common.typings import PartitionFormat, PartitionMode, SourceResponse

PARTITION_COLUMN = "_partition_key"
NULL_PARTITION = "null"
DEFAULT_DATETIME_FORMAT: PartitionFormat = "week"

DATE_FORMATS: dict[str, str] = {
    "month": "%Y-%m",
    "week": "%G-w%V",
    "day": "%Y-%m-%d",
    "hour": "%Y-%m-%dT%H",
}

# Epoch numbers carry no unit; pick it by magnitude. 1e11 seconds is the year 5138, so anything larger is
# taken as milliseconds, then microseconds, then nanoseconds. The price: epoch milliseconds before 1973-03-03
# (below 1e11) read as seconds.
_EPOCH_DIVISORS = ((10**11, 1), (10**14, 10**3), (10**17, 10**6))
_NANOS = 10**9


@dataclasses.dataclass(frozen=True)
class PartitionSpec:
    """How a table is partitioned: mode, the key columns and the mode's one setting."""

    mode: PartitionMode
    keys: tuple[str, ...]
    count: int | None = None
    size: int | None = None
    format: PartitionFormat | None = None

    @classmethod
    def from_response(cls, response: SourceResponse, target: SyncTarget) -> PartitionSpec | None:
        """The spec a `SourceResponse` asks for, or None when it asks for no partitioning.

        An explicit `partition_mode` wins; otherwise `partition_count` means md5 and `partition_size` means
        numerical. Keys default to the primary keys.
        """
        mode = response.partition_mode
        if mode is None:
            if response.partition_count is not None:
                mode = "md5"
            elif response.partition_size is not None:
                mode = "numerical"
            else:
                return None
        keys = tuple(response.partition_keys or response.primary_keys or ())
        if not keys:
            raise PipelineConfigError(
                f"{target}: partition mode {mode!r} needs partition_keys or primary_keys, and both are empty"
            )
        spec = cls(
            mode=mode,
            keys=keys,
            count=response.partition_count,
            size=response.partition_size,
            format=response.partition_format,
        )
        spec.validate(target)
        return spec

    def validate(self, target: SyncTarget) -> None:
        if self.mode == "md5" and (self.count is None or self.count < 1):
            raise PipelineConfigError(f"{target}: md5 partitioning needs partition_count >= 1, got {self.count}")
        if self.mode == "numerical" and (self.size is None or self.size < 1):
            raise PipelineConfigError(f"{target}: numerical partitioning needs partition_size >= 1, got {self.size}")
        if self.mode == "datetime" and self.format is not None and self.format not in DATE_FORMATS:
            raise PipelineConfigError(
                f"{target}: partition_format {self.format!r} is not one of {', '.join(DATE_FORMATS)}"
            )
        if self.mode not in ("md5", "numerical", "datetime"):
            raise PipelineConfigError(f"{target}: unknown partition mode {self.mode!r}")


def parse_instant(value: Any) -> dt.datetime:
    """A datetime-ish partition value as a UTC datetime: datetimes (naive ones are taken as UTC), dates, epoch
    seconds/ms/us/ns (int, float or digit string) and ISO-8601 strings. Raises ValueError if it is none of them.
    """
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    if isinstance(value, bool):
        raise ValueError("a boolean is not a datetime")
    if isinstance(value, int | float):
        return _from_epoch(value)
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return _from_epoch(int(text))
        return parse_instant(dt.datetime.fromisoformat(text))
    raise ValueError(f"a {type(value).__name__} is not a datetime")


def _from_epoch(value: float) -> dt.datetime:
    magnitude = abs(value)
    divisor = next((d for limit, d in _EPOCH_DIVISORS if magnitude < limit), _NANOS)
    if isinstance(value, int):
        seconds, remainder = divmod(value, divisor)
        return dt.datetime.fromtimestamp(seconds, tz=dt.UTC) + dt.timedelta(microseconds=remainder * 10**6 // divisor)
    return dt.datetime.fromtimestamp(value / divisor, tz=dt.UTC)


def partition_of(key_values: Sequence[Any], spec: PartitionSpec) -> str:
    """The partition of one row from its partition-key values (in `spec.keys` order)."""
    if spec.mode == "md5":
        joined = "|".join(str(value) for value in key_values)
        # md5 only spreads keys over buckets here; it has no security role.
        digest = hashlib.md5(joined.encode(), usedforsecurity=False).hexdigest()
        return str(int(digest, 16) % (spec.count or 1))
    value = key_values[0]
    if value is None:
        return NULL_PARTITION
    if spec.mode == "numerical":
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"numerical partitioning needs an integer, got {type(value).__name__} {value!r}")
        return str(value // (spec.size or 1))
    return parse_instant(value).strftime(DATE_FORMATS[spec.format or DEFAULT_DATETIME_FORMAT])


def _key_columns(table: pa.Table, spec: PartitionSpec, target: SyncTarget, batch_index: int) -> list[list[Any]]:
    used_keys = spec.keys if spec.mode == "md5" else spec.keys[:1]
    missing = [key for key in used_keys if key not in table.column_names]
    if missing:
        raise MissingColumnError(
            f"{target}: partition key column {missing[0]!r} is missing from batch {batch_index} "
            f"(columns: {', '.join(table.column_names)})"
        )
    return [table.column(key).to_pylist() for key in used_keys]


def _utc_timestamps(column: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """The column as UTC timestamps computed by Arrow, or None when only the per-value parser can read it.

    Gives the same instants as `parse_instant` for the values it accepts.
    """
    kind = column.type
    utc = pa.timestamp("us", tz="UTC")
    try:
        if pa.types.is_timestamp(kind):
            # A naive timestamp's value is read as UTC, as parse_instant does.
            return column.cast(pa.timestamp(kind.unit, tz="UTC"))
        if pa.types.is_date(kind):
            return column.cast(pa.timestamp("s")).cast(pa.timestamp("s", tz="UTC"))
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            try:
                return column.cast(utc)
            except pa.ArrowInvalid:
                return column.cast(pa.timestamp("us")).cast(utc)
        if pa.types.is_integer(kind):
            return _epoch_timestamps(column)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return None


def _epoch_timestamps(column: pa.ChunkedArray) -> pa.ChunkedArray | None:
    smallest = pc.min(column).as_py()
    if smallest is None or smallest < 0:
        return None  # negative epochs take the per-value path, whose floor division Arrow does not share
    values = column.cast(pa.int64())
    micros = pc.if_else(
        pc.less(values, _EPOCH_DIVISORS[0][0]),
        pc.multiply(values, 10**6),
        pc.if_else(
            pc.less(values, _EPOCH_DIVISORS[1][0]),
            pc.multiply(values, 10**3),
            pc.if_else(pc.less(values, _EPOCH_DIVISORS[2][0]), values, pc.divide(values, 10**3)),
        ),
    )
    return micros.cast(pa.timestamp("us", tz="UTC"))


def _format_buckets(instants: pa.ChunkedArray, partition_format: str) -> pa.Array:
    """Format each instant's bucket. Arrow's strftime is slow per value, so rows are floored to their bucket and
    only the distinct buckets of the batch are formatted."""
    wall_clock = instants.cast(pa.timestamp(instants.type.unit)).combine_chunks()  # UTC values, tz dropped
    floored = pc.floor_temporal(wall_clock, unit=partition_format, week_starts_monday=True)
    buckets = pc.unique(floored)
    labels = pc.strftime(buckets, format=DATE_FORMATS[partition_format])
    return pc.fill_null(pc.take(labels, pc.index_in(floored, buckets)), NULL_PARTITION)


def _vectorized_partitions(column: pa.ChunkedArray, spec: PartitionSpec) -> pa.ChunkedArray | None:
    """Arrow-computed partitions for the common column types; None sends the batch to the per-value path."""
    if spec.mode == "datetime":
        instants = _utc_timestamps(column)
        if instants is None:
            return None
        return _format_buckets(instants, spec.format or DEFAULT_DATETIME_FORMAT)
    if spec.mode == "numerical" and pa.types.is_integer(column.type):
        smallest = pc.min(column).as_py()
        if smallest is not None and smallest < 0:
            return None  # Arrow's integer division truncates; Python's floors
        try:
            buckets = pc.divide(column.cast(pa.int64()), spec.size or 1).cast(pa.string())
        except pa.ArrowInvalid:
            return None  # unsigned values beyond int64
        return pc.fill_null(buckets, NULL_PARTITION)
    return None


def _per_value_partitions(table: pa.Table, spec: PartitionSpec, target: SyncTarget, batch_index: int) -> pa.Array:
    columns = _key_columns(table, spec, target, batch_index)
    values = []
    for key_values in zip(*columns, strict=True):
        try:
            values.append(partition_of(key_values, spec))
        except (ValueError, OverflowError, OSError) as error:
            raise PartitionError(
                f"{target}: partition key {spec.keys[0]!r} value {key_values[0]!r} in batch {batch_index} "
                f"cannot be bucketed by {spec.mode} partitioning: {error}"
            ) from None
    return pa.array(values, type=pa.string())


def partition_values(
    table: pa.Table, spec: PartitionSpec, target: SyncTarget, batch_index: int
) -> pa.Array | pa.ChunkedArray:
    """The partition column for a batch, one string per row (equal to `partition_of` of each row's keys)."""
    if spec.mode != "md5":
        require_key = spec.keys[0]
        if require_key in table.column_names:
            vectorized = _vectorized_partitions(table.column(require_key), spec)
            if vectorized is not None:
                return vectorized
    return _per_value_partitions(table, spec, target, batch_index)


def add_partition_column(
    table: pa.Table, spec: PartitionSpec, target: SyncTarget, batch_index: int, column: str = PARTITION_COLUMN
) -> pa.Table:
    """The batch with its partition column appended."""
    if column in table.column_names:
        raise PipelineConfigError(
            f"{target}: batch {batch_index} already has a column named {column!r}, which the pipeline "
            "reserves for the partition key"
        )
    return table.append_column(pa.field(column, pa.string()), partition_values(table, spec, target, batch_index))
