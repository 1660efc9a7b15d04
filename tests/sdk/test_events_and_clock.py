"""The event bus and the clock: what the harness and the retry code lean on."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from sources.common import clock, events
from sources.common.clock import FakeClock, SystemClock, use_clock


def test_observers_receive_events_until_they_unsubscribe() -> None:
    seen: list[object] = []
    unsubscribe = events.subscribe(seen.append)

    events.emit("first")
    unsubscribe()
    unsubscribe()  # a second call is harmless
    events.emit("second")

    assert seen == ["first"]


def test_observing_unsubscribes_even_when_the_block_raises() -> None:
    seen: list[object] = []

    with pytest.raises(RuntimeError), events.observing(seen.append):
        raise RuntimeError("sync failed")
    events.emit("after")

    assert seen == []


def test_a_failing_observer_is_logged_and_the_others_still_hear() -> None:
    seen: list[object] = []

    def broken(event: object) -> None:
        raise ValueError("observer bug")

    with capture_logs() as logs, events.observing(broken), events.observing(seen.append):
        events.emit("event")

    assert seen == ["event"]
    assert [(entry["event"], entry["log_level"]) for entry in logs] == [("observer_failed", "warning")]
    assert "observer bug" in logs[0]["error"]


def test_fake_clock_advances_only_when_slept_on_and_records_sleeps() -> None:
    fake = FakeClock(start=100.0)

    fake.sleep(2.5)
    fake.sleep(0)

    assert (fake.time(), fake.monotonic(), fake.sleeps) == (102.5, 2.5, [2.5, 0])


def test_use_clock_swaps_the_sdk_clock_and_restores_it_after_an_error() -> None:
    fake = FakeClock(start=50.0)

    with pytest.raises(KeyError), use_clock(fake):
        clock.sleep(3)
        assert clock.now() == 53.0
        assert clock.monotonic() == 3.0
        raise KeyError("boom")

    assert fake.sleeps == [3]
    assert isinstance(clock._clock, SystemClock)
