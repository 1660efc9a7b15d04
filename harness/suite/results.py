"""The results file: `source → endpoint → check → {status, message | reason, duration_seconds}`, keys sorted.

It holds the latest verdict of every case. A run replaces the entries of the cases it ran and keeps the others
from the file it finds (merge), so a partial run (`--source stripe`, `-k resume`) never drops what earlier runs
found about the rest. Entries that no longer describe a case are dropped: a source that is no longer registered,
and, for a source this run checked, a case its fixtures no longer produce. The file is read, merged and replaced
under a lock (runs finishing together keep each other's entries) and atomically (a killed run leaves it whole).
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from harness.suite.suite import NO_ENDPOINT, Case, Verdict

SCHEMA = "conformance-results/1"
Tree = dict[str, dict[str, dict[str, dict[str, Any]]]]


def verdict_to_json(verdict: Verdict) -> dict[str, Any]:
    """A verdict as builtins, to travel from a pytest-xdist worker to the controller on its test report."""
    return dataclasses.asdict(verdict)


def verdict_from_json(data: dict[str, Any]) -> Verdict:
    return Verdict(**{**data, "case": Case(**data["case"])})


def entry(verdict: Verdict) -> dict[str, Any]:
    result: dict[str, Any] = {"status": verdict.status, "duration_seconds": round(verdict.duration, 4)}
    if verdict.status == "bypassed":
        result["reason"] = verdict.message
    elif verdict.message:
        result["message"] = verdict.message
    if verdict.blocked_by:
        result["blocked_by"] = verdict.blocked_by
    return result


def tree_of(verdicts: Iterable[Verdict]) -> Tree:
    tree: Tree = {}
    for verdict in verdicts:
        case = verdict.case
        tree.setdefault(case.source_type, {}).setdefault(case.endpoint or NO_ENDPOINT, {})[case.check_id] = entry(
            verdict
        )
    return tree


@dataclasses.dataclass(frozen=True)
class Written:
    """What a write did besides this run's verdicts: which earlier entries it kept, or why it kept none."""

    path: Path
    kept_sources: tuple[str, ...] = ()  # sources this run did not check, kept whole from the file
    kept_cases: dict[str, int] = dataclasses.field(default_factory=dict)  # unselected cases of checked sources
    replaced_because: str | None = None  # the file there could not be merged with

    def note(self) -> str:
        """The clause the summary line carries; empty when the file holds exactly this run."""
        kept = list(self.kept_sources)
        kept += [f"{count} unselected case(s) of {source}" for source, count in sorted(self.kept_cases.items())]
        if kept:
            return f"results merged into {_shown(self.path)}, kept from earlier runs: {', '.join(kept)}"
        if self.replaced_because:
            return f"results in {_shown(self.path)} replaced: {self.replaced_because}"
        return ""


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _previous(path: Path) -> tuple[Tree, str | None]:
    """The tree already in `path`, or ({}, why it cannot be merged with)."""
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        return {}, None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return {}, f"the file there was not readable JSON ({exc})"
    results = document.get("results") if isinstance(document, dict) else None
    if not isinstance(results, dict) or document.get("schema") != SCHEMA:
        return {}, f"the file there was not a {SCHEMA} document"
    return results, None


def merge(
    previous: Tree, current: Tree, registered: Iterable[str], cases_of: Callable[[str], set[tuple[str, str]]]
) -> tuple[Tree, tuple[str, ...], dict[str, int]]:
    """`current` over `previous`; returns the merged tree, the sources kept whole and the cases kept per source."""
    registered = set(registered)
    merged: Tree = {}
    kept_sources: list[str] = []
    kept_cases: dict[str, int] = {}
    for source, endpoints in sorted(previous.items()):
        if source not in registered or not isinstance(endpoints, dict):
            continue
        if source not in current:
            merged[source] = endpoints
            kept_sources.append(source)
            continue
        ran = {(endpoint, check) for endpoint, checks in current[source].items() for check in checks}
        exists = cases_of(source)
        for endpoint, checks in endpoints.items():
            for check, result in (checks if isinstance(checks, dict) else {}).items():
                if (endpoint, check) in exists and (endpoint, check) not in ran:
                    merged.setdefault(source, {}).setdefault(endpoint, {})[check] = result
                    kept_cases[source] = kept_cases.get(source, 0) + 1
    for source, endpoints in current.items():
        for endpoint, checks in endpoints.items():
            merged.setdefault(source, {}).setdefault(endpoint, {}).update(checks)
    return merged, tuple(kept_sources), kept_cases


def write_results(
    path: Path,
    verdicts: Iterable[Verdict],
    registered: Iterable[str] = (),
    cases_of: Callable[[str], set[tuple[str, str]]] | None = None,
) -> Written:
    """Merge this run's verdicts into the results file at `path` (see the module docstring)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path):  # runs finishing together (shards, parallel jobs) each keep the other's entries
        previous, unreadable = _previous(path)
        current = tree_of(verdicts)
        tree, kept_sources, kept_cases = merge(previous, current, registered, cases_of or (lambda source: set()))
        document = {"schema": SCHEMA, "results": tree}
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(handle, "w") as file:
                file.write(json.dumps(document, indent=2, sort_keys=True) + "\n")
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    return Written(path, kept_sources, kept_cases, unreadable)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    fd = os.open(path.parent / f".{path.name}.lock", os.O_CREAT | os.O_RDWR, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
