"""The conformance suite as data: which (source, endpoint, check) cases exist, and running one to a verdict.

Shared by the pytest plugin (`harness/suite/plugin.py`) and the programmatic API (`harness/suite/api.py`).
"""

from __future__ import annotations

import dataclasses
import inspect
import time
import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from harness.checks import CHECKS, ENDPOINT_CHECKS, SOURCE_CHECKS, applies, get_check
from harness.checks.context import CheckContext
from harness.checks.failure import CheckBlocked, CheckFailure, CheckInconclusive
from harness.fixtures.har import HarError
from harness.fixtures.manifest import ManifestError
from harness.paths import FIXTURES_ROOT
from harness.runs.engine import RunCache, profile
from harness.runs.targets import EndpointUnderTest, FixtureProblem, SourceUnderTest, load_source
from sources.common.redis_client import get_redis_client
from sources.common.registry import SourceRegistry

FIXTURES_CHECK = "fixtures"
NO_ENDPOINT = "-"
# `inconclusive`: the fixtures did not exercise the property; `blocked`: a run stopped on a mismatch that breaks
# another check's property (`Verdict.blocked_by`), which reports the root cause once.
Status = Literal["passed", "failed", "bypassed", "inconclusive", "blocked"]
STATUSES: tuple[Status, ...] = ("passed", "failed", "inconclusive", "blocked", "bypassed")


@dataclasses.dataclass(frozen=True)
class Case:
    source_type: str
    endpoint: str | None
    check_id: str
    bypass: str | None = None
    problem: str | None = None

    @property
    def id(self) -> str:
        return f"{self.source_type}/{self.endpoint or NO_ENDPOINT}/{self.check_id}"


@dataclasses.dataclass(frozen=True)
class Verdict:
    case: Case
    status: Status
    message: str | None
    duration: float
    blocked_by: str | None = None

    @property
    def passed(self) -> bool:
        return self.status == "passed"


def unrecorded(sut: SourceUnderTest) -> str:
    """The next steps of a source whose manifest names HAR files that were never recorded."""
    directory = sut.manifest.directory
    package = Path(inspect.getfile(type(sut.source))).parent
    missing = sut.unrecorded
    more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
    return (
        f"nothing recorded yet ({_shown(missing[0])}{more} missing): next, replace the TODOs of {_shown(package)} "
        f"(the endpoints in settings.py, the paginator and rows in {sut.source_type}.py), make the example vendor in "
        f"{_shown(directory / 'simulator.py')} answer as the vendor's documentation says (then SKELETON = False), "
        f"record with `python -m harness record {sut.source_type}`, then "
        f"check the TODO pagination and watermark tables of {_shown(sut.manifest.path)} against the vendor's "
        'documentation (DESIGN.md, "The fixture format")'
    )


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


