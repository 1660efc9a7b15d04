"""Shard outputs merge into one report, and the merged results reproduce the committed SOURCES.md matrix."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.gate.findings import Finding
from harness.gate.report import FAIL, PASS, SKIPPED, GateReport, StepOutcome, merge
from harness.gate.shards import split
from harness.inventory.committed import committed_outcomes
from harness.paths import REPO_ROOT


def results_tree(outcomes: list) -> dict:
    status = {"pass": "passed", "fail": "failed", "bypass": "bypassed"}
    tree: dict = {}
    for outcome in outcomes:
        verdict = {"status": status[outcome.outcome], "duration_seconds": 0.01}
        if outcome.reason:
            verdict["reason" if outcome.outcome == "bypass" else "message"] = outcome.reason
        tree.setdefault(outcome.source, {}).setdefault(outcome.endpoint, {})[outcome.check] = verdict
    return tree


def shard_report(index: int, sources: list[str], tree: dict, lint: str) -> GateReport:
    steps = [
        StepOutcome(
            "ruff lint", lint, 0.1, findings=[Finding("ruff", "F401", "unused", "x.py")] if lint == FAIL else []
        ),
        StepOutcome("conformance", PASS, 1.0 + index),
        StepOutcome("SOURCES.md drift", SKIPPED, 0.0, "runs in `python -m harness gate-merge`"),
    ]
    selection = {
        "sources": sources,
        "reasons": dict.fromkeys(sources, "--all"),
        "description": "all",
        "shard": f"{index}/2",
    }
    return GateReport(selection, steps, {source: tree[source] for source in sources}, {s: s for s in sources})


def test_merge_takes_the_worst_status_the_longest_time_and_every_result() -> None:
    tree = {"a": {"-": {"registry": {"status": "passed"}}}, "b": {"-": {"registry": {"status": "failed"}}}}

    merged = merge([shard_report(1, ["a"], tree, PASS), shard_report(2, ["b"], tree, FAIL)])

    lint = next(step for step in merged.steps if step.name == "ruff lint")
    assert lint.status == FAIL and len(lint.findings) == 1
    assert next(step for step in merged.steps if step.name == "conformance").seconds == 3.0
    assert merged.results == tree
    assert merged.selection["sources"] == ["a", "b"]


def test_a_source_in_two_shards_is_refused() -> None:
    tree = {"a": {"-": {"registry": {"status": "passed"}}}}

    with pytest.raises(ValueError, match="'a' was checked by two shards"):
        merge([shard_report(1, ["a"], tree, PASS), shard_report(2, ["a"], tree, PASS)])


def test_gate_merge_of_two_shards_reproduces_the_committed_matrix(tmp_path: Path) -> None:
    tree = results_tree(committed_outcomes((REPO_ROOT / "SOURCES.md").read_text()))
    shards = split(sorted(tree), 2)
    folders = []
    for index, sources in enumerate(shards, start=1):
        folder = tmp_path / f"shard{index}"
        folder.mkdir()
        (folder / "gate.json").write_text(shard_report(index, sources, tree, PASS).to_json())
        folders.append(str(folder))
    out = tmp_path / "merged"

    done = subprocess.run(
        [sys.executable, "-m", "harness", "gate-merge", *folders, "--out", str(out)],
        cwd=REPO_ROOT,
        env={**os.environ, "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    merged = json.loads((out / "gate.json").read_text())
    assert sorted(merged["results"]) == sorted(tree)
    drift = next(step for step in merged["steps"] if step["name"] == "SOURCES.md drift")
    assert drift["status"] == "pass"
    assert "merged from 2 shard(s): 1/2, 2/2" in (out / "summary.md").read_text()


def test_gate_merge_without_reports_is_a_usage_error(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "harness", "gate-merge", str(tmp_path)], cwd=REPO_ROOT, capture_output=True, text=True
    )

    assert done.returncode == 2
    assert done.stderr.strip() == f"error: {tmp_path / 'gate.json'}: no gate report (run the gate with --out first)"
