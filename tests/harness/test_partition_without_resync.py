"""Until a live recording gets its `resync` scenario (`record --live --resync`, weeks later), partition.stable
cannot be evaluated: it is inconclusive and names the command, neither passed nor failed."""

from __future__ import annotations

import shutil
from pathlib import Path

from harness.paths import FIXTURES_ROOT
from harness.suite.api import run_check


def test_partition_stable_without_a_resync_recording_is_inconclusive_and_names_the_command(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES_ROOT / "typeform", tmp_path / "typeform", ignore=shutil.ignore_patterns("__pycache__"))
    manifest = tmp_path / "typeform" / "manifest.toml"
    text = manifest.read_text()
    resync = '[endpoints.forms.scenarios.resync]\nhar = "forms/resync.har"\n'
    assert resync in text
    manifest.write_text(text.replace(resync, ""))

    verdict = run_check("typeform", "forms", "partition.stable", fixtures_root=tmp_path, fresh=True)
    with_resync = run_check("typeform", "forms", "partition.stable", fresh=True)

    assert verdict.status == "inconclusive", verdict.message
    assert "no resync recording" in verdict.message
    assert "python -m harness record typeform --live --resync" in verdict.message
    assert with_resync.status == "passed", with_resync.message
