"""Every check is proven to fail: each known-bad Acme source is failed by the intended check with the intended
message, and the good Acme source passes every check the suite collects for it."""

from __future__ import annotations

from pathlib import Path

import pytest
from acme_vendor.corpus import GOOD
from acme_vendor.known_bad import KNOWN_BAD, KnownBad

from harness.checks import CHECKS
from harness.suite.api import list_cases, run_check


@pytest.mark.parametrize("bad", KNOWN_BAD, ids=lambda bad: f"{bad.source_type}-{bad.check}")
def test_known_bad_source_is_failed_by_the_intended_check(bad: KnownBad, acme_root: Path) -> None:
    verdict = run_check(bad.source_type, bad.endpoint, bad.check, fixtures_root=acme_root)

    assert verdict.status == bad.status, f"{bad.source.__name__} {verdict.status} {bad.check}: {verdict.message}"
    message = verdict.message or ""
    assert bad.phrase in message
    where = f"{bad.source_type}/{bad.endpoint or '-'} [{bad.check}]: "
    if bad.status == "inconclusive":
        assert message.startswith(f"{where}inconclusive: ") and "\n  fix: " in message
    else:
        assert message.startswith(f"{where}expected ")
        assert "\n  evidence: " in message and "\n  fix: " in message


@pytest.mark.parametrize("bad", KNOWN_BAD, ids=lambda bad: f"{bad.source_type}-{bad.check}")
def test_the_same_check_passes_the_good_source(bad: KnownBad, acme_root: Path) -> None:
    verdict = run_check(GOOD, bad.endpoint, bad.check, fixtures_root=acme_root)

    assert verdict.passed, verdict.message


def test_every_check_has_a_known_bad_source() -> None:
    covered = {bad.check for bad in KNOWN_BAD}

    assert sorted(set(CHECKS) - covered) == []


def test_the_good_source_is_collected_for_every_check_and_passes_them_all(acme_root: Path) -> None:
    cases = list_cases([GOOD], fixtures_root=acme_root)
    verdicts = [run_check(case.source_type, case.endpoint, case.check_id, fixtures_root=acme_root) for case in cases]

    assert {case.check_id for case in cases} == set(CHECKS)
    assert [verdict.message for verdict in verdicts if not verdict.passed] == []


def test_messages_cite_sections_that_exist_in_the_repository(acme_root: Path) -> None:
    verdict = run_check("acme_state_before_yield", "tickets", "resume.every_checkpoint", fixtures_root=acme_root)
    readme = (Path(__file__).parents[2] / "harness" / "README.md").read_text()

    assert 'harness/README.md, "The crash model"' in (verdict.message or "")
    assert "DESIGN.md" not in (verdict.message or "")
    assert "\n## The crash model" in readme
