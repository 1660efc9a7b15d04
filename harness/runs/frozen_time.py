"""Time during a run or a recording: frozen at the recording's time, advanced only by sleeps, none of which wait.

`frozen_clock(start)` freezes the wall clock with time-machine (`time.time()`, `datetime.now()`, `date.today()`
and the SDK's `clock.now()` all read `start`), patches `time.sleep` — which tenacity's default sleep calls too —
and installs itself as the SDK clock, so every sleep is recorded in `clock.sleeps` and moves the frozen time
forward by its length without waiting. A request built from "now" during replay is therefore the request built
during recording, when the recorder froze the same instant and stamped it into the HAR (`startedDateTime`).

What is not touched: `time.monotonic()` / `perf_counter()` (time-machine leaves them alone), so socket and
`threading` timeouts and the run watchdog keep real time; Redis expires keys on its own server clock (the SDK
sets TTLs relative, `ex=`), so resume-state TTLs are unaffected. A `from time import sleep` bound before the run
keeps the real sleep: sources sleep through `sources.common.clock` or `time.sleep`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Iterator
from unittest import mock

import time_machine

from harness.fixtures.har import Har
from sources.common.clock import use_clock
from sources.common.redis_client import get_redis_client


class FrozenClock:
    """The SDK clock of a run: wall time frozen by time-machine, moved only by `sleep`."""

    def __init__(self, traveller: time_machine.Traveller) -> None:
        self._traveller = traveller
        self._monotonic = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        self.sleeps.append(seconds)
        self._traveller.shift(float(seconds))
        self._monotonic += seconds

    def monotonic(self) -> float:
        return self._monotonic

    def time(self) -> float:
        return time.time()


@contextlib.contextmanager
def frozen_clock(start: dt.datetime) -> Iterator[FrozenClock]:
    # The embedded redis-server is started lazily and waits for its socket with time.sleep: start it on real time.
    get_redis_client()
    with time_machine.travel(start, tick=False) as traveller:
        clock = FrozenClock(traveller)
        with mock.patch.object(time, "sleep", clock.sleep), use_clock(clock):
            yield clock


def recording_time(har: Har | None) -> dt.datetime:
    """When `har` was recorded: its first entry's `startedDateTime` (the real time if it has none)."""
    if har is not None and har.entries:
        return parse_har_time(har.entries[0].started)
    return now_to_the_second()


def parse_har_time(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def har_time(moment: dt.datetime) -> str:
    """HAR's `startedDateTime`: ISO 8601 in UTC with milliseconds."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def now_to_the_second() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)
