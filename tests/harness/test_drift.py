"""Vendor models, the replay backend that answers from them, and the drift runs the two drift checks read."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import requests
from acme_vendor.corpus import GOOD
from acme_vendor.dataset import AcmeData
from acme_vendor.model import vendor_model

import sources  # noqa: F401  (registers the connectors: github below)
from harness.checks import applies
from harness.inventory.matrix import Outcome, build_matrix
from harness.inventory.model import SourceEntry
from harness.inventory.render import NO_SIMULATOR, _matrix
from harness.paths import FIXTURES_ROOT
from harness.replay.faults import server_error
from harness.replay.simulated import SimulatedReplay
from harness.runs import drift
from harness.simulators.loader import has_model
from harness.suite.api import run_check
from harness.suite.suite import Suite
from sources.common.clock import FakeClock, use_clock
from sources.common.http import make_tracked_session

TICKETS = "https://api.acme-helpdesk.test/v1/tickets"
AUTH = {"Authorization": "Bearer fake-acme-token-0001"}


def ticket_ids(response: requests.Response) -> list[str]:
    return [row["id"] for row in response.json()["data"]]


def test_a_model_answers_against_its_current_version() -> None:
    model = vendor_model(AcmeData.generate())
    tickets = model.endpoint("tickets")
    first = tickets.row_keys()[0]
    before = tickets.version(first)
    change = model.update("tickets", first)
    assert model.version == 2 and change.kind == "update"
    assert tickets.version(first) > before, "an update moves the last-modified time to the model's clock"
    inserted = model.insert("tickets").key
    model.delete("tickets", first)
    assert first not in tickets.row_keys() and inserted in tickets.row_keys()
    assert model.version == 4
    with pytest.raises(NotImplementedError):
        model.delete("events", model.endpoint("events").row_keys()[0])  # an append-only log
    assert model.endpoint("events").mutations == frozenset({"insert"})


def test_the_simulated_backend_serves_the_model_and_changes_it_between_pages() -> None:
    model = vendor_model(AcmeData.generate())
    backend = SimulatedReplay(model)
    moved = model.endpoint("tickets").row_keys()[0][0]
    backend.between_pages(1, lambda: model.update("tickets", (moved,)))
    params = {"limit": 5, "sort_by": "updated_at", "order": "asc"}
    with backend:
        session = make_tracked_session(headers=AUTH)
        page1 = session.get(TICKETS, params=params)
        page2 = session.get(TICKETS, params={**params, "starting_after": ticket_ids(page1)[-1]})
        everything = session.get(TICKETS, params={**params, "limit": 100})
    assert moved in ticket_ids(page1)
    assert ticket_ids(everything)[-1] == moved, "the update ran after the first response: the row moved to the end"
    assert page2.status_code == 200 and moved not in ticket_ids(page2)
    assert [request.page for request in backend.wire_log] == [1, 2, 3]
    assert backend.unconsumed() == () and backend.unmatched == ()
    with pytest.raises(TypeError):
        backend.load([])


def test_the_simulated_backend_injects_faults_like_the_har_backend() -> None:
    backend = SimulatedReplay(vendor_model(AcmeData.generate()))
    backend.inject([server_error(before_page=1)])
    with backend, use_clock(FakeClock()):
        response = make_tracked_session(headers=AUTH).get(TICKETS, params={"limit": 5})
    assert response.status_code == 200, "the retry after the 503 gets the page"
    assert [request.status for request in backend.wire_log] == [503, 200]


def test_drift_is_seeded_and_says_which_side_of_the_crash_each_row_was_on() -> None:
    def changes() -> tuple:
        model = vendor_model(AcmeData.generate())
        delivered = model.endpoint("tickets").row_keys()[:7]
        return drift.apply_drift(model, "tickets", delivered, "acme/tickets/3", ("update", "insert", "delete"))

    first, again = changes(), changes()
    assert first == again, "the same seed makes the same changes"
    kinds = [(change.kind, change.key in first.delivered) for change in first.changes]
    assert kinds == [("update", True), ("update", False), ("insert", False), ("delete", True)]
    assert first.deleted == {first.changes[-1].key}
    assert "(delivered before)" in first.describe(("id",)) and "(not yet delivered)" in first.describe(("id",))


def test_a_resume_under_drift_merges_every_step_into_one_table(acme_root: Path) -> None:
    target = Suite(acme_root).target(GOOD, "tickets")
    record = drift.resume_under_drift(target, 3)
    assert record.crashed.crashed and record.resumed.completed and record.incremental is not None
    table = {row["id"]: row for row in record.table_rows}
    assert {key for (key,) in record.expected} <= set(table)
    assert all(table[key]["updated_at"] == version for (key,), version in record.expected.items())
    delivered, never = (
        {key for key in record.drift.deleted if (key in record.drift.delivered) == side} for side in (True, False)
    )
    assert delivered and delivered <= {(key,) for key in table}, "a deleted row stays in the table (merge keeps it)"
    assert never and never.isdisjoint({(key,) for key in table}), "a row deleted before its batch never arrives"


def test_runs_against_a_model_keep_the_egress_guard(acme_root: Path) -> None:
    record = drift.baseline(Suite(acme_root).target("acme_urllib_egress", "tickets"))
    assert [attempt.host for attempt in record.egress] == ["status.acme-helpdesk.test"]


def test_fixtures_without_a_model_get_no_drift_check(acme_root: Path, tmp_path: Path) -> None:
    root = tmp_path / "fixtures"
    shutil.copytree(acme_root / GOOD, root / GOOD)
    (root / GOOD / "simulator.py").unlink()
    assert not has_model(root / GOOD)
    target = Suite(root).target(GOOD, "tickets")
    assert not applies("resume.under_drift", target) and not applies("pagination.under_drift", target)
    assert applies("resume.under_drift", Suite(acme_root).target(GOOD, "tickets"))


def test_the_matrix_says_not_applicable_no_simulator_never_passed() -> None:
    matrix = build_matrix(
        [
            Outcome("modelled", "a", "resume.under_drift", "pass", None),
            Outcome("recorded", "a", "registry", "pass", None),
            Outcome("modelled", "a", "registry", "pass", None),
        ]
    )
    entries = [
        SourceEntry("modelled", "M", "Implemented", "alpha", None, (), "HTTP", "requests", "tracked", None, (), "m"),
        SourceEntry("recorded", "R", "Implemented", "alpha", None, (), "HTTP", "requests", "tracked", None, (), "r"),
    ]
    entries[0] = SourceEntry(**{**entries[0].__dict__, "vendor_model": True})
    row = next(line for line in _matrix(matrix, entries) if line.startswith("| `resume.under_drift`"))
    assert row == f"| `resume.under_drift` | ✅ | {NO_SIMULATOR} |"


def test_a_resume_under_drift_deletes_the_rows_at_the_edge_of_the_crash(acme_root: Path) -> None:
    target = Suite(acme_root).target(GOOD, "tickets")
    record = drift.resume_under_drift(target, 3)
    last_delivered = (record.crashed.batches[1].rows[-1]["id"],)
    first_not_delivered = (record.crashed.batches[2].rows[0]["id"],)
    assert [change.key for change in record.drift.changes if change.kind == "delete"] == [
        last_delivered,
        first_not_delivered,
    ]
    assert dict(record.drift.roles) == {last_delivered: drift.SAVED_POSITION, first_not_delivered: drift.NEXT_UP}
    assert f"delete id={last_delivered[0]!r} ({drift.SAVED_POSITION})" in record.drift.describe(("id",))
    assert {change.key for change in record.drift.changes if change.kind == "update"}.isdisjoint(
        record.drift.deleted
    ), "the updated rows are other rows"
    assert record.failed_run is None and record.stopped_on is None and record.resumed_errors == ()


def test_a_resume_from_a_deleted_object_fails_naming_the_crash_point_and_the_vendors_answer(acme_root: Path) -> None:
    verdict = run_check("acme_resumes_after_last_id", "tickets", "resume.under_drift", fixtures_root=acme_root)
    first_line = (verdict.message or "").splitlines()[0]
    assert verdict.status == "failed"
    assert first_line.startswith(
        "acme_resumes_after_last_id/tickets [resume.under_drift]: expected the resume after a crash while handling "
        "batch 2 to survive the vendor's changes while the source was down, but the resumed run failed: GET "
        "https://api.acme-helpdesk.test/v1/tickets?"
    )
    deleted = re.search(r"starting_after=(tkt_\d+)", first_line)
    assert deleted is not None
    assert f'answered 400: {{"error": {{"code": "invalid_param", "message": "No such ticket: {deleted[1]}"}}}}' in (
        first_line
    )
    assert f"delete id={deleted[1]!r} ({drift.SAVED_POSITION})" in verdict.message
    assert "Per crash point: k=2: failed (400), k=3: failed (400)" in verdict.message


def _with_config(acme_root: Path, tmp_path: Path, source_type: str, page_size: int) -> Path:
    """A copy of `source_type`'s Acme fixtures whose manifest asks for `page_size` rows per request."""
    root = tmp_path / "fixtures"
    shutil.copytree(acme_root / source_type, root / source_type)
    manifest = root / source_type / "manifest.toml"
    text = manifest.read_text()
    assert "page_size = 5" in text
    manifest.write_text(text.replace("page_size = 5", f"page_size = {page_size}", 1))
    return root


