"""`python -m harness inventory [--check] [--format md|json] [--results FILE] [--output PATH]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.inventory.check import consistency_problems, unified_diff, without_conformance
from harness.inventory.matrix import ResultsError, build_matrix, load_outcomes
from harness.inventory.render import render_json, render_markdown
from harness.paths import REPO_ROOT

DEFAULT_OUTPUT = REPO_ROOT / "SOURCES.md"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--check", action="store_true", help="exit 1 with a diff when SOURCES.md is stale")
    parser.add_argument("--format", choices=("md", "json"), default="md")
    parser.add_argument("--results", type=Path, help="conformance results JSON: adds the conformance matrix")
    parser.add_argument("--output", type=Path, help="where to write (default SOURCES.md; json: stdout)")


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except OSError as exc:  # an output or committed file that cannot be written or read
        print(f"error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    from harness.one_line import SourcesImportError, import_sources

    try:
        import_sources()  # before `collect`, which imports the SDK (and with it every connector)
    except SourcesImportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    from harness.inventory.collect import InventoryError, collect
    from sources.common.registry import SourceRegistry

    try:
        entries = collect(SourceRegistry.all_sources())
        matrix = build_matrix(load_outcomes(args.results)) if args.results else None
    except (InventoryError, ResultsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.format == "json":
        text = render_json(entries, matrix)
        if args.output:
            args.output.write_text(text)
        else:
            sys.stdout.write(text)
        return 0
    generated = render_markdown(entries, matrix)
    output: Path = args.output or DEFAULT_OUTPUT
    if not args.check:
        output.write_text(generated)
        print(f"wrote {output} ({len(entries)} sources)")
        return 0
    committed = output.read_text() if output.exists() else ""
    problems = consistency_problems(committed, entries)
    expected, actual = generated, committed
    if matrix is None:
        expected, actual = without_conformance(generated), without_conformance(committed)
    diff = unified_diff(actual, expected, output.name)
    for problem in problems:
        print(problem, file=sys.stderr)
    if diff:
        sys.stdout.write(diff)
        print(f"{output.name} is stale: run `python -m harness inventory` and commit the result", file=sys.stderr)
    return 1 if diff or problems else 0
