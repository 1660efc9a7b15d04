"""The repository's benchmarks, each a named case: `python benchmarks/bench.py [case ...]` runs the named cases
(all of them when none is named) and prints one table: value, target, verdict, and the machine it ran on
(`--json PATH` writes it as JSON too). The script exits 1 when a value misses its target.

Whole-process figures (start-up, an endpoint's checks, the gate, scale) are medians over runs of a child process:
wall time from start to reaped, and its peak RSS from `wait4`. Comparisons (pipeline, -n 2 vs -n 0) take both
sides in turn so that both see the same machine load. Synthetic sources are generated into a temporary copy of the
repository (`benchmarks/synthetic.py`), never into the repository itself.

Add a case by decorating a function `(options) -> list[Row]` with `@case("name", "what it measures")`.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import importlib.util
import itertools
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import synthetic
from deltalake import DeltaTable, write_deltalake
from rich.console import Console
from rich.table import Table

from harness.pipeline import PARTITION_COLUMN, Batcher, PartitionSpec, SyncTarget, run
from harness.pipeline.delta_writer import merge_predicate
from harness.pipeline.partitioning import add_partition_column
from sources.common.typings import SourceInputs, SourceResponse

REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclasses.dataclass(frozen=True)
class Row:
    """One line of the table: a measured value against its target (None: shown for context, not judged)."""

    case: str
    measure: str
    value: float
    unit: str  # "s", "MiB", "x" (a ratio), "%"
    target: float | None
    higher_is_better: bool = False
    note: str = ""

    @property
    def verdict(self) -> bool | None:
        if self.target is None:
            return None
        if math.isnan(self.value):
            return False
        return self.value >= self.target if self.higher_is_better else self.value <= self.target


@dataclasses.dataclass(frozen=True)
class Measurement:
    label: str
    rows: int
    seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else float("inf")


@dataclasses.dataclass(frozen=True)
class Comparison:
    scenario: str
    candidate: Measurement
    baseline: Measurement
    target_ratio: float

    @property
    def ratio(self) -> float:
        return self.candidate.rows_per_second / self.baseline.rows_per_second

    @property
    def meets_target(self) -> bool:
        return self.ratio >= self.target_ratio


CaseFunction = Callable[[argparse.Namespace], list[Row]]


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    description: str
    measure: CaseFunction


CASES: dict[str, Case] = {}


def case(name: str, description: str) -> Callable[[CaseFunction], CaseFunction]:
    def register(measure: CaseFunction) -> CaseFunction:
        CASES[name] = Case(name, description, measure)
        return measure

    return register


def timed(label: str, rows: int, action: Callable[[], object]) -> Measurement:
    started = time.perf_counter()
    action()
    return Measurement(label, rows, time.perf_counter() - started)


def side_by_side(
    repeats: int, candidate: Callable[[], Measurement], baseline: Callable[[], Measurement]
) -> tuple[Measurement, Measurement]:
    """The fastest of `repeats` measurements of each, taken alternately so both see the same machine load."""
    candidates, baselines = [], []
    for _ in range(repeats):
        candidates.append(candidate())
        baselines.append(baseline())
    return min(candidates, key=lambda m: m.seconds), min(baselines, key=lambda m: m.seconds)


# --- pipeline: harness.pipeline.run vs bare deltalake writes of the same batches --------------------------------

PIPELINE_TARGET_RATIO = 0.5
API_PAGE_ROWS = 100
PARTITION = PartitionSpec("datetime", ("created_at",), format="month")
TARGET = SyncTarget("bench", "customers")


def synthetic_rows(count: int, version: int) -> list[dict]:
    start = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)
    return [
        {
            "id": i,
            "created_at": (start + dt.timedelta(minutes=37 * i)).isoformat(),
            "updated_at": 1_700_000_000 + i + version,
            "name": f"customer {i} v{version}",
            "email": f"customer{i}@example.com",
            "balance": i * 1.25 + version,
            "active": i % 3 == 0,
            "plan": ("free", "team", "enterprise")[i % 3],
            "metadata": {"source": "bench", "tags": [i % 7, version]},
        }
        for i in range(count)
    ]


def api_pages(rows: list[dict]) -> Iterator[list[dict]]:
    for start in range(0, len(rows), API_PAGE_ROWS):
        yield rows[start : start + API_PAGE_ROWS]


def prebuilt_batches(rows: list[dict], batch_rows: int) -> list[pa.Table]:
    """The batches `run` would write, built ahead of time (partition column included) for the bare baseline."""
    batches = Batcher(max_rows=batch_rows).batches(api_pages(rows))
    return [add_partition_column(batch, PARTITION, TARGET, index) for index, batch in enumerate(batches, start=1)]


def pipeline_run(path: Path, rows: list[dict] | list[pa.Table], incremental: bool, batch_rows: int) -> None:
    """`run` over a source yielding `rows` in API-sized pages, or yielding them as they are when they are tables."""
    tables_given = bool(rows) and isinstance(rows[0], pa.Table)
    response = SourceResponse(
        name="customers",
        items=lambda: iter(rows) if tables_given else api_pages(rows),
        primary_keys=["id"],
        partition_mode=PARTITION.mode,
        partition_keys=list(PARTITION.keys),
        partition_format=PARTITION.format,
    )
    inputs = SourceInputs(
        schema_name="customers",
        team_id=1,
        job_id="bench",
        should_use_incremental_field=incremental,
        incremental_field="updated_at" if incremental else None,
    )
    run(response, inputs, path, max_rows=batch_rows)


def bare_full_refresh(path: Path, batches: list[pa.Table]) -> None:
    for index, batch in enumerate(batches):
        mode = "overwrite" if index == 0 else "append"
        write_deltalake(str(path), batch, mode=mode, schema_mode="merge", partition_by=[PARTITION_COLUMN])


def bare_merge(path: Path, batches: list[pa.Table]) -> None:
    remaining = batches
    if not (path / "_delta_log").exists():
        write_deltalake(str(path), batches[0], partition_by=[PARTITION_COLUMN])
        remaining = batches[1:]
    table = DeltaTable(str(path))
    predicate = merge_predicate(["id", PARTITION_COLUMN])
    for batch in remaining:
        (
            table.merge(batch, predicate=predicate, source_alias="source", target_alias="target", merge_schema=True)
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .execute()
        )


@case("pipeline", "harness.pipeline.run (items -> Batcher -> partition -> Delta) vs bare deltalake writes")
def pipeline_case(options: argparse.Namespace) -> list[Row]:
    count, batch_rows = options.rows, options.batch_rows
    first, second = synthetic_rows(count, version=0), synthetic_rows(count, version=1)
    first_batches, second_batches = prebuilt_batches(first, batch_rows), prebuilt_batches(second, batch_rows)
    first_tables = [batch.drop_columns([PARTITION_COLUMN]) for batch in first_batches]

    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as scratch:
        workdir = Path(scratch)
        made = iter(range(1_000_000))

        def measure(label: str, write: Callable[[Path], None], seed: Callable[[Path], None] | None = None):
            def once() -> Measurement:
                path = workdir / f"{label}-{next(made)}"
                if seed is not None:
                    seed(path)
                return timed(label, count, lambda: write(path))

            return once

        scenarios = {
            "full refresh (overwrite + appends)": (
                measure("run", lambda p: pipeline_run(p, first, False, batch_rows)),
                measure("bare", lambda p: bare_full_refresh(p, first_batches)),
            ),
            "incremental into a new table (create + merges)": (
                measure("run", lambda p: pipeline_run(p, first, True, batch_rows)),
                measure("bare", lambda p: bare_merge(p, first_batches)),
            ),
            "incremental into a new table, source yields Arrow tables": (
                measure("run", lambda p: pipeline_run(p, first_tables, True, batch_rows)),
                measure("bare", lambda p: bare_merge(p, first_batches)),
            ),
            "incremental resync (merges updating every row)": (
                measure(
                    "run",
                    lambda p: pipeline_run(p, second, True, batch_rows),
                    seed=lambda p: bare_merge(p, first_batches),
                ),
                measure(
                    "bare",
                    lambda p: bare_merge(p, second_batches),
                    seed=lambda p: bare_merge(p, first_batches),
                ),
            ),
        }
        comparisons = []
        for scenario, (candidate, baseline) in scenarios.items():
            best_candidate, best_baseline = side_by_side(options.repeats, candidate, baseline)
            comparisons.append(Comparison(scenario, best_candidate, best_baseline, PIPELINE_TARGET_RATIO))
    return [
        Row(
            "pipeline",
            f"Batcher -> Delta / bare deltalake: {comparison.scenario}",
            comparison.ratio,
            "%",
            comparison.target_ratio,
            higher_is_better=True,
            note=f"{comparison.candidate.rows_per_second:,.0f} vs {comparison.baseline.rows_per_second:,.0f} rows/s, "
            f"best of {options.repeats}",
        )
        for comparison in comparisons
    ]


# --- whole-process measurements ------------------------------------------------------------------------------------

STARTUP_TARGET_SECONDS = 1.5
ENDPOINT_TARGET_SECONDS, ENDPOINT_TARGET_MIB = 4.0, 150.0
CHECKS_COST_TARGET = 15.0
GATE_TARGET_SECONDS, PR_GATE_TARGET_SECONDS = 45.0, 15.0
SCALE_FLATNESS = 0.25
XDIST_TARGET = 0.65
TOOLS_BIN = REPO_ROOT / ".tools" / "bin"


@dataclasses.dataclass(frozen=True)
class Process:
    """Medians over whole-process runs: wall seconds (start to reaped) and the peak RSS of the largest process."""

    wall: float
    cpu: float  # user + system seconds of the process and the children it waited for: robust to machine load
    peak_mib: float
    runs: int
    exit_codes: tuple[int, ...]
    output: str  # the first run's stdout + stderr, for saying why a command failed


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{TOOLS_BIN}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("SEMGREP_ENABLE_VERSION_CHECK", "0")
    env.setdefault("SEMGREP_SEND_METRICS", "off")
    return env


def run_once(argv: list[str], cwd: Path) -> tuple[float, float, int, str, float]:
    """One whole-process run: (wall seconds, peak RSS MiB, exit code, output, CPU seconds)."""
    with tempfile.TemporaryFile() as output:
        started = time.perf_counter()
        process = subprocess.Popen(argv, cwd=cwd, env=_environment(), stdout=output, stderr=subprocess.STDOUT)
        # wait4 gives this child's own resource usage (its peak covers the children it waited for).
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        text = output.read().decode(errors="replace")
    return wall, usage.ru_maxrss / 1024, process.returncode, text, usage.ru_utime + usage.ru_stime


def whole_process(argv: list[str], cwd: Path, repeats: int, warmup: int = 1) -> Process:
    for _ in range(warmup):
        run_once(argv, cwd)
    runs = [run_once(argv, cwd) for _ in range(repeats)]
    return _summary(runs)


def _summary(runs: list[tuple[float, float, int, str, float]]) -> Process:
    return Process(
        wall=statistics.median(run[0] for run in runs),
        cpu=statistics.median(run[4] for run in runs),
        peak_mib=statistics.median(run[1] for run in runs),
        runs=len(runs),
        exit_codes=tuple(sorted({run[2] for run in runs})),
        output=runs[0][3],
    )


def paired(a: list[str], b: list[str], cwd: Path, repeats: int) -> tuple[Process, Process, float]:
    """A and B in turn (A B A B ...), so both see the same machine; the median of the pairwise ratios A/B."""
    run_once(a, cwd), run_once(b, cwd)
    runs_a, runs_b = [], []
    for _ in range(repeats):
        runs_a.append(run_once(a, cwd))
        runs_b.append(run_once(b, cwd))
    ratio = statistics.median(x[0] / y[0] for x, y in zip(runs_a, runs_b, strict=True))
    return _summary(runs_a), _summary(runs_b), ratio


def _exit_note(process: Process, expected: tuple[int, ...] = (0,)) -> str:
    if set(process.exit_codes) <= set(expected):
        return ""
    lines = [line for line in process.output.strip().splitlines() if line.strip()]
    return f"; exit {','.join(map(str, process.exit_codes))}: {lines[-1][:120] if lines else 'no output'}"


def pytest_argv(*args: str, results: Path) -> list[str]:
    return [sys.executable, "-m", "pytest", "harness", "-q", "-p", "no:cacheprovider", "--results", str(results), *args]


@contextlib.contextmanager
def synthetic_copy(count: int, keep_real_sources: bool = True, git: bool = False) -> Iterator[tuple[Path, list[str]]]:
    with tempfile.TemporaryDirectory(prefix="bench-copy-") as scratch:
        root = Path(scratch) / "repo"
        root.mkdir()
        names = synthetic.make_copy(root, count, keep_real_sources=keep_real_sources)
        if git:
            _git(root, "init", "-q", "-b", "main")
            _git(root, "add", "-A")
            _git(root, "commit", "-q", "-m", "copy")
        yield root, names


def _git(root: Path, *args: str) -> None:
    identity = ["-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", *identity, *args], cwd=root, check=True, capture_output=True)


@case("startup", "`pytest harness --source github -k registry`, whole process, vs `import sources` alone")
def startup_case(options: argparse.Namespace) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as scratch:
        results = Path(scratch) / "results.json"
        registry = whole_process(
            pytest_argv("--source", "github", "-k", "registry", results=results), REPO_ROOT, options.repeats
        )
        imports = whole_process([sys.executable, "-c", "import sources"], REPO_ROOT, options.repeats)
        bare = whole_process([sys.executable, "-c", "pass"], REPO_ROOT, options.repeats)
    runs = f"median of {registry.runs}"
    return [
        Row(
            "startup",
            "pytest harness --source github -k registry",
            registry.wall,
            "s",
            STARTUP_TARGET_SECONDS,
            note=f"{runs}, CPU {registry.cpu:.2f} s, peak {registry.peak_mib:.0f} MiB{_exit_note(registry)}",
        ),
        Row(
            "startup",
            "python -c 'import sources'",
            imports.wall,
            "s",
            None,
            note=f"{runs}, CPU {imports.cpu:.2f} s, peak {imports.peak_mib:.0f} MiB{_exit_note(imports)}",
        ),
        Row("startup", "python -c pass (the interpreter alone)", bare.wall, "s", None, note=runs),
    ]


@case("endpoint", "a new one-endpoint source (5 pages x 20 rows, incremental, resumable): every check, whole process")
def endpoint_case(options: argparse.Namespace) -> list[Row]:
    with synthetic_copy(1) as (root, names):
        run = whole_process(pytest_argv("--source", names[0], results=root / "results.json"), root, options.repeats)
    pages = synthetic.ROWS // synthetic.PAGE_SIZE
    note = f"median of {run.runs}, CPU {run.cpu:.2f} s, {synthetic.ROWS} rows in {pages} pages"
    note += _exit_note(run)
    return [
        Row("endpoint", "every check, wall", run.wall, "s", ENDPOINT_TARGET_SECONDS, note=note),
        Row("endpoint", "every check, peak RSS", run.peak_mib, "MiB", ENDPOINT_TARGET_MIB, note=note),
    ]


CHECKS_COST_PROGRAM = """
import json, os, statistics, sys, time
sys.path.insert(0, os.getcwd())
import sources  # noqa: F401
import harness.pipeline  # noqa: F401  (start-up: the pipeline's imports are not the checks' cost)
from harness.runs.engine import RunCache, execute
from harness.runs.records import RunSpec
from harness.suite.suite import Suite
name, repeats = sys.argv[1], int(sys.argv[2])
target = Suite().target(name, "items")
execute(target, RunSpec())  # warm: the embedded Redis
raw, checks, ratios, statuses = [], [], [], set()
for _ in range(repeats):  # in turn, so that both see the same machine
    started = time.perf_counter(); execute(target, RunSpec()); raw.append(time.perf_counter() - started)
    suite = Suite(cache=RunCache())
    cases = [case for case in suite.cases([name]) if case.endpoint == "items"]
    started = time.perf_counter()
    statuses |= {suite.execute(case).status for case in cases}
    checks.append(time.perf_counter() - started)
    ratios.append(checks[-1] / raw[-1])
