"""The adversarial egress corpus, run ONLY inside a network namespace of its own (see test_egress_corpus.py, which
starts this module under `unshare -n`): if the guard broke, a packet still could not leave the machine.

Each escape source fails with the egress verdict, the same first line every time, over 20 fresh runs; and each
escape is shown to really escape when no run is sealed (the controls), so the corpus cannot pass vacuously.
"""

from __future__ import annotations

import _socket
import errno
import socket
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from acme_vendor.corpus import GOOD, copy_fixtures, registered
from acme_vendor.dataset import AcmeData
from acme_vendor.escapes import (
    BEACON_THREAD,
    ESCAPES,
    VENDOR_HOST,
    connect_raw_socket,
    curl_usage,
    resolve_telemetry,
    send_syslog_datagram,
    start_beacon,
    urlopen_usage,
)
from acme_vendor.known_bad import KnownBad
from acme_vendor.recording import record

from harness.checks.context import EGRESS_EXPECTED
from harness.suite import api
from sources.common.redis_client import set_redis_client
from sources.common.registry import SourceRegistry

REPEATS = 20


def only_loopback() -> bool:
    return [name for _index, name in socket.if_nameindex()] == ["lo"]


if not only_loopback():  # checked on import, before any fixture or test can run
    pytest.exit(
        "egress_corpus_netns.py runs only inside a network namespace of its own (only `lo`); found interfaces "
        f"{[name for _index, name in socket.if_nameindex()]}. Run tests/harness/test_egress_corpus.py instead.",
        returncode=3,
    )


class ProxyListener:
    """A TCP listener on loopback standing in for a proxy: it logs the first line of every connection."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        self.lines: list[str] = []
        threading.Thread(target=self.serve, name="proxy-listener", daemon=True).start()

    def serve(self) -> None:
        while True:
            try:
                connection, _address = self.server.accept()
            except OSError:
                return
            with connection:
                connection.settimeout(2)
                try:
                    self.lines.append(connection.recv(4096).decode(errors="replace").split("\r\n", 1)[0])
                    connection.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                except OSError:
                    self.lines.append("(no request line)")


@pytest.fixture(scope="module")
def proxy() -> Iterator[ProxyListener]:
    listener = ProxyListener()
    yield listener
    listener.server.close()


@pytest.fixture
def proxy_env(proxy: ProxyListener, monkeypatch: pytest.MonkeyPatch) -> ProxyListener:
    """Every escape runs with a proxy in the environment (and in urllib's opener), as on a CI runner with one."""
    for name in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy"):
        monkeypatch.setenv(name, proxy.url)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    # urllib's global opener built now keeps these proxies, as one built before the sync would
    monkeypatch.setattr(urllib.request, "_opener", urllib.request.build_opener())
    proxy.lines.clear()
    return proxy


@pytest.fixture(autouse=True)
def escapes_registered() -> Iterator[None]:
    for escape in ESCAPES:
        SourceRegistry.register(escape.source)
    yield
    for escape in ESCAPES:
        SourceRegistry.unregister(escape.source_type)


@pytest.fixture(scope="module")
def escapes_root(tmp_path_factory: pytest.TempPathFactory, embedded_redis: Any) -> Iterator[Path]:
    """The good source's recording, claimed by each escape (their extra call is not HTTP through the session)."""
    root = tmp_path_factory.mktemp("escape-fixtures")
    set_redis_client(embedded_redis)
    try:
        with registered():
            good = record(GOOD, AcmeData.generate(), root / GOOD)
    finally:
        set_redis_client(None)
    for escape in ESCAPES:
        copy_fixtures(good, escape.source_type, root / escape.source_type)
    yield root
    api.forget(root)


@pytest.mark.parametrize("escape", ESCAPES, ids=lambda escape: escape.source_type)
def test_the_escape_fails_with_the_egress_verdict_every_time(
    escape: KnownBad, escapes_root: Path, proxy_env: ProxyListener
) -> None:
    messages = set()
    for _ in range(REPEATS):
        verdict = api.run_check(
            escape.source_type, escape.endpoint, escape.check, fixtures_root=escapes_root, fresh=True
        )
        message = verdict.message or ""
        assert verdict.status == "failed", f"{escape.source_type} passed {escape.check}"
        assert escape.phrase in message, message
        messages.add(message)

    [message] = messages  # the same verdict, evidence included, every time
    assert (
        message.splitlines()[0]
        == f"{escape.source_type}/{escape.endpoint} [{escape.check}]: expected {EGRESS_EXPECTED}."
    )
    assert proxy_env.lines == [], "a request reached the proxy named in the environment"


def test_the_good_source_passes_with_the_same_proxy_environment(escapes_root: Path, proxy_env: ProxyListener) -> None:
    verdict = api.run_check(GOOD, "tickets", "pagination.complete", fixtures_root=escapes_root, fresh=True)

    assert verdict.passed, verdict.message
    assert proxy_env.lines == []


# -- controls: outside a run, each escape really does what it claims --------------------------------------------
class AuditLog:
    def __init__(self) -> None:
        self.events: list[tuple[str, tuple[Any, ...]]] = []
        self.recording = False
        sys.addaudithook(self.hook)

    def hook(self, event: str, args: tuple[Any, ...]) -> None:
        if self.recording and event.startswith(("socket.", "subprocess.")) and event != "socket.__new__":
            self.events.append((event, args))


_AUDIT = AuditLog()


@pytest.mark.parametrize(
    ("escape", "event", "argument"),
    [
        (curl_usage, "subprocess.Popen", ["curl", "-s", "--max-time", "2", f"https://{VENDOR_HOST}/v1/usage"]),
        (resolve_telemetry, "socket.gethostbyname", "telemetry.acme-helpdesk.invalid"),
        (send_syslog_datagram, "socket.sendto", ("192.0.2.53", 514)),
        (connect_raw_socket, "socket.connect", ("192.0.2.10", 443)),
    ],
)
def test_outside_a_run_the_escape_reaches_the_system_call(escape: Any, event: str, argument: Any) -> None:
    _AUDIT.events.clear()
    _AUDIT.recording = True
    try:
        escape()
    except (OSError, ValueError) as exc:  # no route and no DNS in the namespace: the call was made and failed
        print(f"{escape.__name__}: {exc}")
    finally:
        _AUDIT.recording = False

    assert any(name == event and repr(argument) in repr(args) for name, args in _AUDIT.events), _AUDIT.events


def test_outside_a_run_urlopen_goes_through_the_proxy_of_the_environment(proxy_env: ProxyListener) -> None:
    with pytest.raises(OSError):
        urlopen_usage()

    assert [line.rsplit(" ", 1)[0] for line in proxy_env.lines] == [f"CONNECT {VENDOR_HOST}:443"]


@pytest.mark.filterwarnings("ignore:A test tried to use socket")  # the beacon meets the tests' loopback-only guard
def test_outside_a_run_the_beacon_thread_stays_alive() -> None:
    start_beacon()

    assert any(thread.name == BEACON_THREAD and thread.is_alive() for thread in threading.enumerate())


def test_the_namespace_has_no_route_off_the_machine() -> None:
    sock = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
    try:
        with pytest.raises(OSError) as refused:
            sock.connect(("192.0.2.1", 443))
    finally:
        sock.close()

    assert refused.value.errno == errno.ENETUNREACH
