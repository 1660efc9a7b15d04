"""A recording is all or nothing per source: a failure halfway leaves the previous fixtures byte for byte, and
says what failed in one line, without a traceback."""

from __future__ import annotations

import errno
import re
import shutil
from pathlib import Path

import pytest

from harness.paths import FIXTURES_ROOT
from harness.recording import recorder
from harness.recording.cli import main

SOURCE = "typeform"
BREAK_AFTER = """

_calls = [0]
_answer = TypeformSimulator.__call__


def _breaking(self, request):
    _calls[0] += 1
    if _calls[0] > {after}:
        raise {error}
    return _answer(self, request)


TypeformSimulator.__call__ = _breaking
"""


def snapshot(directory: Path) -> dict[str, bytes]:
    return {str(path.relative_to(directory)): path.read_bytes() for path in directory.rglob("*") if path.is_file()}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURES_ROOT / SOURCE, tmp_path / SOURCE, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def untimed(files: dict[str, bytes]) -> dict[str, bytes]:
    """The files without HAR `startedDateTime`s: a recording stamps the (frozen) time it was made at."""
    return {name: re.sub(rb'"startedDateTime": "[^"]*"', b"", data) for name, data in files.items()}


def break_simulator(root: Path, after: int, error: str) -> None:
    simulator = root / SOURCE / "simulator.py"
    simulator.write_text(simulator.read_text() + BREAK_AFTER.format(after=after, error=error))


def assert_one_line_and_untouched(capsys: pytest.CaptureFixture[str], root: Path, before: dict[str, bytes]) -> str:
    error = capsys.readouterr().err.strip()
    assert "\n" not in error and "Traceback" not in error
    assert error.endswith(f"{root / SOURCE} left as it was")
    assert snapshot(root / SOURCE) == before
    assert [path.name for path in root.iterdir()] == [SOURCE]  # no staging folder left behind
    return error


def test_a_simulator_error_halfway_leaves_the_fixtures_as_they_were(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    break_simulator(root, 6, 'RuntimeError("the simulator broke on purpose")')
    before = snapshot(root / SOURCE)

    assert main([SOURCE, "--fixtures-root", str(root)]) == 1

    error = assert_one_line_and_untouched(capsys, root, before)
    assert error.startswith(f"error: {root / SOURCE}/")
    assert ": the simulator raised RuntimeError: the simulator broke on purpose (at " in error


def test_a_vendor_error_through_mitmdump_leaves_the_fixtures_as_they_were(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    break_simulator(root, 4, 'RuntimeError("upstream exploded")')
    before = snapshot(root / SOURCE)

    assert main([SOURCE, "--through-mitmdump", "--fixtures-root", str(root)]) == 1

    error = assert_one_line_and_untouched(capsys, root, before)
    assert "500" in error or "upstream exploded" in error


def test_a_full_disk_halfway_leaves_the_fixtures_as_they_were(
    root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    written = []
    real_write = recorder.write_har

    def write_until_the_disk_fills(path: Path, *args: object) -> None:
        if len(written) == 3:
            path.write_text('{"log": {"entries": [')  # a HAR cut off mid-file
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        written.append(path)
        real_write(path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(recorder, "write_har", write_until_the_disk_fills)
    before = snapshot(root / SOURCE)

    assert main([SOURCE, "--fixtures-root", str(root)]) == 1

    error = assert_one_line_and_untouched(capsys, root, before)
    assert "No space left on device" in error


def test_ctrl_c_halfway_leaves_the_fixtures_as_they_were(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    break_simulator(root, 5, "KeyboardInterrupt")
    before = snapshot(root / SOURCE)

    assert main([SOURCE, "--fixtures-root", str(root)]) == 130

    error = assert_one_line_and_untouched(capsys, root, before)
    assert error.startswith(f"error: record {SOURCE}: interrupted")


def test_a_successful_recording_replaces_the_folder_and_reproduces_it(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (root / SOURCE / "forms" / "full.har").write_text("stale")
    before = snapshot(root / SOURCE)

    assert main([SOURCE, "--fixtures-root", str(root)]) == 0

    after = snapshot(root / SOURCE)
    assert after["forms/full.har"] != b"stale"
    committed = {**before, "forms/full.har": (FIXTURES_ROOT / SOURCE / "forms" / "full.har").read_bytes()}
    assert untimed(after) == untimed(committed)
    assert [path.name for path in root.iterdir()] == [SOURCE]