def test_one_page_at_the_manifests_page_size_is_split_by_a_smaller_one(acme_root: Path, tmp_path: Path) -> None:
    """At page_size 50 the 23 tickets fit one page: no boundary to drift across. The drift runs lower the page size
    (to 6: about 4 pages), so a page-number paginator is caught instead of passing vacuously."""
    root = _with_config(acme_root, tmp_path, "acme_saves_page_number", 50)
    target = Suite(root).target("acme_saves_page_number", "tickets")
    assert len(drift.baseline(target).batches) == 1
    paged = drift.paged_baseline(target)
    assert (paged.page_size, paged.configured, len(paged.run.batches), paged.boundaries) == (6, 50, 4, (1, 2, 3))
    verdict = run_check("acme_saves_page_number", "tickets", "pagination.under_drift", fixtures_root=root)
    assert verdict.status == "failed", verdict.message
    assert "(run at page_size=6: the manifest's 50 gives fewer page boundaries)" in (verdict.message or "")


def test_the_good_source_passes_at_the_smaller_page_size_too(acme_root: Path, tmp_path: Path) -> None:
    root = _with_config(acme_root, tmp_path, GOOD, 50)
    verdict = run_check(GOOD, "tickets", "pagination.under_drift", fixtures_root=root)
    assert verdict.status == "passed", verdict.message
    assert drift.paged_baseline(Suite(root).target(GOOD, "tickets")).page_size == 6


