"""The adversarial egress corpus (acme_vendor/escapes.py) fails with the egress verdict, deterministically.

It runs in a network namespace of its own, so that even a broken guard cannot send a packet off the machine:
this test starts `pytest tests/harness/egress_corpus_netns.py` under `unshare -n` with only `lo` up. Where no
namespace can be made it fails and says so; it never falls back to the host network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from acme_vendor.escapes import ESCAPES

CORPUS = Path(__file__).with_name("egress_corpus_netns.py")
REPO_ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_SECONDS = 600


def in_own_network_namespace(argv: list[str]) -> list[str]:
    """`argv` wrapped to run in a new network namespace with loopback up; fails the test where none can be made."""
    missing = [tool for tool in ("unshare", "ip") if shutil.which(tool) is None]
    if missing:
        pytest.fail(
            f"cannot create a network namespace: {', '.join(missing)} not found; the egress corpus never runs "
            "on the host network"
        )
    unshare = ["unshare", "-n"] if os.geteuid() == 0 else ["unshare", "-r", "-n"]  # -r: a user namespace too
    probe = subprocess.run(
        [*unshare, "sh", "-c", "ip link set lo up"], capture_output=True, text=True, check=False, timeout=30
    )
    if probe.returncode != 0:
        pytest.fail(
            f"cannot create a network namespace ({' '.join(unshare)}: {probe.stderr.strip() or probe.returncode}); the "
            "egress corpus runs only in one (as root, or where user namespaces are enabled), never on the host network"
        )
    return [*unshare, "sh", "-c", 'ip link set lo up && exec "$@"', "sh", *argv]


def test_the_adversarial_corpus_fails_with_the_egress_verdict_in_its_own_network_namespace() -> None:
    command = in_own_network_namespace([sys.executable, "-m", "pytest", str(CORPUS), "-q", "-rA"])
    result = subprocess.run(
        command, cwd=REPO_ROOT, capture_output=True, text=True, check=False, timeout=TIMEOUT_SECONDS, env=os.environ
    )
    output = result.stdout + result.stderr

    assert result.returncode == 0, output
    passed = {line.split("[", 1)[-1].rstrip("]") for line in output.splitlines() if line.startswith("PASSED ")}
    assert {escape.source_type for escape in ESCAPES} <= passed, output


def test_without_unshare_the_corpus_fails_with_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda tool: None if tool == "unshare" else "/usr/bin/" + tool)

    with pytest.raises(pytest.fail.Exception, match="unshare not found; the egress corpus never runs on the host"):
        in_own_network_namespace(["true"])


def test_where_no_namespace_can_be_made_the_corpus_fails_instead_of_using_the_host_network(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    denied = subprocess.CompletedProcess(["unshare"], 1, "", "unshare: unshare failed: Operation not permitted")
    monkeypatch.setattr(subprocess, "run", lambda *args, **kwargs: denied)

    with pytest.raises(pytest.fail.Exception, match="Operation not permitted\\); the egress corpus runs only in one"):
        in_own_network_namespace(["true"])
