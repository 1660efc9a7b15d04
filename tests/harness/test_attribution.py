"""One root cause, one failure: a request that diverges from the recording is failed once, by the check that owns
what differs; every other check whose runs hit it is `blocked by` that check in one line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from acme_vendor.known_bad import KNOWN_BAD

from harness.suite.suite import Suite, Verdict

ATTRIBUTED = {
    "acme_watermark_str_datetime": ("tickets", "incremental.server_filter"),
    "acme_asks_newest_first": ("tickets", "sort.honest"),
    "acme_token_in_query": ("tickets", "credentials"),
    "acme_agents_from_page_zero": ("agents", "pagination.complete"),
}


def verdicts_for(root: Path, source_type: str, endpoint: str) -> list[Verdict]:
    suite = Suite(root)
    cases = [case for case in suite.cases([source_type]) if case.endpoint in (endpoint, None)]
    return [suite.execute(case) for case in cases]


@pytest.mark.parametrize("source_type", sorted(ATTRIBUTED))
def test_the_owner_fails_once_and_every_other_check_it_stops_is_blocked_by_it(
    acme_root: Path, source_type: str
) -> None:
    endpoint, owner = ATTRIBUTED[source_type]
    verdicts = verdicts_for(acme_root, source_type, endpoint)
    failed = [verdict.case.check_id for verdict in verdicts if verdict.status == "failed"]
    blocked = [verdict for verdict in verdicts if verdict.status == "blocked"]

    assert failed == [owner]
    assert len(blocked) >= 2
    assert {verdict.blocked_by for verdict in blocked} == {owner}
    for verdict in blocked:
        message = verdict.message or ""
        assert message.startswith(f"{source_type}/{endpoint} [{verdict.case.check_id}]: blocked by {owner} (")
        assert "\n" not in message
    for verdict in verdicts:
        assert "harness record" not in (verdict.message or "") and "re-record" not in (verdict.message or "")


def test_the_fix_says_what_the_request_should_have_been(acme_root: Path) -> None:
    verdicts = verdicts_for(acme_root, "acme_watermark_str_datetime", "tickets")
    owner = next(verdict for verdict in verdicts if verdict.status == "failed")
    fix = (owner.message or "").split("\n  fix: ")[1]

    assert fix.startswith("send updated_since='20") and "T" in fix.split("'")[1] and fix.split("'")[1].endswith("Z")


def test_a_blocked_check_fails_in_full_when_its_owner_is_bypassed(acme_root: Path, tmp_path: Path) -> None:
    """The root cause is never hidden: nobody else reports it, so the check that hit it does."""
    source = "acme_watermark_str_datetime"
    shutil.copytree(acme_root / source, tmp_path / source)
    with (tmp_path / source / "manifest.toml").open("a") as manifest:
        manifest.write('\n[endpoints.tickets.bypass]\n"incremental.server_filter" = "checked by the SDK tests"\n')

    verdicts = {verdict.case.check_id: verdict for verdict in verdicts_for(tmp_path, source, "tickets")}

    assert verdicts["incremental.server_filter"].status == "bypassed"
    assert verdicts["sort.honest"].status == "failed"
    assert "expected the watermark sent in the encoding the vendor's API takes" in (
        verdicts["sort.honest"].message or ""
    )


def test_every_attributed_known_bad_is_in_the_corpus() -> None:
    corpus = {(bad.source_type, bad.check) for bad in KNOWN_BAD}

    assert {(source, owner) for source, (_, owner) in ATTRIBUTED.items()} <= corpus
