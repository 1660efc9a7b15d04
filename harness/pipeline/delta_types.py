"""Arrow types Delta Lake cannot store as they are.

Unsigned integers are widened to the next signed type that holds every value (Delta would otherwise cast uint8
to int8 and reject uint64; `pa.array` infers uint64 for Python ints beyond 2**63). Types Delta has no column
type for (time of day, durations, intervals, decimals beyond 38 digits, half floats) are an error naming the
column, not a silent conversion.
"""

from __future__ import annotations

import pyarrow as pa

from harness.pipeline.errors import SchemaConflictError, SyncTarget

_WIDER_SIGNED = {
    pa.uint8(): pa.int16(),
    pa.uint16(): pa.int32(),
    pa.uint32(): pa.int64(),
    pa.uint64(): pa.decimal128(20, 0),
}


def _unstorable(kind: pa.DataType) -> pa.DataType | None:
    """The first type inside `kind` (itself included) that Delta cannot store, if any."""
    if (
        pa.types.is_time(kind)
        or pa.types.is_duration(kind)
        or pa.types.is_interval(kind)
        or pa.types.is_float16(kind)
        or pa.types.is_decimal256(kind)
        or pa.types.is_unsigned_integer(kind)
    ):
        return kind
    for index in range(kind.num_fields):
        found = _unstorable(kind.field(index).type)
        if found is not None:
            return found
    return None


def storable(batch: pa.Table, target: SyncTarget, batch_index: int) -> pa.Table:
    """The batch with unsigned integer columns widened; raises for any column Delta cannot store."""
    for position, field in enumerate(batch.schema):
        wider = _WIDER_SIGNED.get(field.type)
        if wider is not None:
            batch = batch.set_column(position, pa.field(field.name, wider), batch.column(position).cast(wider))
            continue
        found = _unstorable(field.type)
        if found is not None:
            where = "" if found == field.type else f" (inside {field.type})"
            raise SchemaConflictError(
                f"{target}: column {field.name!r} in batch {batch_index} has type {found}{where}, "
                "which a Delta Lake table cannot store"
            )
    return batch
