"""HubSpot transport: session, error messages, the search paginator and the `SourceResponse` per endpoint."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import requests
import structlog

from sources.common.endpoints import lookup_endpoint
from sources.common.errors import ResumableStateError, SourceError
from sources.common.http import make_tracked_session
from sources.common.http_errors import code_and_message, status_checker
from sources.common.rest_source import (
    BasePaginator,
    JSONResponseCursorPaginator,
    PageRequest,
    RESTClient,
)
from sources.common.rest_source.jsonpath import find
from sources.common.resumable import ResumableSourceManager
from sources.common.resumable_pages import NextPageState, batches_then_save_next
from sources.common.retry import DEFAULT_RETRY
from sources.common.typings import SourceInputs, SourceResponse
from sources.common.watermarks import epoch_millis
from sources.hubspot.settings import BASE_URL, ENDPOINTS, SEARCH_RESULT_CEILING, HubspotEndpoint

SOURCE_NAME = "hubspot"
_logger = structlog.get_logger("sources.hubspot")
# HubSpot sends no Retry-After on some 429s (e.g. the SECONDLY limit); the default policy then backs off
# exponentially, and honours Retry-After when it is there.
RETRY_POLICY = DEFAULT_RETRY


class HubspotError(SourceError):
    """A HubSpot request or position the transport cannot continue from."""


@dataclasses.dataclass
class HubspotResumeConfig(NextPageState):
    """The next page's request (`PageRequest.to_state()`): URL, query, and the search body with its cursor."""


def make_session(access_token: str) -> requests.Session:
    return make_tracked_session(
        headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
        retry=RETRY_POLICY,
    )


def error_detail(response: requests.Response) -> str:
    """HubSpot's own explanation from an error body (`category: message`), or the body's first bytes."""
    return code_and_message(response, ("category", "errorType"), "message")


def to_epoch_ms(value: Any, where: str) -> int:
    """A watermark (datetime, date or ISO 8601 text) as the epoch milliseconds HubSpot's search filters take."""
    return epoch_millis(value, where, error=HubspotError, name="incremental value")


def search_body(endpoint: HubspotEndpoint, filter_property: str, since_ms: int | None, limit: int) -> dict[str, Any]:
    """The search request body. Key order is fixed: fixtures match request bodies byte for byte."""
    filters = [{"propertyName": filter_property, "operator": "GTE", "value": str(since_ms)}]
    return {
        "filterGroups": [{"filters": filters}] if since_ms is not None else [],
        "sorts": [{"propertyName": filter_property, "direction": "ASCENDING"}],
        "properties": list(endpoint.properties),
        "limit": limit,
    }


def list_params(endpoint: HubspotEndpoint, limit: int) -> dict[str, Any]:
    return {"limit": limit, "properties": ",".join(endpoint.properties), "archived": "false"}


class SearchPaginator(BasePaginator):
    """`paging.next.after` into the POST body; re-anchors the filter before the search result ceiling."""

    def __init__(self, endpoint: HubspotEndpoint, filter_property: str, ceiling: int = SEARCH_RESULT_CEILING):
        super().__init__()
        self.endpoint = endpoint
        self.filter_property = filter_property
        self.ceiling = ceiling
        self._after: str | None = None
        self._last_updated_at: Any = None

    def update_state(self, response: requests.Response, data: list[Any]) -> None:
        after = find(response.json(), "paging.next.after")
        self._after = str(after) if after not in (None, "") else None
        if data:
            self._last_updated_at = data[-1].get("updatedAt")
        self.has_next_page = self._after is not None

    def update_request(self, request: PageRequest) -> None:
        assert self._after is not None
        body = dict(request.json or {})
        if not (self._after.isdigit() and int(self._after) >= self.ceiling):
            request.json = {**body, "after": self._after}
            return
        where = f"{SOURCE_NAME} {self.endpoint.name}"
        if self._last_updated_at is None:
            raise HubspotError(f"{where}: search reached its {self.ceiling}-result ceiling with no row to re-anchor on")
        anchor = to_epoch_ms(self._last_updated_at, where)
        if anchor == self._current_anchor(body):
            raise HubspotError(
                f"{where}: {self.ceiling} or more rows share {self.filter_property}={anchor}; "
                "the search cannot page past them"
            )
        _logger.info("search_reanchored", endpoint=self.endpoint.name, ceiling=self.ceiling, anchor_ms=anchor)
        request.json = search_body(self.endpoint, self.filter_property, anchor, int(body.get("limit", 0)))

    def _current_anchor(self, body: dict[str, Any]) -> int | None:
        for group in body.get("filterGroups") or []:
            for condition in group.get("filters") or []:
                if condition.get("propertyName") == self.filter_property and condition.get("operator") == "GTE":
                    return int(condition["value"])
        return None


def get_endpoint(name: str) -> HubspotEndpoint:
    return lookup_endpoint(ENDPOINTS, name, SOURCE_NAME, error=HubspotError, known=sorted(ENDPOINTS))


def _filter_property(endpoint: HubspotEndpoint, inputs: SourceInputs) -> str:
    field = inputs.incremental_field
    filter_property = endpoint.filter_property(field) if field else None
    if filter_property is None:
        offered = ", ".join(item.field for item in endpoint.incremental_fields)
        raise HubspotError(f"{SOURCE_NAME} {endpoint.name}: cannot sync incrementally on {field!r}; offered: {offered}")
    return filter_property


def hubspot_source(
    access_token: str,
    endpoint_name: str,
    page_size: int,
    inputs: SourceInputs,
    manager: ResumableSourceManager[HubspotResumeConfig],
    *,
    base_url: str = BASE_URL,
    search_ceiling: int = SEARCH_RESULT_CEILING,
) -> SourceResponse:
    endpoint = get_endpoint(endpoint_name)
    resource = f"{SOURCE_NAME} {endpoint.name}"
    client = RESTClient(
        base_url,
        session=make_session(access_token),
        data_selector="results",
        raise_for_status=status_checker(resource, error_detail, brackets="()"),
    )
    paginator: BasePaginator
    if inputs.should_use_incremental_field:
        filter_property = _filter_property(endpoint, inputs)
        last_value = inputs.db_incremental_field_last_value
        since_ms = to_epoch_ms(last_value, resource) if last_value is not None else None
        method, path, params = "POST", endpoint.search_path, None
        body: dict[str, Any] | None = search_body(endpoint, filter_property, since_ms, page_size)
        paginator = SearchPaginator(endpoint, filter_property, search_ceiling)
    else:
        method, path, params, body = "GET", endpoint.list_path, list_params(endpoint, page_size), None
        paginator = JSONResponseCursorPaginator(cursor_path="paging.next.after", cursor_param="after")

    def items() -> Iterator[list[dict[str, Any]]]:
        state = manager.load_state() if manager.can_resume() else None
        try:
            resume_from = PageRequest.from_state(state.next_request) if state is not None else None
        except ResumableStateError as exc:
            raise ResumableStateError(f"{resource}: {exc}") from None
        pages = client.paginate(
            path,
            method=method,
            params=params,
            json=body,
            paginator=paginator,
            resume_from=resume_from,
            resource=resource,
        )
        yield from batches_then_save_next(pages, manager, HubspotResumeConfig)

    return endpoint.response(items)
