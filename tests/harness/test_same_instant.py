"""incremental.same_instant: what the vendor model is made to do, what the next sync and the Delta table must
show, and the one-line inconclusive verdict where the model cannot write a row at the watermark."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from acme_vendor.dataset import iso

from harness.checks._common import row_key
from harness.checks.incremental_same_instant import _table_problems
from harness.runs import same_instant
from harness.runs.targets import load_source
from harness.suite.api import forget, run_check

CHECK = "incremental.same_instant"


def test_the_vendor_writes_at_the_watermark_and_the_good_source_gets_both_rows(acme_root: Path) -> None:
    record = same_instant.run(load_source("acme", acme_root).endpoint("tickets"))

    newest = max(row["updated_at"] for row in record.full.rows)
    assert record.watermark == dt.datetime.fromisoformat(newest.replace("Z", "+00:00"))  # typed, as handed over
    assert record.updated is not None and record.inserted is not None and record.unexpressed == ()
    assert record.updated_from < newest  # an earlier row, not the last one delivered
    assert record.incremental is not None
    assert f"updated_since={iso(record.watermark).replace(':', '%3A')}" in record.incremental.wire[0].url
    delivered = {row_key(row, record.keys): row for row in record.incremental.rows}
    assert all(delivered[key]["updated_at"] == newest for key in record.changed)

    stored = [row_key(row, record.keys) for row in record.table_rows]
    assert len(stored) == len(set(stored)) == len(record.full.rows) + 1  # merged by id: one new row
    table = {row_key(row, record.keys): row for row in record.table_rows}
    assert all(table[key]["updated_at"] == newest for key in record.changed)
    assert _table_problems(record, allow_duplicates=False) == []


def test_the_table_check_names_a_row_stored_twice_or_left_at_an_older_value(acme_root: Path) -> None:
    record = same_instant.run(load_source("acme", acme_root).endpoint("tickets"))
    table = {row_key(row, record.keys): row for row in record.table_rows}
    stale = {**table[record.updated], "updated_at": record.updated_from}
    rows = (*(row for key, row in table.items() if key != record.updated), stale, table[record.inserted])

    problems = _table_problems(dataclasses.replace(record, table_rows=rows), allow_duplicates=False)

    assert problems == [
        f"1 primary key(s) stored more than once in the table: id={record.inserted[0]!r}",
        f"id={record.updated[0]!r} is in the table with updated_at={record.updated_from!r}",
    ]


def test_an_append_only_log_is_checked_with_the_new_row_alone(acme_root: Path) -> None:
    record = same_instant.run(load_source("acme", acme_root).endpoint("events"))

    assert record.updated is None and record.inserted is not None
    assert record.unexpressed == ("the vendor model never edits events",)
    assert record.inserted in {row_key(row, record.keys) for row in record.incremental.rows}  # type: ignore[union-attr]
    assert run_check("acme", "events", CHECK, fixtures_root=acme_root).status == "passed"


MODEL_STUB = """from pathlib import Path
import dataclasses

from acme_vendor.model import DATASET_FILE, model_from_file


def vendor_model():
    model = model_from_file(Path(__file__).with_name(DATASET_FILE))
    model.endpoints["tickets"] = dataclasses.replace(model.endpoints["tickets"], {changes})
    return model
"""


@pytest.fixture
def acme_copy(acme_root: Path, tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "fixtures"
    shutil.copytree(acme_root / "acme", root / "acme")
    yield root
    forget(root)


def with_model(root: Path, changes: str) -> None:
    (root / "acme" / "simulator.py").write_text(MODEL_STUB.format(changes=changes))


def test_a_model_that_cannot_write_at_the_watermark_is_inconclusive_in_one_line(acme_copy: Path) -> None:
    with_model(acme_copy, "touch=None, create=None")

    verdict = run_check("acme", "tickets", CHECK, fixtures_root=acme_copy)

    assert verdict.status == "inconclusive"
    first, fix = (verdict.message or "").split("\n  fix: ")
    assert first == (
        "acme/tickets [incremental.same_instant]: inconclusive: the vendor model cannot write a row at the "
        "watermark: the vendor model never edits tickets; the vendor model never creates tickets."
    )
    assert "vendor_model()" in fix and "simulator.py" in fix


def test_an_edit_that_does_not_move_the_incremental_field_leaves_the_new_row_to_prove_it(acme_copy: Path) -> None:
    with_model(acme_copy, "version_of=None")

    record = same_instant.run(load_source("acme", acme_copy).endpoint("tickets"))

    assert record.updated is None and record.inserted is not None
    assert record.unexpressed == ("an edit does not move updated_at",)
    assert run_check("acme", "tickets", CHECK, fixtures_root=acme_copy).status == "passed"
