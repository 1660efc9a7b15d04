"""Argument parsing for `python -m harness`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from harness.gate.command import add_gate_arguments, add_merge_arguments
from harness.inventory.command import add_arguments as add_inventory_arguments
from harness.scaffold.command import add_arguments as add_new_arguments


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m harness", description="Warehouse source conformance tools.")
    commands = parser.add_subparsers(dest="command", required=True)
    gate = commands.add_parser("gate", help="lint, rules, secret scan, conformance and SOURCES.md drift, in one pass")
    add_gate_arguments(gate)
    merge = commands.add_parser("gate-merge", help="combine the outputs of sharded gate runs into one")
    add_merge_arguments(merge)
    inventory = commands.add_parser("inventory", help="write SOURCES.md from the registry and the code")
    add_inventory_arguments(inventory)
    new = commands.add_parser("new", help="write a connector skeleton that passes the registry check")
    add_new_arguments(new)
    for name, help_text in DELEGATED.items():
        commands.add_parser(name, help=help_text, add_help=False)
    return parser


# Commands with their own argument parsing; everything after the command name goes to them unchanged.
DELEGATED = {
    "record": "record a source's HAR fixtures from its vendor simulator",
    "secret-scan": "scan fixtures/ for credentials",
    "pragmas": "check the # nosemgrep pragmas under sources/",
}


def run_delegated(command: str, rest: list[str]) -> int:
    if command == "record":
        from harness.recording.cli import main as record_main

        return record_main(rest)
    if command == "secret-scan":
        from harness.fixtures.secret_scan import main as scan_main

        return scan_main(rest)
    from harness.gate.pragmas import main as pragmas_main

    return pragmas_main(rest)


# Commands that import every connector: one that fails to import is their one-line error, not a traceback.
NEED_SOURCES = frozenset({"record", "inventory", "secret-scan"})


def main(argv: Sequence[str]) -> int:
    argv = list(argv)
    if argv and argv[0] in NEED_SOURCES and "-h" not in argv and "--help" not in argv:
        from harness.one_line import sources_import_error

        error = sources_import_error()
        if error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    if argv and argv[0] in DELEGATED:
        return run_delegated(argv[0], argv[1:])
    args = build_parser().parse_args(argv)
    if args.command == "gate":
        from harness.gate.command import run_gate

        return run_gate(args)
    if args.command == "gate-merge":
        from harness.gate.command import run_merge

        return run_merge(args)
    if args.command == "inventory":
        from harness.inventory.command import run as run_inventory

        return run_inventory(args)
    if args.command == "new":
        from harness.scaffold.command import run as run_new

        return run_new(args)
    raise AssertionError(f"unhandled command {args.command}")
