"""One shape for everything the gate finds, whichever tool found it: a file, a line, a rule, a message."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

_ORIGIN = re.compile(r"\b(?P<path>sources/[\w./-]+\.py):(?P<line>\d+)")
_PATH_LINE = re.compile(r"^(?P<path>[\w./-]+\.\w+)(?::(?P<line>\d+))?:\s+(?P<message>.+)$")


@dataclasses.dataclass(frozen=True)
class Finding:
    tool: str
    rule: str
    message: str
    path: str  # repository-relative, posix
    line: int = 1
    level: str = "error"

    def describe(self) -> str:
        return f"{self.path}:{self.line}: [{self.rule}] {self.message.splitlines()[0] if self.message else ''}"


def relative(path: str, root: Path) -> str:
    candidate = Path(path)
    if candidate.is_absolute():
        try:
            candidate = candidate.resolve().relative_to(root.resolve())
        except ValueError:
            return candidate.as_posix()
    return candidate.as_posix().removeprefix("./")


def from_ruff_json(text: str, root: Path) -> list[Finding]:
    try:
        rows = json.loads(text or "[]")
    except json.JSONDecodeError:
        return []
    return [
        Finding(
            "ruff",
            str(row.get("code") or "ruff"),
            str(row.get("message", "")),
            relative(str(row.get("filename", "")), root),
            int((row.get("location") or {}).get("row") or 1),
        )
        for row in rows
    ]


def from_ruff_format(text: str, root: Path) -> list[Finding]:
    """`ruff format --check --output-format json`: one finding per file that is not formatted."""
    return [
        dataclasses.replace(finding, tool="ruff-format", rule="format", message="not formatted: run `ruff format`")
        for finding in from_ruff_json(text, root)
    ]


def from_semgrep_json(text: str, root: Path) -> list[Finding]:
    try:
        document = json.loads(text or "{}")
    except json.JSONDecodeError:
        return []
    found = []
    for result in document.get("results", []):
        extra = result.get("extra") or {}
        level = {"ERROR": "error", "WARNING": "warning", "INFO": "note"}.get(str(extra.get("severity")), "error")
        found.append(
            Finding(
                "semgrep",
                str(result.get("check_id", "semgrep")).rsplit(".", 1)[-1],
                str(extra.get("message", "")).strip(),
                relative(str(result.get("path", "")), root),
                int((result.get("start") or {}).get("line") or 1),
                level,
            )
        )
    return found


def from_lines(tool: str, rule: str, text: str, root: Path) -> list[Finding]:
    """`path[:line]: message` lines (the pragma check, the secret scan); other lines are ignored."""
    found = []
    for line in text.splitlines():
        match = _PATH_LINE.match(line.strip())
        if match and (root / match["path"]).exists():
            found.append(Finding(tool, rule, match["message"], relative(match["path"], root), int(match["line"] or 1)))
    return found


def from_conformance(results: Mapping[str, Any], owners: Mapping[str, str], root: Path) -> Iterator[Finding]:
    """Failed and inconclusive cases, located at the connector line the evidence names (else its source.py)."""
    for source, endpoints in sorted(results.items()):
        for endpoint, checks in sorted(endpoints.items()):
            for check, verdict in sorted(checks.items()):
                status = str(verdict.get("status", ""))
                if status in {"passed", "bypassed"} or status.startswith("blocked"):
                    continue
                message = str(verdict.get("message") or verdict.get("reason") or status)
                match = _ORIGIN.search(message)
                if match and (root / match["path"]).is_file():
                    path, line = match["path"], int(match["line"])
                else:
                    path, line = connector_file(source, owners, root), 1
                level = "error" if status == "failed" else "warning"
                yield Finding("conformance", check, f"{source}/{endpoint} [{status}]: {message}", path, line, level)


def connector_file(source: str, owners: Mapping[str, str], root: Path) -> str:
    directory = f"sources/{owners.get(source, source)}"
    for name in ("source.py", "__init__.py"):
        if (root / directory / name).is_file():
            return f"{directory}/{name}"
    return directory
