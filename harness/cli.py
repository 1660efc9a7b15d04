"""Argument parsing for `python -m harness`."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from harness.inventory.command import add_arguments as add_inventory_arguments


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m harness", description="Warehouse source conformance tools.")
    commands = parser.add_subparsers(dest="command", required=True)
    gate = commands.add_parser("gate", help="lint, rules, conformance and inventory drift, in one pass")
    gate.add_argument("--source", action="append", default=[], help="check only this source (repeatable)")
    gate.add_argument("pytest_args", nargs=argparse.REMAINDER, help="extra arguments for the conformance run")
    inventory = commands.add_parser("inventory", help="write SOURCES.md from the registry and the code")
    add_inventory_arguments(inventory)
    return parser


def main(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    if args.command == "gate":
        from harness.gate import run_gate

        return run_gate(args.source, args.pytest_args)
    if args.command == "inventory":
        from harness.inventory.command import run as run_inventory

        return run_inventory(args)
    raise AssertionError(f"unhandled command {args.command}")
