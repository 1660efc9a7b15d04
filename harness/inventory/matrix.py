"""The conformance matrix: source × check from the harness results file."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

OUTCOME_ICON = {"pass": "✅", "fail": "❌", "inconclusive": "❔", "blocked": "⛔", "bypass": "⏭"}
# Outcomes listed one case per line under the matrix, with the title of their list.
LISTED_TITLES = {"inconclusive": "Inconclusive checks", "bypass": "Bypassed checks", "fail": "Failing checks"}
# The harness writes `passed` / `failed` / `inconclusive` / `blocked` / `bypassed`; the short forms are accepted too.
_STATUS = {
    "passed": "pass",
    "failed": "fail",
    "bypassed": "bypass",
    **{key: key for key in OUTCOME_ICON},
}


class ResultsError(ValueError):
    pass


@dataclasses.dataclass(frozen=True)
class Outcome:
    source: str
    endpoint: str
    check: str
    outcome: str
    reason: str | None


@dataclasses.dataclass(frozen=True)
class Matrix:
    checks: tuple[str, ...]
    cells: dict[tuple[str, str], str]  # (source, check) -> worst outcome over endpoints
    bypasses: tuple[Outcome, ...]
    failures: tuple[Outcome, ...]
    inconclusive: tuple[Outcome, ...] = ()


def _flatten(nested: dict[str, Any]) -> list[dict[str, Any]]:
    """`source → endpoint → check → {status, message | reason}` (the harness's results file) as rows."""
    rows = []
    for source, endpoints in nested.items():
        for endpoint, checks in (endpoints or {}).items():
            for check, verdict in (checks or {}).items():
                verdict = verdict if isinstance(verdict, dict) else {}
                reason = verdict.get("reason") or verdict.get("message")
                rows.append({"source": source, "endpoint": endpoint, "check": check, **verdict, "reason": reason})
    return rows


def _rows(document: Any, path: Path) -> list[dict[str, Any]]:
    rows = document.get("results") if isinstance(document, dict) else document
    if isinstance(rows, dict):
        return _flatten(rows)
    if not isinstance(rows, list):
        raise ResultsError(f"{path}: expected results as source → endpoint → check, or a list of rows")
    return rows


def load_outcomes(path: Path) -> list[Outcome]:
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        raise ResultsError(f"{path}: results file not found") from None
    except json.JSONDecodeError as exc:
        raise ResultsError(f"{path}: not JSON ({exc.msg}, line {exc.lineno})") from None
    outcomes = []
    for index, row in enumerate(_rows(document, path)):
        try:
            status = str(row.get("outcome") or row["status"])
            if status not in _STATUS:
                raise ValueError(f"unknown outcome {status!r}")
            outcome = _STATUS[status]
            outcomes.append(
                Outcome(
                    str(row["source"]), str(row.get("endpoint") or "-"), str(row["check"]), outcome, row.get("reason")
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ResultsError(f"{path}: result {index} is malformed ({exc})") from None
    return outcomes


# A cell shows the worst outcome over the source's endpoints.
_SEVERITY = {"fail": 4, "blocked": 3, "inconclusive": 2, "bypass": 1, "pass": 0}


def build_matrix(outcomes: list[Outcome]) -> Matrix:
    cells: dict[tuple[str, str], str] = {}
    for outcome in outcomes:
        key = (outcome.source, outcome.check)
        if key not in cells or _SEVERITY[outcome.outcome] > _SEVERITY[cells[key]]:
            cells[key] = outcome.outcome
    order = sorted({outcome.check for outcome in outcomes})
    by_key = sorted(outcomes, key=lambda o: (o.source, o.endpoint, o.check))
    return Matrix(
        checks=tuple(order),
        cells=cells,
        bypasses=tuple(o for o in by_key if o.outcome == "bypass"),
        failures=tuple(o for o in by_key if o.outcome == "fail"),
        inconclusive=tuple(o for o in by_key if o.outcome == "inconclusive"),
    )
