import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.pipeline import PARTITION_COLUMN, DuplicatePrimaryKeyError, read_table, run


class Crash(Exception):
    pass


def customer_pages(count: int, page_size: int = 3, name_suffix: str = "") -> list[list[dict]]:
    rows = [
        {"id": i, "created_at": f"2024-0{1 + i % 3}-1{i % 10}T08:00:00Z", "name": f"c{i}{name_suffix}"}
        for i in range(count)
    ]
    return [rows[i : i + page_size] for i in range(0, count, page_size)]


def snapshot(path) -> list[dict]:
    return sorted(read_table(path).to_pylist(), key=lambda row: row["id"])


def test_run_reports_what_it_wrote(tmp_path, make_response, make_inputs):
    response = make_response(customer_pages(10), partition_mode="md5", partition_count=4)
    result = run(response, make_inputs(), tmp_path / "customers", max_rows=4)
    assert (result.rows_written, result.batches) == (10, 3)
    assert result.table_path == tmp_path / "customers"
    assert result.partition_column == PARTITION_COLUMN
    assert result.write_disposition == "full_refresh"
    assert result.watermark is None
    assert len(snapshot(result.table_path)) == 10


def test_observer_sees_every_batch_before_it_is_written(tmp_path, make_response, make_inputs):
    seen = []

    def observe(event):
        table_rows = 0 if not (tmp_path / "_delta_log").exists() else read_table(tmp_path).num_rows
        seen.append((event.index, event.table.num_rows, table_rows, event.target.endpoint))

    run(make_response(customer_pages(7)), make_inputs(), tmp_path, observer=observe, max_rows=3)
    assert seen == [(1, 3, 0, "things"), (2, 3, 3, "things"), (3, 1, 6, "things")]


@pytest.mark.parametrize("incremental_field", [None, "created_at"])
@pytest.mark.parametrize("crash_batch", [1, 2, 3])
def test_a_crash_at_batch_k_leaves_the_table_as_after_batch_k_minus_1(
    tmp_path, make_response, make_inputs, incremental_field, crash_batch
):
    settings = {"partition_mode": "datetime", "partition_keys": ["created_at"]}
    earlier_run = make_response(customer_pages(2, name_suffix="-old"), **settings)
    this_run = make_response(customer_pages(9), **settings)

    # An uninterrupted run, recording the table as it stands before each batch is written.
    table_before_batch = {}

    def record(event):
        table_before_batch[event.index] = snapshot(event_path)

    event_path = tmp_path / "uninterrupted"
    run(earlier_run, make_inputs(incremental_field), event_path)
    run(this_run, make_inputs(incremental_field), event_path, observer=record, max_rows=3)
    assert len(table_before_batch) == 3

    def crash(event):
        if event.index == crash_batch:
            raise Crash(f"batch {event.index}")

    crashed = tmp_path / "crashed"
    run(earlier_run, make_inputs(incremental_field), crashed)
    with pytest.raises(Crash, match=f"batch {crash_batch}"):
        run(this_run, make_inputs(incremental_field), crashed, observer=crash, max_rows=3)
    assert snapshot(crashed) == table_before_batch[crash_batch]


def test_a_source_error_mid_run_keeps_the_written_batches(tmp_path, make_response, make_inputs):
    def items():
        yield from customer_pages(6)
        raise ConnectionError("vendor went away")

    with pytest.raises(ConnectionError):
        run(make_response(items), make_inputs("created_at"), tmp_path, max_rows=3)
    assert [row["id"] for row in snapshot(tmp_path)] == list(range(6))


def test_nested_rows_of_differing_shapes_land_in_one_table(tmp_path, make_response, make_inputs):
    pages = [[{"id": 1, "meta": {"a": [1, 2]}}], [{"id": 2, "meta": {"b": {"c": None}}}], [{"id": 3, "meta": []}]]
    run(make_response(pages), make_inputs(), tmp_path, max_rows=1)
    assert [json.loads(row["meta"]) for row in snapshot(tmp_path)] == [{"a": [1, 2]}, {"b": {"c": None}}, []]


def test_duplicate_keys_stop_an_incremental_run_unless_declared(tmp_path, make_response, make_inputs):
    pages = [[{"id": 1, "v": "a", "t": 1}, {"id": 1, "v": "b", "t": 2}]]
    with pytest.raises(DuplicatePrimaryKeyError, match=r"repeats primary key \(id\): \(id=1\) x2"):
        run(make_response(pages), make_inputs("t"), tmp_path / "strict")
    result = run(make_response(pages, has_duplicate_primary_keys=True), make_inputs("t"), tmp_path / "lenient")
    assert result.rows_written == 1
    assert snapshot(tmp_path / "lenient") == [{"id": 1, "v": "b", "t": 2}]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    renamed=st.lists(st.text(max_size=6), min_size=6, max_size=6),
    partitioning=st.sampled_from(
        [
            {"partition_mode": "md5", "partition_count": 3},
            {"partition_mode": "numerical", "partition_size": 2},
            {"partition_mode": "datetime", "partition_keys": ["created_at"], "partition_format": "month"},
        ]
    ),
)
def test_a_resync_with_changed_non_key_fields_updates_rows_in_place(
    tmp_path_factory, make_response, make_inputs, renamed, partitioning
):
    path = tmp_path_factory.mktemp("resync")
    run(make_response(customer_pages(6), **partitioning), make_inputs("id"), path, max_rows=4)
    before = {row["id"]: row[PARTITION_COLUMN] for row in read_table(path).to_pylist()}
    changed = [[{**row, "name": renamed[row["id"]]} for row in page] for page in customer_pages(6)]
    run(make_response(changed, **partitioning), make_inputs("id"), path, max_rows=4)
    after = read_table(path).to_pylist()
    assert {row["id"]: row[PARTITION_COLUMN] for row in after} == before
    assert sorted((row["id"], row["name"]) for row in after) == list(enumerate(renamed))


def test_a_run_without_rows_writes_no_table_and_a_later_run_creates_it(tmp_path, make_response, make_inputs):
    empty = run(make_response([[], []]), make_inputs("created_at"), tmp_path)
    assert (empty.rows_written, empty.batches) == (0, 0)
    assert not (tmp_path / "_delta_log").exists()
    later = run(make_response(customer_pages(4)), make_inputs("created_at"), tmp_path)
    assert later.rows_written == 4
    assert [row["id"] for row in snapshot(tmp_path)] == [0, 1, 2, 3]


def test_with_batch_per_item_a_crash_at_batch_k_is_a_crash_after_the_sources_yield_k(
    tmp_path, make_response, make_inputs
):
    seen = []

    def crash_at_third(event):
        seen.append(event.table.column("id").to_pylist())
        if event.index == 3:
            raise Crash("third yield")

    with pytest.raises(Crash):
        response = make_response(customer_pages(12))
        run(response, make_inputs("id"), tmp_path, observer=crash_at_third, batch_per_item=True)
    assert seen == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert [row["id"] for row in snapshot(tmp_path)] == [0, 1, 2, 3, 4, 5]
