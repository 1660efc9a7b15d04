"""The gate: every check a connector change must pass, in one command, with one summary.

Steps: ruff (lint + format), the semgrep rules (their own tests, then a scan of `sources/`), the nosemgrep
pragma check, the conformance suite over the selected sources, and the SOURCES.md drift check.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from harness.paths import REPO_ROOT

RESULTS_PATH = REPO_ROOT / "out" / "conformance-results.json"
SEMGREP_FLAGS = ("--metrics=off", "--disable-version-check", "--quiet")


@dataclasses.dataclass(frozen=True)
class Step:
    name: str
    command: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class StepResult:
    step: Step
    returncode: int
    seconds: float
    output: str

    @property
    def passed(self) -> bool:
        return self.returncode == 0


def _semgrep() -> str:
    found = shutil.which("semgrep")
    if found is None:
        raise SystemExit("error: semgrep is not on PATH; run the gate through `./dev gate`, which installs it")
    return found


def plan(sources: Sequence[str], pytest_args: Sequence[str]) -> list[Step]:
    python = sys.executable
    semgrep = _semgrep()
    selection = [arg for source in sources for arg in ("--source", source)]
    # The committed matrix is of a run over every source; a partial run cannot be compared with it.
    matrix = () if sources or pytest_args else ("--results", str(RESULTS_PATH))
    return [
        Step("ruff lint", (python, "-m", "ruff", "check", ".")),
        Step("ruff format", (python, "-m", "ruff", "format", "--check", ".")),
        Step("semgrep rule tests", (semgrep, "test", "--quiet", "rules/")),  # takes neither metrics flag
        Step("semgrep scan", (semgrep, "scan", "--config", "rules/", "--error", *SEMGREP_FLAGS, "sources/")),
        Step("nosemgrep pragmas", (python, "-m", "harness.gate.pragmas", "sources/")),
        Step("fixture secret scan", (python, "-m", "harness.fixtures.secret_scan", "fixtures/")),
        Step(
            "conformance",
            (python, "-m", "pytest", "harness", "-q", "--results", str(RESULTS_PATH), *selection, *pytest_args),
        ),
        Step("SOURCES.md drift", (python, "-m", "harness", "inventory", "--check", *matrix)),
    ]


def run_step(step: Step, console: Console) -> StepResult:
    console.rule(f"[bold]{step.name}")
    started = time.perf_counter()
    env = {**os.environ, "SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"}
    completed = subprocess.run(step.command, cwd=REPO_ROOT, env=env, text=True, capture_output=True, check=False)
    output = (completed.stdout + completed.stderr).strip()
    if output:
        console.print(output, markup=False, highlight=False)
    return StepResult(step, completed.returncode, time.perf_counter() - started, output)


def summarise(results: list[StepResult], console: Console) -> None:
    table = Table(title="gate")
    table.add_column("step")
    table.add_column("result")
    table.add_column("seconds", justify="right")
    for result in results:
        verdict = "[green]pass" if result.passed else "[red]FAIL"
        table.add_row(result.step.name, verdict, f"{result.seconds:.1f}")
    console.print(table)


def run_gate(sources: Sequence[str] = (), pytest_args: Sequence[str] = ()) -> int:
    console = Console()
    results = [run_step(step, console) for step in plan(sources, pytest_args)]
    summarise(results, console)
    failed = [result.step.name for result in results if not result.passed]
    if failed:
        console.print(f"[red]gate failed: {', '.join(failed)}")
        return 1
    console.print("[green]gate passed")
    return 0
