"""The egress guard refuses and records every connection to a non-loopback host, naming the code that opened it."""

from __future__ import annotations

import socket
import urllib.request
from pathlib import Path

import pytest

from harness.replay.egress import EgressBlocked, egress_guard, infrastructure_hosts, is_loopback

HERE = (str(Path(__file__).parent),)


def test_a_connection_to_a_public_address_is_refused_and_recorded_with_its_origin() -> None:
    with egress_guard(HERE) as attempts, pytest.raises(EgressBlocked):
        socket.create_connection(("203.0.113.9", 443), timeout=1)

    assert [(attempt.host, attempt.port) for attempt in attempts] == [("203.0.113.9", 443)]
    assert attempts[0].origin is not None and attempts[0].origin.startswith("tests/harness/test_egress.py:")


def test_a_name_lookup_of_a_vendor_host_is_refused_and_recorded() -> None:
    with egress_guard(HERE) as attempts, pytest.raises(OSError):
        urllib.request.urlopen("https://status.vendor.test/health", timeout=1)

    assert attempts[0].host == "status.vendor.test"
    assert attempts[0].via == "lookup"


def test_loopback_and_unix_sockets_are_allowed() -> None:
    with egress_guard(HERE) as attempts:
        listener = socket.create_server(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port), timeout=1)
        client.close()
        listener.close()
        left, right = socket.socketpair(socket.AF_UNIX)
        left.close()
        right.close()

    assert attempts == []


def test_the_guard_is_removed_after_the_block() -> None:
    original = socket.socket.connect
    with egress_guard(HERE):
        assert socket.socket.connect is not original

    assert socket.socket.connect is original


@pytest.mark.parametrize(
    ("host", "loopback"), [("127.0.0.1", True), ("::1", True), ("localhost", True), ("10.0.0.1", False)]
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_the_redis_host_of_redis_url_is_infrastructure_not_egress(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.2:6390/0")
    with egress_guard(HERE) as attempts, pytest.raises(EgressBlocked):
        socket.getaddrinfo("cache.internal.test", 6379)

    assert infrastructure_hosts() == frozenset({"127.0.0.2"})
    assert [attempt.host for attempt in attempts] == ["cache.internal.test"]


def test_an_allowed_host_passes_the_lookup_and_its_address_the_connect(monkeypatch: pytest.MonkeyPatch) -> None:
    resolved = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("198.51.100.7", 6379))]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: resolved)  # no real DNS in tests
    with egress_guard(HERE, allowed_hosts=frozenset({"redis"})) as attempts:
        assert socket.getaddrinfo("redis", 6379) == resolved
        with pytest.raises(EgressBlocked):
            socket.getaddrinfo("api.vendor.test", 443)

    assert [attempt.host for attempt in attempts] == ["api.vendor.test"]
