"""`python -m harness new <name> [--vendor-url URL] [--pagination STYLE]`: write a connector skeleton."""

from __future__ import annotations

import argparse
import sys

from harness.paths import REPO_ROOT
from harness.scaffold.generate import ScaffoldError, check_name, render, write
from harness.scaffold.styles import DEFAULT_STYLE, STYLES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="the source type, a lowercase identifier (e.g. acme_desk)")
    parser.add_argument("--vendor-url", default=None, metavar="URL", help="the vendor's API documentation")
    parser.add_argument(
        "--pagination",
        default=DEFAULT_STYLE,
        choices=sorted(STYLES),
        help=f"how the vendor pages (default {DEFAULT_STYLE})",
    )


def run(args: argparse.Namespace) -> int:
    from harness.one_line import SourcesImportError, import_sources
    from sources.common.registry import SourceRegistry

    try:
        import_sources()
        check_name(args.name, REPO_ROOT, SourceRegistry.source_types())
        written = write(REPO_ROOT, render(args.name, args.vendor_url, args.pagination), args.name)
    except (ScaffoldError, SourcesImportError, OSError) as error:
        print(f"error: new {args.name}: {error}", file=sys.stderr)
        return 1
    for path in written:
        print(path.relative_to(REPO_ROOT))
    print(
        f"next: `pytest harness --source {args.name}` says what to do, in order: the TODOs of sources/{args.name}/, "
        f"the simulator in fixtures/{args.name}/simulator.py, then `python -m harness record {args.name}`"
    )
    return 0
