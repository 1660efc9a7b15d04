"""Chargebee transport: API key basic auth, `next_offset` pagination, `updated_at[after]` filters and rows."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import requests
from requests.auth import HTTPBasicAuth

from sources.chargebee.settings import DEFAULT_PAGE_SIZE, ENDPOINTS, MAX_PAGE_SIZE, ChargebeeEndpoint
from sources.common.errors import ResumableStateError
from sources.common.http import TrackedSession, make_tracked_session
from sources.common.rest_source import JSONResponseCursorPaginator, PageRequest, RESTClient
from sources.common.resumable import ResumableSourceManager
from sources.common.retry import DEFAULT_RETRY, RetryPolicy
from sources.common.typings import SourceInputs, SourceResponse

SITE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


@dataclasses.dataclass
class ChargebeeResumeConfig:
    """The next page's request (`PageRequest.to_state()`): filters, sort and the `offset` token."""

    next_request: dict[str, Any]


class ChargebeeError(ValueError):
    """Bad input for a Chargebee sync: an unknown endpoint, incremental field, site or watermark."""


def normalize_site(value: str) -> str | None:
    """`acme-test`, `acme-test.chargebee.com` or `https://acme-test.chargebee.com/` → `acme-test`; else None."""
    text = value.strip().lower().removeprefix("https://").removeprefix("http://").rstrip("/")
    text = text.removesuffix(".chargebee.com")
    return text if SITE.match(text) else None


def base_url(site: str) -> str:
    return f"https://{site}.chargebee.com/api/v2/"


def make_session(api_key: str, retry: RetryPolicy | None = DEFAULT_RETRY) -> TrackedSession:
    # Chargebee takes the API key as the basic-auth user name with an empty password.
    return make_tracked_session(retry=retry, secrets=[api_key], auth=HTTPBasicAuth(api_key, ""))


def error_detail(response: requests.Response) -> str:
    """Chargebee's `api_error_code: message`, or the start of the body when it is not a Chargebee error."""
    try:
        body = response.json()
        return f"{body['api_error_code']}: {body['message']}"
    except (ValueError, KeyError, TypeError):
        return response.text[:120] or "empty body"


def raise_for_status(response: requests.Response, resource: str) -> None:
    """`raise_for_status()` with the endpoint and Chargebee's own error appended to the usual message."""
    if response.ok:
        return
    try:
        response.raise_for_status()
    except requests.HTTPError as exc:
        raise requests.HTTPError(f"{exc} [{resource}: {error_detail(response)}]", response=response) from None


def get_endpoint(name: str) -> ChargebeeEndpoint:
    try:
        return ENDPOINTS[name]
    except KeyError:
        raise ChargebeeError(f"chargebee: unknown endpoint {name!r}; known: {', '.join(ENDPOINTS)}") from None


