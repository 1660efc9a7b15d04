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
from harness.suite.suite import Case, Suite, Verdict
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
        "--replay",
        default=DEFAULT_BACKEND,
        choices=sorted(BACKENDS),
        help="the replay backend serving the fixtures: in-process (responses) or mitm (one mitmdump per session)",
    )


def import_sources() -> None:
    """`import sources` registers every connector; a connector that does not import is a one-line usage error."""
    try:
        importlib.import_module("sources")
    except Exception as exc:
        frames = traceback.extract_tb(exc.__traceback__)
        where = next((f"{frame.filename}:{frame.lineno}" for frame in reversed(frames)), "sources/__init__.py")
        raise pytest.UsageError(f"importing the sources failed at {where}: {type(exc).__name__}: {exc}") from None


def pytest_configure(config: pytest.Config) -> None:
    import_sources()
    select_backend(config.getoption("--replay", DEFAULT_BACKEND))
    unknown = sorted(set(config.getoption("--source", None) or ()) - set(SourceRegistry.source_types()))
    if unknown:
        known = ", ".join(SourceRegistry.source_types()) or "none"
        raise pytest.UsageError(f"--source {unknown[0]!r} is not a registered source type; registered: {known}")


def pytest_sessionstart(session: pytest.Session) -> None:
    """`--replay mitm`: start the session's one mitmdump now, so a failure is one line before any case runs."""
    if session.config.getoption("--replay", DEFAULT_BACKEND) != "mitm":
        return
    from harness.replay.mitm_process import MitmdumpError, shared_process

    try:
        shared_process()
    except MitmdumpError as exc:
        raise pytest.UsageError(f"--replay mitm: {exc}") from None


def pytest_unconfigure(config: pytest.Config) -> None:
    from harness.replay.mitm_process import stop_shared_process

    stop_shared_process()


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
    counts = Counter(verdict.status for verdict in verdicts.values())
    terminalreporter.write_sep(
        "=",
        f"conformance: {counts['passed']} passed, {counts['failed']} failed, {counts['bypassed']} bypassed",
    )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    verdicts = config.stash.get(_VERDICTS_KEY, None)
    if not verdicts:
        return
    path = Path(config.getoption("--results"))
    write_results(path, verdicts.values())


def write_results(path: Path, verdicts: Any) -> None:
    """source → endpoint → check → {status, message, duration_seconds}, keys sorted."""
    tree: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}
    for verdict in verdicts:
        case = verdict.case
        entry: dict[str, Any] = {"status": verdict.status, "duration_seconds": round(verdict.duration, 4)}
        if verdict.status == "bypassed":
            entry["reason"] = verdict.message
        elif verdict.message:
            entry["message"] = verdict.message
        tree.setdefault(case.source_type, {}).setdefault(case.endpoint or "-", {})[case.check_id] = entry
    document = {"schema": "conformance-results/1", "results": tree}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
