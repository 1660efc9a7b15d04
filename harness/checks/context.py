"""`CheckContext`: what a check sees — the source and endpoint under test, cached runs, and `fail`.

`ctx.run(spec)` returns a `RunRecord` after the replay verdicts every run must pass (no egress, no unmatched
request, no loop, no hang, no unexpected error, every recorded entry consumed); a check relaxes them only by
saying so (`allow_error=`, `allow_unconsumed=`).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, NoReturn

from harness.checks import attribution
from harness.checks.failure import CheckBlocked, CheckFailure, CheckInconclusive
from harness.replay.base import Unmatched, WireRequest
from harness.runs.engine import RunCache
from harness.runs.records import ChainRecord, ResumeRecord, RunRecord, RunSpec
from harness.runs.targets import EndpointUnderTest, SourceUnderTest
from sources.common.typings import SourceInputs

MAX_LISTED = 5
EGRESS_EXPECTED = (
    "nothing to leave the run: no connection or name lookup beyond loopback, no child process, no thread left running"
)


def listing(items: list[str], limit: int = MAX_LISTED) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


@dataclasses.dataclass
class CheckContext:
    check_id: str
    sut: SourceUnderTest
    target: EndpointUnderTest | None
    runs: RunCache

    @property
    def source_type(self) -> str:
        return self.sut.source_type

    @property
    def endpoint(self) -> EndpointUnderTest:
        assert self.target is not None, f"{self.check_id} is a source-level check"
        return self.target

    def fail(self, expected: str, evidence: str, fix: str) -> NoReturn:
        raise CheckFailure(
            self.source_type, self.target.name if self.target else None, self.check_id, expected, evidence, fix
        )

    def inconclusive(self, missing: str, fix: str) -> NoReturn:
        """The fixtures did not exercise the property (`missing` says what they lack): neither passed nor failed."""
        endpoint = self.target.name if self.target else None
        raise CheckInconclusive(self.source_type, endpoint, self.check_id, missing, fix)

    # -- runs --------------------------------------------------------------------------------------------------
    def run(
        self,
        spec: RunSpec | None = None,
        *,
        target: EndpointUnderTest | None = None,
        allow_error: bool = False,
        allow_unconsumed: bool = False,
    ) -> RunRecord:
        record = self.runs.run(target or self.endpoint, spec or RunSpec())
        self.require_clean(record, allow_error=allow_error, allow_unconsumed=allow_unconsumed)
        return record

    def resume(self, scenario: str, crash_at: int) -> ResumeRecord:
        record = self.runs.resume(self.endpoint, scenario, crash_at)
        self.require_clean(record.crashed, allow_error=False, allow_unconsumed=True)
        self.require_clean(record.resumed, allow_error=False, allow_unconsumed=True)
        return record

    def chain(self, *steps: RunSpec) -> ChainRecord:
        record = self.runs.chain(self.endpoint, tuple(steps))
        for step in record.steps:
            self.require_clean(step)
        return record

    # -- the verdicts every run must pass -----------------------------------------------------------------------
    def require_clean(self, record: RunRecord, *, allow_error: bool = False, allow_unconsumed: bool = False) -> None:
        what = f"{record.endpoint} ({record.spec.describe()})"
        if record.egress:
            self.fail(
                EGRESS_EXPECTED,
                f"{what}: {'; '.join(list(dict.fromkeys(a.describe() for a in record.egress))[:MAX_LISTED])}",
                "send every request through make_tracked_session (or inject it into the vendor SDK); start no "
                "process; join every thread before the sync ends",
            )
        if record.unmatched:
            self._fail_unmatched(record, what)
        if record.stop in ("LoopGuardTripped", "RunawayRun"):
            self.fail(
                "the sync to terminate",
                f"{what}: {record.stop_message}; last request {record.wire[-1].url if record.wire else '-'}",
                "stop paginating when the API says there are no more pages, and bound retries",
            )
        if record.hangs:
            hang = record.hangs[0]
            origin = f" (sent from {hang.origin})" if hang.origin else ""
            self.fail(
                "every request to carry a timeout, so a stalled response ends instead of hanging",
                f"{what}: {hang.method} {hang.url}{origin} had no timeout; a stalled response would hang the sync",
                "keep make_tracked_session's default timeout (never timeout=None)",
            )
        if record.error is not None and not allow_error:
            self._fail_misplaced_credential(record, what, record.error.describe())
            self.fail(
                f"{what} to complete",
                f"it raised {record.error.describe()}",
                "fix the error above; a sync over recorded fixtures must not fail",
            )
        if record.unconsumed and not allow_unconsumed and record.completed:
            missed = [f"{entry.request.method} {entry.request.url}" for entry in record.unconsumed]
            self.fail_as(
                attribution.PAGINATION,
                "stopped before the last recorded page",
                "every recorded request to be made again (replay is strict)",
                f"{what}: {len(missed)} recorded request(s) never requested: {listing(missed, 3)}",
                "fetch every page until the API says there are no more (has_more false, no next link, short page)",
            )

    def fail_as(self, owner: str | None, cause: str, expected: str, evidence: str, fix: str) -> NoReturn:
        """Fail here if this check owns the property the evidence breaks (or nobody does); otherwise report that
        this check is blocked by `owner`, which fails with the same evidence (one root cause, one failure)."""
        if owner is None or owner == self.check_id:
            self.fail(expected, evidence, fix)
        endpoint = self.target.name if self.target else None
        failure = CheckFailure(self.source_type, endpoint, self.check_id, expected, evidence, fix)
        raise CheckBlocked(self.source_type, endpoint, self.check_id, owner, cause, failure)

    def blame_misplaced_credential(self, record: RunRecord) -> None:
        """For a run against a vendor model that raised: blocked by credentials.placement if a request carried a
        credential outside its header (the vendor's error is then that check's root cause)."""
        if record.error is not None:
            self._fail_misplaced_credential(
                record, f"{record.endpoint} ({record.spec.describe()})", record.error.describe()
            )

    def _fail_misplaced_credential(self, record: RunRecord, what: str, error: str) -> None:
        """A run that failed after sending a credential outside its header (a vendor model answers such a request
        with the vendor's error, there is no recording to diverge from): credentials.placement owns the cause."""
        allowed = set(self.sut.manifest.credential_body_fields)
        for request in record.wire:
            for place in request.credentials:
                if place.kind == "body field" and place.name is not None and place.name.rsplit(".", 1)[-1] in allowed:
                    continue
                origin = f" (sent from {request.origin})" if request.origin else ""
                self.fail_as(
                    attribution.CREDENTIALS,
                    f"a credential in the {place.describe()}",
                    "credentials only in a header (or the vendor's documented auth body field), never in a URL, "
                    "a query string or another body field",
                    f"{what}: request #{request.index + 1} {request.method} {request.url}{origin} carries a "
                    f"credential in the {place.describe()}; the run then raised {error}",
                    "send the credential in the header the vendor documents (e.g. Authorization: Bearer ...) and "
                    "nowhere else",
                )

    def _fail_unmatched(self, record: RunRecord, what: str) -> NoReturn:
        miss = record.unmatched[0]
        scenario = self.target.scenario(record.spec.scenario) if self.target else None
        self.fail_unmatched(miss, what, scenario.har if scenario else None, record.wire, record.inputs)

    def fail_unmatched(
        self,
        miss: Unmatched,
        what: str,
        har_path: Path | None,
        wire: tuple[WireRequest, ...],
        inputs: SourceInputs | None,
    ) -> NoReturn:
        """A request the recording does not have, attributed to the property it breaks (`attribution`)."""
        request = miss.request
        origin = f" (sent from {request.origin})" if request.origin else ""
        sent = f"request #{request.index + 1} {request.key.describe()}{origin}"
        if miss.already_served:
            self.fail_as(
                attribution.PAGINATION,
                "a page fetched twice",
                "each recorded page to be fetched once",
                f"{what}: {sent} fetches a page already served: the same URL twice means the paginator does not "
                "advance",
                "advance the cursor / next link from each response before the next request",
            )
        if miss.after_last_page:
            self.fail_as(
                attribution.PAGINATION,
                "a request after the last page",
                "the sync to stop after the last page",
                f"{what}: after all {sum(1 for served in wire if served.matched)} recorded responses were served "
                f"the source asked for {request.key.describe()}{origin}",
                "stop when the API says there are no more pages (has_more false, no next link, short page)",
            )
        divergence = attribution.attribute(miss, har_path, wire, inputs)
        expected, fix = _expected_and_fix(divergence)
        closest = divergence.closest.describe() if divergence.closest else "none"
        if divergence.parameter is None:
            evidence = f"{what}: {sent} matches no recorded request; closest recorded: {closest}"
        else:
            evidence = (
                f"{what}: {sent} sends {divergence.parameter}={_shown(divergence.sent)} where the closest recorded "
                f"request sends {_shown(divergence.recorded)} ({closest})"
            )
        self.fail_as(divergence.owner, divergence.cause(), expected, evidence, fix)

    # -- helpers ------------------------------------------------------------------------------------------------
    def primary_keys(self, record: RunRecord) -> tuple[str, ...]:
        keys = record.response.primary_keys if record.response else None
        if not keys:
            self.fail(
                "the SourceResponse to declare primary_keys",
                f"{record.endpoint}: primary_keys is {keys!r}",
                "set SourceResponse.primary_keys to the endpoint's unique id field(s) in settings.py",
            )
        return keys

    def schema_incremental_fields(self) -> list[Any]:
        schema = self.endpoint.schema
        return list(schema.incremental_fields) if schema else []


def _shown(value: str | None) -> str:
    return "nothing" if value is None else repr(value)


def _expected_and_fix(divergence: attribution.Divergence) -> tuple[str, str]:
    """What the request should have been; never 're-record': the connector diverged from its recording."""
    name, recorded = divergence.parameter, divergence.recorded
    should = f"send {name}={recorded!r} as the recording did" if recorded is not None else f"do not send {name}"
    closest = divergence.closest.describe() if divergence.closest else None
    if divergence.owner == attribution.CREDENTIALS:
        return (
            "credentials only where the vendor takes them (the recorded requests carry none in the URL or body)",
            f"{should}; put the credential in the header the recording used (make_tracked_session(headers=...)), "
            "never in session.params or a URL query",
        )
    if divergence.owner == attribution.WATERMARK:
        return (
            "the watermark sent in the encoding the vendor's API takes (as recorded)",
            f"{should}: encode inputs.db_incremental_field_last_value the way the vendor documents it",
        )
    if divergence.owner == attribution.EARLIEST:
        return (
            "the earliest value sent in the encoding the vendor's API takes (as recorded)",
            f"{should}: encode inputs.db_incremental_field_earliest_value the way the vendor documents it",
        )
    if divergence.owner == attribution.SORT:
        return (
            "the sort order the recording asked the API for",
            f"{should}: ask the API explicitly for the order sort_mode declares",
        )
    if divergence.owner == attribution.PAGINATION:
        return (
            "each page requested with the page parameter the previous response handed out (as recorded)",
            f"{should}: take the next page from the previous response (next link, cursor, offset + count)",
        )
    if name is not None:
        return "only requests the fixture recorded (strict replay)", f"{should}; the recorded request: {closest}"
    return (
        "only requests the fixture recorded (strict replay)",
        f"send what the recording sent: {closest}" if closest else "send only requests the recording has",
    )
