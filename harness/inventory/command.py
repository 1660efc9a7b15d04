"""`python -m harness inventory [--check] [--format md|json] [--results FILE] [--output PATH]`.

The conformance matrix: the sources in the results file (by default the last gate run's,
out/gate/conformance-results.json) get fresh columns; every other registered source keeps its committed column.
So after `./dev gate` (whole or one source), `python -m harness inventory` writes exactly what the gate accepts.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.inventory.check import consistency_problems, unified_diff
from harness.inventory.committed import combine, committed_outcomes
from harness.inventory.matrix import Outcome, ResultsError, build_matrix, load_outcomes
from harness.inventory.render import render_json, render_markdown
from harness.paths import REPO_ROOT

DEFAULT_OUTPUT = REPO_ROOT / "SOURCES.md"
DEFAULT_RESULTS = REPO_ROOT / "out" / "gate" / "conformance-results.json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--check", action="store_true", help="exit 1 with a diff when SOURCES.md is stale")
    parser.add_argument("--format", choices=("md", "json"), default="md")
    parser.add_argument(
        "--results",
        type=Path,
        help="conformance results JSON for the matrix (default: the last gate run's, if there is one)",
    )
    parser.add_argument("--output", type=Path, help="where to write (default SOURCES.md; json: stdout)")


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except OSError as exc:  # an output or committed file that cannot be written or read
        print(f"error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    from harness.one_line import SourcesImportError, import_sources

    output: Path = args.output or DEFAULT_OUTPUT
    committed = output.read_text() if output.exists() else ""
    results: Path | None = args.results or (DEFAULT_RESULTS if DEFAULT_RESULTS.is_file() else None)
    try:
        import_sources()  # before `collect`, which imports the SDK (and with it every connector)
    except SourcesImportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    from harness.inventory.collect import InventoryError, collect
    from sources.common.registry import SourceRegistry

    try:
        entries = collect(SourceRegistry.all_sources())
        fresh = load_outcomes(results) if results else []
    except (InventoryError, ResultsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    outcomes = combine(fresh, committed_outcomes(committed), [entry.source_type for entry in entries])
    matrix = build_matrix(outcomes) if outcomes else None
    origin = _matrix_origin(fresh, outcomes, results)
    if args.format == "json":
        text = render_json(entries, matrix)
        if args.output:
            args.output.write_text(text)
        else:
            sys.stdout.write(text)
        return 0
    generated = render_markdown(entries, matrix)
    if not args.check:
        output.write_text(generated)
        print(f"wrote {output} ({len(entries)} sources; {origin})")
        return 0
    problems = consistency_problems(committed, entries)
    diff = unified_diff(committed, generated, output.name)
    for problem in problems:
        print(problem, file=sys.stderr)
    if diff:
        sys.stdout.write(diff)
        command = "python -m harness inventory"
        if args.results and args.results.resolve() != DEFAULT_RESULTS.resolve():
            command += f" --results {args.results}"
        print(f"{output.name} is stale ({origin}): run `{command}` and commit the result", file=sys.stderr)
    return 1 if diff or problems else 0


def _matrix_origin(fresh: list[Outcome], outcomes: list[Outcome], results: Path | None) -> str:
    fresh_sources = {outcome.source for outcome in fresh}
    kept = {outcome.source for outcome in outcomes} - fresh_sources
    if not outcomes:
        return "no conformance matrix: no results and none committed"
    where = f"{len(fresh_sources)} source(s) from {results}" if results else "no results file"
    return f"conformance matrix: {where}, {len(kept)} as committed"
