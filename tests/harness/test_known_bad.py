"""Every check is proven to fail: each known-bad Acme source is failed by the intended check with the intended
message — on the good source's recording AND on fixtures recorded through its own bug (where the recorder may
refuse to record instead) — and the good Acme source passes every check the suite collects for it."""

from __future__ import annotations

from pathlib import Path

import pytest
from acme_vendor.corpus import GOOD
from acme_vendor.known_bad import KNOWN_BAD, KnownBad

from harness.checks import CHECKS
from harness.suite.api import list_cases, run_check

RecordedEachWay = tuple[Path, Path, dict[str, str]]


def _ids(bad: KnownBad) -> str:
    return f"{bad.source_type}-{bad.check}"


def assert_caught(bad: KnownBad, expected: tuple[str, str, str], root: Path) -> None:
    check, phrase, status = expected
    verdict = run_check(bad.source_type, bad.endpoint, check, fixtures_root=root)

    assert verdict.status == status, f"{bad.source.__name__} {verdict.status} {check}: {verdict.message}"
    message = verdict.message or ""
    assert phrase in message
    where = f"{bad.source_type}/{bad.endpoint or '-'} [{check}]: "
    if status == "inconclusive":
        assert message.startswith(f"{where}inconclusive: ") and "\n  fix: " in message
    else:
        assert message.startswith(f"{where}expected ")
        assert "\n  evidence: " in message and "\n  fix: " in message


@pytest.mark.parametrize("bad", KNOWN_BAD, ids=_ids)
def test_known_bad_source_is_failed_by_the_intended_check(bad: KnownBad, acme_root: Path) -> None:
    assert_caught(bad, (bad.check, bad.phrase, bad.status), acme_root)


# A source whose only bug is how its fixtures were recorded is the good source: on the good recording it is right.
@pytest.mark.parametrize("bad", [bad for bad in KNOWN_BAD if not bad.bug_in_recording], ids=_ids)
def test_known_bad_is_caught_on_the_good_sources_recording(
    bad: KnownBad, acme_recorded_each_way: RecordedEachWay
) -> None:
    good_root, _, _ = acme_recorded_each_way
    assert_caught(bad, bad.expected("good"), good_root)


@pytest.mark.parametrize("bad", KNOWN_BAD, ids=_ids)
def test_known_bad_is_caught_when_recorded_through_its_bug(
    bad: KnownBad, acme_recorded_each_way: RecordedEachWay
) -> None:
    _, self_root, refused = acme_recorded_each_way
    if bad.refused_when_recorded_with_itself is not None:
        assert bad.refused_when_recorded_with_itself in refused.get(bad.source_type, "recorded without refusal")
        return
    assert bad.source_type not in refused, refused.get(bad.source_type)
    assert_caught(bad, bad.expected("itself"), self_root)


@pytest.mark.parametrize("bad", KNOWN_BAD, ids=_ids)
def test_the_same_check_passes_the_good_source(bad: KnownBad, acme_root: Path) -> None:
    checks = {bad.check, bad.expected("good")[0], bad.expected("itself")[0]}
    verdicts = [run_check(GOOD, bad.endpoint, check, fixtures_root=acme_root) for check in sorted(checks)]

    assert [verdict.message for verdict in verdicts if not verdict.passed] == []


def test_every_check_has_a_known_bad_source() -> None:
    covered = {bad.check for bad in KNOWN_BAD}

    assert sorted(set(CHECKS) - covered) == []


def test_the_good_source_is_collected_for_every_check_and_passes_them_all(acme_root: Path) -> None:
    cases = list_cases([GOOD], fixtures_root=acme_root)
    verdicts = [run_check(case.source_type, case.endpoint, case.check_id, fixtures_root=acme_root) for case in cases]

    assert {case.check_id for case in cases} == set(CHECKS)
    assert [verdict.message for verdict in verdicts if not verdict.passed] == []


REFUSED = [bad for bad in KNOWN_BAD if bad.refused]


@pytest.mark.parametrize("bad", REFUSED, ids=lambda bad: bad.source_type)
def test_the_vendor_refuses_a_known_bad_filter_value_and_the_recorder_writes_nothing(
    bad: KnownBad, tmp_path: Path, embedded_redis: object
) -> None:
    from acme_vendor.dataset import AcmeData
    from acme_vendor.recording import record

    from harness.recording.recorder import RecordingError
    from sources.common.redis_client import set_redis_client

    set_redis_client(embedded_redis)  # type: ignore[arg-type]
    try:
        with pytest.raises(RecordingError) as refused:
            record(bad.source_type, AcmeData.generate(), tmp_path / bad.source_type)
    finally:
        set_redis_client(None)

    message = str(refused.value)
    assert "\n" not in message
    assert "the vendor rejected GET https://api.acme-helpdesk.test/v1/tickets?" in message
    assert "with 400: " in message and bad.refused in message
    assert not (tmp_path / bad.source_type / "tickets" / "incremental.har").exists()


def test_messages_cite_sections_that_exist_in_the_repository(acme_root: Path) -> None:
    verdict = run_check("acme_state_before_yield", "tickets", "resume.every_checkpoint", fixtures_root=acme_root)
    design = (Path(__file__).parents[2] / "DESIGN.md").read_text()

    assert 'DESIGN.md, "The crash model"' in (verdict.message or "")
    assert "\n## The crash model\n" in design
