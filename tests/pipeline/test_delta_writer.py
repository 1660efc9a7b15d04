import datetime as dt

import pyarrow as pa
import pytest

from harness.pipeline import (
    PARTITION_COLUMN,
    DeltaWriteError,
    DeltaWriter,
    DuplicatePrimaryKeyError,
    MissingColumnError,
    NullPrimaryKeyError,
    PartitionSpec,
    PipelineConfigError,
    SchemaConflictError,
    SyncTarget,
    read_table,
)

TARGET = SyncTarget("acme", "things")


def writer(path, disposition="incremental", partition=None, allow_duplicates=False, primary_keys=("id",)):
    return DeltaWriter(
        path,
        disposition=disposition,
        primary_keys=list(primary_keys),
        partition=partition,
        allow_duplicate_keys=allow_duplicates,
        target=TARGET,
    )


def rows_by_id(path) -> dict:
    return {row["id"]: row for row in read_table(path).to_pylist()}


def test_full_refresh_overwrites_with_the_first_batch_then_appends(tmp_path):
    first = writer(tmp_path, "full_refresh")
    first.write(pa.table({"id": [1, 2], "name": ["a", "b"]}), 1)
    first.write(pa.table({"id": [3], "name": ["c"]}), 2)
    assert sorted(rows_by_id(tmp_path)) == [1, 2, 3]

    second = writer(tmp_path, "full_refresh")
    second.write(pa.table({"id": [7], "name": ["z"]}), 1)
    second.write(pa.table({"id": [8], "name": ["y"]}), 2)
    assert sorted(rows_by_id(tmp_path)) == [7, 8]


def test_full_refresh_replaces_the_schema_and_merges_new_columns_of_later_batches(tmp_path):
    writer(tmp_path, "full_refresh").write(pa.table({"id": [1], "old": ["gone"]}), 1)
    refresh = writer(tmp_path, "full_refresh")
    refresh.write(pa.table({"id": [1], "name": ["a"]}), 1)
    refresh.write(pa.table({"id": [2], "name": ["b"], "extra": [True]}), 2)
    table = read_table(tmp_path)
    assert set(table.column_names) == {"id", "name", "extra"}
    assert rows_by_id(tmp_path) == {
        1: {"id": 1, "name": "a", "extra": None},
        2: {"id": 2, "name": "b", "extra": True},
    }


def test_incremental_merge_updates_rows_instead_of_duplicating(tmp_path):
    writer(tmp_path).write(pa.table({"id": [1, 2], "name": ["a", "b"]}), 1)
    second = writer(tmp_path)
    second.write(pa.table({"id": [2, 3], "name": ["B", "c"], "score": [0.5, 1.5]}), 1)
    assert rows_by_id(tmp_path) == {
        1: {"id": 1, "name": "a", "score": None},
        2: {"id": 2, "name": "B", "score": 0.5},
        3: {"id": 3, "name": "c", "score": 1.5},
    }


def test_incremental_merge_leaves_columns_the_batch_lacks_alone(tmp_path):
    writer(tmp_path).write(pa.table({"id": [1], "name": ["a"], "note": ["keep me"]}), 1)
    writer(tmp_path).write(pa.table({"id": [1], "name": ["A"]}), 1)
    assert rows_by_id(tmp_path)[1] == {"id": 1, "name": "A", "note": "keep me"}


def test_merge_keys_with_upper_case_and_odd_characters(tmp_path):
    keys = ["orgId", 'we"ird key']
    table = pa.table({"orgId": [1, 1], 'we"ird key': ["a", "b"], "v": [1, 2]})
    writer(tmp_path, primary_keys=keys).write(table, 1)
    writer(tmp_path, primary_keys=keys).write(pa.table({"orgId": [1], 'we"ird key': ["b"], "v": [20]}), 1)
    assert sorted(read_table(tmp_path).column("v").to_pylist()) == [1, 20]


