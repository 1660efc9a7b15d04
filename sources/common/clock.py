"""The SDK's only source of time. Retries sleep through here, so tests swap in a fake clock and never wait."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Protocol


class Clock(Protocol):
    def sleep(self, seconds: float) -> None: ...
    def monotonic(self) -> float: ...
    def time(self) -> float: ...


class SystemClock:
    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()


class FakeClock:
    """Advances only when slept on; records every sleep."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start
        self._mono = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self._now += seconds
        self._mono += seconds

    def monotonic(self) -> float:
        return self._mono

    def time(self) -> float:
        return self._now


_clock: Clock = SystemClock()


def sleep(seconds: float) -> None:
    _clock.sleep(seconds)


def monotonic() -> float:
    return _clock.monotonic()


def now() -> float:
    return _clock.time()


@contextlib.contextmanager
def use_clock(clock: Clock) -> Iterator[Clock]:
    global _clock
    previous, _clock = _clock, clock
    try:
        yield clock
    finally:
        _clock = previous
