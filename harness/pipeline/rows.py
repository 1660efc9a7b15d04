"""Turning source rows (dicts) into Arrow tables, and how many bytes each row holds once it is Arrow.

Nested values (dicts, lists, tuples) are stored as JSON strings, not inferred as Arrow structs/lists. Struct
inference depends on the shapes seen in one batch: a later batch whose nested objects gain, lose or retype a
key would produce a different struct type and a schema conflict in the Delta table, and an empty list infers
`list<null>`. A JSON string column has the same type whatever the nested shapes are, so rows from different
batches always land in the same column. UUIDs are stored as their string form. `pyarrow.Table` items are not
touched: a source yielding Arrow has chosen its types.
"""

from __future__ import annotations

import contextlib
import gc
import json
import uuid
from collections.abc import Iterator, Mapping, Sequence
from operator import itemgetter
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from harness.pipeline.errors import BatchConversionError, SyncTarget, first_line

_FALLBACK_JSON = json.JSONEncoder(default=str, ensure_ascii=False, separators=(",", ":"))
_ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS
_NESTED_TYPES = (dict, list, tuple)
_EXACT_NESTED_TYPES = frozenset(_NESTED_TYPES)
_CONVERSION_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError)


def encode_json(value: Any) -> str:
    """Compact JSON; values JSON has no type for (Decimal, custom objects) become their `str()`."""
    try:
        return orjson.dumps(value, default=str, option=_ORJSON_OPTIONS).decode()
    except orjson.JSONEncodeError:
        # orjson refuses integers beyond 64 bits and deeply nested values; the stdlib encoder takes them.
        return _FALLBACK_JSON.encode(value)


def _plain_value(value: Any) -> Any:
    if isinstance(value, _NESTED_TYPES):
        return encode_json(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def plain_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A dict row as the pipeline stores it: nested values as JSON text, UUIDs as strings, the rest as is."""
    return {key: _plain_value(value) for key, value in row.items()}


def _plain_values(values: Sequence[Any]) -> list[Any]:
    """`_plain_value` of each value, with dicts and lists encoded inline (no Python call per value)."""
    try:
        return [
            None
            if v is None
            else orjson.dumps(v, default=str, option=_ORJSON_OPTIONS).decode()
            if type(v) in _EXACT_NESTED_TYPES
            else _plain_value(v)
            for v in values
        ]
    except orjson.JSONEncodeError:
        return [_plain_value(value) for value in values]


def _column(name: str, values: Sequence[Any], target: SyncTarget, batch_index: int) -> pa.Array:
    first = next((value for value in values if value is not None), None)
    if not isinstance(first, (*_NESTED_TYPES, uuid.UUID)):
        try:
            array = pa.array(values)
            if not (pa.types.is_nested(array.type) or isinstance(array.type, pa.BaseExtensionType)):
                return array
        except _CONVERSION_ERRORS:
            pass  # e.g. a column mixing nested and scalar values; plain values may still share a type
    plain = _plain_values(values)
    try:
        return pa.array(plain)
    except _CONVERSION_ERRORS as error:
        kinds = sorted({type(value).__name__ for value in plain if value is not None})
        raise BatchConversionError(
            f"{target}: column {name!r} in batch {batch_index} cannot be converted to Arrow "
            f"(value types: {', '.join(kinds)}): {first_line(error)}"
        ) from None


def _columns(rows: list[dict[str, Any]]) -> tuple[list[str], list[Sequence[Any]]]:
    """Column names (the union of the rows' keys, in first-seen order) and each column's values."""
    names = list(rows[0])
    if names:
        try:
            getter = itemgetter(*names)
            if len(names) == 1:
                columns: list[Sequence[Any]] = [list(map(getter, rows))]
            else:
                columns = list(zip(*map(getter, rows), strict=True))
            # Every row has every first-row key; equal key counts mean no row has more.
            if sum(map(len, rows)) == len(names) * len(rows):
                return names, columns
        except KeyError:
            pass
    all_names = dict.fromkeys(names)
    for row in rows:
        all_names.update(dict.fromkeys(row))
    names = list(all_names)
    return names, [[row.get(name) for row in rows] for name in names]


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Transposing rows allocates many tuples, each allocation burst triggering a cyclic-GC pass over every live
    row; none of these objects can form cycles, so the collector waits until the conversion is done."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def rows_to_table(rows: list[dict[str, Any]], target: SyncTarget, batch_index: int) -> pa.Table:
    """Build a table from rows; columns are the union of every row's keys (missing values are null)."""
    if not rows:
        return pa.table({})
    with _collector_paused():
        names, columns = _columns(rows)
        arrays = [_column(name, values, target, batch_index) for name, values in zip(names, columns, strict=True)]
    return pa.Table.from_arrays(arrays, names=names)


def row_sizes(table: pa.Table) -> pa.Array:
    """Each row's size in bytes as Arrow holds it: string/binary byte lengths plus fixed-width value sizes.

    Validity bitmaps and offsets are left out; other variable-width columns count their average row size.
    """
    rows = table.num_rows
    fixed = 0
    sizes = pa.repeat(pa.scalar(0, pa.int64()), rows)
    for column in table.columns:
        kind = column.type
        if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_binary(kind):
            sizes = pc.add(sizes, pc.fill_null(pc.binary_length(column), 0).cast(pa.int64()))
        elif pa.types.is_boolean(kind):
            fixed += 1
        elif not pa.types.is_null(kind):
            try:
                fixed += kind.byte_width
            except ValueError:
                fixed += column.nbytes // max(rows, 1)
    total = pc.add(sizes, fixed)
    return total.combine_chunks() if isinstance(total, pa.ChunkedArray) else total
