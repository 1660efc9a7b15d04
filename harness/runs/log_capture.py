"""Standard-library log records emitted during a run, captured the way structlog's `capture_logs` captures
events: one dict per record (`event`, `logger`, `log_level`, and the formatted exception if any)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.events: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # a malformed %-format still shows what was passed
            message = f"{record.msg} {record.args}"
        event: dict[str, Any] = {"event": message, "logger": record.name, "log_level": record.levelname.lower()}
        if record.exc_info:
            event["exception"] = logging.Formatter().formatException(record.exc_info)
        self.events.append(event)


@contextlib.contextmanager
def capture_stdlib_logs() -> Iterator[list[dict[str, Any]]]:
    """Every record any stdlib logger emits inside the block, whatever the configured levels."""
    root = logging.getLogger()
    collector = _Collector()
    previous = root.level
    root.addHandler(collector)
    root.setLevel(logging.DEBUG)
    try:
        yield collector.events
    finally:
        root.removeHandler(collector)
        root.setLevel(previous)
