"""The harness's own `mitmdump`: one child process on 127.0.0.1, its own confdir and CA, driven over a unix socket.

`MitmProcess.start()` launches `mitmdump` with the conformance addon (`harness/replay/mitm_addon.py`), waits for
the addon to report the port it listens on (a few seconds at most) and fails with one line when it cannot:
the binary is missing, the port is taken, the CA was not written. The child never outlives the harness: it is
stopped on a normal exit (atexit, the pytest plugin), gets SIGTERM from the kernel when its parent dies for any
reason (`PR_SET_PDEATHSIG`), and exits on its own if the parent was gone before that was set.

The addon is switched between scenarios over the control socket (`command`): no restart per run.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from harness.paths import REPO_ROOT
from harness.replay.egress import allow_endpoint, allow_unix_socket, infrastructure
from harness.replay.mitm_protocol import receive_message, send_message
from sources.common.embedded_redis import MAX_UNIX_SOCKET_PATH

LISTEN_HOST = "127.0.0.1"
STARTUP_TIMEOUT_SECONDS = 15.0
CA_FILE = "mitmproxy-ca-cert.pem"
ADDON_PATH = Path(__file__).with_name("mitm_addon.py")
_PR_SET_PDEATHSIG = 1


class MitmdumpError(RuntimeError):
    """mitmdump could not be started or driven; the message is one line saying why."""


def mitmdump_binary() -> str | None:
    """The `mitmdump` beside the running interpreter (the project's virtualenv), else the one on PATH."""
    beside = Path(sys.executable).with_name("mitmdump")
    return str(beside) if beside.is_file() else shutil.which("mitmdump")


def _die_with_parent(parent_pid: int) -> None:  # pragma: no cover - runs in the child between fork and exec
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before the death signal was armed
        os._exit(1)


def _first_error_line(log: str) -> str:
    """mitmdump's own reason: the first line that reports an error (its tracebacks follow it)."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    for line in lines:
        lowered = line.lower()
        if ("error" in lowered or "failed" in lowered) and "error logged during startup" not in lowered:
            return line.split("] ", 1)[-1] if line.startswith("[") else line
    return lines[-1] if lines else "no output"


class MitmProcess:
    """A running `mitmdump` with the conformance addon; `address` and `ca_path` are what a client needs."""

    def __init__(self, *, port: int = 0, confdir: Path | None = None, binary: str | None = None) -> None:
        self.port = port
        self.workdir = Path(tempfile.mkdtemp(prefix="conformance-mitm-"))
        self.confdir = confdir or self.workdir / "confdir"
        self.binary = binary
        self.control_path = self.workdir / "control.sock"
        self._socket_dir: Path | None = None
        if len(str(self.control_path).encode()) > MAX_UNIX_SOCKET_PATH:
            # A deep TMPDIR: the kernel refuses unix socket paths this long, so the socket lives in a short folder.
            self._socket_dir = Path(tempfile.mkdtemp(prefix="cmitm-", dir="/tmp"))
            self.control_path = self._socket_dir / "c.sock"
        self.ready_path = self.workdir / "ready.json"
        self.log_path = self.workdir / "mitmdump.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.listen_port: int | None = None
        self._control: socket.socket | None = None

    # -- lifecycle ---------------------------------------------------------------------------------------------
    @property
    def ca_path(self) -> Path:
        return self.confdir / CA_FILE

    @property
    def proxy_url(self) -> str:
        return f"http://{LISTEN_HOST}:{self.listen_port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = STARTUP_TIMEOUT_SECONDS) -> MitmProcess:
        binary = self.binary or mitmdump_binary()
        if binary is None or not Path(binary).is_file():
            raise MitmdumpError(f"mitmdump not found ({binary or 'not beside ' + sys.executable + ' nor on PATH'})")
        command = [
            binary,
            "--quiet",
            "--listen-host",
            LISTEN_HOST,
            "--listen-port",
            str(self.port),
            "--set",
            f"confdir={self.confdir}",
            "--set",
            "connection_strategy=lazy",
            "--set",
            "upstream_cert=false",
            "--scripts",
            str(ADDON_PATH),
            "--set",
            f"conformance_control={self.control_path}",
            "--set",
            f"conformance_ready={self.ready_path}",
        ]
        environment = dict(os.environ)
        environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), environment.get("PYTHONPATH")]))
        parent = os.getpid()
        with open(self.log_path, "wb") as log:
            self.process = self._popen(command, log, environment, parent)
        atexit.register(self.stop)
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _popen(self, command: list[str], log: Any, environment: dict[str, str], parent: int) -> subprocess.Popen[bytes]:
        try:
            return subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=environment,
                start_new_session=True,  # a terminal's Ctrl-C reaches the harness, which stops the child itself
                preexec_fn=lambda: _die_with_parent(parent),
            )
        except OSError as exc:
            raise MitmdumpError(f"mitmdump could not be started ({command[0]}): {exc.strerror or exc}") from None

    def _wait_ready(self, timeout: float) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while not self.ready_path.is_file():
            if self.process.poll() is not None:
                reason = _first_error_line(self._log())
                if not self.ca_path.is_file():
                    raise MitmdumpError(f"mitmdump wrote no CA certificate in {self.confdir}: {reason}")
                raise MitmdumpError(f"mitmdump exited at start-up: {reason}")
            if time.monotonic() > deadline:
                raise MitmdumpError(f"mitmdump did not start within {timeout:g}s: {_first_error_line(self._log())}")
            time.sleep(0.02)
        ready = json.loads(self.ready_path.read_text())
        if ready.get("error"):
            raise MitmdumpError(f"mitmdump could not listen on {LISTEN_HOST}:{self.port}: {ready['error']}")
        self.listen_port = int(ready["port"])
        if not self.ca_path.is_file():
            raise MitmdumpError(f"mitmdump wrote no CA certificate at {self.ca_path}")

    def _log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop the child (SIGTERM, then SIGKILL after 5 s) and remove its working folder. Idempotent."""
        if self._control is not None:
            with contextlib.suppress(OSError):
                self._control.close()
            self._control = None
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        atexit.unregister(self.stop)
        shutil.rmtree(self.workdir, ignore_errors=True)
        if self._socket_dir is not None:
            shutil.rmtree(self._socket_dir, ignore_errors=True)

    # -- control ---------------------------------------------------------------------------------------------
    def command(self, name: str, **arguments: Any) -> Any:
        """Call `name` on the addon and return its answer; the addon's own errors come back as MitmdumpError."""
        if not self.running:
            raise MitmdumpError(f"mitmdump is not running (log: {_first_error_line(self._log())})")
        if self._control is None:
            control = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            control.connect(str(self.control_path))
            self._control = control
        try:
            send_message(self._control, (name, arguments))
            status, answer = receive_message(self._control)
        except (OSError, ConnectionError) as exc:
            self._control = None
            raise MitmdumpError(f"lost the mitmdump control socket during {name!r}: {exc}") from None
        if status != "ok":
            raise MitmdumpError(f"mitmdump addon: {name}: {answer}")
        return answer


def _allow_in_runs(process: MitmProcess) -> None:
    """The one place the harness's mitmdump is let through the egress guard during runs: its port on loopback
    and its control socket."""
    if process.listen_port is not None:
        allow_endpoint(LISTEN_HOST, process.listen_port)
    allow_unix_socket(str(process.control_path))


_shared: MitmProcess | None = None


def shared_process() -> MitmProcess:
    """The one mitmdump of this process, started on first use and reused by every run."""
    global _shared
    if _shared is None or not _shared.running:
        if _shared is not None:
            _shared.stop()
            _shared = None
        with infrastructure():
            try:
                process = MitmProcess()
            except OSError as exc:
                raise MitmdumpError(f"no working folder for mitmdump: {exc}") from None
            _shared = process.start()
        _allow_in_runs(process)
    return _shared


def stop_shared_process() -> None:
    global _shared
    if _shared is not None:
        _shared.stop()
        _shared = None
