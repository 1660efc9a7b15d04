"""Bad input is one line naming what was wrong and where: HAR files, manifests, connectors that do not import,
simulators and connectors that fail while recording, files the inventory cannot write. Never a traceback."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from acme_vendor.corpus import GOOD

from harness.fixtures.har import HarError, read_har
from harness.inventory.command import run as run_inventory
from harness.paths import REPO_ROOT
from harness.recording import cli as record_cli
from harness.recording import recorder

RECORD_HINT = ("write a simulator", "record with")


def har_document(version: Any = "1.2", entries: list[Any] | None = None) -> dict[str, Any]:
    log: dict[str, Any] = {"creator": {"name": "test", "version": "1"}, "entries": entries}
    if version is not None:
        log["version"] = version
    return {"log": log}


def one_entry(acme_root: Path) -> list[Any]:
    return json.loads((acme_root / GOOD / "credentials.har").read_text())["log"]["entries"][:1]


# --- HAR files ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("2.0", 'log.version is "2.0"; this harness reads HAR "1.1" or "1.2"'),
        ("1.3", 'log.version is "1.3"; this harness reads HAR "1.1" or "1.2"'),
        (1.2, 'log.version is 1.2; this harness reads HAR "1.1" or "1.2"'),
        (None, 'log.version is missing; expected "1.2"'),
    ],
)
def test_a_har_version_other_than_1_2_or_1_1_is_an_error_naming_the_file(
    acme_root: Path, tmp_path: Path, version: Any, expected: str
) -> None:
    path = tmp_path / "tickets" / "full.har"
    path.parent.mkdir()
    path.write_text(json.dumps(har_document(version, one_entry(acme_root))))

    with pytest.raises(HarError) as raised:
        read_har(path)

    assert str(raised.value) == f"{path}: {expected}"


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_har_1_1_and_1_2_are_read(acme_root: Path, tmp_path: Path, version: str) -> None:
    path = tmp_path / "full.har"
    path.write_text(json.dumps(har_document(version, one_entry(acme_root))))

    assert len(read_har(path).entries) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "the file is empty, expected a HAR 1.2 document"),
        ("  \n", "the file is empty, expected a HAR 1.2 document"),
        (json.dumps(har_document("1.2", [])), "the HAR has no entries (log.entries is empty); re-record it"),
    ],
    ids=["zero-bytes", "whitespace", "no-entries"],
)
def test_an_empty_har_is_an_error_naming_the_file(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "empty.har"
    path.write_text(text)

    with pytest.raises(HarError) as raised:
        read_har(path)

    assert str(raised.value) == f"{path}: {expected}"


def copy_good(acme_root: Path, tmp_path: Path) -> Path:
    root = tmp_path / "fixtures"
    shutil.copytree(acme_root / GOOD, root / GOOD)
    return root


def run_suite(root: Path, tmp_path: Path, *args: str) -> dict[str, Any]:
    results = tmp_path / "results.json"
    pytest.main([str(REPO_ROOT / "harness"), "-q", "--fixtures-root", str(root), "--results", str(results), *args])
    return json.loads(results.read_text())["results"]


def test_the_suite_fails_a_case_over_a_har_of_another_version_with_the_file_in_one_line(
    acme_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy_good(acme_root, tmp_path)
    har = root / GOOD / "tickets" / "full.har"
    document = json.loads(har.read_text())
    document["log"]["version"] = "2.0"
    har.write_text(json.dumps(document))

    results = run_suite(root, tmp_path, "--source", GOOD, "-k", "tickets/pagination")
    output = capsys.readouterr().out

    message = results[GOOD]["tickets"]["pagination.complete"]["message"]
    assert (
        message
        == f'{GOOD}/tickets/pagination.complete: {har}: log.version is "2.0"; this harness reads HAR "1.1" or "1.2"'
    )
    assert message in output
    assert "Traceback" not in output


# --- manifests ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'har = "tickets/full.har"',
            'har = "tickets/ful.har"',
            "scenario 'full' names 'tickets/ful.har', which does not exist",
        ),
        (
            "[endpoints.agents.scenarios.full]",
            "[endpoints.agents]\nlookback_secondz = 5\n[endpoints.agents.scenarios.full]",
            "[endpoints.agents]: unknown key 'lookback_secondz'; "
            "known: bypass, lookback_seconds, pagination, scenarios, watermark",
        ),
        (
            "[config]",
            "[confg]",
            "unknown key 'confg'; known: config, credentials, endpoints, rate_limit, source, vendor_errors",
        ),
    ],
    ids=["har-path", "endpoint-key", "top-level-key"],
)
def test_a_typo_in_a_manifest_is_its_own_one_line_error_without_the_recording_hint(
    acme_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, expected: str
) -> None:
    root = copy_good(acme_root, tmp_path)
    manifest = root / GOOD / "manifest.toml"
    text = manifest.read_text()
    assert old in text
    manifest.write_text(text.replace(old, new, 1))

    results = run_suite(root, tmp_path, "--source", GOOD)
    output = capsys.readouterr().out

    assert list(results[GOOD]) == ["-"]
    message = results[GOOD]["-"]["fixtures"]["message"]
    assert message.startswith(f"{GOOD}/-/fixtures: {manifest}")
    assert expected in message
    assert not any(hint in message for hint in RECORD_HINT)
    assert "\n" not in message
    assert "Traceback" not in output


def test_missing_fixtures_still_get_the_recording_hint(acme_root: Path, tmp_path: Path) -> None:
    root = copy_good(acme_root, tmp_path)
    (root / GOOD / "manifest.toml").unlink()

    message = run_suite(root, tmp_path, "--source", GOOD)[GOOD]["-"]["fixtures"]["message"]

    assert all(hint in message for hint in RECORD_HINT)


# --- a connector that does not import ----------------------------------------------------------------

# Makes `sources.typeform.source` fail the way a broken connector does: its real file, with a bad last line.
BREAK_CONNECTOR = textwrap.dedent(
    """
    import importlib.abc, importlib.machinery, pathlib, sys
    BROKEN, LAST_LINE = "sources.typeform.source", sys.argv.pop(1)
    class Loader(importlib.abc.Loader):
        def create_module(self, spec):
            return None
        def exec_module(self, module):
            path = pathlib.Path(module.__spec__.origin)
            exec(compile(path.read_text() + LAST_LINE + "\\n", str(path), "exec"), module.__dict__)
    class Finder(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name == BROKEN:
                origin = pathlib.Path.cwd() / "sources" / "typeform" / "source.py"
                return importlib.machinery.ModuleSpec(name, Loader(), origin=str(origin))
    sys.meta_path.insert(0, Finder())
    """
)
COMMANDS = {
    "pytest harness": "import pytest; sys.exit(pytest.main(['harness', '-q', '-p', 'no:randomly']))",
    "python -m harness record": "from harness.gate.cli import main; sys.exit(main(['record', 'typeform']))",
    "python -m harness inventory": "from harness.gate.cli import main; sys.exit(main(['inventory', '--check']))",
    "python -m harness secret-scan": "from harness.gate.cli import main; sys.exit(main(['secret-scan']))",
}


BROKEN_LINE = len((REPO_ROOT / "sources" / "typeform" / "source.py").read_text().splitlines()) + 1


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize(
    ("last_line", "expected"),
    [
        (
            "import vendor_sdk_not_installed",
            "connector module sources.typeform.source failed to import: ModuleNotFoundError: "
            f"No module named 'vendor_sdk_not_installed' (at sources/typeform/source.py:{BROKEN_LINE})",
        ),
        (
            "def broken(:",
            "connector module sources.typeform.source failed to import: SyntaxError: ",
        ),
    ],
    ids=["missing-dependency", "syntax-error"],
)
def test_a_connector_that_does_not_import_is_one_line_naming_module_and_exception(
    command: str, last_line: str, expected: str
) -> None:
    script = BREAK_CONNECTOR + COMMANDS[command]
    done = subprocess.run(
        [sys.executable, "-c", script, last_line], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300
    )

    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert done.returncode != 0
    assert len(lines) == 1, lines
    prefix = "ERROR: " if command == "pytest harness" else "error: "
    assert lines[0].startswith(prefix + expected)
    assert lines[0].endswith(f"(at sources/typeform/source.py:{BROKEN_LINE})")


# --- python -m harness record ------------------------------------------------------------------------

SIMULATOR_HEAD = textwrap.dedent(
    """
    from acme_vendor.dataset import AcmeData
    from acme_vendor.simulator import TOKEN, simulator
    from harness.recording.recorder import SimulatedResponse

    def recorder(recorder_class):
        return recorder_class("acme", {"api_token": TOKEN, "page_size": 5}, comment="test")
    """
)
SIMULATORS = {
    "simulator-raises": (
        """
        def record_all(recorder_class):
            def answer(request):
                return {}["no-such-ticket"]  # fails here
            recorder(recorder_class).record_sync("tickets", "full", answer, incremental_field="updated_at")
        """,
        "{har}: the simulator raised KeyError: 'no-such-ticket' (at {simulator}:{line}) "
        "answering GET https://api.acme-helpdesk.test/v1/tickets?",
    ),
    "vendor-error": (
        """
        def record_all(recorder_class):
            def answer(request):
                return SimulatedResponse(404, {"error": {"code": "not_found", "message": "no such account"}})
            recorder(recorder_class).record_sync("tickets", "full", answer, incremental_field="updated_at")
        """,
        "{har}: the connector failed while recording: HTTPError: 404 Client Error: Not Found for url: "
        "https://api.acme-helpdesk.test/v1/tickets?",
    ),
    "simulator-does-not-import": (
        "import vendor_simulator_helpers  # fails here\n",
        "{simulator}: the simulator failed to import: ModuleNotFoundError: "
        "No module named 'vendor_simulator_helpers' (at {simulator}:{line})",
    ),
    "no-record-all": ("RECORD = None\n", "{simulator}: defines no `record_all(recorder_class)` function"),
}


@pytest.fixture
def fixtures_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(recorder, "FIXTURES_ROOT", tmp_path)
    return tmp_path


def record(capsys: pytest.CaptureFixture[str], source: str) -> tuple[int, str]:
    """`python -m harness record SOURCE`; returns the exit code and what it wrote to stderr."""
    code = record_cli.main([source])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("case", list(SIMULATORS))
def test_record_reports_a_failing_simulator_or_vendor_in_one_line_and_writes_nothing(
    fixtures_root: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    body, expected = SIMULATORS[case]
    simulator = fixtures_root / GOOD / "simulator.py"
    simulator.parent.mkdir()
    text = SIMULATOR_HEAD + textwrap.dedent(body)
    simulator.write_text(text)
    line = next((number for number, code in enumerate(text.splitlines(), 1) if "# fails here" in code), 0)

    code, error = record(capsys, GOOD)

    assert code == 1
    assert error.startswith(
        "error: " + expected.format(har=fixtures_root / GOOD / "tickets" / "full.har", simulator=simulator, line=line)
    )
    assert error.count("\n") == 1, error
    assert "Traceback" not in error
    assert not list((fixtures_root / GOOD).rglob("*.har"))


def test_record_of_an_unknown_source_names_the_registered_ones(
    fixtures_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, error = record(capsys, "acmee")

    assert code == 1
    assert error.startswith("error: 'acmee' is not a registered source type; registered: ")
    assert f" {GOOD}," in error and "github" in error
    assert error.count("\n") == 1


def test_record_without_a_simulator_says_where_to_write_one(
    fixtures_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, error = record(capsys, GOOD)

    assert code == 1
    assert error == (
        f"error: {fixtures_root / GOOD / 'simulator.py'}: no simulator to record 'acme' from; write one with "
        "`record_all(recorder_class)` (see the other sources' simulators)\n"
    )


# --- python -m harness inventory ---------------------------------------------------------------------


def test_inventory_reports_an_output_it_cannot_write_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "no-such-folder" / "SOURCES.md"

    code = run_inventory(argparse.Namespace(check=False, format="md", results=None, output=output))
    captured = capsys.readouterr()

    assert code == 1
    assert captured.err == f"error: {output}: No such file or directory\n"
