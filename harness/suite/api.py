"""Run conformance checks from Python: one check on one (source, endpoint), or every case of some sources.

from harness.suite.api import run_check
verdict = run_check("github", "issues", "resume.every_checkpoint")
assert verdict.passed, verdict.message
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from harness.runs.engine import RunCache
from harness.suite.suite import Case, Suite, Verdict

__all__ = ["Case", "Suite", "Verdict", "forget", "list_cases", "run_all", "run_check"]

_suites: dict[str, Suite] = {}


def _suite(fixtures_root: Path | None, fresh: bool) -> Suite:
    key = str(fixtures_root)
    if fresh or key not in _suites:
        _suites[key] = Suite(fixtures_root, RunCache())
    return _suites[key]


def run_check(
    source_type: str,
    endpoint: str | None,
    check_id: str,
    *,
    fixtures_root: Path | None = None,
    fresh: bool = False,
) -> Verdict:
    """Run `check_id` on one endpoint (None for source-level checks), ignoring bypasses and applicability.

    Runs are cached per fixtures root across calls; `fresh=True` starts from an empty cache.
    """
    suite = _suite(fixtures_root, fresh)
    return suite.execute(Case(source_type, endpoint, check_id))


def list_cases(sources: Iterable[str] | None = None, *, fixtures_root: Path | None = None) -> list[Case]:
    return _suite(fixtures_root, False).cases(sources)


def run_all(sources: Iterable[str] | None = None, *, fixtures_root: Path | None = None) -> list[Verdict]:
    suite = _suite(fixtures_root, False)
    return [suite.execute(case) for case in suite.cases(sources)]


def forget(fixtures_root: Path | None = None) -> None:
    """Drop the cached runs of a fixtures root (e.g. a temporary one about to be deleted)."""
    _suites.pop(str(fixtures_root), None)
