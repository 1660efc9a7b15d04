"""`pytest harness` end to end (in-process): ids, --source, -k, bypasses, the summary line and the results file."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from acme_vendor.corpus import GOOD
from acme_vendor.source import AcmeSource, constant

from harness.paths import REPO_ROOT
from sources.common.registry import SourceRegistry


def run_suite(root: Path, tmp_path: Path, *args: str) -> tuple[int, dict[str, Any]]:
    results = tmp_path / "results.json"
    code = pytest.main(
        [str(REPO_ROOT / "harness"), "-q", "--fixtures-root", str(root), "--results", str(results), *args]
    )
    return int(code), json.loads(results.read_text())["results"]


def test_cases_are_selected_by_source_and_k_and_verdicts_land_in_the_results_file(
    acme_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, results = run_suite(
        acme_root,
        tmp_path,
        "--source",
        GOOD,
        "--source",
        "acme_token_not_password",
        "-k",
        "registry or (pagination and complete)",
    )
    output = capsys.readouterr().out

    assert code == 1
    assert sorted(results) == [GOOD, "acme_token_not_password"]
    assert results[GOOD]["-"]["registry"]["status"] == "passed"
    assert results[GOOD]["tickets"]["pagination.complete"]["status"] == "passed"
    bad = results["acme_token_not_password"]["-"]["registry"]
    assert bad["status"] == "failed" and "PASSWORD" in bad["message"]
    assert "acme_token_not_password/- [registry]: expected credential fields to be PASSWORD fields." in output
    statuses = [
        verdict["status"] for checks in results.values() for case in checks.values() for verdict in case.values()
    ]
    assert statuses.count("failed") == 1
    assert f"conformance: {statuses.count('passed')} passed, 1 failed, 0 inconclusive, 0 blocked, 0 bypassed" in output
    assert "Traceback" not in output


def test_a_bypass_is_a_skip_with_its_reason_and_is_counted(
    acme_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "fixtures"
    shutil.copytree(acme_root / GOOD, root / GOOD)
    reason = "tickets come from a report endpoint that answers all pages at once"
    with (root / GOOD / "manifest.toml").open("a") as manifest:
        manifest.write(f'\n[endpoints.tickets.bypass]\n"progress.safe_point" = "{reason}"\n')

    code, results = run_suite(root, tmp_path, "--source", GOOD, "-k", "progress", "-rs")
    output = capsys.readouterr().out

    assert code == 0
    assert results[GOOD]["tickets"]["progress.safe_point"] == {
        "status": "bypassed",
        "reason": reason,
        "duration_seconds": 0.0,
    }
    assert f"bypassed: {reason}" in output
    assert "conformance: 2 passed, 0 failed, 0 inconclusive, 0 blocked, 1 bypassed" in output


class UnrecordedAcme(AcmeSource):
    source_type = constant("acme_unrecorded")


def test_a_registered_source_without_fixtures_fails_saying_what_to_record(
    acme_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    SourceRegistry.register(UnrecordedAcme)
    try:
        code, results = run_suite(acme_root, tmp_path, "--source", "acme_unrecorded")
    finally:
        SourceRegistry.unregister("acme_unrecorded")
    output = capsys.readouterr().out

    assert code == 1
    message = results["acme_unrecorded"]["-"]["fixtures"]["message"]
    assert "python -m harness record acme_unrecorded" in message
    assert "manifest.toml" in message
    assert "acme_unrecorded/-/fixtures" in output


def test_an_unknown_source_is_a_one_line_usage_error(
    acme_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = pytest.main([str(REPO_ROOT / "harness"), "-q", "--fixtures-root", str(acme_root), "--source", "acmee"])
    captured = capsys.readouterr()

    assert code == pytest.ExitCode.USAGE_ERROR
    assert "--source 'acmee' is not a registered source type; registered: " in captured.err + captured.out


def test_a_connector_that_does_not_import_is_a_one_line_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from harness import one_line
    from harness.suite import plugin

    def broken(name: str) -> None:
        raise SyntaxError("invalid syntax", (str(REPO_ROOT / "sources/acme/source.py"), 12, 1, "def (", 12, 2))

    monkeypatch.setattr(one_line.importlib, "import_module", broken)

    with pytest.raises(
        pytest.UsageError,
        match=r"^connector module sources\.acme\.source failed to import: SyntaxError: invalid syntax .*"
        r"\(at sources/acme/source\.py:12\)$",
    ):
        plugin.import_sources()


def test_an_inconclusive_case_fails_the_run_and_is_counted_apart(
    acme_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, results = run_suite(acme_root, tmp_path, "--source", "acme_batches_internally", "-k", "tickets/progress")
    output = capsys.readouterr().out

    assert code == 1
    verdict = results["acme_batches_internally"]["tickets"]["progress.safe_point"]
    assert verdict["status"] == "inconclusive"
    assert verdict["message"].startswith("acme_batches_internally/tickets [progress.safe_point]: inconclusive: ")
    assert "conformance: 0 passed, 0 failed, 1 inconclusive, 0 blocked, 0 bypassed" in output


def test_blocked_cases_are_counted_apart_and_name_their_root_cause_in_the_results(
    acme_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, results = run_suite(acme_root, tmp_path, "--source", "acme_token_in_query", "-k", "credentials or agents/")
    output = capsys.readouterr().out

    assert code == 1
    source = results["acme_token_in_query"]
    verdicts = {(endpoint, check): verdict for endpoint, checks in source.items() for check, verdict in checks.items()}
    failed = {case for case, verdict in verdicts.items() if verdict["status"] == "failed"}
    blocked = {case: verdict for case, verdict in verdicts.items() if verdict["status"] == "blocked"}
    # The drift checks run against the vendor model, which answers the unknown `api_token` parameter with a 400.
    on_the_model = {(endpoint, check) for endpoint, check in failed if check.endswith("under_drift")}
    assert failed - on_the_model == {
        (endpoint, "credentials.placement") for endpoint in ("agents", "events", "tickets")
    }
    assert ("-", "credentials") in blocked and any(endpoint == "agents" for endpoint, _ in blocked)
    assert {verdict["blocked_by"] for verdict in blocked.values()} == {"credentials.placement"}
    summary = rf"conformance: \d+ passed, {len(failed)} failed, 0 inconclusive, {len(blocked)} blocked, 0 bypassed"
    assert re.search(summary, output)
