"""KeysetPaginator: a vendor that pages by offset or page number, read by position.

A fake vendor lists rows sorted by (`updated_at`, `id`) with an inclusive `updated_since` filter and pages by
offset or page number. For any dataset (ties included, also ties longer than a page) and page size: every row
exactly once and in order. While rows are edited, created and deleted between pages, every row that existed
before the change and still exists is handed over, where the vendor's own offset paginator skips some. A
saved request resumes the position.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
import responses
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sources.common.http import make_tracked_session
from sources.common.rest_source import (
    BasePaginator,
    KeysetPaginator,
    OffsetPaginator,
    PageNumberPaginator,
    PageRequest,
    RESTClient,
)

BASE = "https://api.example.test"
Row = dict[str, Any]
Change = Callable[["Vendor"], None]
PROPERTY_SETTINGS = settings(max_examples=40, deadline=None)


class Vendor:
    """Rows sorted by (updated_at, id); `updated_since` keeps rows at or after it; offset or page paging."""

    def __init__(self, rows: list[Row], paging: str) -> None:
        self.rows = rows
        self.paging = paging
        self.clock = max((row["updated_at"] for row in rows), default=0)
        self.after_page: dict[int, Change] = {}
        self.served = 0
        self.requests: list[dict[str, str]] = []

    def listing(self, query: dict[str, str]) -> list[Row]:
        since = int(query.get("updated_since", "-1"))
        return sorted(
            (row for row in self.rows if row["updated_at"] >= since), key=lambda r: (r["updated_at"], r["id"])
        )

    def __call__(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        query = dict(parse_qsl(urlsplit(request.url or "").query))
        self.requests.append(query)
        rows = self.listing(query)
        if self.paging == "offset":
            start, size = int(query["offset"]), int(query["limit"])
            body: dict[str, Any] = {"data": rows[start : start + size], "total": len(rows)}
        else:
            size, number = int(query["per_page"]), int(query["page"])
            body = {"data": rows[(number - 1) * size : number * size], "page_count": math.ceil(len(rows) / size)}
        text = json.dumps(body)
        self.served += 1
        if self.served in self.after_page:
            self.after_page[self.served](self)
        return 200, {"Content-Type": "application/json"}, text

    def touch(self, row_id: int) -> None:
        self.clock += 1
        next(row for row in self.rows if row["id"] == row_id)["updated_at"] = self.clock

    def insert(self) -> None:
        self.clock += 1
        self.rows.append({"id": max(row["id"] for row in self.rows) + 1, "updated_at": self.clock})

    def delete(self, row_id: int) -> None:
        self.rows.remove(next(row for row in self.rows if row["id"] == row_id))


def inner(paging: str, size: int) -> BasePaginator:
    if paging == "offset":
        return OffsetPaginator(limit=size, total_path="total")
    return PageNumberPaginator(total_pages_path="page_count", page_size=size, page_size_param="per_page")


def keyset(paging: str, size: int) -> KeysetPaginator:
    return KeysetPaginator(inner(paging, size), sort_field="updated_at", filter_param="updated_since", encode=str)


def sync(vendor: Vendor, paginator: BasePaginator, resume_from: PageRequest | None = None, pages: int | None = None):
    """The rows handed over and the last page's next request, reading at most `pages` pages."""
    client = RESTClient(BASE, session=make_tracked_session(retry=None), data_selector="data")
    rows: list[Row] = []
    next_request = None
    with responses.RequestsMock() as mocked:
        mocked.add_callback(responses.GET, f"{BASE}/rows", callback=vendor)
        listing = client.paginate("/rows", params={}, paginator=paginator, resume_from=resume_from)
        for number, page in enumerate(listing, start=1):
            rows.extend(page.items)
            next_request = page.next_request
            if pages is not None and number == pages:
                break
    return rows, next_request


rows_strategy = st.lists(st.integers(min_value=0, max_value=12), min_size=0, max_size=45).map(
    lambda times: [{"id": 100 + number, "updated_at": time} for number, time in enumerate(times)]
)


