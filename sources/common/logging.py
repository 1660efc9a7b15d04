"""`configure_logging`: structlog set up for JSON lines (one parseable object per event) or for a console.

Every SDK log call (`http_request`, `http_retry`, `resume_state_saved`, ...) goes through structlog, so one
call here decides the format of all of them. A last line of defence redacts the value of any field whose
name says it is a credential (`authorization`, `api_key`, `password`, ...) and scrubs credential query
parameters and URL userinfo out of every text value, tracebacks included.
"""

from __future__ import annotations

import logging as stdlib_logging
import sys
from collections.abc import Callable, MutableMapping
from typing import Any, TextIO

import structlog

from sources.common.scrub import REDACTED, is_sensitive_name, scrub_message

# Field names the SDK itself logs that look like credentials by name but are not (`key` is a Redis key).
NOT_CREDENTIAL_FIELDS = frozenset({"event", "key", "logger", "level", "timestamp"})


def redact_credential_fields(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: replace the value of every field named like a credential, and scrub text values
    (an error message or a traceback quoting `?api_key=...` or `https://user:password@...`)."""
    for name, value in list(event_dict.items()):
        if value is None:
            continue
        if name not in NOT_CREDENTIAL_FIELDS and is_sensitive_name(name):
            event_dict[name] = REDACTED
        elif isinstance(value, str):
            event_dict[name] = scrub_message(value)
    return event_dict


class _NamedPrintLogger(structlog.PrintLogger):
    """A PrintLogger that remembers the name it was asked for, so `add_logger_name` can log it."""

    def __init__(self, file: TextIO, name: str | None) -> None:
        super().__init__(file)
        self.name = name


def _logger_factory(stream: TextIO | None) -> Callable[..., _NamedPrintLogger]:
    def make(*args: Any) -> _NamedPrintLogger:
        # Resolved per logger so a stream swapped in later (pytest's capsys) is honoured.
        return _NamedPrintLogger(stream or sys.stderr, str(args[0]) if args else None)

    return make


def configure_logging(json: bool = True, level: int = stdlib_logging.INFO, stream: TextIO | None = None) -> None:
    """Send every structlog event at `level` or above to `stream` (stderr by default).

    `json=True` writes one JSON object per line with `event`, `level`, `logger`, an ISO-8601 UTC `timestamp`
    and the event's own fields; `json=False` writes aligned, human-readable lines.
    """
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            redact_credential_fields,  # after the traceback is text, so it is scrubbed too
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=_logger_factory(stream),
        cache_logger_on_first_use=False,
    )
