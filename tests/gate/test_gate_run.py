"""The gate end to end, in a temporary clone: a clean change passes, one planted violation of each kind fails it,
and each violation is named in the summary, the JUnit XML and the SARIF."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness.paths import REPO_ROOT
from sources.common.registry import SourceRegistry

# Built from parts so that no scanner reads a credential in this file; it is fake in any case.
FAKE_STRIPE_KEY = "sk_" + "live_" + "0123456789abcdefABCDEF"


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tools = REPO_ROOT / ".tools" / "bin"
    if shutil.which("semgrep") is None and shutil.which("semgrep", path=str(tools)) is None:
        pytest.fail("semgrep is not installed: run the tests through `./dev test`, which installs it in .tools/bin")
    root = tmp_path_factory.mktemp("gate") / "repo"
    # The working tree as it is (not only what is committed), as the base commit of a fresh repository.
    listed = git(REPO_ROOT, "ls-files", "--cached", "--others", "--exclude-standard", "-z")
    for name in filter(None, listed.split("\0")):
        source = REPO_ROOT / name
        if source.is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / name)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "gate@example.invalid")
    git(root, "config", "user.name", "gate")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    git(root, "checkout", "-qb", "change")
    return root


def gate(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join([str(REPO_ROOT / ".tools" / "bin"), os.environ.get("PATH", "")])
    env = {**os.environ, "PATH": path, "PYTHONPATH": str(root), "NO_COLOR": "1", "COLUMNS": "200"}
    env.pop("GITHUB_STEP_SUMMARY", None)
    return subprocess.run(
        [sys.executable, "-m", "harness", "gate", *args], cwd=root, env=env, capture_output=True, text=True, timeout=600
    )


def registered() -> int:
    import sources  # noqa: F401  (registers every source)

    return len(SourceRegistry.all_sources())


def test_an_unchanged_tree_passes_with_nothing_to_check(clone: Path, tmp_path: Path) -> None:
    done = gate(clone, "--base", "HEAD", "--out", str(tmp_path))

    assert done.returncode == 0, done.stdout + done.stderr
    summary = (tmp_path / "summary.md").read_text()
    assert "Connector gate passed" in summary
    assert f"0 of {registered()} sources affected by the changes since HEAD" in summary
    assert "| conformance | ⏭ skipped (no source selected)" in summary


def test_one_planted_violation_of_each_kind_is_named_everywhere(clone: Path, tmp_path: Path) -> None:
    base = git(clone, "rev-parse", "HEAD")
    connector = clone / "sources" / "typeform" / "typeform.py"
    connector.write_text(
        connector.read_text()
        + "\n\ndef fetch_status():\n    import requests\n\n    return requests.Session()\n\n\nplanted_format=1\n"
    )
    (clone / "fixtures" / "typeform" / "notes.json").write_text(json.dumps({"key": FAKE_STRIPE_KEY}))
    har = clone / "fixtures" / "typeform" / "forms" / "full.har"
    document = json.loads(har.read_text())
    document["log"]["entries"] = document["log"]["entries"][:-1]  # the last page is gone: the sync asks for it
    har.write_text(json.dumps(document, indent=2))
    sources_md = clone / "SOURCES.md"
    sources_md.write_text(sources_md.read_text().replace("| `typeform` |", "| `typeform` | planted |", 1))
    git(clone, "add", "-A")
    git(clone, "commit", "-qm", "planted")

    done = gate(clone, "--base", base, "--out", str(tmp_path))

    assert done.returncode == 1, done.stdout + done.stderr
    summary = (tmp_path / "summary.md").read_text()
    assert "Connector gate failed" in summary
    assert f"1 of {registered()} sources affected" in summary and "(why: " in summary
    for step in ("ruff format", "semgrep scan", "fixture secret scan", "conformance", "SOURCES.md drift"):
        assert f"| {step} | ❌ fail" in summary, step
    assert "warehouse-http-transport" in summary
    assert "fixtures/typeform/notes.json" in summary
    assert "`typeform/forms/" in summary  # a failed check of the endpoint whose page went missing

    junit = ET.parse(tmp_path / "junit.xml").getroot()
    failed = {case.get("name") for case in junit.iter("testcase") if case.find("failure") is not None}
    assert {"ruff format", "semgrep scan", "fixture secret scan", "SOURCES.md drift"} <= failed
    assert "pagination.complete" in failed

    sarif = json.loads((tmp_path / "gate.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    located = {
        (run["tool"]["driver"]["name"], result["ruleId"], location["physicalLocation"]["artifactLocation"]["uri"])
        for run in sarif["runs"]
        for result in run["results"]
        for location in result["locations"]
    }
    assert ("semgrep", "warehouse-http-transport", "sources/typeform/typeform.py") in located
    assert ("ruff-format", "format", "sources/typeform/typeform.py") in located
    assert ("secret-scan", "fixture-secret", "fixtures/typeform/notes.json") in located
    assert ("inventory", "sources-md-stale", "SOURCES.md") in located
    assert any(tool == "conformance" and uri.startswith("sources/typeform/") for tool, _, uri in located)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--base", "no-such-ref"), "error: git rev-parse"),
        (("--shard", "3/2"), "error: --shard '3/2'"),
        (("--source", "gitlab"), "error: --source 'gitlab' is not a registered source"),
    ],
)
def test_usage_errors_exit_2_with_one_line(clone: Path, tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    done = gate(clone, *args, "--out", str(tmp_path))

    assert done.returncode == 2
    assert done.stderr.startswith(message)
    assert len(done.stderr.strip().splitlines()) == 1