def test_page_boundaries_are_where_a_listing_continues(acme_root: Path) -> None:
    tickets = drift.baseline(Suite(acme_root).target(GOOD, "tickets"))
    assert drift.page_boundaries(tickets) == list(range(1, len(tickets.batches)))
    one_page = drift.baseline(Suite(acme_root).target("acme_pages_by_number_at_max", "tickets"))
    assert len(one_page.batches) == 1 and drift.page_boundaries(one_page) == []


def test_an_endpoint_that_is_not_paged_is_inconclusive_even_at_a_smaller_page_size() -> None:
    """github/repositories: one GET per repository. Lowering the page size (to 1) adds no boundary, and the
    manifest bypasses the check with that reason; run anyway, it is inconclusive, never a pass."""
    paged = drift.paged_baseline(Suite(FIXTURES_ROOT).target("github", "repositories"))
    assert (paged.boundaries, paged.page_size, paged.tried, len(paged.run.batches)) == ((), None, 1, 2)
    verdict = run_check("github", "repositories", "pagination.under_drift", fixtures_root=FIXTURES_ROOT)
    assert verdict.status == "inconclusive"
    assert "(2 batch(es) from 2 request(s) on 2 path(s), at the manifest page size and at page_size=1)" in (
        verdict.message or ""
    )
