"""In-process event bus: the SDK emits what it does (requests, saved states, page caps); observers subscribe.

The harness subscribes to see a run from the inside; production code may subscribe a metrics exporter.
Observers must not raise: an exception in one is logged and never reaches the source.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

import structlog

Observer = Callable[[Any], None]

_observers: list[Observer] = []
_lock = threading.Lock()
_logger = structlog.get_logger("sources.events")


def subscribe(observer: Observer) -> Callable[[], None]:
    """Register `observer`; returns a function that unsubscribes it."""
    with _lock:
        _observers.append(observer)

    def unsubscribe() -> None:
        with _lock, contextlib.suppress(ValueError):
            _observers.remove(observer)

    return unsubscribe


@contextlib.contextmanager
def observing(observer: Observer) -> Iterator[None]:
    unsubscribe = subscribe(observer)
    try:
        yield
    finally:
        unsubscribe()


def emit(event: Any) -> None:
    with _lock:
        observers = list(_observers)
    for observer in observers:
        try:
            observer(event)
        except Exception as exc:  # an observer bug must never break a sync
            _logger.warning("observer_failed", observer=repr(observer), error=repr(exc))
