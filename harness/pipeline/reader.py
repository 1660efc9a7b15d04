"""Reading a Delta table back into Arrow.

Goes through `deltalake.QueryBuilder`: `DeltaTable.to_pyarrow_table()` / `to_pyarrow_dataset()` can abort the
process at exit (delta-rs#2184). Partition columns come back last; compare columns by name.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
from deltalake import DeltaTable, QueryBuilder
from deltalake.exceptions import TableNotFoundError

from harness.pipeline.errors import PipelineError


class TableMissingError(PipelineError, FileNotFoundError):
    """There is no Delta table at the path."""


def read_table(path: Path | str) -> pa.Table:
    """Every row of the Delta table at `path`, with the table's column types and column order."""
    try:
        table = DeltaTable(str(path))
    except TableNotFoundError:
        raise TableMissingError(f"no Delta table at {path}") from None
    schema = pa.schema(table.schema().to_arrow())
    reader = QueryBuilder().register("delta_table", table).execute("SELECT * FROM delta_table")
    batches = pa.RecordBatchReader.from_stream(reader)
    result = pa.Table.from_batches(list(batches), schema=batches.schema)
    # The query engine hands strings back as string_view; give callers the table's own types and order.
    return result.select(schema.names).cast(schema)
