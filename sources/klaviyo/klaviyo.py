"""Klaviyo transport: authenticated session, JSON:API pagination over `links.next`, filters and rows."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import requests

from sources.common.errors import ResumableStateError
from sources.common.http import TrackedSession, make_tracked_session
from sources.common.rest_source import JSONLinkPaginator, PageRequest, RESTClient
from sources.common.resumable import ResumableSourceManager
from sources.common.retry import RetryPolicy
from sources.common.typings import SourceInputs, SourceResponse
from sources.klaviyo.settings import API_REVISION, BASE_URL, DEFAULT_PAGE_SIZE, ENDPOINTS, KlaviyoEndpoint

# Klaviyo answers 429 with `Retry-After`; `RateLimit-Reset` (seconds) is the fallback.
RETRY_POLICY = RetryPolicy(reset_header="RateLimit-Reset", reset_header_kind="seconds")


@dataclasses.dataclass
class KlaviyoResumeConfig:
    """The next page's request (`PageRequest.to_state()`); its URL carries the cursor, filter and sort."""

    next_request: dict[str, Any]


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
        return response.text[:120] or "empty body"


def raise_for_status(response: requests.Response, resource: str) -> None:
    """`raise_for_status()` with the endpoint and Klaviyo's own error appended to the usual message."""
    if response.ok:
        return
    try:
        response.raise_for_status()
    except requests.HTTPError as exc:
        raise requests.HTTPError(f"{exc} [{resource}: {error_detail(response)}]", response=response) from None


def get_endpoint(name: str) -> KlaviyoEndpoint:
    try:
        return ENDPOINTS[name]
    except KeyError:
        raise KlaviyoError(f"klaviyo: unknown endpoint {name!r}; known: {', '.join(ENDPOINTS)}") from None


def format_watermark(value: Any, where: str) -> str:
    """A watermark as the ISO 8601 instant Klaviyo filters take (`2024-03-01T00:00:00+00:00`)."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day, tzinfo=UTC)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        moment = datetime.fromtimestamp(value, tz=UTC)
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise KlaviyoError(f"{where}: watermark {value!r} is not an ISO 8601 datetime") from None
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    else:
        raise KlaviyoError(f"{where}: watermark {value!r} is not a datetime")
    # Truncating to whole seconds can only widen a greater-than filter, never skip a row.
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def incremental_field(endpoint: KlaviyoEndpoint, inputs: SourceInputs) -> str | None:
    if not inputs.should_use_incremental_field:
        return None
    field = inputs.incremental_field
    if field not in endpoint.incremental_field_names:
        known = ", ".join(endpoint.incremental_field_names)
        raise KlaviyoError(f"klaviyo {endpoint.name}: cannot sync incrementally on {field!r}; choose one of {known}")
    return field


def initial_params(endpoint: KlaviyoEndpoint, inputs: SourceInputs, page_size: int) -> dict[str, Any]:
    """First page: explicit ascending sort on the incremental field, and the server-side watermark filter."""
    field = incremental_field(endpoint, inputs)
    params: dict[str, Any] = {
        "page[size]": min(page_size, endpoint.max_page_size),
        "sort": field or endpoint.incremental_field_names[0],
    }
    if field is not None and inputs.db_incremental_field_last_value is not None:
        where = f"klaviyo {endpoint.name}"
        watermark = format_watermark(inputs.db_incremental_field_last_value, where)
        params["filter"] = f"greater-than({field},{watermark})"
    return params


def flatten_resource(resource: dict[str, Any]) -> dict[str, Any]:
    """A JSON:API resource as a row: `attributes` lifted beside `type` and `id` (see settings.py)."""
    row: dict[str, Any] = dict(resource.get("attributes") or {})
    row["type"] = resource.get("type")
    row["id"] = resource.get("id")
    for key in ("relationships", "links"):
        if key in resource:
            row[key] = resource[key]
    return row


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
        raise_for_status=lambda response: raise_for_status(response, resource),
    )


def saved_request(manager: ResumableSourceManager[KlaviyoResumeConfig], resource: str) -> PageRequest | None:
    """The next page saved by an interrupted run of this job, or None on a fresh sync."""
    try:
        resume = manager.load_state() if manager.can_resume() else None
        return PageRequest.from_state(resume.next_request) if resume is not None else None
    except ResumableStateError as exc:
        raise ResumableStateError(f"{resource}: cannot resume from the saved position: {exc}") from None


def iter_pages(
    api_key: str,
    endpoint: KlaviyoEndpoint,
    inputs: SourceInputs,
    manager: ResumableSourceManager[KlaviyoResumeConfig],
    page_size: int,
) -> Iterator[list[dict[str, Any]]]:
    resource = f"klaviyo {endpoint.name}"
    resume_from = saved_request(manager, resource)
    params = initial_params(endpoint, inputs, page_size) if resume_from is None else None
    client = make_client(make_session(api_key), resource)
    pages = client.paginate(
        endpoint.path,
        params=params,
        paginator=JSONLinkPaginator("links.next"),
        resume_from=resume_from,
        resource=resource,
    )
    for page in pages:
        if page.items:
            yield [flatten_resource(item) for item in page.items]
        if page.next_request is not None:
            manager.save_state(KlaviyoResumeConfig(next_request=page.next_request.to_state()))


def klaviyo_source(
    api_key: str,
    endpoint_name: str,
    inputs: SourceInputs,
    manager: ResumableSourceManager[KlaviyoResumeConfig],
    page_size: int = DEFAULT_PAGE_SIZE,
) -> SourceResponse:
    endpoint = get_endpoint(endpoint_name)
    incremental_field(endpoint, inputs)  # an unknown field fails here, before the pipeline starts
    return SourceResponse(
        name=endpoint.name,
        items=lambda: iter_pages(api_key, endpoint, inputs, manager, page_size),
        primary_keys=[endpoint.primary_key],
        partition_count=1,
        partition_size=1,
        partition_keys=[endpoint.partition_key],
        partition_mode=endpoint.partition_mode,
        partition_format=endpoint.partition_format,
        sort_mode=endpoint.sort_mode,
    )


def probe(api_key: str, endpoint: KlaviyoEndpoint) -> requests.Response:
    """One cheap request (a single row) to check the key, without retries."""
    session = make_session(api_key, retry=None)
    return session.get(BASE_URL + endpoint.path, params={"page[size]": 1})