@PROPERTY_SETTINGS
@given(rows=rows_strategy, size=st.integers(min_value=1, max_value=7), paging=st.sampled_from(["offset", "page"]))
def test_every_row_once_and_in_order(rows: list[Row], size: int, paging: str) -> None:
    vendor = Vendor([dict(row) for row in rows], paging)
    got, _ = sync(vendor, keyset(paging, size))
    expected = sorted(rows, key=lambda row: (row["updated_at"], row["id"]))
    assert [row["id"] for row in got] == [row["id"] for row in expected]


@PROPERTY_SETTINGS
@given(
    rows=rows_strategy.filter(lambda rows: len(rows) >= 4),
    size=st.integers(min_value=2, max_value=6),
    paging=st.sampled_from(["offset", "page"]),
    data=st.data(),
)
def test_rows_changed_between_pages_are_never_skipped(rows: list[Row], size: int, paging: str, data) -> None:
    # Rows sharing one value beyond a page can only be paged by the vendor's count (the documented limit).
    assume(max(Counter(row["updated_at"] for row in rows).values()) < size)
    ids = [row["id"] for row in rows]
    touched = data.draw(st.lists(st.sampled_from(ids), max_size=3))
    deleted = data.draw(st.lists(st.sampled_from(ids), max_size=2, unique=True))
    after = data.draw(st.integers(min_value=1, max_value=3))

    def change(vendor: Vendor) -> None:
        for row_id in touched:
            if any(row["id"] == row_id for row in vendor.rows):
                vendor.touch(row_id)
        for row_id in deleted:
            vendor.delete(row_id)
        vendor.insert()

    vendor = Vendor([dict(row) for row in rows], paging)
    vendor.after_page[after] = change
    got, _ = sync(vendor, keyset(paging, size))
    survivors = set(ids) - set(deleted)
    assert survivors <= {row["id"] for row in got}


def test_the_vendors_offset_paging_skips_a_row_the_keyset_does_not() -> None:
    rows = [{"id": 100 + number, "updated_at": number} for number in range(9)]

    def edit_a_delivered_row(vendor: Vendor) -> None:
        vendor.touch(100)  # moves to the end of the sort: every row behind it slides back by one

    skipped_by = {}
    for name, paginator in [("offset", OffsetPaginator(limit=3, total_path="total")), ("keyset", keyset("offset", 3))]:
        vendor = Vendor([dict(row) for row in rows], "offset")
        vendor.after_page[1] = edit_a_delivered_row
        got, _ = sync(vendor, paginator)
        skipped_by[name] = sorted({row["id"] for row in rows} - {row["id"] for row in got})
    assert skipped_by == {"offset": [103], "keyset": []}


def test_the_next_request_is_filtered_from_the_last_row_and_ties_turn_the_page() -> None:
    rows = [{"id": 100 + n, "updated_at": value} for n, value in enumerate([1, 2, 5, 5, 5, 5, 5, 7])]
    vendor = Vendor(rows, "offset")
    got, _ = sync(vendor, keyset("offset", 3))
    assert [row["id"] for row in got] == [row["id"] for row in rows]
    positions = [(query.get("updated_since"), query["offset"]) for query in vendor.requests]
    # page 1 ends at 5; filtered from 5, one value fills the page, so the vendor's page turns; then from 5 again
    # past the ties... until the listing ends.
    assert positions[:3] == [(None, "0"), ("5", "0"), ("5", "3")]


def test_a_saved_request_resumes_the_position() -> None:
    rows = [{"id": 100 + n, "updated_at": n // 2} for n in range(14)]
    vendor = Vendor([dict(row) for row in rows], "page")
    first, saved = sync(vendor, keyset("page", 4), pages=2)
    assert saved is not None and saved.params["updated_since"] == str(first[-1]["updated_at"])
    restored = PageRequest.from_state(json.loads(json.dumps(saved.to_state())))
    rest, _ = sync(vendor, keyset("page", 4), resume_from=restored)
    assert rest[0]["updated_at"] == first[-1]["updated_at"]  # rows at the saved value again: the merge dedupes
    assert {row["id"] for row in first} | {row["id"] for row in rest} == {row["id"] for row in rows}
    assert [row["id"] for row in rest] == sorted({row["id"] for row in rest}, key=[r["id"] for r in rows].index)
