"""`CheckContext`: what a check sees — the source and endpoint under test, cached runs, and `fail`.

`ctx.run(spec)` returns a `RunRecord` after the replay verdicts every run must pass (no egress, no unmatched
request, no loop, no hang, no unexpected error, every recorded entry consumed); a check relaxes them only by
saying so (`allow_error=`, `allow_unconsumed=`).
"""

from __future__ import annotations

import dataclasses
from typing import Any, NoReturn

from harness.checks.failure import CheckFailure
from harness.runs.engine import RunCache
from harness.runs.records import ChainRecord, ResumeRecord, RunRecord, RunSpec
from harness.runs.targets import EndpointUnderTest, SourceUnderTest

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
                f"{what}: {'; '.join(attempt.describe() for attempt in record.egress[:MAX_LISTED])}",
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
            self.fail(
                f"{what} to complete",
                f"it raised {record.error.describe()}",
                "fix the error above; a sync over recorded fixtures must not fail",
            )
        if record.unconsumed and not allow_unconsumed and record.completed:
            missed = [f"{entry.request.method} {entry.request.url}" for entry in record.unconsumed]
            self.fail(
                "every recorded request to be made again (replay is strict)",
                f"{what}: {len(missed)} recorded request(s) never requested: {listing(missed, 3)}",
                "fetch every page until the API says there are no more; if the fixture is stale, re-record it "
                f"(python -m harness record {self.source_type})",
            )

    def _fail_unmatched(self, record: RunRecord, what: str) -> NoReturn:
        miss = record.unmatched[0]
        request = miss.request
        origin = f" (sent from {request.origin})" if request.origin else ""
        closest = "; ".join(miss.closest) or "none"
        if miss.already_served:
            self.fail(
                "each recorded page to be fetched once",
                f"{what}: request #{request.index + 1} {request.key.describe()}{origin} fetches a page already "
                "served: the same URL twice means the paginator does not advance",
                "advance the cursor / next link from each response before the next request",
            )
        if miss.after_last_page:
            self.fail(
                "the sync to stop after the last page",
                f"{what}: after all {record.recorded_entries} recorded responses were served the source asked for "
                f"{request.key.describe()}{origin}",
                "stop when the API says there are no more pages (has_more false, no next link, short page)",
            )
        self.fail(
            "only requests the fixture recorded (strict replay)",
            f"{what}: {request.key.describe()}{origin} matches no recorded request; closest recorded: {closest}",
            "if this request is intended, re-record the fixtures "
            f"(python -m harness record {self.source_type}); otherwise send what the recording sent",
        )

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
