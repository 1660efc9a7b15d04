"""Rows that change while a sync pages through them must not make the paginator skip other rows."""

from __future__ import annotations

from harness.checks._common import row_key, show_key
from harness.checks.context import CheckContext, listing
from harness.runs import drift
from harness.runs.targets import EndpointUnderTest
from harness.simulators.loader import has_model

ID = "pagination.under_drift"
LEVEL = "endpoint"
SCENARIOS = ("full",)
PROVES = (
    "For every page boundary of the full sync against the vendor model (fixtures/<source>/simulator.py: "
    "vendor_model()), i.e. every batch p after which a listing that already yielded rows continues (the next "
    "request reads its method and path again; where the listings span fewer than 2 boundaries and the connector "
    "has a page_size setting, "
    "the runs use a page size that splits the largest listing into about 4 pages): right after the responses of "
    "batch p, a delivered row and a not-yet-delivered row are "
    "updated (the vendor's sort moves them) and one row is inserted (seeded). The uninterrupted sync still "
    "yields every row that existed before and still exists (any version; duplicates are fine, merge dedupes "
    "them). A page-number or offset paginator over rows sorted by a field that changes skips rows here."
)
APPLIES = "endpoints whose fixtures have a vendor model; otherwise not applicable: no simulator."


def applies(target: EndpointUnderTest) -> bool:
    return has_model(target.sut.fixtures_root / target.source_type)


def check(ctx: CheckContext) -> None:
    paged = drift.paged_baseline(ctx.endpoint)
    plain = paged.run
    ctx.require_clean(plain)
    keys = ctx.primary_keys(plain)
    skipped_per_page: list[str] = []
    first_failure = None
    for p in paged.boundaries:
        record = drift.pages_under_drift(paged.target, plain, p)
        ctx.require_clean(record.run)
        seen = {row_key(row, keys) for row in record.run.rows}
        skipped = [show_key(key, keys) for key in record.expected if key not in seen]
        if skipped:
            skipped_per_page.append(f"after batch {p}: {len(skipped)}")
            first_failure = first_failure or (record, skipped)
    at = ""
    if paged.page_size is not None:
        at = f" (run at page_size={paged.page_size}: the manifest's {paged.configured} gives fewer page boundaries)"
    if first_failure is not None:
        record, skipped = first_failure
        after = record.run.wire[plain.batches[record.after_batch - 1].requests_before :]
        ctx.fail(
            "every row that existed before the data changed mid-sync to be yielded (pagination.under_drift)",
            f"after batch {record.after_batch}{at} the vendor's data changed ({record.drift.describe(keys)}); the "
            f"sync then skipped {len(skipped)} row(s): {listing(skipped)}; the next request was "
            f"{after[0].key.describe() if after else '-'}. Rows skipped per change point: "
            + ", ".join(skipped_per_page),
            "page by a stable position (the last row's sort value and primary key as a filter, or the vendor's "
            "keyset cursor), not by page number or offset",
        )
    if not paged.boundaries:
        listings = len({drift.listing_of(request) for request in plain.wire})
        size = ", at the manifest page size" + (f" and at page_size={paged.tried}" if paged.tried else "")
        ctx.inconclusive(
            f"the full sync against the vendor model never continued a listing after a batch ({len(plain.batches)} "
            f"batch(es) from {len(plain.wire)} request(s) on {listings} path(s){size}), so there is no page "
            "boundary for the data to change across",
            "give the endpoint more rows in the vendor model than one page holds (or a page_size setting the "
            "harness can lower); an endpoint that is not paged at all bypasses pagination.under_drift in its "
            "manifest with that reason",
        )
