"""Time during runs: frozen at the recording's time, sleeps recorded and never waited; and the verdicts that a
real clock (or a missing table) used to get wrong."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import redis
import tenacity
import time_machine
from acme_vendor.corpus import GOOD, copy_fixtures
from acme_vendor.dataset import AcmeData
from acme_vendor.known_bad import RetriesWithTenacityDefaults
from acme_vendor.recording import record
from acme_vendor.settings import AcmeEndpoint
from acme_vendor.source import AcmeConfig, AcmeSource, Phase, constant

from harness.fixtures.har import read_har
from harness.runs.engine import RunCache
from harness.runs.frozen_time import frozen_clock, parse_har_time
from harness.runs.records import RunSpec
from harness.suite.api import run_check
from harness.suite.suite import Suite
from sources.common import clock as sdk_clock
from sources.common.registry import SourceRegistry
from sources.common.typings import SourceInputs

START = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)


def test_time_sleep_and_tenacity_default_sleep_are_recorded_and_never_wait() -> None:
    real_sleep = time.sleep
    started = time.perf_counter()
    with frozen_clock(START) as clock:
        assert dt.datetime.now(dt.UTC) == START and time.time() == START.timestamp() == sdk_clock.now()
        time.sleep(7)
        tenacity.Retrying(wait=tenacity.wait_fixed(30), stop=tenacity.stop_after_attempt(3), reraise=True)(
            lambda: None if len(clock.sleeps) >= 3 else 1 / 0
        )
        sdk_clock.sleep(2)
        after = dt.datetime.now(dt.UTC)

    assert time.sleep is real_sleep  # restored after the run
    assert clock.sleeps == [7, 30, 30, 2]
    assert after == START + dt.timedelta(seconds=69)
    assert time.perf_counter() - started < 5
    assert abs(time.time() - dt.datetime.now(dt.UTC).timestamp()) < 5 and time.time() > START.timestamp() + 3600


def test_real_timeouts_and_redis_ttls_keep_real_time(redis_client: redis.Redis) -> None:
    with frozen_clock(START):
        before = time.monotonic()
        assert threading.Event().wait(0.05) is False  # a real timeout still expires
        elapsed = time.monotonic() - before
        redis_client.set("ttl-probe", "x", ex=86_400)
        time.sleep(400 * 86_400)  # the frozen clock moves past the TTL; the server's clock does not
        ttl = redis_client.ttl("ttl-probe")

    assert 0.04 <= elapsed < 5
    assert 86_000 < ttl <= 86_400


class RetriesWithTenacityCapped(RetriesWithTenacityDefaults):
    """The same tenacity retry with every wait capped at a minute: waits out a 7 s Retry-After, fails a day."""

    source_type = constant("acme_tenacity_capped")
    MAX_WAIT = 60


def test_a_source_sleeping_with_time_sleep_is_seen_to_wait_and_never_waits(acme_root: Path, tmp_path: Path) -> None:
    copy_fixtures(acme_root / GOOD, "acme_tenacity_capped", tmp_path / "acme_tenacity_capped")
    # This source reads Retry-After only; Acme's own reset header (its [rate_limit]) is not what is tested here.
    manifest = tmp_path / "acme_tenacity_capped" / "manifest.toml"
    text = manifest.read_text()
    start = text.index("[rate_limit]")
    manifest.write_text(text[:start] + text[text.index("\n\n", start) + 2 :])
    SourceRegistry.register(RetriesWithTenacityCapped)
    try:
        started = time.perf_counter()
        verdict = run_check("acme_tenacity_capped", "tickets", "faults.rate_limit", fixtures_root=tmp_path, fresh=True)
        seconds = time.perf_counter() - started
        target = Suite(tmp_path).target("acme_tenacity_capped", "tickets")
        sleeps = RunCache().run(target, RunSpec("full", faults=(_rate_limit(),))).sleeps
    finally:
        SourceRegistry.unregister("acme_tenacity_capped")

    assert verdict.passed, verdict.message
    assert seconds < 7
    assert 7.0 in sleeps


def _rate_limit() -> Any:
    from harness.replay.faults import rate_limit

    return rate_limit(2, 7)


class BoundsEventsByNow(AcmeSource):
    """A full sync of events asks for rows before 'now' (the request is built from datetime.now())."""

    source_type = constant("acme_events_before_now")

    def phases(self, config: AcmeConfig, inputs: SourceInputs, endpoint: AcmeEndpoint) -> list[Phase]:
        phases = super().phases(config, inputs, endpoint)
        if endpoint.name != "events" or phases[0][0] != "all":
            return phases
        now_ms = int(dt.datetime.now(dt.UTC).timestamp()) * 1000  # Acme documents `before` as epoch milliseconds
        return [("all", {**phases[0][1], "before": now_ms})]


def test_a_request_built_from_now_matches_its_recording(tmp_path: Path) -> None:
    SourceRegistry.register(BoundsEventsByNow)
    try:
        fixtures = record("acme_events_before_now", AcmeData.generate(), tmp_path / "acme_events_before_now")
        with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)):  # replay happens later
            verdict = run_check("acme_events_before_now", "events", "pagination.complete", fixtures_root=tmp_path)
    finally:
        SourceRegistry.unregister("acme_events_before_now")

    har = read_har(fixtures / "events" / "full.har")
    sent = re.search(r"before=([^&]+)", har.entries[0].request.url)
    assert sent is not None
    assert parse_har_time(har.entries[0].started) == dt.datetime.fromtimestamp(int(sent.group(1)) / 1000, dt.UTC)
    assert verdict.passed, verdict.message


def test_a_resync_that_returns_zero_rows_keeps_the_table(acme_root: Path, tmp_path: Path) -> None:
    """An unchanged account: the resync is answered like the `future` scenario, with no rows at all."""
    fixtures = copy_fixtures(acme_root / GOOD, GOOD, tmp_path / GOOD)
    manifest = (fixtures / "manifest.toml").read_text()
    future_block = r'\[endpoints\.tickets\.scenarios\.future\]\nhar = "[^"]+"\n(.*\n)*?last_value = "([^"]+)"'
    future = re.search(future_block, manifest)
    assert future is not None
    manifest = re.sub(
        r'(\[endpoints\.tickets\.scenarios\.resync\]\nhar = )"[^"]+"((?:\n.*)*?\nlast_value = )"[^"]+"',
        lambda match: f'{match.group(1)}"tickets/future.har"{match.group(2)}"{future.group(2)}"',
        manifest,
        count=1,
    )
    (fixtures / "manifest.toml").write_text(manifest)
    chain = RunCache().chain(Suite(tmp_path).target(GOOD, "tickets"), (RunSpec("full"), RunSpec("resync")))

    verdict = run_check(GOOD, "tickets", "partition.stable", fixtures_root=tmp_path, fresh=True)

    assert chain.steps[1].rows == [] and chain.steps[1].table is not None
    assert len(chain.steps[1].table.rows) == len(chain.steps[0].rows) > 0
    assert verdict.passed, verdict.message


@pytest.mark.parametrize("text", ["2024-01-01T00:00:00.000Z", "2026-11-28T08:12:03.250Z"])
def test_har_times_parse_to_aware_datetimes(text: str) -> None:
    moment = parse_har_time(text)

    assert moment.tzinfo is not None and moment.isoformat().startswith(text[:19])
