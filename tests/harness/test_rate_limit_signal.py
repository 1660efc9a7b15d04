"""The vendor's documented over-the-limit answer: declared in the manifest, injected by faults.rate_limit."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness.fixtures.manifest import ManifestError, RateLimitSignal, load_manifest
from harness.paths import FIXTURES_ROOT
from harness.replay.faults import rate_limit

GITHUB_LIKE = RateLimitSignal(403, "x-ratelimit-reset", "epoch", (("x-ratelimit-remaining", "0"),), "https://doc")


def test_an_epoch_reset_counts_from_the_runs_frozen_time_and_seconds_are_the_wait() -> None:
    fault = rate_limit(2, 7, 1, GITHUB_LIKE, now=1_733_130_000.0)
    assert (fault.status, fault.before_page, fault.times) == (403, 2, 1)
    assert dict(fault.headers) == {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1733130007"}
    assert "x-ratelimit-reset: 1733130007" in fault.describe()
    seconds = rate_limit(2, 86_400, None, RateLimitSignal(reset_header="RateLimit-Reset"), now=5.0)
    assert (seconds.status, dict(seconds.headers)) == (429, {"RateLimit-Reset": "86400"})
    assert dict(rate_limit(2, 7).headers) == {"Retry-After": "7"}


def test_github_declares_its_documented_answer() -> None:
    signal = load_manifest(FIXTURES_ROOT / "github").rate_limit
    assert signal is not None and (signal.status, signal.reset_header, signal.reset_kind) == (
        403,
        "x-ratelimit-reset",
        "epoch",
    )


@pytest.mark.parametrize(
    ("table", "complaint"),
    [
        ('reset_kind = "epoch"', "reset_header (the header that says how long to wait) is required"),
        ('reset_header = "x-reset"\nreset_kind = "ms"', "reset_kind = 'ms'; known: seconds, epoch"),
        ('reset_header = "x-reset"\nstatus = 200', "status = 200 is not an HTTP error status"),
        ('reset_header = "x-reset"\nreset_hedaer = "x"', "unknown key 'reset_hedaer'"),
    ],
)
def test_a_broken_rate_limit_table_is_one_line_naming_the_file(tmp_path: Path, table: str, complaint: str) -> None:
    folder = tmp_path / "github"
    shutil.copytree(FIXTURES_ROOT / "github", folder)
    manifest = folder / "manifest.toml"
    text = manifest.read_text()
    start = text.index("[rate_limit]")
    end = text.index("\n\n", start)
    manifest.write_text(text[:start] + "[rate_limit]\n" + table + text[end:])
    with pytest.raises(ManifestError) as raised:
        load_manifest(folder)
    message = str(raised.value)
    assert complaint in message and "\n" not in message and str(manifest) in message
