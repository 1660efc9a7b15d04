"""The keyset pagination contract: a listing read again from its last row (GitHub's `since`, a HubSpot search
filtered on last-modified and hs_object_id). Declared from the vendor's documentation; the walk checks that each
re-query carries the position of the last row of the page before it, and that a short page ends the listing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.fixtures.manifest import ManifestError, load_manifest
from harness.fixtures.pagination import Call, parse_contract
from harness.fixtures.pagination_walk import unfollowed_last_offer, walk

API = "https://api.vendor.test/v1/issues"
GITHUB_LIKE = {
    "style": "keyset",
    "position": "since",
    "position_from": "updated_at",
    "compare": "gte",
    "encoding": "iso8601-z",
    "limit_param": "per_page",
    "link_header": True,
    "items": "@",
}
GT = "filterGroups[].filters[] | [?propertyName=='modified' && operator=='GT'].value | [0]"
TIE = "filterGroups[].filters[] | [?propertyName=='hs_object_id' && operator=='GT'].value | [0]"
HUBSPOT_LIKE = {
    "style": "keyset",
    "position": GT,
    "position_from": "properties.modified",
    "compare": "gt",
    "tie": TIE,
    "tie_from": "id",
    "encoding": "epoch-ms",
    "limit_param": "limit",
    "cursor": "paging.next.after",
    "cursor_param": "after",
    "items": "results",
    "total": "total",
}


def get(since: str | None, rows: list[dict[str, str]], link: str | None = None, per_page: int = 3) -> Call:
    """A page of the GitHub-like vendor: a full page carries `Link: rel="next"` (page 2 of the same query)."""
    url = f"{API}?per_page={per_page}" + (f"&since={since}" if since else "")
    link = link or (f"{url}&page=2" if len(rows) == per_page else None)
    headers = (("Link", f'<{link}>; rel="next"'),) if link else ()
    return Call("GET", url, None, 200, headers, json.dumps(rows))


def issue(number: int, stamp: str) -> dict[str, str]:
    return {"id": str(number), "updated_at": stamp}


PAGE_1 = [issue(1, "2024-01-01T00:00:00Z"), issue(2, "2024-01-02T00:00:00Z"), issue(3, "2024-01-03T00:00:00Z")]
PAGE_2 = [issue(3, "2024-01-03T00:00:00Z"), issue(4, "2024-01-03T00:00:00Z"), issue(5, "2024-01-04T00:00:00Z")]
LAST = [issue(5, "2024-01-04T00:00:00Z")]


def test_each_re_query_from_the_last_row_with_ties_dropped_and_a_short_page_ending_it_passes() -> None:
    contract = parse_contract(GITHUB_LIKE)
    calls = [get(None, PAGE_1), get("2024-01-03T00:00:00Z", PAGE_2), get("2024-01-04T00:00:00Z", LAST)]

    assert walk(contract, calls) is None
    assert unfollowed_last_offer(contract, calls) is None


def test_the_first_rows_position_names_the_row_it_was_taken_from_and_the_one_expected() -> None:
    finding = walk(parse_contract(GITHUB_LIKE), [get(None, PAGE_1), get("2024-01-01T00:00:00Z", PAGE_1)])

    assert finding is not None and finding.kind == "position"
    assert "request #2 GET" in finding.text
    assert "the updated_at of row 1 of 3 (id='1', the first row); expected since='2024-01-03T00:00:00Z'" in finding.text
    assert "the last row (id='3') of the page request #1 GET" in finding.text


def test_a_position_one_second_after_the_last_row_skips_its_ties() -> None:
    finding = walk(parse_contract(GITHUB_LIKE), [get(None, PAGE_1), get("2024-01-03T00:00:01Z", LAST)])

    assert finding is not None and finding.kind == "position"
    assert "+1s from the last row's updated_at (rows at the last row's value not yet received are skipped)" in (
        finding.text
    )


def test_a_re_query_without_a_position_is_a_skip_but_the_vendors_own_next_page_may_be_followed() -> None:
    contract = parse_contract(GITHUB_LIKE)
    link = f"{API}?per_page=3&page=2"
    followed = [get(None, PAGE_1, link=link), Call("GET", link, None, 200, (), json.dumps(LAST))]
    restarted = [get(None, PAGE_1), get(None, PAGE_1)]

    assert walk(contract, followed) is None
    finding = walk(contract, restarted)
    assert finding is not None and finding.kind == "skipped" and "carries no since" in finding.text


def test_a_short_page_ends_the_listing_and_a_full_one_must_be_continued() -> None:
    contract = parse_contract(GITHUB_LIKE)
    past_end = walk(contract, [get(None, PAGE_1[:2]), get("2024-01-02T00:00:00Z", PAGE_1[1:2])])
    stopped = walk(contract, [get(None, PAGE_1)])

    assert past_end is not None and past_end.kind == "past_end"
    assert "was the last page (the vendor offered no next page): 2 row(s) where per_page=3 was asked for" in (
        past_end.text
    )
    assert stopped is not None and stopped.kind == "stopped"
    assert "the sync stopped while the vendor offered more" in stopped.text
    assert walk(contract, [get(None, PAGE_1)], truncated=True) is None
    refused = unfollowed_last_offer(contract, [get(None, PAGE_1)])
    assert refused is not None and "returned 3 row(s)" in refused.text


COUNTING = {
    "style": "keyset",
    "position": "since",
    "position_from": "updated_at",
    "compare": "gte",
    "encoding": "iso8601-z",
    "limit_param": "limit",
    "items": "data",
}


def counted(since: str | None, rows: list[dict[str, str]], offset: int = 0, total: int = 0, page: int = 1) -> Call:
    """A page of a vendor that counts rows (offset and total, or page and page count), filtered by `since`."""
    url = f"{API}?limit=3&offset={offset}&page={page}" + (f"&since={since}" if since else "")
    body = {"data": rows, "total": total, "page_count": -(-total // 3)}
    return Call("GET", url, None, 200, (), json.dumps(body))


@pytest.mark.parametrize(
    "counts", [{"offset_param": "offset", "total": "total"}, {"page_param": "page", "page_count": "page_count"}]
)
def test_a_counting_vendor_ends_a_keyset_query_when_its_total_or_page_count_is_reached(counts) -> None:
    contract = parse_contract(COUNTING | counts)
    # Page 1 of 6 rows, then the re-query from its last row: 4 rows match, 3 come back and one page is left.
    ended = [counted(None, PAGE_1, total=6), counted("2024-01-03T00:00:00Z", PAGE_2[:3], total=3)]
    assert walk(contract, ended) is None
    more = [counted(None, PAGE_1, total=6), counted("2024-01-03T00:00:00Z", PAGE_2[:3], total=4)]
    stopped = walk(contract, more)
    assert stopped is not None and stopped.kind == "stopped"
    without = walk(parse_contract(COUNTING), ended)
    assert without is not None and without.kind == "stopped"  # undeclared, a full last page offers more


def search(after: tuple[int, str] | None, rows: list[tuple[str, int]], total: int, more: bool = True) -> Call:
    groups: list[dict[str, object]] = []
    if after is not None:
        modified, key = after
        groups = [
            {"filters": [{"propertyName": "modified", "operator": "GT", "value": str(modified)}]},
            {
                "filters": [
                    {"propertyName": "modified", "operator": "EQ", "value": str(modified)},
                    {"propertyName": "hs_object_id", "operator": "GT", "value": key},
                ]
            },
        ]
    body = {
        "results": [{"id": key, "properties": {"modified": stamp}} for stamp, key in rows],
        "total": total,
        **({"paging": {"next": {"after": "2"}}} if more else {}),
    }
    request = json.dumps({"filterGroups": groups, "limit": 2})
    return Call("POST", "https://api.vendor.test/search", request, 200, (), json.dumps(body))


FIRST = [("2024-01-01T00:00:00.000Z", 7), ("2024-01-01T00:00:00.500Z", 9)]
SECOND = [("2024-01-01T00:00:00.500Z", 11), ("2024-01-02T00:00:00.000Z", 3)]
FIRST_MS = 1704067200500  # 2024-01-01T00:00:00.500Z


def test_a_strict_search_needs_the_last_rows_value_and_tie_break_key() -> None:
    contract = parse_contract(HUBSPOT_LIKE)
    good = [search(None, FIRST, 3), search((FIRST_MS, "9"), SECOND[:1], 1, more=False)]
    wrong_tie = [search(None, FIRST, 3), search((FIRST_MS, "7"), SECOND[:1], 1, more=False)]
    no_tie = search(None, FIRST, 3)
    strict_only = Call(
        "POST",
        no_tie.url,
        json.dumps(
            {
                "filterGroups": [{"filters": [{"propertyName": "modified", "operator": "GT", "value": str(FIRST_MS)}]}],
                "limit": 2,
            }
        ),
        200,
        (),
        json.dumps({"results": [], "total": 0}),
    )

    assert walk(contract, good) is None
    finding = walk(contract, wrong_tie)
    assert finding is not None and finding.kind == "position"
    assert f"carries {TIE}='7'; expected {TIE}=9, the id of the last row of the page request #1" in finding.text
    finding = walk(contract, [no_tie, strict_only])
    assert finding is not None and finding.kind == "position"
    assert "under a strict comparison without the tie-break" in finding.text


@pytest.mark.parametrize(
    ("table", "complaint"),
    [
        ('style = "keyset"\nposition = "since"\nposition_from = "updated_at"\nitems = "@"', "needs `compare`"),
        (
            'style = "keyset"\nposition = "since"\nposition_from = "u"\ncompare = "ge"\nitems = "@"',
            "`compare` is 'ge'; expected 'gte' or 'gt'",
        ),
        (
            'style = "keyset"\nposition = "since"\nposition_from = "u"\ncompare = "gt"\nitems = "@"',
            "`compare` = 'gt' needs `tie` and `tie_from`",
        ),
        (
            'style = "keyset"\nposition = "since"\nposition_from = "u"\ncompare = "gte"\nitems = "@"\n'
            'encoding = "epoch-days"',
            "`encoding`: ",
        ),
        (
            'style = "keyset"\nposition = "since"\nposition_from = "u"\ncompare = "gte"\nitems = "@"\n'
            'link_header = "yes"',
            "`link_header` must be true or false",
        ),
    ],
)
def test_a_broken_keyset_table_is_one_line_naming_the_file_and_key(tmp_path: Path, table: str, complaint: str):
    (tmp_path / "e").mkdir()
    (tmp_path / "e" / "full.har").write_text('{"log": {"entries": []}}')
    (tmp_path / "manifest.toml").write_text(
        f'source = "x"\n[endpoints.e.pagination]\n{table}\n[endpoints.e.scenarios.full]\nhar = "e/full.har"\n'
    )

    with pytest.raises(ManifestError) as caught:
        load_manifest(tmp_path)

    assert complaint in str(caught.value) and "\n" not in str(caught.value)
    assert "manifest.toml" in str(caught.value)


def test_the_keyset_connectors_declare_their_paging_instead_of_bypassing_the_check() -> None:
    fixtures = Path(__file__).parents[2] / "fixtures"
    for source, endpoints in (("github", ["issues"]), ("hubspot", ["contacts", "companies", "deals"])):
        manifest = load_manifest(fixtures / source)
        for name in endpoints:
            endpoint = manifest.endpoints[name]
            assert endpoint.pagination is not None and endpoint.pagination.style == "keyset", (source, name)
            assert "pagination.follows_vendor" not in endpoint.bypass, (source, name)
