"""Write the scenario manifest a recording produced, keeping every hand-written part of an existing one.

The recorder owns `source`, `[config]`, `[credentials]`, the `[endpoints.<name>.scenarios.<scenario>]` tables it
recorded and the `[vendor_errors.<status>]` tables it probed. Everything else — bypasses, lookbacks, pagination
contracts, watermark encodings, other scenarios, comments — stays as it was, and a value that did not change
keeps its bytes.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import Table

from harness.fixtures.manifest import MANIFEST_NAME, SCENARIO_NAMES


@dataclasses.dataclass
class ManifestEntries:
    """What one recording knows about the manifest: filled in as scenarios are recorded."""

    source_type: str
    config: dict[str, Any]
    comment: str
    credentials_har: str | None = None
    scenarios: dict[str, dict[str, dict[str, Any]]] = dataclasses.field(default_factory=dict)
    vendor_errors: dict[int, tuple[str, dict[str, str]]] = dataclasses.field(default_factory=dict)

    def add_scenario(self, endpoint: str, scenario: str, har: str, **values: Any) -> None:
        """Note a recorded scenario; HARs of other names (a simulator's extra recordings) stay out of it."""
        if scenario not in SCENARIO_NAMES:
            return
        entry = {"har": har} | {key: value for key, value in values.items() if value is not None}
        self.scenarios.setdefault(endpoint, {})[scenario] = entry


def _update(table: Any, values: dict[str, Any], *, drop_others: bool) -> None:
    for key, value in values.items():
        if key not in table or table[key] != value:
            table[key] = value
    if drop_others:
        for key in [key for key in table if key not in values]:
            del table[key]


def _child(parent: Any, key: str, super_table: bool = True) -> Table:
    if key not in parent:
        parent[key] = tomlkit.table(is_super_table=super_table)
    return parent[key]


def write_manifest(directory: Path, entries: ManifestEntries) -> Path:
    path = directory / MANIFEST_NAME
    if path.is_file():
        document = tomlkit.parse(path.read_text())
    else:
        document = tomlkit.document()
        document.add(tomlkit.comment(entries.comment))
    if document.get("source") != entries.source_type:
        document["source"] = entries.source_type
    _update(_child(document, "config", super_table=False), entries.config, drop_others=True)
    if entries.credentials_har is not None:
        _update(_child(document, "credentials", super_table=False), {"har": entries.credentials_har}, drop_others=False)
    endpoints = _child(document, "endpoints")
    for endpoint, scenarios in entries.scenarios.items():
        tables = _child(_child(endpoints, endpoint), "scenarios")
        for scenario, values in scenarios.items():
            _update(_child(tables, scenario, super_table=False), values, drop_others=True)
    if entries.vendor_errors:
        errors = _child(document, "vendor_errors")
        for status, (body, headers) in sorted(entries.vendor_errors.items()):
            table = _child(errors, str(status), super_table=False)
            inline = tomlkit.inline_table()
            inline.update(headers)
            _update(
                table, {"body": tomlkit.string(body, literal=True, multiline=True), "headers": inline}, drop_others=True
            )
    path.write_text(spaced(tomlkit.dumps(document)))
    return path


def spaced(text: str) -> str:
    """A blank line before every table header that directly follows a value (a table the recorder added in front
    of a hand-written one); headers after a comment or a blank line stay as they are."""
    lines = text.split("\n")
    out: list[str] = []
    for line in lines:
        previous = out[-1].strip() if out else ""
        if line.startswith("[") and previous and not previous.startswith("#"):
            out.append("")
        out.append(line)
    return "\n".join(out)
