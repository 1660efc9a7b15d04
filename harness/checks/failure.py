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