def test_duplicate_keys_in_an_incremental_batch_name_the_keys_and_write_nothing(tmp_path):
    batch = pa.table({"org": ["x", "x", "y", "x"], "id": [1, 1, 2, 1], "v": [1, 2, 3, 4]})
    with pytest.raises(DuplicatePrimaryKeyError) as caught:
        writer(tmp_path, primary_keys=("org", "id")).write(batch, 4)
    assert str(caught.value) == (
        "source 'acme', endpoint 'things': batch 4 repeats primary key (org, id): (org='x', id=1) x3"
    )
    assert not (tmp_path / "_delta_log").exists()


def test_declared_duplicate_keys_keep_the_last_row_of_each_key(tmp_path):
    batch = pa.table({"id": [1, 2, 1, 3, 2], "v": ["first", "b", "last", "c", "b-last"]})
    written = writer(tmp_path, allow_duplicates=True).write(batch, 1)
    assert written == 3
    assert {i: row["v"] for i, row in rows_by_id(tmp_path).items()} == {1: "last", 2: "b-last", 3: "c"}
    writer(tmp_path, allow_duplicates=True).write(batch, 1)
    assert read_table(tmp_path).num_rows == 3


def test_full_refresh_keeps_duplicate_rows(tmp_path):
    writer(tmp_path, "full_refresh").write(pa.table({"id": [1, 1]}), 1)
    assert read_table(tmp_path).num_rows == 2


@pytest.mark.parametrize("disposition", ["incremental", "full_refresh"])
def test_missing_primary_key_column_is_named(tmp_path, disposition):
    with pytest.raises(MissingColumnError) as caught:
        writer(tmp_path, disposition, primary_keys=("id", "org")).write(pa.table({"id": [1], "name": ["a"]}), 2)
    assert str(caught.value) == (
        "source 'acme', endpoint 'things': primary key column 'org' is missing from batch 2 (columns: id, name)"
    )


def test_null_primary_keys_are_refused_in_incremental_syncs(tmp_path):
    with pytest.raises(NullPrimaryKeyError, match="primary key column 'id' is null in 1 row"):
        writer(tmp_path).write(pa.table({"id": pa.array([1, None], pa.int64())}), 1)


def test_incremental_without_primary_keys_is_a_config_error(tmp_path):
    with pytest.raises(PipelineConfigError, match="incremental sync needs primary keys"):
        writer(tmp_path, primary_keys=())


def test_a_lossy_type_change_is_refused_instead_of_truncating(tmp_path):
    writer(tmp_path, "full_refresh").write(pa.table({"id": [1], "amount": [3]}), 1)
    with pytest.raises(SchemaConflictError, match="column 'amount' is int64 in the table but double in batch 1"):
        writer(tmp_path).write(pa.table({"id": [2], "amount": [1.5]}), 1)
    assert rows_by_id(tmp_path) == {1: {"id": 1, "amount": 3}}


def test_a_lossless_type_change_is_cast_to_the_table_type(tmp_path):
    writer(tmp_path, "full_refresh").write(pa.table({"id": [1], "amount": [3]}), 1)
    writer(tmp_path).write(pa.table({"id": [2], "amount": [4.0], "later": pa.array([None], pa.null())}), 1)
    writer(tmp_path).write(pa.table({"id": [3], "amount": pa.array([5], pa.int32()), "later": ["now set"]}), 1)
    table = read_table(tmp_path)
    assert table.schema.field("amount").type == pa.int64()
    assert {i: (row["amount"], row["later"]) for i, row in rows_by_id(tmp_path).items()} == {
        1: (3, None),
        2: (4, None),
        3: (5, "now set"),
    }


def test_partitioned_table_gets_the_partition_column_and_merges_on_it(tmp_path):
    spec = PartitionSpec("numerical", ("id",), size=10)
    first = writer(tmp_path, partition=spec)
    first.write(pa.table({"id": [1, 15, 27], "v": ["a", "b", "c"]}), 1)
    assert first.partition_column == PARTITION_COLUMN
    writer(tmp_path, partition=spec).write(pa.table({"id": [15, 31], "v": ["B", "d"]}), 1)
    rows = rows_by_id(tmp_path)
    assert {i: (row["v"], row[PARTITION_COLUMN]) for i, row in rows.items()} == {
        1: ("a", "0"),
        15: ("B", "1"),
        27: ("c", "2"),
        31: ("d", "3"),
    }
    partition_dirs = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(PARTITION_COLUMN))
    assert partition_dirs == [f"{PARTITION_COLUMN}={n}" for n in range(4)]


