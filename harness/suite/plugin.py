"""The pytest plugin behind `pytest harness`: one test per (source, endpoint, check) of every registered source.

Options: `--source NAME` (repeatable) selects sources, `--results PATH` writes the machine-readable results
(default out/conformance-results.json), `--fixtures-root DIR` reads fixtures from elsewhere. `-k` works on the
ids (`github/issues/resume.every_checkpoint`, `github/-/registry`).
"""

from __future__ import annotations

import importlib
import json
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from harness.paths import REPO_ROOT
from harness.replay import BACKENDS, DEFAULT_BACKEND, select_backend
from harness.suite.suite import STATUSES, Case, Suite, Verdict
from sources.common.registry import SourceRegistry

DEFAULT_RESULTS = REPO_ROOT / "out" / "conformance-results.json"
CASE_ARGUMENT = "conformance_case"
_SUITE_KEY = pytest.StashKey[Suite]()
_VERDICTS_KEY = pytest.StashKey[dict[str, Verdict]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "warehouse source conformance")
    group.addoption("--source", action="append", default=[], metavar="NAME", help="check only this source (repeat)")
    group.addoption(
        "--results", default=str(DEFAULT_RESULTS), metavar="PATH", help="write per-case results as JSON here"
    )
    group.addoption("--fixtures-root", default=None, metavar="DIR", help="read fixtures/<source>/ from DIR")
    group.addoption(
        "--replay", default=DEFAULT_BACKEND, choices=sorted(BACKENDS), help="the replay backend serving the fixtures"
    )


def import_sources() -> None:
    """`import sources` registers every connector; a connector that does not import is a one-line usage error."""
    try:
        importlib.import_module("sources")
    except Exception as exc:
        frames = traceback.extract_tb(exc.__traceback__)
        where = next((f"{frame.filename}:{frame.lineno}" for frame in reversed(frames)), "sources/__init__.py")
        raise pytest.UsageError(f"importing the sources failed at {where}: {type(exc).__name__}: {exc}") from None


def only_the_suite(config: pytest.Config) -> bool:
    """True when every path pytest was given lies inside the conformance suite (`pytest harness ...`)."""
    suite_root = Path(__file__).resolve().parents[1]
    paths = [Path(str(arg).split("::")[0]) for arg in config.args]
    return bool(paths) and all(
        (config.invocation_params.dir / path).resolve().is_relative_to(suite_root) for path in paths
    )


def pytest_configure(config: pytest.Config) -> None:
    if only_the_suite(config):
        # The suite has no hypothesis tests, but hypothesis's pytest plugin imports all of hypothesis at the end
        # of every session (pytest_terminal_summary), assertion-rewritten, so recompiled whenever no bytecode is
        # cached: ~1 s of CPU for nothing. Blocking it is what `-p no:hypothesispytest` does.
        config.pluginmanager.set_blocked("hypothesispytest")
    import_sources()
    select_backend(config.getoption("--replay", DEFAULT_BACKEND))
    unknown = sorted(set(config.getoption("--source", None) or ()) - set(SourceRegistry.source_types()))
    if unknown:
        known = ", ".join(SourceRegistry.source_types()) or "none"
        raise pytest.UsageError(f"--source {unknown[0]!r} is not a registered source type; registered: {known}")


def _suite(config: pytest.Config) -> Suite:
    if _SUITE_KEY not in config.stash:
        root = config.getoption("--fixtures-root")
        config.stash[_SUITE_KEY] = Suite(Path(root) if root else None)
        config.stash[_VERDICTS_KEY] = {}
    return config.stash[_SUITE_KEY]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if CASE_ARGUMENT not in metafunc.fixturenames:
        return
    suite = _suite(metafunc.config)
    cases = suite.cases(metafunc.config.getoption("--source") or None)
    metafunc.parametrize(CASE_ARGUMENT, cases, ids=[case.id for case in cases])


@pytest.fixture
def conformance_verdict(request: pytest.FixtureRequest, conformance_case: Case) -> Verdict:
    """Run the case; the test only turns the verdict into pass / fail / bypass."""
    verdict = _suite(request.config).execute(conformance_case)
    request.config.stash[_VERDICTS_KEY][conformance_case.id] = verdict
    return verdict


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    verdicts = config.stash.get(_VERDICTS_KEY, None)
    if not verdicts:
        return
    terminalreporter.write_sep("=", summary_line(verdicts.values()))


def summary_line(verdicts: Any) -> str:
    """`conformance: N passed, M failed, I inconclusive, B blocked, K bypassed` (blocked: by another check's
    failure, which is counted once under that check)."""
    counts = Counter(verdict.status for verdict in verdicts)
    return "conformance: " + ", ".join(f"{counts[status]} {status}" for status in STATUSES)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    verdicts = config.stash.get(_VERDICTS_KEY, None)
    if not verdicts:
        return
    path = Path(config.getoption("--results"))
    write_results(path, verdicts.values())


def write_results(path: Path, verdicts: Any) -> None:
    """source → endpoint → check → {status, message | reason, blocked_by, duration_seconds}, keys sorted."""
    tree: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}
    for verdict in verdicts:
        case = verdict.case
        entry: dict[str, Any] = {"status": verdict.status, "duration_seconds": round(verdict.duration, 4)}
        if verdict.status == "bypassed":
            entry["reason"] = verdict.message
        elif verdict.message:
            entry["message"] = verdict.message
        if verdict.blocked_by:
            entry["blocked_by"] = verdict.blocked_by
        tree.setdefault(case.source_type, {}).setdefault(case.endpoint or "-", {})[case.check_id] = entry
    document = {"schema": "conformance-results/1", "results": tree}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
