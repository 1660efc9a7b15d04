"""The job a request belongs to: attached to every tracked-transport record and log line."""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
from collections.abc import Iterator


@dataclasses.dataclass(frozen=True)
class JobContext:
    team_id: int | None = None
    source_type: str | None = None
    source_id: str | None = None
    schema_id: str | None = None
    job_id: str | None = None


_NO_JOB = JobContext()
_JOB_FIELDS = frozenset(field.name for field in dataclasses.fields(JobContext))
_current: contextvars.ContextVar[JobContext | None] = contextvars.ContextVar("job_context", default=None)


def current_job_context() -> JobContext:
    return _current.get() or _NO_JOB


@contextlib.contextmanager
def job_context(**fields: object) -> Iterator[JobContext]:
    """Set the job fields for every request made inside the block (nested blocks override field by field)."""
    unknown = sorted(set(fields) - _JOB_FIELDS)
    if unknown:
        raise TypeError(f"job_context: unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(_JOB_FIELDS))}")
    merged = dataclasses.replace(current_job_context(), **fields)  # type: ignore[arg-type]
    token = _current.set(merged)
    try:
        yield merged
    finally:
        _current.reset(token)
