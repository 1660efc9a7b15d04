"""The mitmdump backend: the in-process rules over a real proxy, explicit proxy and CA, nothing ever forwarded."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from harness.fixtures.har import HarEntry, HarRequest, HarResponse, read_har, write_har
from harness.replay.base import UnmatchedRequest, WouldHang
from harness.replay.faults import server_error, stall
from harness.replay.mitm import MitmReplay
from harness.replay.mitm_process import MitmProcess
from harness.replay.mitm_transport import through_proxy

BASE = "https://api.vendor.test"


class CountingListener:
    """A TCP listener on 127.0.0.1 that counts the connections it accepts: the 'vendor' nothing may reach."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            connection.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def process() -> Iterator[MitmProcess]:
    started = MitmProcess().start()
    yield started
    started.stop()


@pytest.fixture
def listener() -> Iterator[CountingListener]:
    counting = CountingListener()
    yield counting
    counting.close()


def backend(tmp_path: Path, process: MitmProcess, *entries: HarEntry) -> MitmReplay:
    path = tmp_path / "fixture.har"
    write_har(path, list(entries), {"name": "test", "version": "1"})
    replay = MitmReplay(origin_dirs=(str(Path(__file__).parent),), process=lambda: process)
    replay.load([read_har(path)])
    return replay


def entry(url: str, text: str = "{}") -> HarEntry:
    return HarEntry(HarRequest("GET", url), HarResponse(200, "OK", (("Content-Type", "application/json"),), text))


def test_a_request_is_answered_over_tls_whatever_the_environment_says(
    tmp_path: Path, process: MitmProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "no-such-bundle.pem"))
    monkeypatch.setenv("HTTPS_PROXY", "http://192.0.2.1:9")
    replay = backend(tmp_path, process, entry(f"{BASE}/items?b=2&a=1", '{"ok": 1}'))
    with replay:
        response = requests.get(f"{BASE}/items", params={"a": "1", "b": "2"}, timeout=5)

    assert response.json() == {"ok": 1}
    assert replay.unconsumed() == ()
    [wire] = replay.wire_log
    assert wire.url == f"{BASE}/items?a=1&b=2" and wire.timeout == 5 and wire.status == 200
    assert wire.origin is not None and wire.origin.startswith("tests/harness/test_mitm_replay.py:")
    assert not any(name.lower().startswith("x-conformance") or name.lower() == "host" for name, _ in wire.headers)


def test_an_unmatched_request_stops_the_run_with_evidence_and_reaches_nothing(
    tmp_path: Path, process: MitmProcess, listener: CountingListener
) -> None:
    vendor = f"https://127.0.0.1:{listener.port}"
    replay = backend(tmp_path, process, entry(f"{vendor}/items?page=1"))
    with replay:
        requests.get(f"{vendor}/items?page=1", timeout=5)
        with pytest.raises(UnmatchedRequest):
            requests.get(f"{vendor}/items?page=2", timeout=5)
        with pytest.raises(UnmatchedRequest):
            requests.get(f"http://127.0.0.1:{listener.port}/plain", timeout=5)

    assert listener.accepted == 0
    first = replay.unmatched[0]
    assert first.after_last_page and not first.already_served
    assert first.closest == (f"GET {vendor}/items?page=1 (already served)",)
    assert first.request.origin is not None and "test_mitm_replay.py" in first.request.origin
    assert isinstance(replay.stop_reason, UnmatchedRequest)


def test_the_server_connect_guard_refuses_any_upstream_the_mode_does_not_allow(
    process: MitmProcess, listener: CountingListener
) -> None:
    process.command("forward", upstream=("127.0.0.1", 9))  # forwarding, but only to a served simulator
    try:
        with through_proxy(process.proxy_url, process.ca_path):
            response = requests.get(f"http://127.0.0.1:{listener.port}/", timeout=5)
    finally:
        process.command("idle")

    assert response.status_code == 502
    assert listener.accepted == 0


def test_faults_are_served_by_the_proxy_and_a_stall_ends_in_the_timeout(tmp_path: Path, process: MitmProcess) -> None:
    replay = backend(tmp_path, process, entry(f"{BASE}/a"), entry(f"{BASE}/b"))
    replay.inject([server_error(before_page=1), stall(before_page=2)])
    with replay:
        assert requests.get(f"{BASE}/a", timeout=5).status_code == 503
        assert requests.get(f"{BASE}/a", timeout=5).status_code == 200
        with pytest.raises(requests.exceptions.ReadTimeout, match="stalled response"):
            requests.get(f"{BASE}/b", timeout=5)
        assert requests.get(f"{BASE}/b", timeout=5).status_code == 200

    assert [(wire.status, wire.fault is not None) for wire in replay.wire_log] == [
        (503, True),
        (200, False),
        (None, True),
        (200, False),
    ]


def test_a_stall_without_a_timeout_would_hang(tmp_path: Path, process: MitmProcess) -> None:
    replay = backend(tmp_path, process, entry(f"{BASE}/a"))
    replay.inject([stall(before_page=1)])
    with replay, pytest.raises(WouldHang):
        requests.get(f"{BASE}/a")

    [hang] = replay.hangs
    assert hang.timeout is None and hang.origin is not None
