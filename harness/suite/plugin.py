"""The pytest plugin behind `pytest harness`: one test per (source, endpoint, check) of every registered source.

Options: `--source NAME` (repeatable) selects sources, `--results PATH` writes the machine-readable results
(default out/conformance-results.json, merged: see `results.py`), `--fixtures-root DIR` reads fixtures from
elsewhere. `-k` works on the ids (`github/issues/resume.every_checkpoint`, `github/-/registry`).

Under pytest-xdist (`-n 2`) one worker runs all of a source's cases (`parallel.py`). Each verdict travels to the
controller on its test report; the controller alone writes the results file and prints the summary.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from harness import one_line
from harness.paths import REPO_ROOT
from harness.replay import BACKENDS, DEFAULT_BACKEND, select_backend
from harness.suite.results import Written, verdict_from_json, verdict_to_json, write_results
from harness.suite.suite import NO_ENDPOINT, STATUSES, Case, Suite, Verdict
from sources.common.registry import SourceRegistry

DEFAULT_RESULTS = REPO_ROOT / "out" / "conformance-results.json"
CASE_ARGUMENT = "conformance_case"
_SUITE_KEY = pytest.StashKey[Suite]()
_VERDICTS_KEY = pytest.StashKey[dict[str, Verdict]]()
_WRITTEN_KEY = pytest.StashKey[Written]()
_CASE_VERDICT_KEY = pytest.StashKey[Verdict]()
REPORT_ATTRIBUTE = "conformance_verdict"


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
        one_line.import_sources()
    except one_line.SourcesImportError as error:
        raise pytest.UsageError(str(error)) from None


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
    config.stash[_VERDICTS_KEY] = {}
    config.pluginmanager.register(VerdictCollector(config), "conformance-verdicts")
    if config.pluginmanager.hasplugin("xdist"):
        from harness.suite.parallel import ParallelPlugin

        config.pluginmanager.register(ParallelPlugin(), "conformance-parallel")
    select_backend(config.getoption("--replay", DEFAULT_BACKEND))
    unknown = sorted(set(config.getoption("--source", None) or ()) - set(SourceRegistry.source_types()))
    if unknown:
        known = ", ".join(SourceRegistry.source_types()) or "none"
        raise pytest.UsageError(f"--source {unknown[0]!r} is not a registered source type; registered: {known}")


def pytest_sessionstart(session: pytest.Session) -> None:
    """`--replay mitm`: start the session's one mitmdump now, so a failure is one line before any case runs."""
    if session.config.getoption("--replay", DEFAULT_BACKEND) != "mitm" or _is_xdist_controller(session.config):
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
    return config.stash[_SUITE_KEY]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if CASE_ARGUMENT not in metafunc.fixturenames:
        return
    suite = _suite(metafunc.config)
    cases = suite.cases(metafunc.config.getoption("--source") or None)
    params = [pytest.param(case, id=case.id, marks=pytest.mark.xdist_group(case.source_type)) for case in cases]
    metafunc.parametrize(CASE_ARGUMENT, params)


@pytest.fixture
def conformance_verdict(request: pytest.FixtureRequest, conformance_case: Case) -> Verdict:
    """Run the case; the test only turns the verdict into pass / fail / bypass."""
    verdict = _suite(request.config).execute(conformance_case)
    request.node.stash[_CASE_VERDICT_KEY] = verdict
    return verdict


class VerdictCollector:
    """Puts each case's verdict on its test report and gathers the verdicts from the reports.

    A report is what pytest-xdist sends from a worker to the controller, so the controller sees every verdict,
    whichever worker ran the case; without xdist both halves run in the one process.
    """

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        report = yield
        if call.when == "call" and _CASE_VERDICT_KEY in item.stash:
            setattr(report, REPORT_ATTRIBUTE, verdict_to_json(item.stash[_CASE_VERDICT_KEY]))
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, REPORT_ATTRIBUTE, None)
        if data is not None:
            verdict = verdict_from_json(data)
            self.config.stash[_VERDICTS_KEY][verdict.case.id] = verdict


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    verdicts = config.stash.get(_VERDICTS_KEY, None)
    if not verdicts:
        return
    written = config.stash.get(_WRITTEN_KEY, None)
    note = f" ({written.note()})" if written and written.note() else ""
    terminalreporter.write_sep("=", summary_line(verdicts.values()) + note)


def summary_line(verdicts: Any) -> str:
    """`conformance: N passed, M failed, I inconclusive, B blocked, K bypassed` (blocked: by another check's
    failure, which is counted once under that check)."""
    counts = Counter(verdict.status for verdict in verdicts)
    return "conformance: " + ", ".join(f"{counts[status]} {status}" for status in STATUSES)


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _is_xdist_controller(config: pytest.Config) -> bool:
    """Under `-n N` the controller runs no case (its workers do, each with a mitmdump of its own)."""
    return not _is_xdist_worker(config) and config.pluginmanager.hasplugin("dsession")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    verdicts = config.stash.get(_VERDICTS_KEY, None)
    if not verdicts or _is_xdist_worker(config):
        return
    suite = _suite(config)

    def cases_of(source_type: str) -> set[tuple[str, str]]:
        return {(case.endpoint or NO_ENDPOINT, case.check_id) for case in suite.cases_for(source_type)}

    path = Path(config.getoption("--results"))
    config.stash[_WRITTEN_KEY] = write_results(path, verdicts.values(), SourceRegistry.source_types(), cases_of)
