"""The semgrep rules: their own rule tests pass, the connectors scan clean, and each known-bad module is found
by its rule and by no other. Semgrep runs once per mode (rule tests, sources scan, known-bad scan)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from harness.gate.pragmas import check_pragma, known_rule_ids

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "rules"
KNOWN_BAD = Path(__file__).resolve().parent / "known_bad"
OFFLINE = ["--metrics=off", "--disable-version-check"]
TIMEOUT_SECONDS = 120


def _rule_ids() -> list[str]:
    return sorted(path.stem for path in RULES.glob("*.yaml"))


@pytest.fixture(scope="module")
def semgrep() -> str:
    found = shutil.which("semgrep") or shutil.which("semgrep", path=str(REPO / ".tools" / "bin"))
    if found is None:
        pytest.fail("semgrep is not installed: run the tests through `./dev test`, which installs it in .tools/bin")
    return found


def _run(semgrep: str, *args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    # The version check alone would wait ~100 s for a network that is not there.
    env = {**os.environ, "SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"}
    return subprocess.run([semgrep, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT_SECONDS)


def _scan(semgrep: str, target: str, cwd: Path = REPO) -> dict[str, Any]:
    result = _run(semgrep, "scan", "--config", str(RULES), "--json", *OFFLINE, target, cwd=cwd)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert report["errors"] == [], report["errors"]
    return report


def _short_id(check_id: str) -> str:
    """`--config rules/` reports `rules.warehouse-x`; the rule's own id is the last part."""
    return check_id.rsplit(".", 1)[-1]


def test_every_rule_has_an_id_file_name_and_annotated_test_file() -> None:
    ids = _rule_ids()
    assert len(ids) >= 9
    for rule_id in ids:
        assert rule_id.startswith("warehouse-")
        assert f"- id: {rule_id}\n" in (RULES / f"{rule_id}.yaml").read_text()
        cases = (RULES / f"{rule_id}.py").read_text()
        assert f"# ruleid: {rule_id}\n" in cases, f"{rule_id}: no case it must find"
        assert f"# ok: {rule_id}\n" in cases, f"{rule_id}: no case it must leave alone"


def test_rule_tests_pass(semgrep: str) -> None:
    result = _run(semgrep, "test", "--json", str(RULES))
    assert result.returncode == 0, result.stderr[-3000:] + result.stdout[-3000:]
    report = json.loads(result.stdout)
    assert report["config_missing_tests"] == []
    assert report["config_with_errors"] == []
    checks = {rule_id: check for config in report["results"].values() for rule_id, check in config["checks"].items()}
    assert sorted(checks) == _rule_ids()
    for rule_id, check in checks.items():
        assert check["passed"], (rule_id, check)
        (matches,) = check["matches"].values()
        assert matches["expected_lines"], f"{rule_id}: no `# ruleid:` line was checked"


def test_sources_scan_clean(semgrep: str) -> None:
    result = _run(semgrep, "scan", "--config", str(RULES), "--error", "--json", *OFFLINE, "sources/")
    report = json.loads(result.stdout)
    findings = [f"{item['path']}:{item['start']['line']}: {_short_id(item['check_id'])}" for item in report["results"]]
    assert findings == [], "\n".join(findings)
    assert report["errors"] == [], report["errors"]
    assert result.returncode == 0, result.stderr[-3000:]
    scanned = report["paths"]["scanned"]
    assert any(path.startswith("sources/common/") for path in scanned), "the scan saw no source files"
    assert not any(path.startswith("sources/common/http/") for path in scanned)


# Where a copy of every known-bad module goes in the scanned tree, and whether the rules must see it there.
PLACEMENTS = {
    "sources/acme/{stem}.py": True,
    "sources/acme/tests/{stem}.py": False,
    "sources/acme/test_{stem}.py": False,
    "sources/common/http/{stem}.py": False,
    "harness/{stem}.py": False,
}

# The pragma format `python -m harness pragmas` demands must be one semgrep honours, for the named rule only.
PRAGMA_REASON = "the vendor's metrics API is gRPC only"
PRAGMA_MODULE = """import grpc


def metrics_channel(target: str) -> grpc.Channel:
    return grpc.secure_channel(target, grpc.ssl_channel_credentials())  {pragma}
"""
PRAGMAS = {
    "sources/acme/pragma_named.py": f"# nosemgrep: warehouse-raw-transport — {PRAGMA_REASON}",
    "sources/acme/pragma_other_rule.py": f"# nosemgrep: warehouse-http-transport — {PRAGMA_REASON}",
}


def _stem(rule_id: str) -> str:
    return rule_id.replace("-", "_")


@pytest.fixture(scope="module")
def known_bad_findings(semgrep: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[str]]:
    """Rule ids found per file, over a tree laid out like the repository (the rules' `paths:` are anchored
    at the project root, which for a folder outside git is the working directory)."""
    root = tmp_path_factory.mktemp("known_bad_tree")
    shutil.copy(REPO / ".semgrepignore", root / ".semgrepignore")
    for module in KNOWN_BAD.glob("*.py"):
        for placement in PLACEMENTS:
            target = root / placement.format(stem=module.stem)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(module, target)
    for relative, pragma in PRAGMAS.items():
        (root / relative).write_text(PRAGMA_MODULE.format(pragma=pragma))
    report = _scan(semgrep, ".", cwd=root)
    findings: dict[str, set[str]] = {}
    for item in report["results"]:
        findings.setdefault(item["path"], set()).add(_short_id(item["check_id"]))
    return findings


def test_every_rule_has_a_known_bad_module() -> None:
    assert sorted(path.stem.replace("_", "-") for path in KNOWN_BAD.glob("*.py")) == _rule_ids()


@pytest.mark.parametrize("rule_id", _rule_ids())
def test_known_bad_module_is_found_by_its_rule_only(rule_id: str, known_bad_findings: dict[str, set[str]]) -> None:
    assert known_bad_findings.get(f"sources/acme/{_stem(rule_id)}.py") == {rule_id}


def test_rules_skip_tests_the_tracked_transport_and_the_harness(known_bad_findings: dict[str, set[str]]) -> None:
    skipped = {
        placement.format(stem=_stem(rule_id))
        for placement, seen in PLACEMENTS.items()
        if not seen
        for rule_id in _rule_ids()
    }
    assert skipped.isdisjoint(known_bad_findings)
    seen = {f"sources/acme/{_stem(rule_id)}.py" for rule_id in _rule_ids()}
    assert set(known_bad_findings) == seen | {"sources/acme/pragma_other_rule.py"}


def test_a_checked_pragma_silences_the_rule_it_names_and_no_other(
    known_bad_findings: dict[str, set[str]],
) -> None:
    for pragma in PRAGMAS.values():
        assert check_pragma(pragma, known_rule_ids(RULES)) is None
    assert "sources/acme/pragma_named.py" not in known_bad_findings
    assert known_bad_findings["sources/acme/pragma_other_rule.py"] == {"warehouse-raw-transport"}
