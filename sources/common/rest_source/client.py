"""`RESTClient`: pages through an endpoint with a paginator, on a tracked session."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode, urljoin

import requests
import structlog

from sources.common import events
from sources.common.http import make_tracked_session
from sources.common.rest_source.errors import PaginationLoopError, UnexpectedResponseError
from sources.common.rest_source.jsonpath import JSONPath, find
from sources.common.rest_source.paginators import BasePaginator, PageRequest, SinglePagePaginator
from sources.common.scrub import scrub_url

_logger = structlog.get_logger("sources.rest_source")


@dataclasses.dataclass(frozen=True)
class Page:
    """One fetched page: its rows, the request that fetched it, and the request for the next (None at the end).

    `number` counts pages from 1; a resumed call counts on from its `pages_before`.
    """

    items: list[dict[str, Any]]
    request: PageRequest
    next_request: PageRequest | None
    response: requests.Response
    number: int


@dataclasses.dataclass(frozen=True)
class PageCapHit:
    """Emitted (and logged) when an endpoint stops at its page cap instead of at its last page."""

    resource: str
    max_pages: int
    url: str
    parent: dict[str, Any] | None = None


def describe_request(request: PageRequest) -> str:
    """The request's full URL, parameters included, with credentials scrubbed: for errors and logs."""
    if not request.params:
        return scrub_url(request.url)
    separator = "&" if "?" in request.url else "?"
    return scrub_url(f"{request.url}{separator}{urlencode(request.params, doseq=True)}")


class RESTClient:
    """Fetches pages of one API. Defaults to a tracked session, so every request is recorded."""

    def __init__(
        self,
        base_url: str,
        session: requests.Session | None = None,
        headers: dict[str, str] | None = None,
        data_selector: JSONPath | None = None,
        raise_for_status: Callable[[requests.Response], None] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.session = session or make_tracked_session(headers=headers)
        self.data_selector = data_selector
        self.raise_for_status = raise_for_status or requests.Response.raise_for_status

    def url_for(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else urljoin(self.base_url, path.lstrip("/"))

    def fetch(self, request: PageRequest) -> requests.Response:
        response = self.session.request(request.method, request.url, params=request.params or None, json=request.json)
        self.raise_for_status(response)
        return response

    def _read_items(
        self, request: PageRequest, response: requests.Response, selector: JSONPath | None, resource: str
    ) -> list[dict[str, Any]]:
        try:
            body = response.json()
        except ValueError:
            raise UnexpectedResponseError(
                f"{resource}: {request.method} {describe_request(request)} returned "
                f"{response.status_code} with a non-JSON body "
                f"(Content-Type {response.headers.get('Content-Type')!r}): {response.text[:80]!r}"
            ) from None
        data = find(body, selector)
        return data if isinstance(data, list) else ([] if data is None else [data])

    def paginate(
        self,
        path: str,
        *,
        method: str = "GET",
        params: dict[str, Any] | None = None,
        json: Any = None,
        paginator: BasePaginator | None = None,
        data_selector: JSONPath | None = None,
        resume_from: PageRequest | None = None,
        max_pages: int | None = None,
        resource: str | None = None,
        parent: dict[str, Any] | None = None,
        pages_before: int = 0,
    ) -> Iterator[Page]:
        """Yield pages until the paginator says there are no more, or until `max_pages` pages.

        `resume_from` continues from a saved `Page.next_request` (the paginator must be fresh or reusable;
        `path`, `params` and `json` are then ignored); `pages_before` says how many pages an earlier run
        fetched, so page numbers and `max_pages` count on from there. Reaching `max_pages` with more pages
        left logs `page_cap_reached`, emits `PageCapHit` and yields the last page with `next_request=None`.
        Raises `PaginationLoopError` when the next request would fetch the same page again.
        """
        if max_pages is not None and max_pages < 1:
            raise ValueError(f"{resource or path}: max_pages must be at least 1, got {max_pages}")
        if pages_before < 0:
            raise ValueError(f"{resource or path}: pages_before cannot be negative, got {pages_before}")
        name = resource or path
        paginator = paginator or SinglePagePaginator()
        selector = data_selector if data_selector is not None else self.data_selector
        paginator.has_next_page = True
        if resume_from is not None:
            request = resume_from.copy()
            paginator.resume(request)
        else:
            request = PageRequest(url=self.url_for(path), method=method, params=dict(params or {}), json=json)
            paginator.init_request(request)
        if not paginator.has_next_page or (max_pages is not None and pages_before >= max_pages):
            return
        number = pages_before
        previous_items: list[dict[str, Any]] | None = None
        while True:
            response = self.fetch(request)
            fetched = self._read_items(request, response, selector, name)
            if paginator.repeated_page_is_loop and fetched and fetched == previous_items:
                raise PaginationLoopError(
                    f"{name}: {describe_request(request)} returned the same {len(fetched)} rows as the page "
                    "before it; the API ignores the paginator's parameter"
                )
            previous_items = fetched
            items = paginator.select(fetched)
            paginator.update_state(response, fetched)
            number += 1
            next_request: PageRequest | None = None
            if paginator.has_next_page:
                next_request = request.copy()
                paginator.update_request(next_request)
                if next_request == request:
                    raise PaginationLoopError(
                        f"{name}: the next page's request is the same as the page just fetched "
                        f"({describe_request(request)}); the API returned the same cursor or link again"
                    )
            capped = max_pages is not None and number >= max_pages and next_request is not None
            if capped:
                assert max_pages is not None
                event = PageCapHit(name, max_pages, scrub_url(request.url), parent)
                _logger.warning("page_cap_reached", **dataclasses.asdict(event))
                events.emit(event)
            yield Page(items, request, None if capped else next_request, response, number)
            if capped or next_request is None:
                return
            request = next_request
