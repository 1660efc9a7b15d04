"""`inventory --check`: SOURCES.md must equal what the code generates, and be internally consistent."""

from __future__ import annotations

import difflib
import re

from harness.inventory.model import SourceEntry

_SECTION = re.compile(r"^## (?P<title>.+)$", re.MULTILINE)
_ROW_SOURCE = re.compile(r"^\|[^|]*\(`(?P<source>[^`]+)`\)\s*\|", re.MULTILINE)
CONFORMANCE_TITLE = "Conformance"


def sections(markdown: str) -> dict[str, str]:
    found: dict[str, str] = {}
    matches = list(_SECTION.finditer(markdown))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(markdown)
        found[match.group("title").strip()] = markdown[match.end() : end]
    return found


def without_conformance(markdown: str) -> str:
    """The document minus its conformance matrix (which depends on a results file, not on the code)."""
    return re.sub(rf"^## {CONFORMANCE_TITLE}\n.*?(?=^## )", "", markdown, flags=re.MULTILINE | re.DOTALL)


def _table_sources(section: str) -> set[str]:
    return {match.group("source") for match in _ROW_SOURCE.finditer(section)}


def _row(section: str, source: str) -> str | None:
    for line in section.splitlines():
        if f"(`{source}`)" in line:
            return line
    return None


def consistency_problems(committed: str, entries: list[SourceEntry]) -> list[str]:
    """Rules the committed file must satisfy whatever the diff says; each problem is one line."""
    problems = []
    parts = sections(committed)
    implemented = _table_sources(parts.get("Implemented", ""))
    scaffolded = _table_sources(parts.get("Scaffolded", ""))
    for source in sorted(implemented & scaffolded):
        problems.append(f"SOURCES.md: `{source}` is listed in both the Implemented and the Scaffolded table")
    for entry in entries:
        row = _row(parts.get("Implemented", ""), entry.source_type) or _row(
            parts.get("Scaffolded", ""), entry.source_type
        )
        if row is None:
            problems.append(f"SOURCES.md: registered source `{entry.source_type}` is missing")
            continue
        has_pragma = any(pragma.rule or pragma.reason for pragma in entry.pragmas) or bool(entry.pragmas)
        if "⚠️" in row and entry.tracking != "partial":
            problems.append(
                f"SOURCES.md: `{entry.source_type}` is marked ⚠️ but its code has no pragma, untracked SDK or gRPC"
            )
        if has_pragma and "⚠️" not in row:
            where = ", ".join(f"{p.path}:{p.line}" for p in entry.pragmas)
            problems.append(f"SOURCES.md: `{entry.source_type}` has a nosemgrep pragma ({where}) but is not marked ⚠️")
        if "Webhook" in entry.base_classes and "Webhook" not in row:
            problems.append(f"SOURCES.md: `{entry.source_type}` is webhook-capable but not labelled Webhook")
    return problems


def unified_diff(committed: str, generated: str, path: str = "SOURCES.md") -> str:
    return "".join(
        difflib.unified_diff(
            committed.splitlines(keepends=True),
            generated.splitlines(keepends=True),
            fromfile=f"{path} (committed)",
            tofile=f"{path} (generated)",
        )
    )
