"""One small class per pagination style. A paginator reads each response and rewrites the next request.

The whole position lives in the `PageRequest` (URL, params, JSON body), so a resumable source can save the
next request after yielding a page and later continue from it with `paginator.resume(request)`.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import urljoin

import requests

from sources.common.errors import ResumableStateError
from sources.common.rest_source.errors import UnexpectedResponseError
from sources.common.rest_source.jsonpath import JSONPath, find
from sources.common.scrub import scrub_url

_REQUEST_FIELDS = ("url", "method", "params", "json")


@dataclasses.dataclass
class PageRequest:
    """One page's request. Its `to_state()` is plain JSON, so a resumable source can save it as is."""

    url: str
    method: str = "GET"
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    json: Any = None

    def to_state(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> PageRequest:
        """Rebuild a request saved with `to_state()`; a state of another shape is a `ResumableStateError`."""
        if not isinstance(state, dict) or not isinstance(state.get("url"), str):
            raise ResumableStateError(f"saved page request needs a string 'url': found {state!r:.120}")
        unknown = sorted(set(state) - set(_REQUEST_FIELDS))
        if unknown:
            raise ResumableStateError(f"saved page request has unknown keys {unknown}: found {state!r:.120}")
        if not isinstance(state.get("params", {}), dict):
            raise ResumableStateError(f"saved page request 'params' is not an object: found {state!r:.120}")
        return cls(**state)

    def copy(self) -> PageRequest:
        return PageRequest.from_state(self.to_state())


class BasePaginator(ABC):
    # Two consecutive pages with the same non-empty rows mean the API ignores the paginator's parameter.
    # Time windows may legitimately repeat (e.g. an all-zero aggregate), so they opt out.
    repeated_page_is_loop: bool = True

    def __init__(self) -> None:
        self.has_next_page = True

    def init_request(self, request: PageRequest) -> None:
        """Set the first page's parameters (a subclass may set `has_next_page` False: no page at all)."""
        self.has_next_page = True

    def resume(self, request: PageRequest) -> None:
        """Continue from a saved next request; by default the request already holds the whole position."""
        self.has_next_page = True

    def select(self, data: list[Any]) -> list[Any]:
        """The rows of a fetched page to hand over (all of them, unless a paginator re-reads rows it delivered)."""
        return data

    @abstractmethod
    def update_state(self, response: requests.Response, data: list[Any]) -> None:
        """Read the page just fetched; set `has_next_page`."""

    @abstractmethod
    def update_request(self, request: PageRequest) -> None:
        """Turn `request` into the next page's request (called only when `has_next_page`)."""


class SinglePagePaginator(BasePaginator):
    def update_state(self, response: requests.Response, data: list[Any]) -> None:
        self.has_next_page = False

    def update_request(self, request: PageRequest) -> None:
        raise AssertionError("a single page has no next request")


class _NextURLPaginator(BasePaginator):
    def __init__(self) -> None:
        super().__init__()
        self._next_url: str | None = None

    def _set_next(self, response: requests.Response, url: Any) -> None:
        self._next_url = urljoin(response.url, url) if url else None
        self.has_next_page = bool(url)

    def update_request(self, request: PageRequest) -> None:
        assert self._next_url is not None
        request.url = self._next_url
        request.params = {}  # the next URL carries every parameter; keeping ours would duplicate them


class HeaderLinkPaginator(_NextURLPaginator):
    """RFC 8288 `Link: <…>; rel="next"` (GitHub)."""

    def __init__(self, rel: str = "next") -> None:
        super().__init__()
        self.rel = rel

    def update_state(self, response: requests.Response, data: list[Any]) -> None:
        self._set_next(response, response.links.get(self.rel, {}).get("url"))


class JSONLinkPaginator(_NextURLPaginator):
    """A next-page URL inside the body (`links.next` in JSON:API, `next_page` in Zendesk)."""

    def __init__(self, next_url_path: JSONPath = "links.next") -> None:
        super().__init__()
        self.next_url_path = next_url_path

    def update_state(self, response: requests.Response, data: list[Any]) -> None:
        self._set_next(response, find(response.json(), self.next_url_path))


class JSONResponseCursorPaginator(BasePaginator):
    """A cursor in the body (or the last item's id) sent back as a parameter.

    `has_more_path` (Stripe `has_more`) stops when false; `end_path` (Zendesk `end_of_stream`) stops when
    true; without either, a missing cursor stops. `cursor_location="json"` puts it into a POST body.
    """

    def __init__(
        self,
        cursor_path: JSONPath | None = "next_cursor",
        cursor_param: str = "cursor",
        has_more_path: JSONPath | None = None,
        end_path: JSONPath | None = None,
        cursor_from_last_item: str | None = None,
        cursor_location: Literal["params", "json"] = "params",
    ) -> None:
        super().__init__()
        if cursor_path is None and cursor_from_last_item is None:
            raise ValueError("JSONResponseCursorPaginator needs a cursor_path or a cursor_from_last_item")
        self.cursor_path = cursor_path
        self.cursor_param = cursor_param
        self.has_more_path = has_more_path
        self.end_path = end_path
        self.cursor_from_last_item = cursor_from_last_item
        self.cursor_location = cursor_location
        self._cursor: Any = None

    def update_state(self, response: requests.Response, data: list[Any]) -> None:
        body = response.json()
        if self.cursor_from_last_item is not None:
            self._cursor = data[-1].get(self.cursor_from_last_item) if data else None
        else:
            self._cursor = find(body, self.cursor_path)
        more = self._cursor not in (None, "")
        if self.has_more_path is not None:
            more = more and bool(find(body, self.has_more_path))
        if self.end_path is not None:
            more = more and not bool(find(body, self.end_path))
        self.has_next_page = more

    def update_request(self, request: PageRequest) -> None:
        if self.cursor_location == "json":
            request.json = {**(request.json or {}), self.cursor_param: self._cursor}
        else:
            request.params = {**request.params, self.cursor_param: self._cursor}


def _count_at(response: requests.Response, path: JSONPath, what: str) -> int | None:
    """The integer at `path` in the body (a total or a page count), None when absent."""
    value = find(response.json(), path)
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise UnexpectedResponseError(
            f"{scrub_url(response.url)}: the {what} at {path!r} is not a whole number: found {value!r:.80}"
        ) from None


class OffsetPaginator(BasePaginator):
    """`offset` + `limit`; stops on a short page, or when `offset` reaches the body's total.

    The offset advances by the rows received, so a server that returns fewer than `limit` skips nothing;
    without a total, though, a short page ends the run: give the server's own maximum as `limit`.
    """

    def __init__(
        self,
        limit: int,
        offset: int = 0,
        offset_param: str = "offset",
        limit_param: str = "limit",
        total_path: JSONPath | None = None,
    ) -> None:
        super().__init__()
        if limit < 1:
            raise ValueError(f"OffsetPaginator needs a limit of at least 1, got {limit}")
        self.limit = limit
        self.start_offset = offset
        self.offset_param = offset_param
        self.limit_param = limit_param
        self.total_path = total_path
        self._offset = offset

    def init_request(self, request: PageRequest) -> None:
        self._offset = self.start_offset
        request.params = {**request.params, self.offset_param: self._offset, self.limit_param: self.limit}

    def resume(self, request: PageRequest) -> None:
        super().resume(request)
        self._offset = int(request.params.get(self.offset_param, self.start_offset))

    def update_state(self, response: requests.Response, data: list[Any]) -> None:
        self._offset += len(data)
        total = _count_at(response, self.total_path, "total") if self.total_path is not None else None
        if total is not None:
            self.has_next_page = self._offset < total and len(data) > 0
        else:
            self.has_next_page = len(data) >= self.limit

    def update_request(self, request: PageRequest) -> None:
        request.params = {**request.params, self.offset_param: self._offset}


class PageNumberPaginator(BasePaginator):
    """`page=1,2,…`; stops at the body's page count, else on an empty or short page."""

    def __init__(
        self,
        base_page: int = 1,
        page_param: str = "page",
        total_pages_path: JSONPath | None = None,
        page_size: int | None = None,
        page_size_param: str | None = None,
    ) -> None:
        super().__init__()
        if page_size is not None and page_size < 1:
            raise ValueError(f"PageNumberPaginator needs a page_size of at least 1, got {page_size}")
        self.base_page = base_page
        self.page_param = page_param
        self.total_pages_path = total_pages_path
        self.page_size = page_size
        self.page_size_param = page_size_param
        self._page = base_page

    def init_request(self, request: PageRequest) -> None:
        self._page = self.base_page
        params = {**request.params, self.page_param: self._page}
        if self.page_size is not None and self.page_size_param:
            params[self.page_size_param] = self.page_size
        request.params = params

    def resume(self, request: PageRequest) -> None:
        super().resume(request)
        self._page = int(request.params.get(self.page_param, self.base_page))

    def update_state(self, response: requests.Response, data: list[Any]) -> None:
        total_pages = _count_at(response, self.total_pages_path, "page count") if self.total_pages_path else None
        pages_seen = self._page - self.base_page + 1
        self._page += 1
        if total_pages is not None:
            self.has_next_page = pages_seen < total_pages
        elif self.page_size is not None:
            self.has_next_page = len(data) >= self.page_size
        else:
            self.has_next_page = len(data) > 0

    def update_request(self, request: PageRequest) -> None:
        request.params = {**request.params, self.page_param: self._page}


def _format_instant(moment: datetime, fmt: Literal["iso", "epoch", "epoch_ms", "date"]) -> Any:
    if fmt == "epoch":
        return int(moment.timestamp())
    if fmt == "epoch_ms":
        return int(moment.timestamp() * 1000)
    if fmt == "date":
        return moment.date().isoformat()
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _as_utc(moment: datetime) -> datetime:
    """Naive datetimes are taken as UTC: never as the machine's local time."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class TimeWindowPaginator(BasePaginator):
    """One request per `[start, start + window)` window until `end`; each window is one page.

    Naive `start` / `end` are UTC. The API must treat the end parameter as exclusive, else a row stamped
    exactly on a boundary comes twice (merge dedupes it).
    """

    repeated_page_is_loop = False

    def __init__(
        self,
        start: datetime,
        end: datetime,
        window: timedelta,
        start_param: str = "start_time",
        end_param: str = "end_time",
        fmt: Literal["iso", "epoch", "epoch_ms", "date"] = "iso",
    ) -> None:
        super().__init__()
        if window <= timedelta(0):
            raise ValueError(f"TimeWindowPaginator needs a positive window, got {window}")
        self.start, self.end, self.window = _as_utc(start), _as_utc(end), window
        self.start_param, self.end_param, self.fmt = start_param, end_param, fmt
        self._window_start = self.start

    def _apply(self, request: PageRequest) -> None:
        window_end = min(self._window_start + self.window, self.end)
        request.params = {
            **request.params,
            self.start_param: _format_instant(self._window_start, self.fmt),
            self.end_param: _format_instant(window_end, self.fmt),
        }

    def init_request(self, request: PageRequest) -> None:
        self._window_start = self.start
        self.has_next_page = self.start < self.end
        self._apply(request)

    def resume(self, request: PageRequest) -> None:
        super().resume(request)
        raw = request.params.get(self.start_param)
        try:
            if self.fmt in ("epoch", "epoch_ms"):
                divisor = 1000 if self.fmt == "epoch_ms" else 1
                window_start = datetime.fromtimestamp(int(raw) / divisor, tz=UTC)  # type: ignore[arg-type]
            else:
                window_start = _as_utc(datetime.fromisoformat(str(raw).replace("Z", "+00:00")))
        except (TypeError, ValueError):
            raise ResumableStateError(
                f"saved request for {request.url} has no {self.fmt} time in {self.start_param!r}: found {raw!r}"
            ) from None
        self._window_start = window_start
        self.has_next_page = window_start < self.end

    def update_state(self, response: requests.Response, data: list[Any]) -> None:
        self._window_start = min(self._window_start + self.window, self.end)
        self.has_next_page = self._window_start < self.end

    def update_request(self, request: PageRequest) -> None:
        self._apply(request)
