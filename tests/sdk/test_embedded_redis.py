"""The embedded redis-server dies with the process that started it, however that process ends, and whatever it
leaves in the temp folder is gone by the next start at the latest."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from sources.common import embedded_redis
from sources.common.embedded_redis import SERVER_PID, start_embedded_redis, sweep

REPO_ROOT = Path(__file__).resolve().parents[2]
GONE_WITHIN_SECONDS = 10.0

# The owner: a python process that starts the SDK's embedded server lazily, from its main thread or from a
# short-lived thread (as a source's worker thread might), proves it answers, prints its socket and waits.
OWNER = textwrap.dedent(
    """
    import sys, threading, time
    from sources.common import embedded_redis
    from sources.common.redis_client import get_redis_client
    if sys.argv[1] == "no-parent-death-signal":
        embedded_redis._parent_death_signal = lambda: None
    box = {}
    if sys.argv[3] == "worker-thread":
        thread = threading.Thread(target=lambda: box.update(client=get_redis_client()))
        thread.start()
        thread.join()
        time.sleep(0.2)
    else:
        box["client"] = get_redis_client()
    box["client"].set("key", "value")
    print(box["client"].connection_pool.connection_kwargs["path"], flush=True)
    if sys.argv[2] == "exit":
        sys.exit(0)
    time.sleep(120)
    """
)


@pytest.fixture
def tmp_root() -> Iterator[Path]:
    """A short TMPDIR: unix socket paths are limited to ~107 bytes, pytest's tmp_path can be longer."""
    folder = Path(tempfile.mkdtemp(prefix="er-", dir="/tmp"))
    yield folder
    for leftover in redis_servers_under(folder):
        leftover.kill()
    shutil.rmtree(folder, ignore_errors=True)


def redis_servers_under(folder: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline", "status"]):
        cmdline = " ".join(process.info["cmdline"] or ())
        if "redis-server" in cmdline and str(folder) in cmdline and process.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(process)
    return found


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def start_owner(
    tmp_root: Path, mode: str = "pdeathsig", then: str = "wait", thread: str = "worker-thread"
) -> tuple[subprocess.Popen[str], Path]:
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER, mode, then, thread],
        cwd=REPO_ROOT,
        env={**os.environ, "TMPDIR": str(tmp_root)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert owner.stdout is not None
    socket_path = owner.stdout.readline().strip()
    assert socket_path, f"the owner did not start the embedded redis (exit status {owner.poll()})"
    return owner, Path(socket_path).parent


def server_pid(folder: Path) -> int:
    return int((folder / SERVER_PID).read_text())


def wait_until_gone(pid: int) -> bool:
    deadline = time.monotonic() + GONE_WITHIN_SECONDS
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not alive(pid)


def server_folders(root: Path) -> list[Path]:
    return sorted(path for path in root.iterdir() if not path.name.startswith("."))


@pytest.mark.parametrize("thread", ["main-thread", "worker-thread"])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_killing_the_owner_leaves_no_redis_server_and_the_next_start_removes_its_folder(
    tmp_root: Path, sig: signal.Signals, thread: str
) -> None:
    owner, folder = start_owner(tmp_root, thread=thread)
    pid = server_pid(folder)
    assert alive(pid), "the server outlived the short-lived thread that started it"
    assert os.getsid(pid) == pid, "the server runs in a session of its own"

    owner.send_signal(sig)
    owner.wait(timeout=30)

    assert owner.returncode == -sig
    assert wait_until_gone(pid), f"redis-server {pid} outlived its owner killed by {sig.name}"
    assert redis_servers_under(tmp_root) == []

    root = folder.parent
    server = start_embedded_redis(root)
    try:
        assert not folder.exists(), "the next start did not remove the dead owner's folder"
        assert server_folders(root) == [server.folder]
        assert server.client().ping()
    finally:
        server.stop()
    assert server_folders(root) == []
    assert not alive(server.pid)


def test_without_a_parent_death_signal_the_next_start_kills_the_orphan(tmp_root: Path) -> None:
    owner, folder = start_owner(tmp_root, mode="no-parent-death-signal")
    pid = server_pid(folder)
    owner.kill()
    owner.wait(timeout=30)
    time.sleep(0.2)
    assert alive(pid), "without the parent-death signal the server outlives its owner (the case the sweep is for)"

    removed = sweep(folder.parent)

    assert removed == [folder]
    assert wait_until_gone(pid)
    assert not folder.exists()


def test_a_normal_exit_stops_the_server_and_removes_its_folder(tmp_root: Path) -> None:
    owner, folder = start_owner(tmp_root, then="exit")
    pid = server_pid(folder)
    assert owner.wait(timeout=30) == 0

    assert not alive(pid)
    assert not folder.exists()


def test_the_sweep_leaves_a_living_owners_server_alone(tmp_root: Path) -> None:
    owner, folder = start_owner(tmp_root)
    try:
        assert sweep(folder.parent) == []
        assert folder.exists()
        assert alive(server_pid(folder))
    finally:
        owner.kill()
        owner.wait(timeout=30)


def test_a_server_that_cannot_start_is_a_one_line_error_and_leaves_nothing(
    tmp_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embedded_redis, "redis_server_binary", lambda: "/bin/false")
    root = tmp_root / "root"

    with pytest.raises(embedded_redis.StateStoreUnavailableError, match="exited with status 1 at start"):
        start_embedded_redis(root)

    assert server_folders(root) == []


def test_a_forked_child_exiting_leaves_its_parents_server_alone(tmp_root: Path) -> None:
    server = start_embedded_redis(tmp_root / "root")
    try:
        child = os.fork()
        if child == 0:  # pragma: no cover  (the child: what its atexit handler would do)
            server.stop()
            os._exit(0)
        os.waitpid(child, 0)

        assert alive(server.pid)
        assert server.folder.exists()
        assert server.client().ping()
    finally:
        server.stop()


def test_a_temporary_folder_too_deep_for_a_unix_socket_falls_back_to_tmp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 40)
    deep.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(deep))
    assert embedded_redis.default_root() == Path("/tmp") / f"warehouse-redis-{os.getuid()}"
    short = Path(tempfile.mkdtemp(prefix="s-", dir="/tmp"))
    monkeypatch.setattr(tempfile, "tempdir", str(short))
    try:
        assert embedded_redis.default_root().parent == short  # a short one is honoured
        server = start_embedded_redis(embedded_redis.default_root())
        try:
            assert len(server.socket_path.encode()) <= 100 and server.client().ping()
        finally:
            server.stop()
    finally:
        shutil.rmtree(short, ignore_errors=True)
