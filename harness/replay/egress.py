"""The egress guard: during a run nothing leaves the machine and nothing outlives the run.

A run replays recorded traffic in-process, so a source that reaches the network does it around the tracked
transport (urllib, raw sockets, `_socket`, a child `curl`, a vendor SDK with its own client, a thread of its own).
Two layers refuse it and record who tried, naming the destination or command and the first frame inside the
source's own code:
- pytest-socket's connect guard and a patched `socket.getaddrinfo` (the common paths, with a clear error);
- an interpreter audit hook (`audit_guard.py`) for everything else: connects, datagrams and name lookups through
  any module, and every child process. Threads the source starts inherit the run; one still alive at the end of
  the run is reported as left running.
Proxy variables are cleared for the run (`proxy_env.py`). Loopback, the Redis the SDK uses (its unix socket, or
the host of `REDIS_URL`) and endpoints the harness registers (`allow_endpoint`) are allowed.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

import pytest_socket

from harness.replay.audit_guard import (
    EgressAttempt,
    EgressBlocked,
    allow_endpoint,
    allow_unix_socket,
    disallow_endpoint,
    infrastructure,
    is_loopback,
    sealed,
)
from harness.replay.proxy_env import proxy_env_cleared
from sources.common.redis_client import get_redis_client

__all__ = [
    "EgressAttempt",
    "EgressBlocked",
    "allow_endpoint",
    "allow_unix_socket",
    "disallow_endpoint",
    "egress_guard",
    "infrastructure",
    "infrastructure_hosts",
    "is_loopback",
]

LOOPBACK_NETWORKS = ("127.0.0.0/8", "::1")


def infrastructure_hosts() -> frozenset[str]:
    """Hosts the harness itself talks to during a run: the Redis of `REDIS_URL`, when it is not local."""
    url = os.environ.get("REDIS_URL")
    host = urlsplit(url).hostname if url else None
    return frozenset({host}) if host else frozenset()


def _redis_endpoint() -> str | None:
    """Where the SDK's Redis is (starting the embedded one before the run is sealed); its unix socket is allowed."""
    try:
        kwargs = get_redis_client().connection_pool.connection_kwargs
    except Exception:  # an unusable REDIS_URL: the run itself reports it
        return None
    if kwargs.get("path"):
        allow_unix_socket(str(kwargs["path"]))
        return None
    return str(kwargs["host"]) if kwargs.get("host") else None


@contextlib.contextmanager
def egress_guard(
    origin_dirs: Sequence[str], allowed_hosts: frozenset[str] | None = None
) -> Iterator[list[EgressAttempt]]:
    """Seal the block as a run; yields the list of refused attempts (threads left running are added at the end).

    Loopback, the SDK's Redis, registered endpoints and `allowed_hosts` (default: `infrastructure_hosts()`) pass.
    """
    if allowed_hosts is None:
        redis_host = _redis_endpoint()
        allowed_hosts = infrastructure_hosts() | ({redis_host} if redis_host else frozenset())
    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex
    original_getaddrinfo = socket.getaddrinfo
    allowed = set(allowed_hosts)
    for host in allowed_hosts:  # a connect goes to the resolved address, not the name
        with contextlib.suppress(OSError):
            allowed.update(str(info[4][0]) for info in original_getaddrinfo(host, None))

    with proxy_env_cleared(), sealed(origin_dirs, allowed) as seal:

        def address_host(sock: socket.socket, address: Any) -> tuple[str, int | None] | None:
            """The (host, port) a connect goes to when the run may not reach it, else None."""
            if sock.family not in (socket.AF_INET, socket.AF_INET6):
                return None
            host, port = str(address[0]), int(address[1])
            return None if seal.host_allowed(host, port) else (host, port)

        # pytest-socket guards connect (loopback networks, the allowed hosts and unix sockets pass); we record who
        # tried to go elsewhere and turn its RuntimeError into an OSError, which is what a refused connect is.
        pytest_socket.socket_allow_hosts(
            [*LOOPBACK_NETWORKS, *sorted(filter(pytest_socket.is_ipaddress, allowed))], allow_unix_socket=True
        )
        socket_guarded_connect = socket.socket.connect

        def guarded_connect(sock: socket.socket, address: Any) -> None:
            target = address_host(sock, address)
            if target is None and sock.family in (socket.AF_INET, socket.AF_INET6):
                return original_connect(sock, address)  # allowed, e.g. an endpoint the harness registered
            try:
                return socket_guarded_connect(sock, address)
            except pytest_socket.SocketBlockedError:
                host, port = target or (str(address[0]), None)
                raise seal.refuse(host, port, via="connect") from None

        def guarded_connect_ex(sock: socket.socket, address: Any) -> int:
            if (target := address_host(sock, address)) is not None:
                raise seal.refuse(*target, via="connect")
            return original_connect_ex(sock, address)

        def guarded_getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            name = host.decode() if isinstance(host, bytes) else host
            number = port if isinstance(port, int) else None
            if name is not None and not seal.host_allowed(str(name), number):
                raise seal.refuse(str(name), number, via="lookup")
            return original_getaddrinfo(host, port, *args, **kwargs)

        socket.socket.connect = guarded_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign]
        socket.getaddrinfo = guarded_getaddrinfo
        try:
            yield seal.attempts
        finally:
            socket.socket.connect = original_connect  # type: ignore[method-assign]
            socket.socket.connect_ex = original_connect_ex  # type: ignore[method-assign]
            socket.getaddrinfo = original_getaddrinfo
            seal.attempts.extend(seal.close())
