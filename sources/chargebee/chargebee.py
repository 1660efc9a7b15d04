"""Chargebee transport: API key basic auth, `next_offset` pagination, `updated_at[after]` filters and rows."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import requests
from requests.auth import HTTPBasicAuth

from sources.chargebee.settings import DEFAULT_PAGE_SIZE, ENDPOINTS, ChargebeeEndpoint
from sources.common import watermarks
from sources.common.endpoints import chosen_incremental_field, lookup_endpoint
from sources.common.http import TrackedSession, make_tracked_session
from sources.common.http_errors import body_excerpt, status_checker
from sources.common.rest_source import JSONResponseCursorPaginator, RESTClient
from sources.common.resumable import ResumableSourceManager
from sources.common.resumable_pages import NextPageState, resumable_batches
from sources.common.retry import DEFAULT_RETRY, RetryPolicy
from sources.common.subdomains import account_subdomain
from sources.common.typings import SourceInputs, SourceResponse
from sources.common.watermarks import WatermarkError


@dataclasses.dataclass
class ChargebeeResumeConfig(NextPageState):
    """The next page's request (`PageRequest.to_state()`): filters, sort and the `offset` token."""


# Chargebee stores times in whole seconds and its timestamp filters are `after` (strictly), `before`, `on` and
# `between`: none keeps rows at the watermark. A row written in the watermark's second after the last sync read the
# site is at the watermark, so the filter asks for rows after the second before it; the rows at the watermark come
# again and the merge on the primary key drops them.
PRECISION_SECONDS = 1


class ChargebeeError(ValueError):
    """Bad input for a Chargebee sync: an unknown endpoint, incremental field, site or watermark."""


def normalize_site(value: str) -> str | None:
    """`acme-test`, `acme-test.chargebee.com` or `https://acme-test.chargebee.com/` → `acme-test`; else None."""
    return account_subdomain(value, "chargebee.com")


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
        return body_excerpt(response)


def get_endpoint(name: str) -> ChargebeeEndpoint:
    return lookup_endpoint(ENDPOINTS, name, "chargebee", error=ChargebeeError)


def epoch_seconds(value: Any, where: str) -> int:
    """A watermark (epoch number or digit string, datetime, date or ISO string) as epoch seconds, rounded down.

    Chargebee's own times are epoch seconds, so a watermark may come back as their digits.
    """
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    try:
        return watermarks.epoch_seconds(value, where)
    except WatermarkError:
        raise ChargebeeError(f"{where}: watermark {value!r} is neither epoch seconds nor a datetime") from None


def incremental_field(endpoint: ChargebeeEndpoint, inputs: SourceInputs) -> str | None:
    resource = f"chargebee {endpoint.name}"
    return chosen_incremental_field(inputs, endpoint.incremental_field_names, resource, error=ChargebeeError)


def initial_params(endpoint: ChargebeeEndpoint, inputs: SourceInputs, page_size: int) -> dict[str, Any]:
    """First page: explicit ascending sort on the incremental field, and the server-side watermark filter
    (from one second before the watermark: see PRECISION_SECONDS)."""
    field = incremental_field(endpoint, inputs) or endpoint.incremental_field_names[0]
    params: dict[str, Any] = {
        "limit": endpoint.page_size(page_size),
        "include_deleted": "true",
        "sort_by[asc]": field,
    }
    if inputs.should_use_incremental_field and inputs.db_incremental_field_last_value is not None:
        where = f"chargebee {endpoint.name}"
        watermark = epoch_seconds(inputs.db_incremental_field_last_value, where)
        params[f"{field}[after]"] = watermark - PRECISION_SECONDS
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


def iter_pages(
    api_key: str,
    site: str,
    endpoint: ChargebeeEndpoint,
    inputs: SourceInputs,
    manager: ResumableSourceManager[ChargebeeResumeConfig],
    page_size: int,
) -> Iterator[list[dict[str, Any]]]:
    resource = f"chargebee {endpoint.name}"
    client = RESTClient(
        base_url(site),
        session=make_session(api_key),
        data_selector=select_objects(endpoint, resource),
        raise_for_status=status_checker(resource, error_detail),
    )
    return resumable_batches(
        client,
        endpoint.path,
        paginator=JSONResponseCursorPaginator(cursor_path="next_offset", cursor_param="offset"),
        manager=manager,
        state_class=ChargebeeResumeConfig,
        resource=resource,
        first_params=lambda: initial_params(endpoint, inputs, page_size),
    )


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
    return endpoint.response(lambda: iter_pages(api_key, site, endpoint, inputs, manager, page_size))


def probe(api_key: str, site: str, endpoint: ChargebeeEndpoint) -> requests.Response:
    """One cheap request (a single row) to check the key, without retries."""
    return make_session(api_key, retry=None).get(base_url(site) + endpoint.path, params={"limit": 1})
