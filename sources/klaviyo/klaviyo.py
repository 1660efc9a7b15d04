"""Klaviyo transport: authenticated session, JSON:API pagination over `links.next`, filters and rows."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import requests

from sources.common.endpoints import chosen_incremental_field, lookup_endpoint
from sources.common.http import TrackedSession, make_tracked_session
from sources.common.http_errors import body_excerpt, status_checker
from sources.common.rest_source import JSONLinkPaginator, RESTClient
from sources.common.resumable import ResumableSourceManager
from sources.common.resumable_pages import NextPageState, resumable_batches
from sources.common.retry import RetryPolicy
from sources.common.typings import SourceInputs, SourceResponse
from sources.common.watermarks import iso_seconds, parse_instant
from sources.klaviyo.settings import API_REVISION, BASE_URL, DEFAULT_PAGE_SIZE, ENDPOINTS, KlaviyoEndpoint

# Klaviyo answers 429 with `Retry-After`; `RateLimit-Reset` (seconds) is the fallback.
RETRY_POLICY = RetryPolicy(reset_header="RateLimit-Reset", reset_header_kind="seconds")
# The precision Klaviyo stores `updated` / `datetime` at.
PRECISION = dt.timedelta(seconds=1)


@dataclasses.dataclass
class KlaviyoResumeConfig(NextPageState):
    """The next page's request (`PageRequest.to_state()`); its URL carries the cursor, filter and sort."""


class KlaviyoError(ValueError):
    """Bad input for a Klaviyo sync: an unknown endpoint, incremental field or watermark."""


def auth_headers(api_key: str) -> dict[str, str]:
    return {
        "Authorization": f"Klaviyo-API-Key {api_key}",
        "revision": API_REVISION,
        "Accept": "application/vnd.api+json",
    }


def make_session(api_key: str, retry: RetryPolicy | None = RETRY_POLICY) -> TrackedSession:
    return make_tracked_session(headers=auth_headers(api_key), retry=retry, secrets=[api_key])


def error_detail(response: requests.Response) -> str:
    """The first JSON:API error as `code: detail`, or the start of the body when it is not JSON:API."""
    try:
        errors = response.json().get("errors") or []
        first = errors[0]
        return f"{first.get('code')}: {first.get('detail') or first.get('title')}"
    except (ValueError, AttributeError, IndexError, TypeError):
        return body_excerpt(response)


def get_endpoint(name: str) -> KlaviyoEndpoint:
    return lookup_endpoint(ENDPOINTS, name, "klaviyo", error=KlaviyoError)


def format_watermark(value: Any, where: str) -> str:
    """A watermark as the ISO 8601 instant Klaviyo filters take (`2024-03-01T00:00:00+00:00`)."""
    return iso_seconds(value, where, error=KlaviyoError)


def incremental_field(endpoint: KlaviyoEndpoint, inputs: SourceInputs) -> str | None:
    resource = f"klaviyo {endpoint.name}"
    return chosen_incremental_field(inputs, endpoint.incremental_field_names, resource, error=KlaviyoError)


def initial_params(endpoint: KlaviyoEndpoint, inputs: SourceInputs, page_size: int) -> dict[str, Any]:
    """First page: explicit ascending sort on the incremental field, and the server-side watermark filter."""
    field = incremental_field(endpoint, inputs)
    params: dict[str, Any] = {
        "page[size]": endpoint.page_size(page_size),
        "sort": field or endpoint.incremental_field_names[0],
    }
    if field is not None and inputs.db_incremental_field_last_value is not None:
        where = f"klaviyo {endpoint.name}"
        params["filter"] = watermark_filter(endpoint, field, inputs.db_incremental_field_last_value, where)
    return params


def watermark_filter(endpoint: KlaviyoEndpoint, field: str, value: Any, where: str) -> str:
    """Rows at or after the watermark. Klaviyo stores these times to the second, so a row written in the
    watermark's second after the last sync read the account is at the watermark: `greater-or-equal` where the
    field offers it, else `greater-than` the second before (the rows at the watermark come again; the merge on
    the primary key drops them)."""
    if endpoint.at_or_after:
        return f"greater-or-equal({field},{format_watermark(value, where)})"
    moment = parse_instant(value, where, epoch_numbers=True, error=KlaviyoError).replace(microsecond=0)
    return f"greater-than({field},{format_watermark(moment - PRECISION, where)})"


def flatten_resource(resource: dict[str, Any]) -> dict[str, Any]:
    """A JSON:API resource as a row: `attributes` lifted beside `type` and `id` (see settings.py)."""
    row: dict[str, Any] = dict(resource.get("attributes") or {})
    row["type"] = resource.get("type")
    row["id"] = resource.get("id")
    for key in ("relationships", "links"):
        if key in resource:
            row[key] = resource[key]
    return row


def flatten_resources(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [flatten_resource(resource) for resource in resources]


def select_resources(resource: str) -> Callable[[Any], list[dict[str, Any]]]:
    """The data selector: a JSON:API document's `data` list; any other body is a clear error."""

    def select(body: Any) -> list[dict[str, Any]]:
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            found = sorted(body) if isinstance(body, dict) else type(body).__name__
            raise KlaviyoError(f"{resource}: expected a JSON:API document with a `data` list of resources, got {found}")
        return data

    return select


def make_client(session: requests.Session, resource: str) -> RESTClient:
    return RESTClient(
        BASE_URL,
        session=session,
        data_selector=select_resources(resource),
        raise_for_status=status_checker(resource, error_detail),
    )


def iter_pages(
    api_key: str,
    endpoint: KlaviyoEndpoint,
    inputs: SourceInputs,
    manager: ResumableSourceManager[KlaviyoResumeConfig],
    page_size: int,
) -> Iterator[list[dict[str, Any]]]:
    resource = f"klaviyo {endpoint.name}"
    return resumable_batches(
        make_client(make_session(api_key), resource),
        endpoint.path,
        paginator=JSONLinkPaginator("links.next"),
        manager=manager,
        state_class=KlaviyoResumeConfig,
        resource=resource,
        first_params=lambda: initial_params(endpoint, inputs, page_size),
        rows=flatten_resources,
    )


def klaviyo_source(
    api_key: str,
    endpoint_name: str,
    inputs: SourceInputs,
    manager: ResumableSourceManager[KlaviyoResumeConfig],
    page_size: int = DEFAULT_PAGE_SIZE,
) -> SourceResponse:
    endpoint = get_endpoint(endpoint_name)
    incremental_field(endpoint, inputs)  # an unknown field fails here, before the pipeline starts
    return endpoint.response(lambda: iter_pages(api_key, endpoint, inputs, manager, page_size))


def probe(api_key: str, endpoint: KlaviyoEndpoint) -> requests.Response:
    """One cheap request (a single row) to check the key, without retries."""
    session = make_session(api_key, retry=None)
    return session.get(BASE_URL + endpoint.path, params={"page[size]": 1})
