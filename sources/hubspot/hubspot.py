"""HubSpot transport: session, error messages, the search paginator and the `SourceResponse` per endpoint."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import requests

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
from sources.hubspot.settings import BASE_URL, ENDPOINTS, HubspotEndpoint

SOURCE_NAME = "hubspot"
# HubSpot sends no Retry-After on some 429s (e.g. the SECONDLY limit); the default policy then backs off
# exponentially, and honours Retry-After when it is there.
RETRY_POLICY = DEFAULT_RETRY


class HubspotError(SourceError):
    """A HubSpot request or position the transport cannot continue from."""


@dataclasses.dataclass
class HubspotResumeConfig(NextPageState):
    """The next page's request (`PageRequest.to_state()`): the list URL with its `after` cursor, or the search
    body filtered to the rows after the last one delivered (a position that stays right when rows move)."""


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


OBJECT_ID = "hs_object_id"


def search_body(
    endpoint: HubspotEndpoint,
    filter_property: str,
    since_ms: int | None,
    limit: int,
    after_row: tuple[int, str] | None = None,
) -> dict[str, Any]:
    """The search request body. Key order is fixed: fixtures match request bodies byte for byte.

    `after_row` = (last-modified in epoch ms, object id) of the last row received: the search then asks for the
    rows after it in (last-modified, id) order (HubSpot orders equal sort values by object id), which already
    lies at or after `since_ms`.
    """
    if after_row is not None:
        value, object_id = after_row
        groups = [
            {"filters": [{"propertyName": filter_property, "operator": "GT", "value": str(value)}]},
            {
                "filters": [
                    {"propertyName": filter_property, "operator": "EQ", "value": str(value)},
                    {"propertyName": OBJECT_ID, "operator": "GT", "value": str(object_id)},
                ]
            },
        ]
    elif since_ms is not None:
        groups = [{"filters": [{"propertyName": filter_property, "operator": "GTE", "value": str(since_ms)}]}]
    else:
        groups = []
    return {
        "filterGroups": groups,
        "sorts": [{"propertyName": filter_property, "direction": "ASCENDING"}],
        "properties": list(endpoint.properties),
        "limit": limit,
    }


def list_params(endpoint: HubspotEndpoint, limit: int) -> dict[str, Any]:
    return {"limit": limit, "properties": ",".join(endpoint.properties), "archived": "false"}


class SearchPaginator(BasePaginator):
    """Keyset paging over the search API: the next page is the same search filtered to the rows after the last
    row received, by (last-modified, id).

    HubSpot's own `after` is a result offset: when records are edited (they move to the end of a last-modified
    sort) or deleted while a sync runs or is down, every later offset shifts and the rows that slid back are
    never read. A filter on the last row's position stays right whatever moved, each query starts at offset 0
    (so the 10,000-result search ceiling is never reached), and the saved next request is that position.
    `paging.next` (the vendor's "more rows match") decides whether there is a next page.
    """

    def __init__(self, endpoint: HubspotEndpoint, filter_property: str) -> None:
        super().__init__()
        self.endpoint = endpoint
        self.filter_property = filter_property
        self._last: tuple[int, str] | None = None

    def update_state(self, response: requests.Response, data: list[Any]) -> None:
        more = find(response.json(), "paging.next.after") not in (None, "")
        if data:
            self._last = self._position(data[-1])
        self.has_next_page = more and bool(data)

    def _position(self, row: dict[str, Any]) -> tuple[int, str]:
        where = f"{SOURCE_NAME} {self.endpoint.name}"
        value = (row.get("properties") or {}).get(self.filter_property) or row.get("updatedAt")
        object_id = row.get("id")
        if value is None or object_id in (None, ""):
            raise HubspotError(
                f"{where}: a search result has no {self.filter_property} or id to page after: {row!r:.160}"
            )
        return to_epoch_ms(value, where), str(object_id)

    def update_request(self, request: PageRequest) -> None:
        assert self._last is not None
        body = dict(request.json or {})
        request.json = search_body(
            self.endpoint, self.filter_property, None, int(body.get("limit", 0)), after_row=self._last
        )


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
        paginator = SearchPaginator(endpoint, filter_property)
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

    return SourceResponse(
        name=endpoint.name,
        items=items,
        primary_keys=list(endpoint.primary_key),
        partition_keys=[endpoint.partition_key],
        partition_mode=endpoint.partition_mode,
        partition_format=endpoint.partition_format,
        sort_mode=endpoint.sort_mode,
    )