print(json.dumps({"raw": statistics.median(raw), "checks": statistics.median(checks), "cases": len(cases),
                  "ratio": statistics.median(ratios), "statuses": sorted(statuses)}))
"""


@case("checks-cost", "all checks of an endpoint vs one engine run of its `full` fixture, in one process")
def checks_cost_case(options: argparse.Namespace) -> list[Row]:
    with synthetic_copy(1) as (root, names):
        done = subprocess.run(
            [sys.executable, "-c", CHECKS_COST_PROGRAM, names[0], str(options.repeats)],
            cwd=root,
            env=_environment(),
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return [Row("checks-cost", "checks / raw replay", float("nan"), "x", CHECKS_COST_TARGET, note=last)]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    note = (
        f"{figures['cases']} endpoint checks {figures['checks']:.3f} s vs one run {figures['raw'] * 1000:.1f} ms "
        f"(medians of {options.repeats}, taken in turn); statuses {', '.join(figures['statuses'])}"
    )
    return [
        Row(
            "checks-cost",
            "endpoint checks / one replay of `full`",
            figures["ratio"],  # the median of the pairwise ratios
            "x",
            CHECKS_COST_TARGET,
            note=note,
        )
    ]


def gate_argv(*args: str, out: Path) -> list[str]:
    return [sys.executable, "-m", "harness", "gate", "--out", str(out), *args]


@case("gate", "the whole gate over every source, and a one-source PR gate (--base), whole process")
def gate_case(options: argparse.Namespace) -> list[Row]:
    repeats = options.heavy_repeats
    with synthetic_copy(0, git=True) as (root, _):
        whole = whole_process(gate_argv("--all", out=root / "out-all"), root, repeats, warmup=0)
        connector = root / "sources" / "typeform" / "settings.py"
        connector.write_text(connector.read_text() + "# a one-line change\n")
        _git(root, "commit", "-q", "-am", "change one source")
        one = whole_process(gate_argv("--base", "HEAD~1", out=root / "out-pr"), root, repeats, warmup=0)
    # Exit 1 is accepted: in a copy, SOURCES.md drift may differ; the time is what is measured here.
    return [
        Row(
            "gate",
            "whole gate, every source",
            whole.wall,
            "s",
            GATE_TARGET_SECONDS,
            note=f"median of {whole.runs}, CPU {whole.cpu:.1f} s, peak {whole.peak_mib:.0f} MiB"
            + _exit_note(whole, (0, 1)),
        ),
        Row(
            "gate",
            "one-source PR gate (--base)",
            one.wall,
            "s",
            PR_GATE_TARGET_SECONDS,
            note=f"median of {one.runs}, CPU {one.cpu:.1f} s, peak {one.peak_mib:.0f} MiB{_exit_note(one, (0, 1))}",
        ),
    ]


@case("scale", "gate time per source over N synthetic sources; pytest-xdist -n 2 vs -n 0 conformance wall time")
def scale_case(options: argparse.Namespace) -> list[Row]:
    rows, per_source = [], {}
    sizes = sorted(int(size) for size in options.scale.split(","))
    for size in sizes:
        with synthetic_copy(size, keep_real_sources=False) as (root, _):
            gate = whole_process(gate_argv("--all", out=root / "out"), root, options.scale_repeats, warmup=0)
            per_source[size] = gate.wall / size
            rows.append(
                Row(
                    "scale",
                    f"gate per source, {size} sources",
                    per_source[size],
                    "s",
                    None,
                    note=f"gate {gate.wall:.1f} s (CPU {gate.cpu:.1f} s), median of {gate.runs}"
                    + _exit_note(gate, (0, 1)),
                )
            )
    if len(sizes) > 2:
        # The gate's fixed cost (ruff, the semgrep rule tests, process start-ups) is paid once, so the average per
        # source falls as sources are added; what must stay flat is the cost of one more source: the slope of the
        # gate time between consecutive sizes.
        totals = {size: per_source[size] * size for size in sizes}
        slopes = {
            (small, large): (totals[large] - totals[small]) / (large - small)
            for small, large in itertools.pairwise(sizes)
        }
        first = next(iter(slopes.values()))
        spread = max(abs(slope / first - 1) for slope in slopes.values())
        rows.append(
            Row(
                "scale",
                "gate time of one more source, largest change across the sizes",
                spread,
                "%",
                SCALE_FLATNESS,
                note=", ".join(f"{a}->{b}: {slope:.2f} s/source" for (a, b), slope in slopes.items()),
            )
        )
    if importlib.util.find_spec("xdist") is None:
        rows.append(
            Row(
                "scale",
                "conformance wall, -n 2 / -n 0",
                float("nan"),
                "x",
                XDIST_TARGET,
                note="pytest-xdist is not installed",
            )
        )
        return rows
    with synthetic_copy(options.xdist_sources, keep_real_sources=False) as (root, _):
        results = root / "results.json"
        two, zero, ratio = paired(
            pytest_argv("-n", "2", results=results),
            pytest_argv("-p", "no:xdist", results=results),
            root,
            options.heavy_repeats,
        )
    rows.append(
        Row(
            "scale",
            f"conformance wall, -n 2 / -n 0 ({options.xdist_sources} sources)",
            ratio,
            "x",
            XDIST_TARGET,
            note=f"-n 2 {two.wall:.1f} s, -n 0 {zero.wall:.1f} s, median of {two.runs} pairs"
            f"{_exit_note(two)}{_exit_note(zero)}",
        )
    )
    return rows


# --- command line --------------------------------------------------------------------------------------------------


def _format(value: float, unit: str) -> str:
    if math.isnan(value):
        return "-"
    if unit == "%":
        return f"{value:.0%}"
    if unit == "x":
        return f"{value:.2f}x"
    return f"{value:.2f} {unit}" if unit == "s" else f"{value:.0f} {unit}"


def _target(row: Row) -> str:
    if row.target is None:
        return "-"
    if row.unit == "%" and row.higher_is_better:
        return f">= {row.target:.0%}"
    if row.unit == "%":
        return f"<= ±{row.target:.0%}"
    return f"{'>=' if row.higher_is_better else '<='} {_format(row.target, row.unit)}"


def render(rows: list[Row], console: Console, machine: str) -> None:
    table = Table(title=f"benchmarks — {machine}")
    for column in ("case", "measure", "value", "target", "verdict", "note"):
        table.add_column(column, justify="right" if column in ("value", "target") else "left")
    for row in rows:
        verdict = {None: "-", True: "[green]ok[/green]", False: "[red]misses[/red]"}[row.verdict]
        table.add_row(row.case, row.measure, _format(row.value, row.unit), _target(row), verdict, row.note)
    console.print(table)


def markdown(rows: list[Row], machine: str, date: str) -> str:
    """The table as Markdown, for the README."""
    lines = [f"Measured {date} on {machine}.", "", "| case | measure | value | target | verdict | note |"]
    lines.append("|---|---|---:|---:|---|---|")
    for row in rows:
        verdict = {None: "-", True: "ok", False: "**misses**"}[row.verdict]
        cells = (row.case, row.measure, _format(row.value, row.unit), _target(row), verdict, row.note)
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def machine_line() -> str:
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    system = f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores"
    return f"{system}, Python {platform.python_version()}, load average {load}"


def parse_options(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", help=f"cases to run (default: all): {', '.join(CASES)}")
    parser.add_argument("--rows", type=int, default=50_000, help="rows per measured run (pipeline case)")
    parser.add_argument("--batch-rows", type=int, default=5_000, help="rows per batch (pipeline case)")
    parser.add_argument("--repeats", type=int, default=7, help="measurements per number (median, or best for pipeline)")
    parser.add_argument("--heavy-repeats", type=int, default=5, help="whole-gate runs per number (gate, scale)")
    parser.add_argument("--scale", default="10,50,200", help="numbers of synthetic sources for the scale case")
    parser.add_argument("--scale-repeats", type=int, default=3, help="gate runs per number of sources (scale)")
    parser.add_argument("--xdist-sources", type=int, default=10, help="synthetic sources in the -n 2 vs -n 0 run")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the table as JSON here")
    parser.add_argument("--markdown", type=Path, metavar="PATH", help="also write the table as Markdown here")
    options = parser.parse_args(argv)
    unknown = [name for name in options.cases if name not in CASES]
    if unknown:
        parser.error(f"unknown case {unknown[0]!r}; known cases: {', '.join(CASES)}")
    return options


def main(argv: list[str] | None = None) -> int:
    options = parse_options(sys.argv[1:] if argv is None else argv)
    console = Console(width=max(160, Console().width))
    rows: list[Row] = []
    # The in-process pipeline case runs last: a child forked after it would inherit (and report, through wait4)
    # the bench process's own peak RSS as its own.
    for name in options.cases or sorted(CASES, key=lambda name: name == "pipeline"):
        console.print(f"[bold]{name}[/bold]: {CASES[name].description}")
        rows.extend(CASES[name].measure(options))
    machine = machine_line()
    date = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    render(rows, console, machine)
    if options.markdown:
        options.markdown.parent.mkdir(parents=True, exist_ok=True)
        options.markdown.write_text(markdown(rows, machine, date))
    if options.json:
        document = {
            "schema": "benchmarks/1",
            "machine": machine,
            "date": date,
            "rows": [
                {
                    **dataclasses.asdict(row),
                    "value": None if math.isnan(row.value) else row.value,
                    "verdict": {None: None, True: "ok", False: "misses"}[row.verdict],
                }
                for row in rows
            ],
        }
        options.json.parent.mkdir(parents=True, exist_ok=True)
        options.json.write_text(json.dumps(document, indent=2) + "\n")
    return 0 if all(row.verdict is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
