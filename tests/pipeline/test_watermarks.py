import dataclasses
import datetime as dt
import decimal

import pyarrow as pa
import pytest

from harness.pipeline import (
    MissingColumnError,
    PipelineConfigError,
    SyncTarget,
    Watermark,
    WatermarkError,
    WatermarkStore,
    WatermarkTracker,
    read_table,
    run,
)

TARGET = SyncTarget("acme", "things")


class Crash(Exception):
    pass


def crash_at(k: int):
    def observer(event):
        if event.index == k:
            raise Crash(f"crash at batch {k}")

    return observer


def pages(values: list[int], page_size: int = 2) -> list[list[dict]]:
    rows = [{"id": v, "updated": v * 10} for v in values]
    return [rows[i : i + page_size] for i in range(0, len(rows), page_size)]


@pytest.mark.parametrize(
    "value",
    [
        7,
        2.5,
        "2024-03-05T10:00:00Z",
        True,
        dt.datetime(2024, 3, 5, 10, tzinfo=dt.UTC),
        dt.datetime(2024, 3, 5, 10),
        dt.date(2024, 3, 5),
        decimal.Decimal("1.25"),
    ],
)
def test_store_round_trips_values_with_their_types(tmp_path, value):
    store = WatermarkStore(tmp_path)
    store.save(Watermark("updated", last_value=value, earliest_value=None))
    loaded = store.load()
    assert loaded == Watermark("updated", last_value=value, earliest_value=None)
    assert type(loaded.last_value) is type(value)


def test_empty_store_and_unreadable_store(tmp_path):
    store = WatermarkStore(tmp_path)
    assert store.load() is None
    store.path.write_text("{not json")
    with pytest.raises(WatermarkError, match=r"_watermark.json is unreadable"):
        store.load()


def test_next_inputs_carry_the_stored_watermark(tmp_path, make_inputs):
    store = WatermarkStore(tmp_path)
    store.save(Watermark("updated", last_value=50, earliest_value=10))
    inputs = store.next_inputs(make_inputs("updated"))
    assert (inputs.db_incremental_field_last_value, inputs.db_incremental_field_earliest_value) == (50, 10)
    other = store.next_inputs(make_inputs("created"))
    assert (other.db_incremental_field_last_value, other.db_incremental_field_earliest_value) == (None, None)


def test_asc_watermark_moves_after_every_batch(tmp_path, make_response, make_inputs):
    stored_after_batch = []
    store = WatermarkStore(tmp_path)

    def observe(event):
        stored = store.load()
        stored_after_batch.append(stored.last_value if stored else None)

    result = run(make_response(pages([1, 2, 3, 4, 5])), make_inputs("updated"), tmp_path, observer=observe, max_rows=2)
    assert stored_after_batch == [None, 20, 40]
    assert result.watermark == Watermark("updated", last_value=50, earliest_value=None)
    assert store.load() == result.watermark


def test_asc_crash_keeps_the_watermark_of_the_last_written_batch(tmp_path, make_response, make_inputs):
    store = WatermarkStore(tmp_path)
    with pytest.raises(Crash):
        run(make_response(pages([1, 2, 3, 4, 5])), make_inputs("updated"), tmp_path, observer=crash_at(3), max_rows=2)
    assert store.load().last_value == 40
    resumed = run(make_response(pages([3, 4, 5, 6])), store.next_inputs(make_inputs("updated")), tmp_path, max_rows=2)
    assert resumed.watermark.last_value == 60
    assert sorted(read_table(tmp_path).column("id").to_pylist()) == [1, 2, 3, 4, 5, 6]


def test_desc_moves_only_the_earliest_value_until_the_run_succeeds(tmp_path, make_response, make_inputs):
    store = WatermarkStore(tmp_path)
    store.save(Watermark("updated", last_value=20, earliest_value=None))
    inputs = store.next_inputs(make_inputs("updated"))
    newest_first = make_response(pages([9, 8, 7, 6, 5]), sort_mode="desc")

    with pytest.raises(Crash):
        run(newest_first, inputs, tmp_path, observer=crash_at(3), max_rows=2)
    assert store.load() == Watermark("updated", last_value=20, earliest_value=60)

    resumed_inputs = store.next_inputs(make_inputs("updated"))
    assert resumed_inputs.db_incremental_field_earliest_value == 60
    result = run(newest_first, resumed_inputs, tmp_path, max_rows=2)
    assert result.watermark == Watermark("updated", last_value=90, earliest_value=50)
    assert store.load() == result.watermark


def test_desc_last_value_never_moves_backwards(tmp_path, make_response, make_inputs):
    inputs = dataclasses.replace(make_inputs("updated"), db_incremental_field_last_value=500)
    result = run(make_response(pages([3, 2]), sort_mode="desc"), inputs, tmp_path)
    assert result.watermark == Watermark("updated", last_value=500, earliest_value=20)


