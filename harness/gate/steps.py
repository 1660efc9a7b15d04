"""The gate: every check a connector change must pass, in one command, with one report.

Stages: ruff (lint + format), the semgrep rules (their own tests when `rules/` changed, then a scan of the
selected sources), the nosemgrep pragma check, the fixture secret scan, the conformance suite over the selected
sources, and the SOURCES.md drift check (the matrix of this run over the committed matrix of the others).
Everything lands in the output folder as `gate.json`, `junit.xml`, `gate.sarif` and `summary.md`.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console

from harness.gate import findings as parse
from harness.gate.affected import Selection
from harness.gate.findings import Finding
from harness.gate.junit import render_junit
from harness.gate.live import make_progress, run_with_progress
from harness.gate.progress_plugin import ENV as PROGRESS_ENV
from harness.gate.report import FAIL, PASS, SKIPPED, GateReport, StepOutcome
from harness.gate.sarif import render_sarif
from harness.gate.summary import print_summary, render_markdown
from harness.paths import REPO_ROOT

DEFAULT_OUT = REPO_ROOT / "out" / "gate"
RESULTS_NAME = "conformance-results.json"
CONFORMANCE = "conformance"
SEMGREP_FLAGS = ("--metrics=off", "--disable-version-check", "--quiet")
OUTPUT_TAIL = 60  # lines of a failed stage's output kept in the report


class GateEnvironmentError(Exception):
    """The gate cannot run here (a tool is missing); the message is one line."""


Parser = Callable[[str, Path], list[Finding]]


@dataclasses.dataclass(frozen=True)
class Step:
    name: str
    command: tuple[str, ...] = ()
    parser: Parser | None = None
    skip_reason: str = ""
    progress: bool = False


@dataclasses.dataclass(frozen=True)
class GateOptions:
    out: Path = DEFAULT_OUT
    workers: str | None = None  # pytest-xdist -n; None: automatic
    shard: tuple[int, int] = (1, 1)
    pytest_args: tuple[str, ...] = ()
    results_override: Path | None = None  # SOURCES.md drift from these results (the merge step)


def semgrep_binary() -> str:
    found = shutil.which("semgrep")
    if found is None:
        raise GateEnvironmentError("semgrep is not on PATH; run the gate through `./dev gate`, which installs it")
    return found


def xdist_available() -> bool:
    return importlib.util.find_spec("xdist") is not None


def _worker_args(options: GateOptions, sources: Sequence[str]) -> tuple[str, ...]:
    if not xdist_available():
        return ()
    workers = options.workers or ("auto" if len(sources) > 1 else "0")
    if workers in {"0", "1"}:
        return ("-p", "no:xdist") if workers == "0" else ("-n", "1", "--dist", "loadgroup")
    return ("-n", workers, "--dist", "loadgroup")


def plan(selection: Selection, owners: dict[str, str], sources: Sequence[str], options: GateOptions) -> list[Step]:
    """`sources` are this shard's share of the selection; the other stages run on the first shard only."""
    python = sys.executable
    index, count = options.shard
    first_shard = index == 1
    results = options.out / RESULTS_NAME
    other_shard = f"runs on shard 1/{count}"
    steps: list[Step] = []
    if first_shard:
        semgrep = semgrep_binary()
        folders = sorted({f"sources/{owners[source]}/" for source in selection.sources})
        scan_targets = ["sources/"] if selection.everything else folders
        steps += [
            Step("ruff lint", (python, "-m", "ruff", "check", "--output-format", "json", "."), parse.from_ruff_json),
            Step(
                "ruff format",
                (python, "-m", "ruff", "format", "--check", "--output-format", "json", "."),
                parse.from_ruff_format,
            ),
            Step(
                "semgrep rule tests",
                (semgrep, "test", "--quiet", "rules/"),  # takes neither metrics flag
                skip_reason="" if selection.rules_changed else "rules/ unchanged",
            ),
            Step(
                "semgrep scan",
                (semgrep, "scan", "--config", "rules/", "--error", "--json", *SEMGREP_FLAGS, *scan_targets),
                parse.from_semgrep_json,
                skip_reason="" if scan_targets else "no source selected",
            ),
            Step(
                "nosemgrep pragmas",
                (python, "-m", "harness.gate.pragmas", *scan_targets),
                lambda text, root: parse.from_lines("pragmas", "nosemgrep-pragma", text, root),
                skip_reason="" if scan_targets else "no source selected",
            ),
            Step(
                "fixture secret scan",
                (python, "-m", "harness.fixtures.secret_scan", "fixtures/"),
                lambda text, root: parse.from_lines("secret-scan", "fixture-secret", text, root),
            ),
        ]
    else:
        steps += [Step(name, skip_reason=other_shard) for name in ("ruff lint", "ruff format", "semgrep scan")]
    selected = [arg for source in sources for arg in ("--source", source)]
    steps.append(
        Step(
            CONFORMANCE,
            (
                python,
                "-m",
                "pytest",
                "harness",
                "-q",
                "-p",
                "harness.gate.progress_plugin",
                "--results",
                str(results),
                *_worker_args(options, sources),
                *selected,
                *options.pytest_args,
            ),
            skip_reason="" if sources else "no source selected",
            progress=True,
        )
    )
    steps.append(drift_step(options.results_override or results, count))
    return steps


