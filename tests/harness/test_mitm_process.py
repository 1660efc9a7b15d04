"""The harness's mitmdump starts in seconds or fails with one line, and never outlives the harness."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from harness.paths import REPO_ROOT
from harness.replay.mitm_process import MitmdumpError, MitmProcess
from harness.replay.mitm_transport import through_proxy

START_BUDGET_SECONDS = 15.0


def mitmdumps_under(folder: Path) -> list[int]:
    """Pids of live processes whose command line names `folder` (each mitmdump names its confdir)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = next(line for line in (entry / "status").read_text().splitlines() if line.startswith("State:"))
        except (OSError, StopIteration):
            continue
        if "mitmdump" in command and str(folder) in command and "Z (zombie)" not in state:
            pids.append(int(entry.name))
    return pids


def wait_for(condition, seconds: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return bool(condition())


@pytest.fixture
def process() -> Iterator[MitmProcess]:
    started = MitmProcess()
    yield started
    started.stop()


def test_starts_within_seconds_on_loopback_with_its_own_ca(process: MitmProcess) -> None:
    began = time.monotonic()
    process.start()

    assert time.monotonic() - began < START_BUDGET_SECONDS
    assert process.proxy_url.startswith("http://127.0.0.1:")
    assert process.ca_path.read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert process.ca_path.is_relative_to(process.workdir)
    assert process.command("ping") == "pong"


def test_idle_proxy_answers_over_tls_and_connects_nowhere(process: MitmProcess) -> None:
    process.start()
    with through_proxy(process.proxy_url, process.ca_path):
        response = requests.get("https://api.example.invalid/v1/items", timeout=10)

    assert response.status_code == 599
    assert response.headers["x-conformance-stop"] == "UnmatchedRequest"


def test_a_missing_binary_is_one_line() -> None:
    with pytest.raises(MitmdumpError) as raised:
        MitmProcess(binary="/nonexistent/bin/mitmdump").start()

    assert "mitmdump not found (/nonexistent/bin/mitmdump)" in str(raised.value)
    assert "\n" not in str(raised.value)


def test_a_taken_port_is_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = MitmProcess(port=port)
        with pytest.raises(MitmdumpError) as raised:
            process.start()

    message = str(raised.value)
    assert "\n" not in message
    assert f"127.0.0.1:{port}" in message and "address already in use" in message
    assert not process.running and not process.workdir.exists()


def test_a_ca_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")

    with pytest.raises(MitmdumpError) as raised:
        MitmProcess(confdir=blocker / "confdir").start()

    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"mitmdump wrote no CA certificate in {blocker / 'confdir'}: ")
    assert "Not a directory" in message


# -- lifetime: the child is gone however the harness ends ----------------------------------------------------------

DRIVER = """
import sys, time
from harness.replay.mitm_process import shared_process
shared_process()
print("started", flush=True)
if sys.argv[1] == "fail":
    raise RuntimeError("the run failed")
if sys.argv[1] == "wait":
    time.sleep(120)
"""


def _spawn(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    environment = dict(os.environ, TMPDIR=str(tmp_path))  # the child's mitmdump lives under tmp_path
    return subprocess.Popen(
        args,
        cwd=REPO_ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


@pytest.mark.parametrize("outcome", ["succeed", "fail"])
def test_gone_after_the_harness_process_ends(tmp_path: Path, outcome: str) -> None:
    driver = _spawn(tmp_path, sys.executable, "-c", DRIVER, outcome)
    output, _ = driver.communicate(timeout=60)

    assert "started" in output
    assert driver.returncode == (0 if outcome == "succeed" else 1)
    assert wait_for(lambda: mitmdumps_under(tmp_path) == [], 5), mitmdumps_under(tmp_path)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=lambda s: s.name)
def test_gone_after_the_harness_is_interrupted_terminated_or_killed(tmp_path: Path, signum: int) -> None:
    driver = _spawn(tmp_path, sys.executable, "-c", DRIVER, "wait")
    try:
        assert driver.stdout is not None and driver.stdout.readline().strip() == "started"
        assert len(mitmdumps_under(tmp_path)) == 1

        driver.send_signal(signum)
        driver.wait(timeout=30)

        assert wait_for(lambda: mitmdumps_under(tmp_path) == [], 10), mitmdumps_under(tmp_path)
    finally:
        driver.kill()
        driver.wait()


def _pytest_harness(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    return _spawn(
        tmp_path,
        sys.executable,
        "-m",
        "pytest",
        "harness",
        "-q",
        "-p",
        "no:randomly",
        "--replay",
        "mitm",
        "--results",
        str(tmp_path / "results.json"),
        *args,
    )


def test_pytest_harness_replay_mitm_leaves_no_mitmdump_on_success_or_failure(tmp_path: Path) -> None:
    broken = tmp_path / "fixtures"
    shutil.copytree(REPO_ROOT / "fixtures" / "typeform", broken / "typeform")
    manifest = broken / "typeform" / "manifest.toml"
    manifest.write_text(manifest.read_text() + '\n[endpoints.forms.bypass]\n"no.such.check" = "a reason long enough"\n')

    passing = _pytest_harness(tmp_path, "--source", "typeform", "-k", "registry or credentials")
    output, _ = passing.communicate(timeout=120)
    assert passing.returncode == 0, output
    failing = _pytest_harness(tmp_path, "--source", "typeform", "--fixtures-root", str(broken), "-k", "forms/")
    output, _ = failing.communicate(timeout=120)
    assert failing.returncode == 1, output

    assert wait_for(lambda: mitmdumps_under(tmp_path) == [], 5), mitmdumps_under(tmp_path)


def test_pytest_harness_interrupted_by_ctrl_c_leaves_no_mitmdump(tmp_path: Path) -> None:
    run = _pytest_harness(tmp_path, "--source", "github")
    try:
        assert wait_for(lambda: len(mitmdumps_under(tmp_path)) == 1, 30)
        run.send_signal(signal.SIGINT)
        output, _ = run.communicate(timeout=60)

        assert "KeyboardInterrupt" in output
        assert wait_for(lambda: mitmdumps_under(tmp_path) == [], 10), mitmdumps_under(tmp_path)
    finally:
        run.kill()
        run.wait()


def _parent(pid: int) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return None
    return int(next(line for line in status if line.startswith("PPid:")).split()[1])


def test_under_two_workers_each_worker_starts_one_mitmdump_and_the_controller_none(tmp_path: Path) -> None:
    run = _pytest_harness(tmp_path, "-n", "2", "--source", "github", "--source", "typeform")
    parents: set[int] = set()
    try:
        while run.poll() is None:
            parents |= {parent for pid in mitmdumps_under(tmp_path) if (parent := _parent(pid)) is not None}
            time.sleep(0.05)
        output, _ = run.communicate(timeout=60)
    finally:
        run.kill()
        run.wait()

    assert run.returncode == 0, output
    assert "conformance: " in output
    assert parents, "no mitmdump was seen running"
    assert run.pid not in parents  # the controller runs no case, so it has no proxy
    assert len(parents) <= 2  # one per worker


def test_a_deep_temporary_folder_still_gets_a_control_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(deep))
    process = MitmProcess().start()
    try:
        assert len(str(process.control_path).encode()) <= 100 and process.workdir.is_relative_to(deep)
        assert process.running
    finally:
        process.stop()
    assert not process.control_path.parent.exists() and not process.workdir.exists()