def test_watermark_ignores_nulls_and_reads_datetimes(tmp_path, make_response, make_inputs):
    late = dt.datetime(2024, 3, 6, tzinfo=dt.UTC)
    rows = [
        {"id": 1, "updated": dt.datetime(2024, 3, 5, tzinfo=dt.UTC)},
        {"id": 2, "updated": None},
        {"id": 3, "updated": late},
    ]
    result = run(make_response([rows]), make_inputs("updated"), tmp_path)
    assert result.watermark.last_value == late
    assert WatermarkStore(tmp_path).load().last_value == late


def test_missing_incremental_field_is_named_and_nothing_is_written(tmp_path, make_response, make_inputs):
    with pytest.raises(MissingColumnError) as caught:
        run(make_response([[{"id": 1}]]), make_inputs("updated"), tmp_path)
    assert str(caught.value) == (
        "source 'acme', endpoint 'things': incremental field column 'updated' is missing from batch 1 (columns: id)"
    )
    assert not (tmp_path / "_delta_log").exists()


def test_incomparable_values_across_batches_are_a_clear_error(make_inputs):
    inputs = dataclasses.replace(make_inputs("updated"), db_incremental_field_last_value="2024-03-05")
    tracker = WatermarkTracker.from_inputs(inputs, "asc", TARGET)
    bounds = tracker.bounds(pa.table({"updated": [5]}), 1)
    with pytest.raises(WatermarkError, match=r"values '2024-03-05' \(str\) and 5 \(int\) cannot be compared"):
        tracker.advance(bounds)


def test_incremental_without_a_field_or_with_an_unknown_sort_mode_is_a_config_error(make_inputs):
    with pytest.raises(PipelineConfigError, match="incremental_field is empty"):
        WatermarkTracker.from_inputs(dataclasses.replace(make_inputs("x"), incremental_field=None), "asc", TARGET)
    with pytest.raises(PipelineConfigError, match="sort_mode must be 'asc' or 'desc', got 'random'"):
        WatermarkTracker.from_inputs(make_inputs("x"), "random", TARGET)


def test_a_datetime_watermark_and_iso_text_rows_order_together(tmp_path, make_response, make_inputs):
    """Regression: the pipeline hands over a datetime watermark while the rows carry ISO text; comparing them
    raised WatermarkError ('datetime ... and '2024-06-05...' (str) cannot be compared') in partition.stable."""
    rows = [
        {"id": 1, "updated_at": "2024-06-05T10:00:00Z", "created_at": "2024-01-01T00:00:00Z"},
        {"id": 2, "updated_at": "2024-06-07T08:30:00Z", "created_at": "2024-01-02T00:00:00Z"},
    ]
    inputs = make_inputs(
        "updated_at",
        incremental_field_type="datetime",
        db_incremental_field_last_value=dt.datetime(2024, 6, 1, tzinfo=dt.UTC),
    )
    response = make_response([rows], partition_mode="datetime", partition_keys=["created_at"])

    result = run(response, inputs, tmp_path / "table")

    assert result.watermark.last_value == dt.datetime(2024, 6, 7, 8, 30, tzinfo=dt.UTC)
    assert WatermarkStore(tmp_path / "table").load().last_value == result.watermark.last_value


def test_without_the_field_type_a_datetime_watermark_and_iso_text_do_not_compare():
    tracker = WatermarkTracker(Watermark("updated_at", dt.datetime(2024, 6, 1, tzinfo=dt.UTC)), "asc", TARGET)
    batch = pa.table({"updated_at": ["2024-06-05T10:00:00Z"]})

    with pytest.raises(WatermarkError, match="cannot be compared"):
        tracker.advance(tracker.bounds(batch, 1))


@pytest.mark.parametrize(
    ("field_type", "start", "rows", "expected"),
    [
        ("date", dt.date(2024, 6, 1), ["2024-06-03", "2024-06-02"], dt.date(2024, 6, 3)),
        (
            "timestamp",
            dt.datetime(2024, 6, 1),
            ["2024-06-03T00:00:00+02:00"],
            dt.datetime(2024, 6, 2, 22, tzinfo=dt.UTC),
        ),
        ("integer", 5, [3, 9], 9),
    ],
)
def test_watermarks_are_compared_as_the_fields_declared_type(field_type, start, rows, expected):
    tracker = WatermarkTracker(Watermark("v", start), "asc", TARGET, field_type)
    watermark = tracker.advance(tracker.bounds(pa.table({"v": rows}), 1))

    assert watermark.last_value == expected
