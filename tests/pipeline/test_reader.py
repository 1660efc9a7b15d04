import datetime as dt
import decimal
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow as pa
import pytest

from harness.pipeline import PARTITION_COLUMN, TableMissingError, read_table, run

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_read_table_returns_the_tables_own_types(tmp_path, make_response, make_inputs):
    rows = [{"id": 1, "name": "a", "created_at": "2024-03-05T10:00:00+00:00"}]
    run(make_response([rows], partition_mode="md5", partition_count=2), make_inputs(), tmp_path)
    table = read_table(tmp_path)
    assert table.schema.field("name").type == pa.string()
    assert table.schema.field(PARTITION_COLUMN).type == pa.string()
    assert set(table.column_names) == {"id", "name", "created_at", PARTITION_COLUMN}


def test_reading_a_missing_table_is_a_clear_error(tmp_path):
    with pytest.raises(TableMissingError, match=f"no Delta table at {tmp_path}"):
        read_table(tmp_path)


def test_write_and_read_in_a_fresh_process_exits_cleanly(tmp_path):
    # Some deltalake read paths abort the interpreter at exit; the pipeline's must not.
    script = textwrap.dedent(
        f"""
        from harness.pipeline import read_table, run
        from sources.common.typings import SourceInputs, SourceResponse

        rows = [{{"id": i, "created_at": f"2024-03-{{1 + i % 28:02d}}"}} for i in range(50)]
        response = SourceResponse(
            name="things", items=lambda: [rows], primary_keys=["id"],
            partition_mode="datetime", partition_keys=["created_at"], partition_format="day",
        )
        inputs = SourceInputs(schema_name="things", team_id=1, job_id="j",
                              should_use_incremental_field=True, incremental_field="created_at")
        run(response, inputs, {str(tmp_path)!r}, max_rows=20)
        run(response, inputs, {str(tmp_path)!r}, max_rows=20)
        assert read_table({str(tmp_path)!r}).num_rows == 50
        print("read ok")
        """
    )
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.strip() == "read ok"


def test_read_table_round_trips_column_types(tmp_path, make_response, make_inputs):
    table = pa.table(
        {
            "id": pa.array([1, 2], pa.int64()),
            "naive": pa.array([dt.datetime(2024, 3, 5, 14), None], pa.timestamp("us")),
            "aware": pa.array([dt.datetime(2024, 3, 5, 14, tzinfo=dt.UTC), None], pa.timestamp("us", tz="UTC")),
            "day": pa.array([dt.date(2024, 3, 5), None], pa.date32()),
            "amount": pa.array([decimal.Decimal("1.25"), None], pa.decimal128(10, 2)),
            "flag": pa.array([True, None]),
            "blob": pa.array([b"\x00\x01", None]),
        }
    )
    run(make_response([table], partition_mode="md5", partition_count=2), make_inputs(), tmp_path)
    read = read_table(tmp_path).sort_by("id")
    for field in table.schema:
        assert read.schema.field(field.name).type == field.type, field.name
        assert read.column(field.name).to_pylist() == table.column(field.name).to_pylist(), field.name
