"""The interpreter-level egress guard: a `sys.addaudithook` hook that refuses, during a run, every connection,
datagram or name lookup beyond loopback and every child process, whichever module the source reaches them through
(`socket`, `_socket`, `subprocess`, `os.system`, `os.exec*`, `os.posix_spawn`, a vendor SDK).

Audit hooks cannot be removed, so the hook is installed once per process and does nothing unless the current
context belongs to a run (`sealed()` sets a context variable). Threads started during a run inherit its context
(`threading.Thread.start` and `_thread.start_new_thread` are wrapped once, at install), so their calls are refused
too and counted against the run; a thread still alive when the run ends is reported.
"""

from __future__ import annotations

import _thread
import contextlib
import contextvars
import dataclasses
import ipaddress
import os
import platform
import shlex
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from harness.replay.inprocess import find_origin

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "127.0.0.1", "::1"})
NETWORK_EVENTS = frozenset({"socket.connect", "socket.sendto", "socket.sendmsg"})
LOOKUP_EVENTS = frozenset({"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr", "socket.getnameinfo"})
PROCESS_EVENTS = frozenset(
    {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty"}
)
WATCHED_EVENTS = NETWORK_EVENTS | LOOKUP_EVENTS | PROCESS_EVENTS
# How long the end of a run waits for threads the source started before calling them left running.
THREAD_GRACE_SECONDS = 0.1


class EgressBlocked(ConnectionRefusedError):
    """Raised to the code that tried to reach a non-loopback host or start a process during a run."""


@dataclasses.dataclass(frozen=True)
class EgressAttempt:
    """One thing that tried to leave a run: `via` is connect, sendto, sendmsg, lookup, child process or thread."""

    host: str
    port: int | None
    origin: str | None
    via: str

    def describe(self) -> str:
        where = f" from {self.origin}" if self.origin else " (not from the source's own code)"
        if self.via == "thread left running":
            return f"thread left running: {self.host}{where.replace(' from ', ' started from ', 1)}"
        port = f":{self.port}" if self.port is not None else ""
        return f"egress: {self.via} {self.host}{port}{where}"


def is_loopback(host: str) -> bool:
    if host.lower().rstrip(".") in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


# -- what the harness itself may reach during a run ------------------------------------------------------------
_allowed_endpoints: set[tuple[str, int | None]] = set()
_allowed_unix_paths: set[str] = set()


def allow_endpoint(host: str, port: int | None = None) -> None:
    """Let runs reach `host` (any port when `port` is None): the harness's own services, e.g. a replay proxy.

    A name is allowed for lookups; an address for connects and datagrams. Register the address a name resolves to
    as well when the connection goes to it.
    """
    _allowed_endpoints.add((host.lower(), port))


def disallow_endpoint(host: str, port: int | None = None) -> None:
    _allowed_endpoints.discard((host.lower(), port))


def allow_unix_socket(path: str) -> None:
    """Let runs connect to the unix socket at `path` (the embedded Redis)."""
    _allowed_unix_paths.add(os.fspath(path))


def _endpoint_allowed(host: str, port: int | None) -> bool:
    host = host.lower()
    return (host, None) in _allowed_endpoints or (host, port) in _allowed_endpoints


# -- the seal of one run ---------------------------------------------------------------------------------------
@dataclasses.dataclass
class _StartedThread:
    name: str
    origin: str | None
    is_alive: Callable[[], bool]
    join: Callable[[float], None]


class Seal:
    """What one run tried: refused attempts and the threads it started. Stays refusing after the run ends (for the
    threads it left behind); only attempts made while it is open are reported."""

    def __init__(self, origin_dirs: Sequence[str], allowed_hosts: Iterable[str]) -> None:
        self.origin_dirs = tuple(origin_dirs)
        self.allowed_hosts = frozenset(host.lower() for host in allowed_hosts)
        self.attempts: list[EgressAttempt] = []
        self.threads: list[_StartedThread] = []
        self.open = True

    def refuse(self, target: str, port: int | None, via: str) -> EgressBlocked:
        attempt = EgressAttempt(target, port, find_origin(self.origin_dirs), via)
        if self.open:
            self.attempts.append(attempt)
        return EgressBlocked(f"{via} {target} refused by the conformance harness (no egress during a run)")

    def host_allowed(self, host: str, port: int | None) -> bool:
        return is_loopback(host) or host.lower() in self.allowed_hosts or _endpoint_allowed(host, port)

    def check(self, event: str, args: tuple[Any, ...]) -> None:
        if event in PROCESS_EVENTS:
            raise self.refuse(_command(event, args), None, "child process")
        if event in LOOKUP_EVENTS:
            name = _lookup_name(event, args)
            if name is not None and not self.host_allowed(name, None):
                raise self.refuse(name, _lookup_port(event, args), "lookup")
            return
        sock, address = args[0], args[1]
        if address is None:  # sendmsg on a connected socket: its connect was checked
            return
        family = getattr(sock, "family", None)
        if family == socket.AF_UNIX:
            path = address.decode(errors="replace") if isinstance(address, bytes) else str(address)
            if event == "socket.connect" and path not in _allowed_unix_paths:
                raise self.refuse(f"unix socket {path}", None, "connect")
            return
        if family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
            host, port = str(address[0]), int(address[1])
            if not self.host_allowed(host, port):
                raise self.refuse(host, port, event.removeprefix("socket."))
            return
        raise self.refuse(f"{address!r} (socket family {family})", None, event.removeprefix("socket."))

    def adopt(self, name: str, is_alive: Callable[[], bool], join: Callable[[float], None]) -> None:
        self.threads.append(_StartedThread(name, find_origin(self.origin_dirs), is_alive, join))

    def close(self, grace: float = THREAD_GRACE_SECONDS) -> list[EgressAttempt]:
        """End the run: every thread it started and that is still alive after `grace` seconds is reported."""
        deadline = time.monotonic() + grace
        for thread in self.threads:
            if thread.is_alive():
                thread.join(max(0.0, deadline - time.monotonic()))
        self.open = False
        return [
            EgressAttempt(thread.name, None, thread.origin, "thread left running")
            for thread in self.threads
            if thread.is_alive()
        ]


def _command(event: str, args: tuple[Any, ...]) -> str:
    if event in ("os.fork", "os.forkpty"):
        return event.removeprefix("os.") + "()"
    if event == "os.system":
        command = args[0]
        return command.decode(errors="replace") if isinstance(command, bytes) else str(command)
    argv = {"subprocess.Popen": 1, "os.exec": 1, "os.posix_spawn": 1, "os.spawn": 2}[event]
    words = args[argv] if len(args) > argv else args[0]
    if isinstance(words, str | bytes | os.PathLike):
        words = [words]
    return shlex.join(os.fsdecode(word) if isinstance(word, bytes | os.PathLike) else str(word) for word in words)


def _lookup_name(event: str, args: tuple[Any, ...]) -> str | None:
    value = args[0]
    if event == "socket.getnameinfo":
        value = value[0] if isinstance(value, tuple) and value else value
    if value is None:
        return None
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _lookup_port(event: str, args: tuple[Any, ...]) -> int | None:
    if event == "socket.getaddrinfo" and len(args) > 1 and isinstance(args[1], int):
        return args[1]
    return None


# -- the process-wide hook -------------------------------------------------------------------------------------
_current: contextvars.ContextVar[Seal | None] = contextvars.ContextVar("conformance_run_seal", default=None)
_install_lock = threading.Lock()
_installed = False


def _audit(
    event: str,
    args: tuple[Any, ...],
    _watched: frozenset[str] = WATCHED_EVENTS,
    _seal: Callable[[], Seal | None] = _current.get,
) -> None:
    # Called for every audited event of every thread of the process: keep the common case to one set lookup
    # (the defaults bind the set and the context variable's getter as locals).
    if event not in _watched:
        return
    seal = _seal()
    if seal is not None:
        seal.check(event, args)


def warm_platform_cache() -> None:
    """The standard library runs `uname -p` once per process for `platform.platform()` / `uname().processor`, and
    vendor SDKs call them for their User-Agent (stripe does): ask now, outside any run, so the cache answers them."""
    platform.platform()
    platform.uname().processor  # noqa: B018


def install() -> None:
    """Add the audit hook and the thread wrappers, once per process."""
    global _installed
    with _install_lock:
        if _installed:
            return
        warm_platform_cache()
        _wrap_thread_starts()
        sys.addaudithook(_audit)
        _installed = True


def _wrap_thread_starts() -> None:
    original_start = threading.Thread.start
    original_start_new_thread = _thread.start_new_thread

    def start(self: threading.Thread) -> None:
        seal = _current.get()
        if seal is not None:
            context = contextvars.copy_context()
            run = self.run
            self.run = lambda: context.run(run)  # type: ignore[method-assign]
            seal.adopt(_thread_name(self), self.is_alive, self.join)
        original_start(self)

    def start_new_thread(function: Callable[..., Any], args: tuple[Any, ...], kwargs: Any = None) -> int:
        seal = _current.get()
        if seal is None:
            return original_start_new_thread(function, args, *([kwargs] if kwargs is not None else []))
        context = contextvars.copy_context()
        done = threading.Event()

        def bootstrap(*inner: Any, **named: Any) -> None:
            try:
                context.run(function, *inner, **named)
            finally:
                done.set()

        seal.adopt(getattr(function, "__qualname__", repr(function)), lambda: not done.is_set(), done.wait)
        return original_start_new_thread(bootstrap, args, *([kwargs] if kwargs is not None else []))

    threading.Thread.start = start  # type: ignore[method-assign]
    _thread.start_new_thread = start_new_thread


def _thread_name(thread: threading.Thread) -> str:
    target = getattr(thread, "_target", None)
    if target is None and type(thread).run is not threading.Thread.run:
        target = type(thread).run
    label = getattr(target, "__qualname__", None) or repr(target)
    return f"{thread.name} (target {label})"


@contextlib.contextmanager
def sealed(origin_dirs: Sequence[str], allowed_hosts: Iterable[str] = ()) -> Iterator[Seal]:
    """Refuse egress and child processes in this context (and threads started from it) for the block."""
    install()
    seal = Seal(origin_dirs, allowed_hosts)
    token = _current.set(seal)
    try:
        yield seal
    finally:
        _current.reset(token)


@contextlib.contextmanager
def infrastructure() -> Iterator[None]:
    """Lift the seal for the harness's own work inside a run (starting its replay proxy or its Redis)."""
    token = _current.set(None)
    try:
        yield
    finally:
        _current.reset(token)
