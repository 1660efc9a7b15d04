"""Helpers the checks share: row keys, row comparison, scenario lookup with a 'record it' failure."""

from __future__ import annotations

import json
from typing import Any

from harness.checks.context import CheckContext
from harness.fixtures.manifest import Scenario
from harness.replay.faults import Fault, auth_error
from harness.runs.records import RunRecord

RowKey = tuple[Any, ...]


def row_key(row: dict[str, Any], primary_keys: tuple[str, ...]) -> RowKey:
    return tuple(row.get(key) for key in primary_keys)


def show_key(key: RowKey, primary_keys: tuple[str, ...]) -> str:
    return ", ".join(f"{name}={value!r}" for name, value in zip(primary_keys, key, strict=True))


def canonical(row: dict[str, Any]) -> str:
    return json.dumps(row, sort_keys=True, default=str)


def need_scenario(ctx: CheckContext, name: str, why: str) -> Scenario:
    scenario = ctx.endpoint.scenario(name)
    if scenario is None:
        ctx.fail(
            f"a {name!r} scenario in the fixture manifest ({why})",
            f"{ctx.sut.manifest.path} has no [endpoints.{ctx.endpoint.name}.scenarios.{name}]",
            f"record it in fixtures/{ctx.source_type}/simulator.py (recorder.record_sync({ctx.endpoint.name!r}, "
            f"{name!r}, ...)), run python -m harness record {ctx.source_type} and add it to the manifest",
        )
    return scenario


def field_type(ctx: CheckContext, field: str | None) -> str | None:
    for candidate in ctx.schema_incremental_fields():
        if candidate.field == field:
            return candidate.field_type
    return None


def fault_page(full: RunRecord) -> int:
    """The page faults are injected before: the second one when there is one (mid-sync), else the first."""
    return 2 if full.pages_served >= 2 else 1


def same_rows(ctx: CheckContext, expected: RunRecord, actual: RunRecord, situation: str, fix: str) -> None:
    keys = ctx.primary_keys(expected)
    want = {row_key(row, keys): canonical(row) for row in expected.rows}
    got = {row_key(row, keys): canonical(row) for row in actual.rows}
    missing = [show_key(key, keys) for key in want if key not in got]
    if missing:
        ctx.fail(
            f"{situation} to yield the same rows as the plain full sync",
            f"{len(missing)} of {len(want)} rows missing, e.g. {missing[0]} ({actual.spec.describe()})",
            fix,
        )
    changed = [show_key(key, keys) for key, text in want.items() if got[key] != text]
    if changed:
        ctx.fail(
            f"{situation} to yield the same rows as the plain full sync",
            f"{len(changed)} rows differ, e.g. {changed[0]}",
            fix,
        )


def auth_fault(ctx: CheckContext, status: int, before_page: int = 1) -> Fault:
    """A 401/403 fault with the vendor's body from the manifest's [vendor_errors], else a generic one."""
    vendor = ctx.sut.manifest.vendor_errors.get(status)
    if vendor is None:
        return auth_error(status, before_page)  # type: ignore[arg-type]
    return auth_error(status, before_page, vendor.body, vendor.headers)  # type: ignore[arg-type]


def vendor_error_hint(ctx: CheckContext, status: int) -> str:
    if status in ctx.sut.manifest.vendor_errors:
        return ""
    return (
        f" (the harness answered with a generic JSON error body; declare the vendor's real one as "
        f"[vendor_errors.{status}] body = '...' in {ctx.sut.manifest.path.name})"
    )
