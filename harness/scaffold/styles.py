"""The pagination styles `new --pagination` offers: the paginator of the transport and the manifest's contract."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Style:
    """One vendor pagination style: what the skeleton's transport and manifest say about it."""

    paginator_class: str
    paginator: str  # an expression of `page_size`
    data_selector: str  # a Python literal: where a page's rows are in the body (None: the body is the list)
    limit_param: str  # the vendor's page-size parameter
    contract: str  # the `[endpoints.<name>.pagination]` table (harness/fixtures/pagination.py)
    paginator_sends_limit: bool = False  # else the first request carries `limit_param`
    # Where the vendor counts rows (offset, page number): the contract keys that end one counted query. The
    # skeleton then reads incremental listings by position (a keyset contract with these keys).
    counting: str = ""

    @property
    def counts_rows(self) -> bool:
        return bool(self.counting)


STYLES: dict[str, Style] = {
    "link-header": Style("HeaderLinkPaginator", "HeaderLinkPaginator()", "None", "per_page", 'style = "link-header"'),
    "json-api": Style(
        "JSONLinkPaginator", 'JSONLinkPaginator("links.next")', '"data"', "page[size]", 'style = "json-api"'
    ),
    "next-url": Style(
        "JSONLinkPaginator",
        'JSONLinkPaginator("next_url")',
        '"data"',
        "limit",
        'style = "next-url"\nnext_url = "next_url"\nitems = "data"',
    ),
    "cursor": Style(
        "JSONResponseCursorPaginator",
        'JSONResponseCursorPaginator(cursor_path="next_cursor", cursor_param="cursor")',
        '"data"',
        "limit",
        'style = "cursor"\ncursor = "next_cursor"\ncursor_param = "cursor"\nitems = "data"',
    ),
    "offset": Style(
        "OffsetPaginator",
        'OffsetPaginator(limit=page_size, offset_param="offset", limit_param="limit", total_path="total")',
        '"data"',
        "limit",
        'style = "offset"\noffset_param = "offset"\nlimit_param = "limit"\nitems = "data"\ntotal = "total"',
        paginator_sends_limit=True,
        counting='offset_param = "offset"\ntotal = "total"',
    ),
    "page-number": Style(
        "PageNumberPaginator",
        'PageNumberPaginator(\n        page_param="page", total_pages_path="page_count", page_size=page_size, '
        'page_size_param="per_page"\n    )',
        '"data"',
        "per_page",
        'style = "page-number"\npage_param = "page"\npage_count = "page_count"\nlimit_param = "per_page"\n'
        'items = "data"',
        paginator_sends_limit=True,
        counting='page_param = "page"\npage_count = "page_count"',
    ),
}
DEFAULT_STYLE = "link-header"
