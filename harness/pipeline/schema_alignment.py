"""Fitting a batch to the Delta table's existing column types without losing data.

Delta's append with schema evolution casts a batch column to the table's type unsafely (a float 1.5 written
into an int64 column lands as 1), so the pipeline casts first with Arrow's safe cast and refuses lossy ones.
"""

from __future__ import annotations

import pyarrow as pa

from harness.pipeline.errors import SchemaConflictError, SyncTarget, first_line


def align_to_schema(batch: pa.Table, table_schema: pa.Schema, target: SyncTarget, batch_index: int) -> pa.Table:
    """The batch with every column the table already has cast to the table's type (new columns untouched)."""
    for position, field in enumerate(batch.schema):
        index = table_schema.get_field_index(field.name)
        if index < 0:
            continue
        wanted = table_schema.field(index).type
        if field.type == wanted or pa.types.is_null(wanted):
            continue
        try:
            column = batch.column(position).cast(wanted, safe=True)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as error:
            raise SchemaConflictError(
                f"{target}: column {field.name!r} is {wanted} in the table but {field.type} in batch "
                f"{batch_index}, and the values do not fit: {first_line(error)}"
            ) from None
        batch = batch.set_column(position, pa.field(field.name, wanted), column)
    return batch
