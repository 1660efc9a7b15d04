"""The in-process replay backend: strict, order-insensitive matching, each entry once, faults, probes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from harness.fixtures.har import HarEntry, HarRequest, HarResponse, read_har, write_har
from harness.replay.base import LoopGuardTripped, ProbeCaptured, ReplayMode, UnmatchedRequest, WouldHang
from harness.replay.faults import rate_limit, server_error, stall
from harness.replay.inprocess import InProcessReplay

BASE = "https://api.vendor.test"


def entry(method: str, url: str, body: str | None = None, text: str = "{}", mime: str | None = None) -> HarEntry:
    return HarEntry(
        HarRequest(method, url, body=body, mime_type=mime),
        HarResponse(200, "OK", (("Content-Type", "application/json"),), text),
    )


def backend(tmp_path: Path, *entries: HarEntry, mode: ReplayMode = ReplayMode.STRICT) -> InProcessReplay:
    path = tmp_path / "fixture.har"
    write_har(path, list(entries), {"name": "test", "version": "1"})
    replay = InProcessReplay(mode=mode, origin_dirs=(str(Path(__file__).parent),))
    replay.load([read_har(path)])
    return replay


def test_query_parameters_match_in_any_order(tmp_path: Path) -> None:
    replay = backend(tmp_path, entry("GET", f"{BASE}/items?b=2&a=1", text='{"ok": 1}'))
    with replay:
        response = requests.get(f"{BASE}/items", params={"a": "1", "b": "2"}, timeout=5)

    assert response.json() == {"ok": 1}
    assert replay.unconsumed() == ()


def test_json_bodies_match_by_value_and_a_different_value_does_not(tmp_path: Path) -> None:
    recorded = entry("POST", f"{BASE}/search", body='{"filter":{"gte":5,"field":"updated"},"limit":10}')
    replay = backend(tmp_path, recorded, recorded)
    with replay:
        requests.post(f"{BASE}/search", json={"limit": 10, "filter": {"field": "updated", "gte": 5}}, timeout=5)
        with pytest.raises(UnmatchedRequest):
            requests.post(f"{BASE}/search", json={"limit": 10, "filter": {"field": "updated", "gte": 6}}, timeout=5)

    assert len(replay.unmatched) == 1


def test_form_bodies_match_in_any_order(tmp_path: Path) -> None:
    recorded = entry("POST", f"{BASE}/token", body="b=2&a=1", mime="application/x-www-form-urlencoded")
    replay = backend(tmp_path, recorded)
    with replay:
        response = requests.post(f"{BASE}/token", data={"a": "1", "b": "2"}, timeout=5)

    assert response.status_code == 200


def test_identical_requests_recorded_twice_are_served_twice_in_recorded_order_then_refused(tmp_path: Path) -> None:
    replay = backend(
        tmp_path, entry("GET", f"{BASE}/poll", text='{"n": 1}'), entry("GET", f"{BASE}/poll", text='{"n": 2}')
    )
    with replay:
        served = [requests.get(f"{BASE}/poll", timeout=5).json()["n"] for _ in range(2)]
        with pytest.raises(UnmatchedRequest):
            requests.get(f"{BASE}/poll", timeout=5)

    assert served == [1, 2]
    assert replay.unmatched[0].already_served
    assert replay.unmatched[0].after_last_page


def test_an_unmatched_request_names_the_closest_recorded_ones_by_path_then_query(tmp_path: Path) -> None:
    replay = backend(
        tmp_path,
        entry("GET", f"{BASE}/other?page=2&limit=10"),
        entry("GET", f"{BASE}/items?page=1&limit=10"),
        entry("GET", f"{BASE}/items?page=2&limit=5"),
    )
    with replay, pytest.raises(UnmatchedRequest):
        requests.get(f"{BASE}/items", params={"page": "2", "limit": "10"}, timeout=5)

    closest = replay.unmatched[0].closest
    assert closest[0] == f"GET {BASE}/items?limit=10&page=1" or closest[0] == f"GET {BASE}/items?limit=5&page=2"
    assert closest[-1] == f"GET {BASE}/other?limit=10&page=2"
    assert replay.unmatched[0].request.origin is not None
    assert replay.unmatched[0].request.origin.startswith("tests/harness/test_replay.py:")
    assert len(replay.unconsumed()) == 3


def test_a_rate_limit_fault_answers_429_once_before_page_two_without_consuming_it(tmp_path: Path) -> None:
    replay = backend(tmp_path, entry("GET", f"{BASE}/p?page=1"), entry("GET", f"{BASE}/p?page=2", text='{"p": 2}'))
    replay.inject([rate_limit(2, 7)])
    with replay:
        first = requests.get(f"{BASE}/p?page=1", timeout=5)
        limited = requests.get(f"{BASE}/p?page=2", timeout=5)
        retried = requests.get(f"{BASE}/p?page=2", timeout=5)

    assert (first.status_code, limited.status_code, retried.status_code) == (200, 429, 200)
    assert limited.headers["Retry-After"] == "7"
    assert retried.json() == {"p": 2}
    assert [request.fault is not None for request in replay.wire_log] == [False, True, False]


def test_a_persistent_fault_stops_a_source_that_retries_forever(tmp_path: Path) -> None:
    replay = backend(tmp_path, entry("GET", f"{BASE}/p"))
    replay.inject([server_error(1, times=None)])
    with replay, pytest.raises(LoopGuardTripped):
        for _ in range(100):
            requests.get(f"{BASE}/p", timeout=5)

    assert 10 < len(replay.wire_log) < 20


def test_a_stall_times_out_a_request_with_a_timeout_and_is_a_hang_without_one(tmp_path: Path) -> None:
    replay = backend(tmp_path, entry("GET", f"{BASE}/p"))
    replay.inject([stall(1, times=2)])
    with replay:
        with pytest.raises(requests.exceptions.ReadTimeout):
            requests.get(f"{BASE}/p", timeout=3)
        with pytest.raises(WouldHang):
            requests.get(f"{BASE}/p")

    assert [request.timeout for request in replay.hangs] == [None]


def test_a_probe_captures_the_first_unrecorded_request_and_stops(tmp_path: Path) -> None:
    replay = backend(tmp_path, entry("GET", f"{BASE}/p?since=2024-01-01"), mode=ReplayMode.PROBE)
    with replay, pytest.raises(ProbeCaptured):
        requests.get(f"{BASE}/p", params={"since": "2024-02-01"}, timeout=5)

    assert replay.wire_log[-1].key.query == (("since", "2024-02-01"),)
    assert replay.unmatched == ()


def test_a_har_without_entries_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.har"
    path.write_text(json.dumps({"log": {}}))

    with pytest.raises(ValueError, match=r"broken\.har: not a HAR file \(no log\.entries\)"):
        read_har(path)
