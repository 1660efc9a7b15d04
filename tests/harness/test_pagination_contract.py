"""The vendor's pagination contract: manifest validation, what a response offers, and the walk over a sync."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from acme_vendor.dataset import AcmeData
from acme_vendor.recording import PAGINATION, config
from acme_vendor.simulator import simulator

from harness.fixtures.manifest import ManifestError, load_manifest, load_pagination
from harness.fixtures.pagination import Call, parse_contract
from harness.fixtures.pagination_walk import unfollowed_last_offer, walk
from harness.recording.recorder import Recorder, RecordingError

API = "https://api.vendor.test/v1"


def call(url: str, body: object = None, status: int = 200, method: str = "GET", request_body: object = None, **headers):
    return Call(
        method,
        url,
        json.dumps(request_body) if request_body is not None else None,
        status,
        tuple(headers.items()),
        json.dumps(body) if body is not None else None,
    )


# -- the manifest ---------------------------------------------------------------------------------------------------
def write_manifest(directory: Path, pagination: str, scenario_extra: str = "") -> Path:
    (directory / "e").mkdir(parents=True, exist_ok=True)
    (directory / "e" / "full.har").write_text('{"log": {"entries": []}}')
    (directory / "manifest.toml").write_text(
        f'source = "x"\n[endpoints.e.pagination]\n{pagination}\n'
        f'[endpoints.e.scenarios.full]\nhar = "e/full.har"\n{scenario_extra}\n'
    )
    return directory


@pytest.mark.parametrize(
    ("table", "complaint"),
    [
        ('style = "pages"', "`style` is 'pages'; known: none, link-header"),
        ('style = "cursor"\ncursor = "next"', "style 'cursor' needs `cursor_param`"),
        ('style = "link-header"\nnext_url = "links.next"', "`next_url` does not apply to style 'link-header'"),
        ('style = "next-url"\nnext_url = "links.["', "`next_url` = 'links.[' is not a JMESPath expression"),
        ('style = "json-api"\ntotal = "meta.total"\nitems = ""', "`items` must be a non-empty string"),
        ('style = "cursor"\ncursor = "c"\ncursor_param = "c"\ncursor_in = "header"', "`cursor_in` is 'header'"),
        ('style = "page-number"\npage_param = "page"\ntotal = "total"', "`total` needs `items`"),
    ],
)
def test_a_broken_pagination_table_is_one_line_naming_the_file_and_key(tmp_path: Path, table: str, complaint: str):
    write_manifest(tmp_path, table)

    with pytest.raises(ManifestError) as caught:
        load_manifest(tmp_path)

    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'manifest.toml'} [endpoints.e.pagination]: ")
    assert complaint in message
    assert "\n" not in message


def test_a_truncated_scenario_needs_a_reason(tmp_path: Path) -> None:
    write_manifest(tmp_path, 'style = "link-header"', 'truncated = "short"')

    with pytest.raises(ManifestError, match=r"scenario 'full' `truncated` needs a written reason"):
        load_manifest(tmp_path)


def test_the_manifest_carries_the_contract_and_the_truncation(tmp_path: Path) -> None:
    write_manifest(tmp_path, 'style = "json-api"', 'truncated = "the vendor never stops offering pages"')

    endpoint = load_manifest(tmp_path).endpoints["e"]
    contracts, truncated = load_pagination(tmp_path / "manifest.toml")

    assert endpoint.pagination == contracts["e"] == parse_contract({"style": "json-api"})
    assert endpoint.pagination.next_url == "links.next"
    assert endpoint.scenarios["full"].truncated == truncated[("e", "full")] == "the vendor never stops offering pages"


def test_every_connector_declares_its_vendors_pagination_for_every_endpoint() -> None:
    from harness.paths import FIXTURES_ROOT

    missing = [
        f"{directory.name}/{name}"
        for directory in sorted(FIXTURES_ROOT.iterdir())
        if (directory / "manifest.toml").is_file()
        for name, endpoint in load_manifest(directory).endpoints.items()
        if endpoint.pagination is None
    ]

    assert missing == []


# -- what one response offers ----------------------------------------------------------------------------------------
def test_cursor_offers_the_same_request_with_the_cursor_in_the_query_or_the_body() -> None:
    contract = parse_contract({"style": "cursor", "cursor": "paging.next.after", "cursor_param": "after"})
    page = {"results": [], "paging": {"next": {"after": "10"}}}

    in_query = contract.offer(call(f"{API}/contacts?limit=10", page))
    in_body = contract.offer(call(f"{API}/search", page, method="POST", request_body={"limit": 10}))

    assert in_query is not None and in_query.request.query == (("after", "10"), ("limit", "10"))
    assert in_body is not None and in_body.request.body == {"limit": 10, "after": "10"}
    assert contract.offer(call(f"{API}/contacts?limit=10", {"results": []})) is None


def test_has_more_false_ends_the_listing_whatever_else_the_page_says() -> None:
    contract = parse_contract({"style": "next-url", "next_url": "after_url", "has_more": "!end_of_stream"})

    assert contract.offer(call(f"{API}/export", {"after_url": f"{API}/export?c=2", "end_of_stream": True})) is None
    offer = contract.offer(call(f"{API}/export", {"after_url": f"{API}/export?c=2", "end_of_stream": False}))
    assert offer is not None and offer.request.query == (("c", "2"),)


def test_offset_and_page_number_end_on_the_total_the_page_count_or_a_short_page() -> None:
    offset = parse_contract(
        {"style": "offset", "offset_param": "offset", "limit_param": "limit", "items": "rows", "total": "total"}
    )
    pages = parse_contract({"style": "page-number", "page_param": "page", "page_count": "pages"})
    short = parse_contract({"style": "page-number", "page_param": "p", "limit_param": "size", "items": "@"})

    following = offset.offer(call(f"{API}/x?offset=10&limit=10", {"rows": [1] * 10, "total": 25}))
    assert following is not None and ("offset", "20") in following.request.query
    assert offset.offer(call(f"{API}/x?offset=20&limit=10", {"rows": [1] * 5, "total": 25})) is None
    assert pages.offer(call(f"{API}/x?page=3", {"pages": 3})) is None
    assert pages.offer(call(f"{API}/x?page=2", {"pages": 3})) is not None
    assert short.offer(call(f"{API}/x?p=2&size=3", [1, 2])) is None
    assert short.offer(call(f"{API}/x?p=2&size=3", [1, 2, 3])) is not None


# -- the walk over a sync --------------------------------------------------------------------------------------------
LINK = parse_contract({"style": "link-header"})


def linked(page: int, last: int, path: str = "items") -> Call:
    headers = {"Link": f'<{API}/{path}?page={page + 1}>; rel="next"'} if page < last else {}
    return call(f"{API}/{path}?page={page}", [page], **headers)


def test_a_skipped_page_names_the_page_offered_and_the_request_made_instead() -> None:
    finding = walk(LINK, [linked(1, 4), linked(2, 4), linked(4, 4)])

    assert finding is not None and finding.kind == "skipped"
    assert f"request #2 GET {API}/items?page=2 was answered with the next page GET {API}/items?page=3" in finding.text
    assert f"the next request was request #3 GET {API}/items?page=4 instead" in finding.text


def test_stopping_while_a_page_is_offered_fails_unless_the_scenario_is_truncated() -> None:
    calls = [linked(1, 3), linked(2, 3)]

    finding = walk(LINK, calls)

    assert finding is not None and finding.kind == "stopped"
    assert f"next page GET {API}/items?page=3" in finding.text
    assert walk(LINK, calls, truncated=True) is None
    assert unfollowed_last_offer(LINK, calls) is not None
    assert unfollowed_last_offer(LINK, [*calls, linked(3, 3)]) is None


def test_asking_past_the_last_page_fails() -> None:
    contract = parse_contract({"style": "starting-after"})
    first = call(f"{API}/t?limit=2", {"data": [{"id": "a"}, {"id": "b"}], "has_more": True})
    last = call(f"{API}/t?limit=2&starting_after=b", {"data": [{"id": "c"}], "has_more": False})
    beyond = call(f"{API}/t?limit=2&starting_after=c", {"data": [], "has_more": False})

    finding = walk(contract, [first, last, beyond])

    assert finding is not None and finding.kind == "past_end"
    assert "request #2" in finding.text and "request #3" in finding.text
    assert walk(contract, [first, last]) is None


def test_interleaved_listings_a_retried_page_and_a_new_listing_on_the_same_path_are_fine() -> None:
    calls = [
        linked(1, 2, "a"),
        linked(1, 2, "b"),
        call(f"{API}/b?page=2", {"error": "busy"}, status=503),
        linked(2, 2, "b"),
        linked(2, 2, "a"),
        linked(1, 1, "a"),
    ]

    assert walk(LINK, calls) is None


def test_the_rows_of_a_listing_must_add_up_to_the_stated_total() -> None:
    contract = parse_contract(
        {"style": "page-number", "page_param": "page", "page_count": "pages", "items": "items", "total": "total"}
    )

    def page(number: int, rows: int) -> Call:
        return call(f"{API}/forms?page={number}", {"items": [0] * rows, "pages": 2, "total": 15})

    assert walk(contract, [page(1, 10), page(2, 5)]) is None
    finding = walk(contract, [page(1, 10), page(2, 3)])
    assert finding is not None and finding.kind == "total"
    assert "states a total of 15 rows; its pages carried 13" in finding.text


# -- the recorder ----------------------------------------------------------------------------------------------------
def test_the_recorder_refuses_a_scenario_that_stops_while_a_page_is_offered_unless_declared_truncated(
    tmp_path: Path, acme_registered: None
) -> None:
    data = AcmeData.generate()
    contracts = {endpoint: parse_contract(table) for endpoint, table in PAGINATION.items()}
    recorder = Recorder("acme_stops_after_first_page", config(data), "test", tmp_path, pagination=contracts)

    with pytest.raises(RecordingError) as refused:
        recorder.record_sync("tickets", "full", simulator(data), incremental_field="updated_at")

    assert "refusing to write a scenario that ends while the vendor offers more" in str(refused.value)
    assert "(has_more=true, next_cursor=" in str(refused.value)
    assert not (tmp_path / "tickets" / "full.har").exists()
    written = recorder.record_sync(
        "tickets", "full", simulator(data), incremental_field="updated_at", truncated="only the first page, on purpose"
    )
    assert written.is_file()


# -- the check, end to end -------------------------------------------------------------------------------------------
def test_a_recording_whose_rows_do_not_add_up_to_the_vendors_total_fails(tmp_path: Path) -> None:
    from harness.paths import FIXTURES_ROOT
    from harness.suite.api import run_check

    shutil.copytree(FIXTURES_ROOT / "typeform", tmp_path / "typeform")
    har = tmp_path / "typeform" / "forms" / "full.har"
    document = json.loads(har.read_text())
    content = document["log"]["entries"][-1]["response"]["content"]
    body = json.loads(content["text"])
    body["items"] = body["items"][:-1]
    content["text"] = json.dumps(body)
    har.write_text(json.dumps(document))

    verdict = run_check("typeform", "forms", "pagination.follows_vendor", fixtures_root=tmp_path)

    assert verdict.status == "failed"
    assert "states a total of 47 rows; its pages carried 46" in (verdict.message or "")
    assert "the recording scenario 'full' (forms/full.har)" in (verdict.message or "")


def test_an_endpoint_without_a_declared_contract_fails_naming_the_table(acme_root: Path, tmp_path: Path) -> None:
    from acme_vendor.corpus import GOOD

    from harness.suite.api import run_check

    shutil.copytree(acme_root / GOOD, tmp_path / GOOD)
    manifest = tmp_path / GOOD / "manifest.toml"
    manifest.write_text(manifest.read_text().replace('[endpoints.agents.pagination]\nstyle = "link-header"\n', ""))

    verdict = run_check(GOOD, "agents", "pagination.follows_vendor", fixtures_root=tmp_path)

    assert verdict.status == "failed"
    assert f"{manifest} has no [endpoints.agents.pagination]" in (verdict.message or "")