class Suite:
    def __init__(self, fixtures_root: Path | None = None, cache: RunCache | None = None) -> None:
        self.fixtures_root = Path(fixtures_root or FIXTURES_ROOT)
        self.cache = cache or RunCache()
        get_redis_client()  # an embedded state store starts here, before any run: no run starts a process
        self._sources: dict[str, SourceUnderTest | FixtureProblem] = {}
        self._targets: dict[tuple[str, str], EndpointUnderTest] = {}
        self._evaluated: dict[tuple[str, str | None, str], Verdict] = {}
        self._evaluating: set[tuple[str, str | None, str]] = set()

    def source(self, source_type: str) -> SourceUnderTest:
        if source_type not in self._sources:
            try:
                self._sources[source_type] = load_source(source_type, self.fixtures_root)
            except FixtureProblem as problem:
                self._sources[source_type] = problem
        loaded = self._sources[source_type]
        if isinstance(loaded, FixtureProblem):
            raise loaded
        return loaded

    def target(self, source_type: str, endpoint: str) -> EndpointUnderTest:
        key = (source_type, endpoint)
        if key not in self._targets:
            sut = self.source(source_type)
            if endpoint not in sut.manifest.endpoints:
                raise KeyError(f"{source_type}: no endpoint {endpoint!r} in {sut.manifest.path}")
            target = sut.endpoint(endpoint)
            target.profile = profile(target)
            self._targets[key] = target
        return self._targets[key]

    def cases(self, sources: Iterable[str] | None = None) -> list[Case]:
        wanted = set(sources) if sources else None
        found: list[Case] = []
        for source_type in SourceRegistry.source_types():
            if wanted is not None and source_type not in wanted:
                continue
            found.extend(self.cases_for(source_type))
        return found

    def cases_for(self, source_type: str) -> list[Case]:
        try:
            sut = self.source(source_type)
        except FixtureProblem as problem:
            return [Case(source_type, None, FIXTURES_CHECK, problem=str(problem))]
        if sut.unrecorded:  # a new skeleton: what needs no recording, then what to do next
            return [
                Case(source_type, None, "registry"),
                Case(source_type, None, FIXTURES_CHECK, problem=unrecorded(sut)),
            ]
        found = [Case(source_type, None, check_id) for check_id in SOURCE_CHECKS]
        for endpoint in sut.endpoints:
            target = self.target(source_type, endpoint)
            for check_id in sorted(set(target.fixtures.bypass) - set(CHECKS)):
                found.append(
                    Case(
                        source_type,
                        endpoint,
                        FIXTURES_CHECK,
                        problem=f"{sut.manifest.path}: [endpoints.{endpoint}.bypass] names unknown check "
                        f"{check_id!r}; known: {', '.join(CHECKS)}",
                    )
                )
            for check_id in ENDPOINT_CHECKS:
                if applies(check_id, target):
                    found.append(Case(source_type, endpoint, check_id, bypass=target.bypass_reason(check_id)))
        return found

    def execute(self, case: Case) -> Verdict:
        started = time.perf_counter()
        if case.problem is not None:
            return Verdict(case, "failed", f"{case.id}: {case.problem}", time.perf_counter() - started)
        if case.bypass is not None:
            return Verdict(case, "bypassed", case.bypass, 0.0)
        key = (case.source_type, case.endpoint, case.check_id)
        if key not in self._evaluated:
            self._evaluating.add(key)
            try:
                self._evaluated[key] = self._evaluate(case)
            finally:
                self._evaluating.discard(key)
        verdict = self._evaluated[key]
        return dataclasses.replace(verdict, case=case)

    def _evaluate(self, case: Case) -> Verdict:
        started = time.perf_counter()
        try:
            sut = self.source(case.source_type)
            target = self.target(case.source_type, case.endpoint) if case.endpoint else None
        except (FixtureProblem, KeyError) as problem:
            return Verdict(case, "failed", f"{case.id}: {problem}", time.perf_counter() - started)
        ctx = CheckContext(case.check_id, sut, target, self.cache)
        try:
            get_check(case.check_id).check(ctx)
        except CheckFailure as failure:
            return Verdict(case, "failed", failure.message, time.perf_counter() - started)
        except CheckInconclusive as inconclusive:
            return Verdict(case, "inconclusive", inconclusive.message, time.perf_counter() - started)
        except CheckBlocked as blocked:
            return self._blocked(case, blocked, started)
        except (HarError, ManifestError) as problem:
            return Verdict(case, "failed", f"{case.id}: {problem}", time.perf_counter() - started)
        except Exception as error:  # a check that cannot evaluate must say so in one line, not as a traceback
            frame = traceback.extract_tb(error.__traceback__)[-1]
            return Verdict(
                case,
                "failed",
                f"{case.id}: the check could not evaluate the run: {type(error).__name__}: {error} "
                f"(at {Path(frame.filename).name}:{frame.lineno})",
                time.perf_counter() - started,
            )
        return Verdict(case, "passed", None, time.perf_counter() - started)

    def _blocked(self, case: Case, blocked: CheckBlocked, started: float) -> Verdict:
        """`blocked by <owner>` only when the owner is collected here, not bypassed, and fails (it reports the root
        cause); otherwise this check fails with the full text, so the root cause is never hidden."""
        owner = self._owner_case(case, blocked.owner)
        if owner is not None and (owner.source_type, owner.endpoint, owner.check_id) not in self._evaluating:
            verdict = self.execute(owner)
            if verdict.status in ("failed", "blocked"):
                root = verdict.blocked_by or owner.check_id
                message = blocked.message if root == blocked.owner else blocked.message.replace(blocked.owner, root, 1)
                return Verdict(case, "blocked", message, time.perf_counter() - started, blocked_by=root)
        return Verdict(case, "failed", blocked.failure.message, time.perf_counter() - started)

    def _owner_case(self, case: Case, owner: str) -> Case | None:
        if owner not in CHECKS or owner == case.check_id:
            return None
        if get_check(owner).LEVEL == "source":
            return Case(case.source_type, None, owner)
        # A source-level check blocked by an endpoint-level property: the first endpoint that checks it reports it.
        endpoints = [case.endpoint] if case.endpoint else self.source(case.source_type).endpoints
        for endpoint in endpoints:
            target = self.target(case.source_type, endpoint)
            if applies(owner, target) and target.bypass_reason(owner) is None:
                return Case(case.source_type, endpoint, owner)
        return None
