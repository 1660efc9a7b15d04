"""`CheckFailure`: a check's verdict against a source, written the way a reviewer would write it."""

from __future__ import annotations


class CheckFailure(AssertionError):
    """Raised by a check. Its text names the source, endpoint and check, what was expected, the evidence and the fix."""

    def __init__(
        self,
        source: str,
        endpoint: str | None,
        check: str,
        expected: str,
        evidence: str,
        fix: str,
    ) -> None:
        self.source = source
        self.endpoint = endpoint
        self.check = check
        self.expected = expected
        self.evidence = evidence
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        where = f"{self.source}/{self.endpoint or '-'} [{self.check}]"
        return f"{where}: expected {self.expected}.\n  evidence: {self.evidence}\n  fix: {self.fix}"

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return self.message


class CheckInconclusive(Exception):
    """Raised by a check whose fixtures did not exercise its property: nothing was proven either way.

    Not an AssertionError: it is neither a pass nor a failure of the property, and the suite reports it apart.
    """

    def __init__(self, source: str, endpoint: str | None, check: str, missing: str, fix: str) -> None:
        self.source = source
        self.endpoint = endpoint
        self.check = check
        self.missing = missing
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        where = f"{self.source}/{self.endpoint or '-'} [{self.check}]"
        return f"{where}: inconclusive: {self.missing}.\n  fix: {self.fix}"

    def __str__(self) -> str:
        return self.message


class CheckBlocked(Exception):
    """A run of this check stopped on a replay mismatch that breaks another check's property (`owner`).

    `failure` is the full verdict, phrased for the owner; the suite reports it once, under the owner, and this
    check as `blocked by <owner>` — unless the owner does not fail (not collected, bypassed, passed), in which
    case this check fails with the full text so that the root cause is never hidden.
    """

    def __init__(self, source: str, endpoint: str | None, check: str, owner: str, cause: str, failure: CheckFailure):
        self.source = source
        self.endpoint = endpoint
        self.check = check
        self.owner = owner
        self.cause = cause
        self.failure = failure
        super().__init__(self.message)

    @property
    def message(self) -> str:
        where = f"{self.source}/{self.endpoint or '-'} [{self.check}]"
        return f"{where}: blocked by {self.owner} ({self.cause})"

    def __str__(self) -> str:
        return self.message
