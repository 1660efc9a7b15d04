"""Paging by position over a vendor that pages by count (offset or page number).

An offset or a page number counts rows of a listing sorted by a field that changes: when a row before the
position is edited (it moves to the end of a last-modified sort), created or deleted while a sync runs or is
down, the rows behind it slide and the next page skips or repeats some. `KeysetPaginator` reads the vendor's
pages through its own paginator (`inner`) but moves on by position: once a page is read, the next request is the
first one again, filtered with `filter_param` = the sort value of the page's last row (the vendor keeps rows at
or after it); rows at that value come again and are dropped by `key_field`. While every row of a page shares one
value, the filter cannot move, so `inner` turns the page instead: inside a run of rows sharing one value that
is longer than a page, the vendor's count is the only position there is (a row deleted in that run while the
sync reads it can shift another past it); ask for the largest page size the vendor allows.

The next request carries the whole position (the filter value and the inner page), so the saved request resumes
it; a resumed run hands rows at the saved value over again (the merge by primary key dedupes them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from sources.common.rest_source.paginators import BasePaginator, PageRequest


class KeysetPaginator(BasePaginator):
    """`inner` (an `OffsetPaginator`, `PageNumberPaginator`, ...) with the listing re-filtered after each page.

    `sort_field` is the field the request sorts on (ascending) and `filter_param` the vendor's inclusive
    filter on it (`updated_since`, `updated_at[gte]`); `encode` turns a row's value into that parameter's text
    (the vendor's documented encoding; default: the value as the row carries it).
    """

    def __init__(
        self,
        inner: BasePaginator,
        *,
        sort_field: str,
        filter_param: str,
        key_field: str = "id",
        encode: Callable[[Any], Any] = lambda value: value,
    ) -> None:
        super().__init__()
        self.inner = inner
        self.sort_field = sort_field
        self.filter_param = filter_param
        self.key_field = key_field
        self.encode = encode
        self._first: dict[str, Any] = {}
        self._after: Any = None  # the sort value of the last row handed over
        self._seen: list[Any] = []  # the keys handed over at that value
        self._turn_page = False

    def init_request(self, request: PageRequest) -> None:
        self.inner.init_request(request)
        self._first = dict(request.params)
        self.has_next_page = self.inner.has_next_page

    def resume(self, request: PageRequest) -> None:
        self.inner.resume(request)
        self._first = dict(request.params)
        self.has_next_page = self.inner.has_next_page

    def _delivered(self, row: dict[str, Any]) -> bool:
        value = row.get(self.sort_field)
        if self._after is None or value is None:
            return False
        return value < self._after or (value == self._after and row.get(self.key_field) in self._seen)

    def select(self, data: list[Any]) -> list[Any]:
        return [row for row in data if not self._delivered(row)]

    def update_state(self, response: requests.Response, data: list[Any]) -> None:
        fresh = self.select(data)
        for row in fresh:
            value = row.get(self.sort_field)
            if value != self._after:
                self._after, self._seen = value, []
            self._seen.append(row.get(self.key_field))
        self.inner.update_state(response, data)
        self.has_next_page = self.inner.has_next_page
        values = {row.get(self.sort_field) for row in data}
        # One value fills the page: filtering from it again would return this page; turn the vendor's page.
        self._turn_page = len(values) <= 1 or self._after is None

    def update_request(self, request: PageRequest) -> None:
        if self._turn_page:
            self.inner.update_request(request)
            return
        request.params = {**self._first, self.filter_param: self.encode(self._after)}
        self.inner.init_request(request)
