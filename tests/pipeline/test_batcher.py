import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.pipeline import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_ROWS,
    BatchConversionError,
    Batcher,
    InvalidItemError,
    SyncTarget,
)
from harness.pipeline.batcher import FIRST_CONVERSION_ROWS


def rows(count: int, start: int = 0) -> list[dict]:
    return [{"id": i, "name": f"row-{i}"} for i in range(start, start + count)]


def test_defaults_are_5000_rows_and_200_mib():
    assert (DEFAULT_MAX_ROWS, DEFAULT_MAX_BYTES) == (5000, 200 * 1024 * 1024)
    batcher = Batcher()
    assert (batcher.max_rows, batcher.max_bytes) == (5000, 200 * 1024 * 1024)


def test_rows_are_cut_at_the_row_threshold():
    batches = list(Batcher(max_rows=4).batches([rows(3), rows(6, start=3), {"id": 9, "name": "row-9"}]))
    assert [b.num_rows for b in batches] == [4, 4, 2]
    assert [r["id"] for b in batches for r in b.to_pylist()] == list(range(10))


def test_rows_are_cut_when_the_byte_estimate_reaches_the_threshold():
    wide = [{"id": i, "text": "x" * 1000} for i in range(25)]
    batches = list(Batcher(max_rows=1000, max_bytes=10_000).batches([wide]))
    # Each row holds 1008 bytes (8 for the id, 1000 for the text), so ten rows reach 10_000 bytes.
    assert [b.num_rows for b in batches] == [10, 10, 5]
    for batch in batches[:-1]:
        row_bytes = batch.slice(0, 1).nbytes
        assert 10_000 <= batch.nbytes <= 10_000 + 2 * row_bytes


def test_non_ascii_text_is_measured_in_encoded_bytes():
    # "é" is two bytes in UTF-8: 500 characters are 1000 bytes.
    wide = [{"text": "é" * 500} for _ in range(30)]
    batches = list(Batcher(max_bytes=10_000).batches(wide))
    assert batches[0].num_rows == 10


def test_a_table_passes_through_unchanged_after_buffered_rows():
    table = pa.table({"id": [100, 101, 102], "name": ["a", "b", "c"]})
    batches = list(Batcher(max_rows=2).batches([rows(3), table, rows(1, start=5)]))
    assert [b.num_rows for b in batches] == [2, 1, 3, 1]
    assert batches[2] is table


def test_a_table_larger_than_the_thresholds_is_not_split():
    table = pa.table({"id": list(range(50))})
    assert [b.num_rows for b in Batcher(max_rows=10, max_bytes=8).batches([table])] == [50]


def test_record_batches_are_accepted_and_empty_items_yield_nothing():
    record_batch = pa.record_batch({"id": [1, 2]})
    batches = list(Batcher().batches([[], pa.table({"id": pa.array([], pa.int64())}), record_batch]))
    assert [b.to_pylist() for b in batches] == [[{"id": 1}, {"id": 2}]]


def test_rows_with_different_keys_become_the_union_of_columns():
    (batch,) = Batcher().batches([[{"id": 1, "a": "x"}, {"id": 2, "b": True}]])
    assert batch.to_pylist() == [{"id": 1, "a": "x", "b": None}, {"id": 2, "a": None, "b": True}]


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("oops", "item 2 is a str; expected a dict, a list of dicts or a pyarrow.Table"),
        ([{"id": 1}, 7], "item 2 is a list whose element 1 is a int"),
    ],
)
def test_invalid_items_name_the_source_endpoint_and_item(item, expected):
    batcher = Batcher(target=SyncTarget("acme", "things"))
    with pytest.raises(InvalidItemError) as caught:
        list(batcher.batches([{"id": 0}, item]))
    assert str(caught.value).startswith("source 'acme', endpoint 'things': ")
    assert expected in str(caught.value)


def test_non_positive_thresholds_are_rejected():
    with pytest.raises(ValueError, match="max_rows=0"):
        Batcher(max_rows=0)


# The Batcher converts the first FIRST_CONVERSION_ROWS rows on their own, so these rows span two chunks.
CHUNK = FIRST_CONVERSION_ROWS


def test_a_column_whose_type_changes_between_conversion_chunks_is_named():
    batcher = Batcher(max_rows=1000, target=SyncTarget("acme", "things"))
    with pytest.raises(BatchConversionError, match=r"do not share column types: .*Field a has incompatible types"):
        list(batcher.batches([[{"a": 1}] * CHUNK, [{"a": "x"}] * CHUNK]))


def test_ints_and_floats_in_different_chunks_share_a_float_column():
    (batch,) = Batcher(max_rows=1000).batches([[{"a": 1}] * CHUNK, [{"a": 2.5}] * CHUNK])
    assert batch.schema.field("a").type == pa.float64()
    assert batch.column("a").to_pylist() == [1.0] * CHUNK + [2.5] * CHUNK


def test_batch_per_item_ends_a_batch_with_every_yielded_item():
    items = [rows(3), rows(2, start=3), {"id": 5, "name": "row-5"}, rows(5, start=6)]
    assert [b.num_rows for b in Batcher(batch_per_item=True).batches(items)] == [3, 2, 1, 5]
    assert [b.num_rows for b in Batcher(max_rows=2, batch_per_item=True).batches(items)] == [2, 1, 2, 1, 2, 2, 1]
    assert [b.num_rows for b in Batcher().batches(items)] == [11]


def row_bytes(row: dict) -> int:
    return 8 + len(row["text"].encode())


@settings(max_examples=150, deadline=None)
@given(
    widths=st.lists(st.integers(0, 300), min_size=1, max_size=120),
    page_sizes=st.lists(st.integers(1, 40), min_size=1, max_size=10),
    max_rows=st.integers(1, 50),
    max_bytes=st.integers(1, 3000),
    singles=st.booleans(),
)
def test_every_batch_is_cut_exactly_at_the_first_limit_reached(widths, page_sizes, max_rows, max_bytes, singles):
    all_rows = [{"id": i, "text": "é" * (w // 2) + "x" * (w % 2)} for i, w in enumerate(widths)]
    items, start, turn = [], 0, 0
    while start < len(all_rows):
        size = page_sizes[turn % len(page_sizes)]
        page = all_rows[start : start + size]
        items.extend(page if singles else [page])
        start, turn = start + size, turn + 1

    batches = [b.to_pylist() for b in Batcher(max_rows=max_rows, max_bytes=max_bytes).batches(items)]

    assert [row for batch in batches for row in batch] == all_rows
    for batch in batches:
        sizes = [row_bytes(row) for row in batch]
        assert 1 <= len(batch) <= max_rows
        assert sum(sizes[:-1]) < max_bytes  # the batch never continues past the row that reached max_bytes
    for batch in batches[:-1]:
        assert len(batch) == max_rows or sum(row_bytes(row) for row in batch) >= max_bytes
