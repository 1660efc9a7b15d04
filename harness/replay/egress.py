"""The egress guard: during a run, any connection (or name lookup) to a non-loopback host is refused and recorded.

A run replays recorded traffic in-process, so a source that reaches the network does it around the tracked
transport (urllib, raw sockets, a vendor SDK with its own client). The guard names the host and the first frame
inside the source's own code that opened the connection.
"""

from __future__ import annotations

import contextlib
import dataclasses
import ipaddress
import os
import socket
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

import pytest_socket

from harness.replay.inprocess import find_origin

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
LOOPBACK_NETWORKS = ("127.0.0.0/8", "::1")


class EgressBlocked(ConnectionRefusedError):
    """Raised to the code that tried to reach a non-loopback host."""


@dataclasses.dataclass(frozen=True)
class EgressAttempt:
    host: str
    port: int | None
    origin: str | None
    via: str

    def describe(self) -> str:
        where = f" from {self.origin}" if self.origin else " (not from the source's own code)"
        port = f":{self.port}" if self.port is not None else ""
        return f"{self.via} {self.host}{port}{where}"


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def infrastructure_hosts() -> frozenset[str]:
    """Hosts the harness itself talks to during a run: the Redis of `REDIS_URL`, when it is not local."""
    url = os.environ.get("REDIS_URL")
    host = urlsplit(url).hostname if url else None
    return frozenset({host}) if host else frozenset()


@contextlib.contextmanager
def egress_guard(
    origin_dirs: Sequence[str], allowed_hosts: frozenset[str] | None = None
) -> Iterator[list[EgressAttempt]]:
    """Patch socket connects and lookups for the duration of the block; yields the list of refused attempts.

    Loopback, unix sockets and `allowed_hosts` (default: `infrastructure_hosts()`) pass.
    """
    allowed = infrastructure_hosts() if allowed_hosts is None else allowed_hosts
    attempts: list[EgressAttempt] = []
    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex
    original_getaddrinfo = socket.getaddrinfo
    allowed_ips = set(allowed)
    for host in allowed:  # a connect goes to the resolved address, not the name
        with contextlib.suppress(OSError):
            allowed_ips.update(str(info[4][0]) for info in original_getaddrinfo(host, None))

    def refuse(host: str, port: int | None, via: str) -> EgressBlocked:
        attempt = EgressAttempt(str(host), port, find_origin(origin_dirs), via)
        attempts.append(attempt)
        return EgressBlocked(f"egress to {host} refused by the conformance harness")

    def address_host(sock: socket.socket, address: Any) -> tuple[str, int | None] | None:
        if sock.family not in (socket.AF_INET, socket.AF_INET6):
            return None
        host, port = str(address[0]), address[1]
        return (host, int(port)) if not (is_loopback(host) or host in allowed_ips) else None

    # pytest-socket guards connect (loopback networks, the allowed hosts and unix sockets pass); we record who
    # tried to go elsewhere and turn its RuntimeError into an OSError, which is what a refused connect is.
    pytest_socket.socket_allow_hosts(
        [*LOOPBACK_NETWORKS, *sorted(filter(pytest_socket.is_ipaddress, allowed_ips))], allow_unix_socket=True
    )
    socket_guarded_connect = socket.socket.connect

    def guarded_connect(sock: socket.socket, address: Any) -> None:
        target = address_host(sock, address)
        try:
            return socket_guarded_connect(sock, address)
        except pytest_socket.SocketBlockedError:
            host, port = target or (str(address[0]), None)
            raise refuse(host, port, via="connect") from None

    def guarded_connect_ex(sock: socket.socket, address: Any) -> int:
        if (target := address_host(sock, address)) is not None:
            raise refuse(*target, via="connect")
        return original_connect_ex(sock, address)

    def guarded_getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name is not None and not is_loopback(str(name)) and str(name) not in allowed:
            raise refuse(str(name), port if isinstance(port, int) else None, via="lookup")
        return original_getaddrinfo(host, port, *args, **kwargs)

    socket.socket.connect = guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = guarded_getaddrinfo
    try:
        yield attempts
    finally:
        socket.socket.connect = original_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = original_connect_ex  # type: ignore[method-assign]
        socket.getaddrinfo = original_getaddrinfo