def test_a_row_whose_partition_moved_is_not_matched_by_the_merge(tmp_path):
    # The merge predicate includes the partition: an unstable partition key duplicates the row. This is what the
    # partition-stability check detects.
    spec = PartitionSpec("datetime", ("updated_at",), format="day")
    writer(tmp_path, partition=spec).write(pa.table({"id": [1], "updated_at": ["2024-03-05"]}), 1)
    writer(tmp_path, partition=spec).write(pa.table({"id": [1], "updated_at": ["2024-03-06"]}), 1)
    assert sorted(read_table(tmp_path).column(PARTITION_COLUMN).to_pylist()) == ["2024-03-05", "2024-03-06"]


def test_incremental_into_an_unpartitioned_table_stays_unpartitioned(tmp_path):
    writer(tmp_path).write(pa.table({"id": [1]}), 1)
    later = writer(tmp_path, partition=PartitionSpec("md5", ("id",), count=4))
    later.write(pa.table({"id": [1, 2]}), 1)
    assert later.partition_column is None
    assert sorted(read_table(tmp_path).column_names) == ["id"]
    assert read_table(tmp_path).num_rows == 2


def test_dropping_partitioning_on_a_partitioned_table_is_a_config_error(tmp_path):
    writer(tmp_path, partition=PartitionSpec("md5", ("id",), count=4)).write(pa.table({"id": [1]}), 1)
    with pytest.raises(PipelineConfigError, match="is partitioned by _partition_key but the source declares no"):
        writer(tmp_path)


def test_full_refresh_can_partition_a_previously_unpartitioned_table(tmp_path):
    writer(tmp_path, "full_refresh").write(pa.table({"id": [1]}), 1)
    refresh = writer(tmp_path, "full_refresh", partition=PartitionSpec("md5", ("id",), count=2))
    refresh.write(pa.table({"id": [1, 2]}), 1)
    assert refresh.partition_column == PARTITION_COLUMN
    assert set(read_table(tmp_path).column(PARTITION_COLUMN).to_pylist()) <= {"0", "1"}


def test_unsigned_integers_are_widened_so_no_value_changes(tmp_path):
    table = pa.table(
        {
            "id": pa.array([1, 2], pa.uint8()),
            "small": pa.array([200, 255], pa.uint8()),
            "big": pa.array([2**64 - 1, 0], pa.uint64()),
        }
    )
    writer(tmp_path, "full_refresh").write(table, 1)
    read = read_table(tmp_path).sort_by("id")
    assert read.schema.field("small").type == pa.int16()
    assert read.column("small").to_pylist() == [200, 255]
    assert [int(v) for v in read.column("big").to_pylist()] == [2**64 - 1, 0]


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        (pa.array([dt.time(9, 30)]), "column 'c' in batch 2 has type time64[us], which a Delta Lake table"),
        (pa.array([dt.timedelta(days=1)]), "column 'c' in batch 2 has type duration[us], which"),
        (pa.array([{"at": dt.time(9)}]), "column 'c' in batch 2 has type time64[us] (inside struct<at: time64[us]>)"),
    ],
)
def test_types_delta_cannot_store_are_named_before_writing(tmp_path, column, expected):
    with pytest.raises(SchemaConflictError) as caught:
        writer(tmp_path, "full_refresh").write(pa.table({"id": [1], "c": column}), 2)
    assert str(caught.value).startswith(f"source 'acme', endpoint 'things': {expected}")
    assert not (tmp_path / "_delta_log").exists()


def test_a_failed_delta_write_is_a_one_line_error_naming_the_table(tmp_path):
    (tmp_path / "a-file").write_text("not a directory")
    path = tmp_path / "a-file" / "table"
    with pytest.raises(DeltaWriteError) as caught:
        writer(path, "full_refresh").write(pa.table({"id": [1]}), 1)
    message = str(caught.value)
    expected = f"source 'acme', endpoint 'things': writing batch 1 to the Delta table at {path} failed: "
    assert message.startswith(expected)
    assert "\n" not in message
