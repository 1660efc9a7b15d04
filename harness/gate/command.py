"""`python -m harness gate` and `python -m harness gate-merge`: arguments in, exit code out.

Exit 0: everything passed; 1: findings (a stage failed); 2: a usage or environment error, said in one line.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import tomllib
from pathlib import Path

from rich.console import Console

from harness.gate import affected
from harness.gate.affected import SelectionError
from harness.gate.findings import from_conformance
from harness.gate.report import GateReport, merge
from harness.gate.shards import ShardError, parse_shard, shard_of
from harness.gate.steps import (
    CONFORMANCE,
    DEFAULT_OUT,
    RESULTS_NAME,
    GateEnvironmentError,
    GateOptions,
    drift_step,
    finish,
    load_results,
    plan,
    run_steps,
)
from harness.paths import FIXTURES_ROOT, REPO_ROOT

EMPTY_RESULTS = {"schema": "conformance-results/1", "results": {}}


def add_gate_arguments(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--base", metavar="REF", help="check the sources a change since REF affects (e.g. origin/main)")
    which.add_argument("--all", action="store_true", help="check every source (the default without --base)")
    which.add_argument("--source", action="append", default=[], metavar="NAME", help="check this source (repeat)")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT.relative_to(REPO_ROOT)})"
    )
    parser.add_argument("--shard", metavar="I/N", help="check the I-th of N deterministic shares of the sources")
    parser.add_argument("-n", "--workers", metavar="N", help="conformance workers (pytest-xdist; default: auto)")
    parser.add_argument("pytest_args", nargs=argparse.REMAINDER, help="extra arguments for the conformance run")


def add_merge_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shards", nargs="+", type=Path, metavar="SHARD_OUT", help="the --out folders of the shards")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the merged outputs go")


def source_owners() -> dict[str, str]:
    """Each registered source → the folder under `sources/` its code lives in."""
    sources = importlib.import_module("sources")
    owners = {}
    for name, source_class in sources.SourceRegistry.all_sources().items():
        parts = source_class.__module__.split(".")
        owners[name] = parts[1] if len(parts) > 2 and parts[0] == "sources" else name
    return owners


def endpoint_counts(names: list[str]) -> dict[str, int]:
    """Shard weights: the endpoints each source's manifest declares (1 where it cannot be read)."""
    weights = {}
    for name in names:
        try:
            manifest = tomllib.loads((FIXTURES_ROOT / name / "manifest.toml").read_text())
            weights[name] = max(1, len(manifest.get("endpoints", {})))
        except (OSError, tomllib.TOMLDecodeError):
            weights[name] = 1
    return weights


def select(args: argparse.Namespace, owners: dict[str, str]) -> affected.Selection:
    if args.source:
        return affected.named(owners, args.source)
    if args.base:
        return affected.from_changes(affected.changed_paths(args.base, REPO_ROOT), owners, args.base)
    return affected.everything(owners, "--all" if args.all else "no --base given")


def run_gate(args: argparse.Namespace) -> int:
    console = Console(stderr=False)
    try:
        index, count = parse_shard(args.shard) if args.shard else (1, 1)
        owners = source_owners()
        selection = select(args, owners)
        mine = shard_of(selection.sources, index, count, endpoint_counts(list(selection.sources)))
        pytest_args = tuple(arg for arg in args.pytest_args if arg != "--")
        options = GateOptions(
            out=args.out.resolve(), workers=args.workers, shard=(index, count), pytest_args=pytest_args
        )
        steps = plan(selection, owners, mine, options)
    except (SelectionError, ShardError, GateEnvironmentError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    console.print(
        f"[bold]selection[/]: {selection.description}" + (f" — shard {index}/{count}: {len(mine)}" if count > 1 else "")
    )
    for source in mine:
        console.print(f"  {source}: {selection.reason(source)}")
    options.out.mkdir(parents=True, exist_ok=True)
    results_path = options.out / RESULTS_NAME
    results_path.write_text(json.dumps(EMPTY_RESULTS) + "\n")
    try:
        outcomes = run_steps(steps, console, options.out)
    except GateEnvironmentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    shard = f"{index}/{count}" if count > 1 else None
    record = {
        "sources": list(mine),
        "reasons": {source: selection.reason(source) for source in mine},
        "description": selection.description,
        "shard": shard,
    }
    results = load_results(results_path)
    for outcome in outcomes:
        if outcome.name == CONFORMANCE:
            outcome.findings = list(from_conformance(results, owners, REPO_ROOT))
    report = GateReport(record, outcomes, results, owners)
    return finish(report, console, options.out)


def run_merge(args: argparse.Namespace) -> int:
    console = Console()
    try:
        report = merge(GateReport.load(folder / "gate.json") for folder in args.shards)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    results_path = out / RESULTS_NAME
    results_path.write_text(json.dumps({**EMPTY_RESULTS, "results": report.results}, indent=2, sort_keys=True) + "\n")
    report.steps = [step for step in report.steps if step.name != "SOURCES.md drift"]
    report.steps += run_steps([drift_step(results_path, shards=1)], console, out)
    return finish(report, console, out)
