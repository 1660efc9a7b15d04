"""One root cause, one failure: a request that diverges from the recording is failed once, by the check that owns
what differs; every other check whose runs hit it is `blocked by` that check in one line."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from acme_vendor.known_bad import KNOWN_BAD

from harness.checks.attribution import CREDENTIALS, EARLIEST, PAGINATION, SORT, WATERMARK, attribute
from harness.fixtures.har import HarEntry, HarRequest, HarResponse, write_har
from harness.replay.base import Unmatched, WireRequest
from harness.replay.matching import request_key
from harness.suite.suite import Suite, Verdict
from sources.common.scrub import REDACTED
from sources.common.typings import SourceInputs

MODEL_CHECKS = {"resume.under_drift", "pagination.under_drift", "incremental.same_instant"}
ATTRIBUTED = {
    "acme_watermark_str_datetime": ("tickets", "incremental.server_filter"),
    "acme_asks_newest_first": ("tickets", "sort.honest"),
    "acme_token_in_query": ("tickets", "credentials.placement"),
    "acme_agents_from_page_zero": ("agents", "pagination.complete"),
}


def verdicts_for(root: Path, source_type: str, endpoint: str) -> list[Verdict]:
    suite = Suite(root)
    cases = [case for case in suite.cases([source_type]) if case.endpoint in (endpoint, None)]
    return [suite.execute(case) for case in cases]


@pytest.mark.parametrize("source_type", sorted(ATTRIBUTED))
def test_the_owner_fails_once_and_every_other_check_it_stops_is_blocked_by_it(
    acme_recorded_each_way: tuple[Path, Path, dict[str, str]], source_type: str
) -> None:
    good_root = acme_recorded_each_way[0]  # a regression after recording: the good source's fixtures
    endpoint, owner = ATTRIBUTED[source_type]
    verdicts = verdicts_for(good_root, source_type, endpoint)
    # The drift checks and incremental.same_instant run against the vendor model, not the recording: there is no
    # recording to diverge from.
    failed = [v.case.check_id for v in verdicts if v.status == "failed" and v.case.check_id not in MODEL_CHECKS]
    blocked = [verdict for verdict in verdicts if verdict.status == "blocked"]

    assert failed == [owner]
    assert len(blocked) >= 2
    assert {verdict.blocked_by for verdict in blocked} == {owner}
    for verdict in blocked:
        message = verdict.message or ""
        where = f"{source_type}/{verdict.case.endpoint or '-'} [{verdict.case.check_id}]"
        assert message.startswith(f"{where}: blocked by {owner} (")
        assert "\n" not in message
    for verdict in verdicts:
        assert "harness record" not in (verdict.message or "") and "re-record" not in (verdict.message or "")


def test_the_fix_says_what_the_request_should_have_been(
    acme_recorded_each_way: tuple[Path, Path, dict[str, str]],
) -> None:
    verdicts = verdicts_for(acme_recorded_each_way[0], "acme_watermark_str_datetime", "tickets")
    owner = next(verdict for verdict in verdicts if verdict.status == "failed")
    fix = (owner.message or "").split("\n  fix: ")[1]

    assert fix.startswith("send updated_since='20") and "T" in fix.split("'")[1] and fix.split("'")[1].endswith("Z")


def test_a_blocked_check_fails_in_full_when_its_owner_is_bypassed(
    acme_recorded_each_way: tuple[Path, Path, dict[str, str]], tmp_path: Path
) -> None:
    """The root cause is never hidden: nobody else reports it, so the check that hit it does."""
    source = "acme_watermark_str_datetime"
    shutil.copytree(acme_recorded_each_way[0] / source, tmp_path / source)
    with (tmp_path / source / "manifest.toml").open("a") as manifest:
        manifest.write('\n[endpoints.tickets.bypass]\n"incremental.server_filter" = "checked by the SDK tests"\n')

    verdicts = {verdict.case.check_id: verdict for verdict in verdicts_for(tmp_path, source, "tickets")}

    assert verdicts["incremental.server_filter"].status == "bypassed"
    assert verdicts["sort.honest"].status == "failed"
    assert "expected the watermark sent in the encoding the vendor's API takes" in (
        verdicts["sort.honest"].message or ""
    )


def test_every_attributed_known_bad_is_in_the_corpus() -> None:
    corpus = {(bad.source_type, bad.expected("good")[0]) for bad in KNOWN_BAD}

    assert {(source, owner) for source, (_, owner) in ATTRIBUTED.items()} <= corpus


# -- the attribution itself, on hand-made requests ---------------------------------------------------------------

BASE = "https://api.vendor.test/v1/items"


def _miss(url: str) -> Unmatched:
    key = request_key("GET", url, None, None)
    wire = WireRequest(index=0, method="GET", url=url, headers=(), body=None, timeout=10, key=key)
    return Unmatched(request=wire, closest=(), already_served=False, after_last_page=False)


def _har(tmp_path: Path, *urls: str) -> Path:
    entries = [HarEntry(HarRequest("GET", url), HarResponse(200, body="[]")) for url in urls]
    path = tmp_path / "scenario.har"
    write_har(path, entries, {"name": "test", "version": "1"})
    return path


INPUTS = SourceInputs(
    schema_name="items",
    team_id=1,
    job_id="job",
    db_incremental_field_last_value="2024-03-01T00:00:00Z",
    db_incremental_field_earliest_value=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
)


@pytest.mark.parametrize(
    ("sent", "recorded", "owner", "parameter"),
    [
        ("?since=2024-03-01 00:00:00+00:00&limit=10", "?since=2024-03-01T00:00:00Z&limit=10", WATERMARK, "since"),
        ("?since=1709251200&limit=10", "?since=1709251200000&limit=10", WATERMARK, "since"),
        ("?before=2024-01-01&limit=10", "?before=2024-01-01T00:00:00Z&limit=10", EARLIEST, "before"),
        ("?order=desc&limit=10", "?order=asc&limit=10", SORT, "order"),
        ("?sort_by=created&limit=10", "?sort_by=updated&limit=10", SORT, "sort_by"),
        ("?page=0&per_page=10", "?page=1&per_page=10", PAGINATION, "page"),
        ("?starting_after=it_7&limit=10", "?starting_after=it_6&limit=10", PAGINATION, "starting_after"),
        (f"?api_key={REDACTED}&limit=10", "?limit=10", CREDENTIALS, "api_key"),
        (
            "?limit=10&since=2024-03-02T00:00:00Z&api_key=k",
            "?limit=10&since=2024-03-01T00:00:00Z",
            CREDENTIALS,
            "api_key",
        ),
        ("?limit=10&expand=owner", "?limit=10", None, "expand"),
    ],
)
def test_what_differs_decides_the_owner(
    tmp_path: Path, sent: str, recorded: str, owner: str | None, parameter: str
) -> None:
    har = _har(tmp_path, f"{BASE}?limit=10&other=1", BASE + recorded)

    divergence = attribute(_miss(BASE + sent), har, (), INPUTS)

    assert (divergence.owner, divergence.parameter) == (owner, parameter)
    assert divergence.closest is not None and divergence.closest.describe().startswith(f"GET {BASE}")


def test_another_path_belongs_to_nobody(tmp_path: Path) -> None:
    har = _har(tmp_path, f"{BASE}?limit=10")

    divergence = attribute(_miss("https://api.vendor.test/v1/other?limit=10"), har, (), INPUTS)

    assert divergence.owner is None and divergence.parameter is None


def test_a_watermark_inside_a_json_filter_body_is_found(tmp_path: Path) -> None:
    def entry(body: str) -> HarEntry:
        return HarEntry(HarRequest("POST", BASE, body=body, mime_type="application/json"), HarResponse(200))

    path = tmp_path / "search.har"
    write_har(path, [entry('{"filters": [{"gte": "2024-03-01T00:00:00Z"}], "limit": 10}')], {"name": "t"})
    live = '{"filters": [{"gte": "2024-03-01 00:00:00"}], "limit": 10}'
    key = request_key("POST", BASE, live, "application/json")
    wire = WireRequest(index=0, method="POST", url=BASE, headers=(), body=live, timeout=10, key=key)
    miss = Unmatched(request=wire, closest=(), already_served=False, after_last_page=False)

    divergence = attribute(miss, path, (), INPUTS)

    assert (divergence.owner, divergence.parameter) == (WATERMARK, "body.filters")


def test_a_json_list_body_is_compared_whole(tmp_path: Path) -> None:
    path = tmp_path / "batch.har"
    recorded = HarEntry(HarRequest("POST", BASE, body="[1, 2]", mime_type="application/json"), HarResponse(200))
    write_har(path, [recorded], {"name": "t"})
    key = request_key("POST", BASE, "[1, 3]", "application/json")
    wire = WireRequest(index=0, method="POST", url=BASE, headers=(), body="[1, 3]", timeout=10, key=key)

    divergence = attribute(Unmatched(wire, (), False, False), path, (), INPUTS)

    assert (divergence.owner, divergence.parameter) == (None, "body")


def test_a_watermark_in_another_encoding_blocks_honours_field_behind_the_encoding_check(
    acme_recorded_each_way: tuple[Path, Path, dict[str, str]],
) -> None:
    self_root = acme_recorded_each_way[1]  # recorded through the bug, as its author would have
    verdicts = {v.case.check_id: v for v in verdicts_for(self_root, "acme_watermark_isoformat", "tickets")}
    assert verdicts["incremental.watermark_encoding"].status == "failed"
    honours = verdicts["incremental.honours_field"]
    assert (honours.status, honours.blocked_by) == ("blocked", "incremental.watermark_encoding"), honours.message
    assert "sends the watermark of 'updated_at' but not as" in (honours.message or "")
