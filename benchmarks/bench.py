"""The repository's benchmarks, each a named case: `python benchmarks/bench.py [case ...]` runs the named cases
(all of them when none is named) and prints a table. A case compares a candidate against a baseline measured
side by side in the same process; the script exits 1 when a ratio is below its case's target.

Add a case by decorating a function `(options) -> list[Comparison]` with `@case("name", "what it measures")`.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake
from rich.console import Console
from rich.table import Table

from harness.pipeline import PARTITION_COLUMN, Batcher, PartitionSpec, SyncTarget, run
from harness.pipeline.delta_writer import merge_predicate
from harness.pipeline.partitioning import add_partition_column
from sources.common.typings import SourceInputs, SourceResponse


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


CaseFunction = Callable[[argparse.Namespace], list[Comparison]]


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
def pipeline_case(options: argparse.Namespace) -> list[Comparison]:
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
    return comparisons


# --- command line --------------------------------------------------------------------------------------------------


def render(results: dict[str, list[Comparison]], console: Console) -> None:
    table = Table(title="benchmarks (rows/s, best of repeats)")
    for column in ("case", "scenario", "candidate rows/s", "baseline rows/s", "ratio", "target", "verdict"):
        table.add_column(column, justify="right" if "rows/s" in column or column in ("ratio", "target") else "left")
    for name, comparisons in results.items():
        for comparison in comparisons:
            table.add_row(
                name,
                comparison.scenario,
                f"{comparison.candidate.rows_per_second:,.0f}",
                f"{comparison.baseline.rows_per_second:,.0f}",
                f"{comparison.ratio:.0%}",
                f">= {comparison.target_ratio:.0%}",
                "[green]ok[/green]" if comparison.meets_target else "[red]below target[/red]",
            )
    console.print(table)


def parse_options(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", help=f"cases to run (default: all): {', '.join(CASES)}")
    parser.add_argument("--rows", type=int, default=50_000, help="rows per measured run (pipeline case)")
    parser.add_argument("--batch-rows", type=int, default=5_000, help="rows per batch (pipeline case)")
    parser.add_argument("--repeats", type=int, default=7, help="measurements per number; the best one is kept")
    options = parser.parse_args(argv)
    unknown = [name for name in options.cases if name not in CASES]
    if unknown:
        parser.error(f"unknown case {unknown[0]!r}; known cases: {', '.join(CASES)}")
    return options


def main(argv: list[str] | None = None) -> int:
    options = parse_options(sys.argv[1:] if argv is None else argv)
    console = Console()
    results = {}
    for name in options.cases or list(CASES):
        console.print(f"[bold]{name}[/bold]: {CASES[name].description}")
        results[name] = CASES[name].measure(options)
    render(results, console)
    return 0 if all(c.meets_target for comparisons in results.values() for c in comparisons) else 1


if __name__ == "__main__":
    sys.exit(main())
