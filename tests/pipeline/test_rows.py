import datetime as dt
import json
import uuid

import pyarrow as pa
import pytest

from harness.pipeline import BatchConversionError, Batcher, SyncTarget, plain_row


def test_nested_values_are_json_encoded_so_differing_shapes_share_one_column_type():
    first = [{"id": 1, "meta": {"a": 1, "tags": ["x"]}, "items": [1, 2]}]
    second = [{"id": 2, "meta": {"b": {"deep": None}}, "items": []}]
    batcher = Batcher(max_rows=1)
    (one, two) = batcher.batches([first, second])
    assert one.schema.field("meta").type == two.schema.field("meta").type == pa.string()
    assert json.loads(one.column("meta")[0].as_py()) == {"a": 1, "tags": ["x"]}
    assert json.loads(two.column("meta")[0].as_py()) == {"b": {"deep": None}}
    assert json.loads(two.column("items")[0].as_py()) == []


def test_nested_values_with_datetimes_and_uuids_still_encode():
    ident = uuid.UUID(int=5)
    (batch,) = Batcher().batches([{"id": ident, "meta": {"at": dt.datetime(2024, 1, 2, 3, 4)}}])
    assert batch.to_pylist() == [{"id": str(ident), "meta": '{"at":"2024-01-02T03:04:00"}'}]


def test_scalars_keep_their_arrow_types():
    when = dt.datetime(2024, 3, 5, 14, tzinfo=dt.UTC)
    (batch,) = Batcher().batches([{"i": 1, "f": 1.5, "s": "x", "b": True, "t": when, "n": None}])
    types = {field.name: field.type for field in batch.schema}
    assert types["i"] == pa.int64() and types["f"] == pa.float64() and types["b"] == pa.bool_()
    assert pa.types.is_timestamp(types["t"])
    assert batch.column("t")[0].as_py() == when


def test_a_column_mixing_types_is_a_one_line_error_naming_the_column():
    batcher = Batcher(target=SyncTarget("acme", "things"))
    with pytest.raises(BatchConversionError) as caught:
        list(batcher.batches([{"id": 1, "amount": 3}, {"id": 2, "amount": "three"}]))
    message = str(caught.value)
    assert message.startswith("source 'acme', endpoint 'things': column 'amount' in batch 1")
    assert "int, str" in message
    assert "\n" not in message


def test_only_nested_values_are_encoded_in_a_column_that_mixes_them_with_strings():
    (batch,) = Batcher().batches([[{"v": {"a": 1}}, {"v": "plain"}, {"v": None}, {"v": [1]}]])
    assert batch.column("v").to_pylist() == ['{"a":1}', "plain", None, "[1]"]


def test_rows_missing_or_adding_keys_keep_every_value():
    rows = [{"a": 1, "b": 2}, {"a": 3}, {"a": 4, "b": 5, "c": 6}, {"b": 7, "a": 8}]
    (batch,) = Batcher().batches([rows])
    assert batch.to_pylist() == [
        {"a": 1, "b": 2, "c": None},
        {"a": 3, "b": None, "c": None},
        {"a": 4, "b": 5, "c": 6},
        {"a": 8, "b": 7, "c": None},
    ]


def test_a_single_column_and_large_integers():
    (batch,) = Batcher().batches([[{"id": 2**62}, {"id": 1}], [{"id": 3, "deep": {"big": 2**70}}]])
    assert batch.column("id").to_pylist() == [2**62, 1, 3]
    assert batch.column("deep").to_pylist() == [None, None, '{"big":1180591620717411303424}']


def test_a_row_with_keys_beyond_the_first_rows_keeps_them():
    (batch,) = Batcher().batches([[{"a": 1}, {"a": 2, "extra": "kept"}]])
    assert batch.to_pylist() == [{"a": 1, "extra": None}, {"a": 2, "extra": "kept"}]


def test_plain_row_is_how_the_batcher_stores_a_dict_row():
    row = {"id": uuid.UUID(int=1), "meta": {"at": dt.datetime(2024, 1, 2), "n": [1, None]}, "x": 1.5, "s": "t"}
    (batch,) = Batcher().batches([row])
    assert batch.to_pylist() == [plain_row(row)]
    assert plain_row(row)["meta"] == '{"at":"2024-01-02T00:00:00","n":[1,null]}'
