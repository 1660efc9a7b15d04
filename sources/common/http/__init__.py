"""The tracked HTTP transport every source call goes through."""

from sources.common.http.context import JobContext, current_job_context, job_context
from sources.common.http.records import RequestRecord
from sources.common.http.session import (
    DEFAULT_TIMEOUT,
    TrackedHTTPAdapter,
    TrackedSession,
    make_tracked_session,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "JobContext",
    "RequestRecord",
    "TrackedHTTPAdapter",
    "TrackedSession",
    "current_job_context",
    "job_context",
    "make_tracked_session",
]
