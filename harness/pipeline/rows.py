"""Turning source rows (dicts) into Arrow tables.

Nested values (dicts, lists, tuples) are stored as JSON strings, not inferred as Arrow structs/lists. Struct
inference depends on the shapes seen in one batch: a later batch whose nested objects gain, lose or retype a
key would produce a different struct type and a schema conflict in the Delta table, and an empty list infers
`list<null>`. A JSON string column has the same type whatever the nested shapes are, so rows from different
batches always land in the same column. `pyarrow.Table` items are not touched: a source yielding Arrow has
chosen its types.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from harness.pipeline.errors import BatchConversionError, SyncTarget, first_line

_NESTED_TYPES = (dict, list, tuple)
_FIXED_WIDTH_BYTES = 8


def _encode_nested(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False, separators=(",", ":"))


def _estimate_bytes(value: Any) -> int:
    if type(value) is str:
        # isascii() is O(1) for CPython strings; only non-ASCII text pays for encoding.
        return len(value) if value.isascii() else len(value.encode())
    if type(value) is bytes:
        return len(value)
    return _FIXED_WIDTH_BYTES


def encode_row(row: Mapping[str, Any]) -> tuple[dict[str, Any], int]:
    """Return the row with nested values JSON-encoded (and UUIDs as strings) plus its estimated Arrow size."""
    encoded: dict[str, Any] | None = None
    size = 0
    for key, value in row.items():
        if isinstance(value, _NESTED_TYPES):
            value = _encode_nested(value)
        elif isinstance(value, uuid.UUID):
            value = str(value)
        else:
            size += _estimate_bytes(value)
            continue
        if encoded is None:
            encoded = dict(row)
        encoded[key] = value
        size += _estimate_bytes(value)
    return (encoded if encoded is not None else dict(row)), size


def _column_names(rows: list[dict[str, Any]]) -> list[str]:
    first_keys = rows[0].keys()
    names = dict.fromkeys(first_keys)
    for row in rows:
        if row.keys() != first_keys:
            names.update(dict.fromkeys(row.keys()))
    return list(names)


def rows_to_table(rows: list[dict[str, Any]], target: SyncTarget, batch_index: int) -> pa.Table:
    """Build a table from encoded rows; columns are the union of every row's keys (missing values are null)."""
    if not rows:
        return pa.table({})
    names = _column_names(rows)
    arrays = []
    for name in names:
        values = [row.get(name) for row in rows]
        try:
            arrays.append(pa.array(values))
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError) as error:
            kinds = sorted({type(value).__name__ for value in values if value is not None})
            raise BatchConversionError(
                f"{target}: column {name!r} in batch {batch_index} cannot be converted to Arrow "
                f"(value types: {', '.join(kinds)}): {first_line(error)}"
            ) from None
    return pa.Table.from_arrays(arrays, names=names)
