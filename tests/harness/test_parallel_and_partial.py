"""`pytest harness -n 2` reports every case, once, from one worker per source; a partial run merges into the results
file instead of dropping the other sources' entries."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from acme_vendor.corpus import GOOD
from acme_vendor.known_bad import KNOWN_BAD

from harness.paths import REPO_ROOT
from harness.suite import results as results_file
from harness.suite.suite import Case, Verdict

ACME_PACKAGE_PARENT = Path(__file__).parent
SELECTED = (GOOD, "acme_token_not_password", "acme_never_saves_state")


def statuses(results: dict[str, Any]) -> dict[str, str]:
    return {
        f"{source}/{endpoint}/{check}": entry["status"]
        for source, endpoints in results.items()
        for endpoint, checks in endpoints.items()
        for check, entry in checks.items()
    }


def run_in_process(root: Path, results: Path, *args: str) -> int:
    return int(
        pytest.main([str(REPO_ROOT / "harness"), "-q", "--fixtures-root", str(root), "--results", str(results), *args])
    )


def run_command(root: Path, results: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`pytest harness` as a command, the Acme sources registered by a plugin in the controller and every worker."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ACME_PACKAGE_PARENT), str(REPO_ROOT)])}
    command = [sys.executable, "-m", "pytest", "harness", "-p", "acme_vendor.plugin"]
    command += ["--fixtures-root", str(root), "--results", str(results), *args]
    return subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)


def test_two_workers_report_every_case_once_with_the_summary_and_keep_each_source_on_one_worker(
    acme_root: Path, tmp_path: Path
) -> None:
    assert {bad.source_type for bad in KNOWN_BAD} >= set(SELECTED[1:])
    selection = [arg for source in SELECTED for arg in ("--source", source)]
    serial_file, parallel_file = tmp_path / "serial.json", tmp_path / "parallel.json"

    assert run_in_process(acme_root, serial_file, *selection) == 1
    run = run_command(acme_root, parallel_file, "-n", "2", "-v", *selection)

    serial = statuses(json.loads(serial_file.read_text())["results"])
    parallel = statuses(json.loads(parallel_file.read_text())["results"])
    assert run.returncode == 1, run.stdout[-2000:] + run.stderr[-2000:]
    assert sorted(parallel) == sorted(serial)
    assert parallel == serial
    assert {case.split("/")[0] for case in parallel} == set(SELECTED)
    order = ("passed", "failed", "inconclusive", "blocked", "bypassed")
    counts = {status: list(serial.values()).count(status) for status in order}
    summary = "conformance: " + ", ".join(f"{counts[status]} {status}" for status in order)
    assert summary in run.stdout
    assert counts["failed"] >= 2

    workers_of: dict[str, set[str]] = defaultdict(set)
    for worker, case in re.findall(r"^\[(gw\d+)\] .*test_conformance\[([^\]]+)\]", run.stdout, re.MULTILINE):
        workers_of[case.split("/")[0]].add(worker)
    assert set(workers_of) == set(SELECTED)
    assert all(len(workers) == 1 for workers in workers_of.values()), dict(workers_of)
    assert len(set().union(*workers_of.values())) == 2, "both workers got work"


def test_a_partial_run_merges_into_the_results_file_and_says_so(
    acme_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "results.json"
    run_in_process(acme_root, results, "--source", GOOD, "--source", "acme_token_not_password")
    full = statuses(json.loads(results.read_text())["results"])
    document = json.loads(results.read_text())
    # entries that no longer describe a case: an unregistered source, a check its source's fixtures do not produce
    document["results"]["acme_retired"] = {"-": {"registry": {"status": "passed", "duration_seconds": 0.1}}}
    document["results"][GOOD]["tickets"]["no.such.check"] = {"status": "passed", "duration_seconds": 0.1}
    results.write_text(json.dumps(document))
    capsys.readouterr()

    assert run_in_process(acme_root, results, "--source", GOOD, "-k", "registry or pagination") == 0
    output = capsys.readouterr().out

    merged = statuses(json.loads(results.read_text())["results"])
    assert merged == full
    ran = [case for case in full if case.startswith(f"{GOOD}/") and ("registry" in case or "pagination" in case)]
    unselected = sum(case.startswith(f"{GOOD}/") for case in full) - len(ran)
    assert unselected > 0
    assert (
        f"conformance: {len(ran)} passed, 0 failed, 0 inconclusive, 0 blocked, 0 bypassed "
        f"(results merged into {results}, kept from earlier runs: "
        f"acme_token_not_password, {unselected} unselected case(s) of {GOOD})"
    ) in output


def test_a_results_file_that_cannot_be_merged_with_is_replaced_and_the_summary_says_why(
    acme_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "results.json"
    results.write_text("{not json")

    run_in_process(acme_root, results, "--source", GOOD, "-k", "registry")
    output = capsys.readouterr().out

    assert statuses(json.loads(results.read_text())["results"]) == {f"{GOOD}/-/registry": "passed"}
    assert f"results in {results} replaced: the file there was not readable JSON" in output


def test_runs_finishing_together_keep_each_others_entries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each write reads the file, merges and replaces it: two runs finishing together must not both read the file
    before either has replaced it (the second would drop the first's entries)."""
    sources = ["source_a", "source_b", "source_c"]
    path = tmp_path / "results.json"
    read = results_file._previous

    def slow_read(target: Path) -> Any:
        found = read(target)
        time.sleep(0.2)  # the other runs reach their read meanwhile
        return found

    monkeypatch.setattr(results_file, "_previous", slow_read)

    def finish_run(source: str) -> None:
        results_file.write_results(path, [Verdict(Case(source, None, "registry"), "passed", None, 0.01)], sources)

    with ThreadPoolExecutor(len(sources)) as pool:
        list(pool.map(finish_run, sources))

    assert sorted(json.loads(path.read_text())["results"]) == sources