def epoch_seconds(value: Any, where: str) -> int:
    """A watermark (epoch number or digit string, datetime, date or ISO string) as epoch seconds, rounded down."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day, tzinfo=UTC)
    elif isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ChargebeeError(f"{where}: watermark {value!r} is neither epoch seconds nor a datetime") from None
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    else:
        raise ChargebeeError(f"{where}: watermark {value!r} is neither epoch seconds nor a datetime")
    return int(moment.timestamp())


def incremental_field(endpoint: ChargebeeEndpoint, inputs: SourceInputs) -> str | None:
    if not inputs.should_use_incremental_field:
        return None
    field = inputs.incremental_field
    if field not in endpoint.incremental_field_names:
        known = ", ".join(endpoint.incremental_field_names)
        raise ChargebeeError(
            f"chargebee {endpoint.name}: cannot sync incrementally on {field!r}; choose one of {known}"
        )
    return field


def initial_params(endpoint: ChargebeeEndpoint, inputs: SourceInputs, page_size: int) -> dict[str, Any]:
    """First page: explicit ascending sort on the incremental field, and the server-side watermark filter."""
    field = incremental_field(endpoint, inputs) or endpoint.incremental_field_names[0]
    params: dict[str, Any] = {
        "limit": min(page_size, MAX_PAGE_SIZE),
        "include_deleted": "true",
        "sort_by[asc]": field,
    }
    if inputs.should_use_incremental_field and inputs.db_incremental_field_last_value is not None:
        where = f"chargebee {endpoint.name}"
        params[f"{field}[after]"] = epoch_seconds(inputs.db_incremental_field_last_value, where)
    return params


def select_objects(endpoint: ChargebeeEndpoint, resource: str) -> Callable[[Any], list[dict[str, Any]]]:
    """The data selector: each `list` entry's own object (`entry["customer"]`), leaving side-loaded objects out."""

    def select(body: Any) -> list[dict[str, Any]]:
        entries = body.get("list") if isinstance(body, dict) else None
        if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
            found = sorted(body) if isinstance(body, dict) else type(body).__name__
            raise ChargebeeError(f"{resource}: expected a `list` of entries in the body, got {found}")
        rows = [entry.get(endpoint.object_key) for entry in entries]
        if not all(isinstance(row, dict) for row in rows):
            raise ChargebeeError(f"{resource}: a `list` entry has no `{endpoint.object_key}` object")
        return rows  # type: ignore[return-value]

    return select


def saved_request(manager: ResumableSourceManager[ChargebeeResumeConfig], resource: str) -> PageRequest | None:
    """The next page saved by an interrupted run of this job, or None on a fresh sync."""
    try:
        resume = manager.load_state() if manager.can_resume() else None
        return PageRequest.from_state(resume.next_request) if resume is not None else None
    except ResumableStateError as exc:
        raise ResumableStateError(f"{resource}: cannot resume from the saved position: {exc}") from None


def iter_pages(
    api_key: str,
    site: str,
    endpoint: ChargebeeEndpoint,
    inputs: SourceInputs,
    manager: ResumableSourceManager[ChargebeeResumeConfig],
    page_size: int,
) -> Iterator[list[dict[str, Any]]]:
    resource = f"chargebee {endpoint.name}"
    resume_from = saved_request(manager, resource)
    params = initial_params(endpoint, inputs, page_size) if resume_from is None else None
    client = RESTClient(
        base_url(site),
        session=make_session(api_key),
        data_selector=select_objects(endpoint, resource),
        raise_for_status=lambda response: raise_for_status(response, resource),
    )
    pages = client.paginate(
        endpoint.path,
        params=params,
        paginator=JSONResponseCursorPaginator(cursor_path="next_offset", cursor_param="offset"),
        resume_from=resume_from,
        resource=resource,
    )
    for page in pages:
        if page.items:
            yield page.items
        if page.next_request is not None:
            manager.save_state(ChargebeeResumeConfig(next_request=page.next_request.to_state()))


def chargebee_source(
    api_key: str,
    site: str,
    endpoint_name: str,
    inputs: SourceInputs,
    manager: ResumableSourceManager[ChargebeeResumeConfig],
    page_size: int = DEFAULT_PAGE_SIZE,
) -> SourceResponse:
    endpoint = get_endpoint(endpoint_name)
    incremental_field(endpoint, inputs)  # an unknown field fails here, before the pipeline starts
    return SourceResponse(
        name=endpoint.name,
        items=lambda: iter_pages(api_key, site, endpoint, inputs, manager, page_size),
        primary_keys=[endpoint.primary_key],
        partition_count=1,
        partition_size=1,
        partition_keys=[endpoint.partition_key],
        partition_mode=endpoint.partition_mode,
        partition_format=endpoint.partition_format,
        sort_mode=endpoint.sort_mode,
    )


def probe(api_key: str, site: str, endpoint: ChargebeeEndpoint) -> requests.Response:
    """One cheap request (a single row) to check the key, without retries."""
    return make_session(api_key, retry=None).get(base_url(site) + endpoint.path, params={"limit": 1})
