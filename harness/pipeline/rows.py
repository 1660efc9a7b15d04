"""Turning source rows (dicts) into Arrow tables, and how many bytes each row holds once it is Arrow.

Nested values (dicts, lists, tuples) are stored as JSON strings, not inferred as Arrow structs/lists. Struct
inference depends on the shapes seen in one batch: a later batch whose nested objects gain, lose or retype a
key would produce a different struct type and a schema conflict in the Delta table, and an empty list infers
`list<null>`. A JSON string column has the same type whatever the nested shapes are, so rows from different
batches always land in the same column. UUIDs are stored as their string form. `pyarrow.Table` items are not
touched: a source yielding Arrow has chosen its types.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from harness.pipeline.errors import BatchConversionError, SyncTarget, first_line

_FALLBACK_JSON = json.JSONEncoder(default=str, ensure_ascii=False, separators=(",", ":"))
_NESTED_TYPES = (dict, list, tuple)
_CONVERSION_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError)


def encode_json(value: Any) -> str:
    """Compact JSON; values JSON has no type for (Decimal, custom objects) become their `str()`."""
    try:
        return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
    except orjson.JSONEncodeError:
        # orjson refuses integers beyond 64 bits and deeply nested values; the stdlib encoder takes them.
        return _FALLBACK_JSON.encode(value)


def _plain_value(value: Any) -> Any:
    if isinstance(value, _NESTED_TYPES):
        return encode_json(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _needs_plain_values(array: pa.Array) -> bool:
    kind = array.type
    return pa.types.is_nested(kind) or isinstance(kind, pa.BaseExtensionType)


def _column(name: str, values: list[Any], target: SyncTarget, batch_index: int) -> pa.Array:
    try:
        array = pa.array(values)
        if not _needs_plain_values(array):
            return array
    except _CONVERSION_ERRORS:
        pass  # a column mixing nested and scalar values; plain values may still share a type
    plain = [_plain_value(value) for value in values]
    try:
        return pa.array(plain)
    except _CONVERSION_ERRORS as error:
        kinds = sorted({type(value).__name__ for value in plain if value is not None})
        raise BatchConversionError(
            f"{target}: column {name!r} in batch {batch_index} cannot be converted to Arrow "
            f"(value types: {', '.join(kinds)}): {first_line(error)}"
        ) from None


def _column_names(rows: list[dict[str, Any]]) -> list[str]:
    first_keys = rows[0].keys()
    names = dict.fromkeys(first_keys)
    for row in rows:
        if row.keys() != first_keys:
            names.update(dict.fromkeys(row.keys()))
    return list(names)


def rows_to_table(rows: list[dict[str, Any]], target: SyncTarget, batch_index: int) -> pa.Table:
    """Build a table from rows; columns are the union of every row's keys (missing values are null)."""
    if not rows:
        return pa.table({})
    names = _column_names(rows)
    arrays = [_column(name, [row.get(name) for row in rows], target, batch_index) for name in names]
    return pa.Table.from_arrays(arrays, names=names)


def row_sizes(table: pa.Table) -> pa.Array:
    """Each row's size in bytes as Arrow holds it: string/binary byte lengths plus fixed-width value sizes.

    Validity bitmaps and offsets are left out; other variable-width columns count their average row size.
    """
    rows = table.num_rows
    fixed = 0
    sizes = pa.array([0] * rows, type=pa.int64()) if rows else pa.array([], type=pa.int64())
    for column in table.columns:
        kind = column.type
        if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_binary(kind):
            lengths = pc.fill_null(pc.binary_length(column), 0).cast(pa.int64())
            sizes = pc.add(sizes, lengths)
        elif pa.types.is_boolean(kind):
            fixed += 1
        elif pa.types.is_null(kind):
            continue
        else:
            try:
                fixed += kind.byte_width
            except ValueError:
                fixed += column.nbytes // max(rows, 1)
    total = pc.add(sizes, fixed)
    return total.combine_chunks() if isinstance(total, pa.ChunkedArray) else total
