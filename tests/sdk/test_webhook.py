"""WebhookSourceManager: parquet batches under <dir>/<team>/<schema>/, read in order, deleted after hand-over."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sources.common.errors import WebhookFileError
from sources.common.typings import SourceInputs
from sources.common.webhook import WEBHOOK_DIR_ENV, WebhookSourceManager

INPUTS = SourceInputs(schema_name="charges", team_id=7, job_id="job-1", schema_id="schema-9")


def write_batch(root: Path, name: str, ids: list[int], team_id: int = 7, schema_id: str = "schema-9") -> Path:
    folder = root / str(team_id) / schema_id
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    pq.write_table(pa.table({"id": pa.array(ids, pa.int64())}), path)
    return path


def ids_of(table: pa.Table) -> list[int]:
    return table.column("id").to_pylist()


def test_batches_are_yielded_in_name_order_and_each_deleted_after_the_next_request(webhook_root: Path) -> None:
    second = write_batch(webhook_root, "0002.parquet", [3, 4])
    first = write_batch(webhook_root, "0001.parquet", [1, 2])
    third = write_batch(webhook_root, "0010.parquet", [5])
    tables = WebhookSourceManager(INPUTS, base_dir=webhook_root).iter_tables()

    assert ids_of(next(tables)) == [1, 2]
    assert first.exists()  # still ours to lose until the consumer asks for more
    assert ids_of(next(tables)) == [3, 4]
    assert not first.exists() and second.exists()
    assert ids_of(next(tables)) == [5]
    with pytest.raises(StopIteration):
        next(tables)
    assert not second.exists() and not third.exists()


def test_a_consumer_that_stops_after_one_batch_leaves_that_file_for_next_time(webhook_root: Path) -> None:
    write_batch(webhook_root, "0001.parquet", [1, 2])
    write_batch(webhook_root, "0002.parquet", [3])
    manager = WebhookSourceManager(INPUTS, base_dir=webhook_root)

    tables = manager.iter_tables()
    next(tables)
    tables.close()

    assert [path.name for path in manager.pending_files()] == ["0001.parquet", "0002.parquet"]
    assert [ids_of(table) for table in manager.iter_tables()] == [[1, 2], [3]]
    assert manager.pending_files() == []


def test_only_this_team_and_schema_are_read(webhook_root: Path) -> None:
    write_batch(webhook_root, "0001.parquet", [1])
    write_batch(webhook_root, "0001.parquet", [99], team_id=8)
    write_batch(webhook_root, "0001.parquet", [98], schema_id="schema-other")
    (webhook_root / "7" / "schema-9" / "notes.txt").write_text("not a batch")

    assert [ids_of(table) for table in WebhookSourceManager(INPUTS, base_dir=webhook_root).iter_tables()] == [[1]]


def test_an_empty_file_is_consumed_without_yielding_a_batch(webhook_root: Path) -> None:
    empty = write_batch(webhook_root, "0001.parquet", [])
    write_batch(webhook_root, "0002.parquet", [1])

    assert [ids_of(table) for table in WebhookSourceManager(INPUTS, base_dir=webhook_root).iter_tables()] == [[1]]
    assert not empty.exists()


def test_an_unreadable_file_is_an_error_naming_it_and_is_kept(webhook_root: Path) -> None:
    write_batch(webhook_root, "0001.parquet", [1])
    broken = webhook_root / "7" / "schema-9" / "0002.parquet"
    broken.write_bytes(b"this is not parquet")
    tables = WebhookSourceManager(INPUTS, base_dir=webhook_root).iter_tables()

    assert ids_of(next(tables)) == [1]
    with pytest.raises(WebhookFileError, match=rf"^webhook file {broken} is not readable parquet: "):
        next(tables)
    assert broken.exists()


def test_no_folder_means_nothing_pending(webhook_root: Path) -> None:
    manager = WebhookSourceManager(INPUTS, base_dir=webhook_root)

    assert manager.has_pending() is False
    assert list(manager.iter_tables()) == []


def test_no_configured_directory_means_nothing_pending(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(WEBHOOK_DIR_ENV, raising=False)
    manager = WebhookSourceManager(INPUTS)

    assert manager.folder is None
    assert list(manager.iter_tables()) == []


def test_the_directory_comes_from_inputs_then_the_environment(
    webhook_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_batch(webhook_root, "0001.parquet", [1])
    monkeypatch.setenv(WEBHOOK_DIR_ENV, str(webhook_root))

    from_env = WebhookSourceManager(INPUTS)
    from_inputs = WebhookSourceManager(
        SourceInputs(schema_name="charges", team_id=7, job_id="j", schema_id="schema-9", webhook_dir=webhook_root / "x")
    )

    assert from_env.has_pending() is True
    assert from_inputs.folder == webhook_root / "x" / "7" / "schema-9"
    assert from_inputs.has_pending() is False


@pytest.mark.parametrize("schema_id", ["..", "../../etc", "a/b", "a\\b", ""])
def test_an_id_that_would_leave_the_webhook_folder_is_refused(webhook_root: Path, schema_id: str) -> None:
    hostile = SourceInputs(schema_name="charges", team_id=7, job_id="j", schema_id=schema_id)

    with pytest.raises(ValueError, match=r"^webhook folder: schema_id .* cannot be used as a folder name$"):
        WebhookSourceManager(hostile, base_dir=webhook_root)


def test_a_file_consumed_elsewhere_after_listing_is_skipped(webhook_root: Path) -> None:
    write_batch(webhook_root, "0001.parquet", [1])
    vanishing = write_batch(webhook_root, "0002.parquet", [2])
    write_batch(webhook_root, "0003.parquet", [3])
    tables = WebhookSourceManager(INPUTS, base_dir=webhook_root).iter_tables()

    first = next(tables)
    vanishing.unlink()

    assert [ids_of(first), *(ids_of(table) for table in tables)] == [[1], [3]]