def drift_step(results: Path, shards: int) -> Step:
    """SOURCES.md must equal what the code and `results` (over the committed matrix of the rest) generate."""
    return Step(
        "SOURCES.md drift",
        (sys.executable, "-m", "harness", "inventory", "--check", "--results", str(results)),
        _drift_findings,
        skip_reason="" if shards == 1 else "runs in `python -m harness gate-merge`",
    )


def _drift_findings(text: str, root: Path) -> list[Finding]:
    if "stale" not in text and "SOURCES.md:" not in text:
        return []
    return [Finding("inventory", "sources-md-stale", _drift_message(text), "SOURCES.md")]


def _drift_message(text: str) -> str:
    lines = [line for line in text.splitlines() if "stale" in line or line.startswith("SOURCES.md:")]
    return "\n".join(lines) or "SOURCES.md differs from what the code and the results generate"


def run_steps(steps: Sequence[Step], console: Console, out: Path) -> list[StepOutcome]:
    env = {
        **os.environ,
        "SEMGREP_ENABLE_VERSION_CHECK": "0",
        "SEMGREP_SEND_METRICS": "off",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
    }
    outcomes = []
    with make_progress(console) as progress:
        for step in steps:
            if step.skip_reason or not step.command:
                outcomes.append(StepOutcome(step.name, SKIPPED, 0.0, step.skip_reason))
                console.print(f"[yellow]⏭[/] {step.name}: skipped ({step.skip_reason})")
                continue
            events = out / "progress.jsonl" if step.progress else None
            if events is not None:
                events.unlink(missing_ok=True)
            started = time.perf_counter()
            try:
                returncode, output = run_with_progress(
                    step.command, {**env, PROGRESS_ENV: str(events or "")}, REPO_ROOT, progress, step.name, events
                )
            except FileNotFoundError as exc:
                raise GateEnvironmentError(f"{step.name}: cannot start {step.command[0]}: {exc.strerror}") from None
            seconds = time.perf_counter() - started
            found = step.parser(output, REPO_ROOT) if step.parser else []
            status = PASS if returncode == 0 else FAIL
            detail = "" if status == PASS else "\n".join(output.strip().splitlines()[-OUTPUT_TAIL:])
            outcomes.append(StepOutcome(step.name, status, round(seconds, 2), detail, found))
            mark = "[green]✓" if status == PASS else "[red]✗"
            console.print(f"{mark}[/] {step.name} ({seconds:.1f} s)")
            if status == FAIL:
                shown = "\n".join(finding.describe() for finding in found) if found else detail
                console.print(shown, markup=False, highlight=False)
    return outcomes


def load_results(path: Path) -> dict[str, object]:
    if not path.is_file():
        return {}
    document = json.loads(path.read_text())
    return dict(document.get("results", {})) if isinstance(document, dict) else {}


def write_outputs(report: GateReport, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "gate.json").write_text(report.to_json())
    (out / "junit.xml").write_text(render_junit(report))
    (out / "gate.sarif").write_text(render_sarif(report))
    markdown = render_markdown(report)
    (out / "summary.md").write_text(markdown)
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        with open(step_summary, "a", encoding="utf-8") as handle:
            handle.write(markdown)


def finish(report: GateReport, console: Console, out: Path) -> int:
    write_outputs(report, out)
    print_summary(report, console)
    console.print(f"outputs: {out}/{{summary.md,junit.xml,gate.sarif,gate.json}}")
    failed = [step.name for step in report.steps if step.failed]
    if failed:
        console.print(f"[red]gate failed: {', '.join(failed)}")
        return 1
    console.print("[green]gate passed")
    return 0
