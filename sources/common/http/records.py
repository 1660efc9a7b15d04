"""`RequestRecord`: what the tracked transport knows about one request, with credentials scrubbed."""

from __future__ import annotations

import dataclasses
from typing import Any

from sources.common.http.context import JobContext


@dataclasses.dataclass(frozen=True)
class RequestRecord:
    method: str
    url: str
    status: int | None
    latency_ms: float
    request_bytes: int
    response_bytes: int
    error_class: str | None
    timeout: Any
    context: JobContext

    def as_log_fields(self) -> dict[str, Any]:
        fields = dataclasses.asdict(self)
        fields.update(fields.pop("context"))
        fields["timeout"] = repr(self.timeout) if self.timeout is not None else None
        return fields
