"""Recording a connector's simulator served through mitmdump (forward proxy, TLS with the proxy's CA) reproduces
its committed fixtures, modulo headers that change from one run to the next."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness.fixtures.har import HarEntry, read_har
from harness.paths import FIXTURES_ROOT
from harness.recording.cli import main

# Differ on every run or machine: the stripe SDK's telemetry and platform headers, the server's clock.
VOLATILE_HEADERS = frozenset({"x-stripe-client-user-agent", "x-stripe-client-telemetry", "date", "server"})


def comparable(entry: HarEntry) -> tuple:
    def headers(pairs: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        return tuple((name.lower(), value) for name, value in pairs if name.lower() not in VOLATILE_HEADERS)

    request, response = entry.request, entry.response
    return (
        (request.method, request.url, headers(request.headers), request.body, request.mime_type),
        (response.status, response.status_text, headers(response.headers), response.body, response.mime_type),
    )


def differences(recorded: Path, committed: Path) -> list[str]:
    found = []
    names = sorted({path.relative_to(committed) for path in committed.rglob("*.har")})
    assert names == sorted({path.relative_to(recorded) for path in recorded.rglob("*.har")})
    for name in names:
        ours, theirs = read_har(recorded / name).entries, read_har(committed / name).entries
        if len(ours) != len(theirs):
            found.append(f"{name}: {len(ours)} entries, committed {len(theirs)}")
            continue
        pairs = zip(map(comparable, ours), map(comparable, theirs), strict=True)
        found += [f"{name} entry {index}: {mine} != {old}" for index, (mine, old) in enumerate(pairs) if mine != old]
    if (recorded / "manifest.toml").read_text() != (committed / "manifest.toml").read_text():
        found.append("manifest.toml differs")
    return found


@pytest.mark.parametrize("source", ["github", "typeform"])
def test_recording_through_mitmdump_reproduces_the_committed_fixtures(source: str, tmp_path: Path) -> None:
    shutil.copytree(FIXTURES_ROOT / source, tmp_path / source, ignore=shutil.ignore_patterns("*.har"))

    assert main([source, "--through-mitmdump", "--fixtures-root", str(tmp_path)]) == 0

    assert differences(tmp_path / source, FIXTURES_ROOT / source) == []
