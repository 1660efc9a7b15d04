"""Zendesk transport: basic auth with an API token, incremental exports, cursor-paginated lists and rows."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import requests
from requests.auth import HTTPBasicAuth

from sources.common import clock, watermarks
from sources.common.endpoints import chosen_incremental_field, lookup_endpoint
from sources.common.http import TrackedSession, make_tracked_session
from sources.common.http_errors import body_excerpt, status_checker
from sources.common.rest_source import JSONLinkPaginator, RESTClient
from sources.common.resumable import ResumableSourceManager
from sources.common.resumable_pages import NextPageState, resumable_batches
from sources.common.retry import DEFAULT_RETRY, RetryPolicy
from sources.common.subdomains import account_subdomain
from sources.common.typings import SourceInputs, SourceResponse
from sources.zendesk.settings import DEFAULT_PAGE_SIZE, ENDPOINTS, ZendeskEndpoint

# The exports refuse a start_time less than a minute old.
EXPORT_MIN_AGE_SECONDS = 60


@dataclasses.dataclass
class ZendeskResumeConfig(NextPageState):
    """The next page's request (`PageRequest.to_state()`): an export's `after_url` or a list's `links.next`."""


class ZendeskError(ValueError):
    """Bad input for a Zendesk sync: an unknown endpoint, incremental field, subdomain or watermark."""


def normalize_subdomain(value: str) -> str | None:
    """`acme`, `acme.zendesk.com` or `https://acme.zendesk.com/` → `acme`; None when it is none of those."""
    return account_subdomain(value, "zendesk.com")


def base_url(subdomain: str) -> str:
    return f"https://{subdomain}.zendesk.com/api/v2/"


def make_session(email: str, api_token: str, retry: RetryPolicy | None = DEFAULT_RETRY) -> TrackedSession:
    return make_tracked_session(retry=retry, secrets=[api_token], auth=HTTPBasicAuth(f"{email}/token", api_token))


def error_detail(response: requests.Response) -> str:
    """Zendesk's `error` (a string or `{title, message}`) and `description`, or the start of the body."""
    try:
        body = response.json()
        error = body["error"]
    except (ValueError, KeyError, TypeError):
        return body_excerpt(response)
    if isinstance(error, dict):
        error = ": ".join(str(error[key]) for key in ("title", "message") if error.get(key))
    description = body.get("description")
    return f"{error}: {description}" if description else str(error)


def get_endpoint(name: str) -> ZendeskEndpoint:
    return lookup_endpoint(ENDPOINTS, name, "zendesk", error=ZendeskError)


def epoch_seconds(value: Any, where: str) -> int:
    """A watermark (datetime, date, ISO string or epoch number) as whole epoch seconds, rounded down."""
    return watermarks.epoch_seconds(value, where, error=ZendeskError)


def incremental_field(endpoint: ZendeskEndpoint, inputs: SourceInputs) -> str | None:
    resource = f"zendesk {endpoint.name}"
    return chosen_incremental_field(inputs, endpoint.incremental_field_names, resource, error=ZendeskError)


def initial_params(endpoint: ZendeskEndpoint, inputs: SourceInputs, page_size: int) -> dict[str, Any]:
    params: dict[str, Any] = {endpoint.page_size_param: endpoint.page_size(page_size)}
    if endpoint.kind != "export":
        return params
    start_time = 0  # a full export starts at the beginning of the account
    field = incremental_field(endpoint, inputs)
    if field is not None and inputs.db_incremental_field_last_value is not None:
        start_time = epoch_seconds(inputs.db_incremental_field_last_value, f"zendesk {endpoint.name}")
    newest_allowed = int(clock.now()) - EXPORT_MIN_AGE_SECONDS
    params["start_time"] = max(0, min(start_time, newest_allowed))
    return params


def select_rows(endpoint: ZendeskEndpoint, resource: str) -> Callable[[Any], list[dict[str, Any]]]:
    """The data selector: the body's list under the endpoint's key (`tickets`, ...); any other body is an error."""

    def select(body: Any) -> list[dict[str, Any]]:
        rows = body.get(endpoint.data_key) if isinstance(body, dict) else None
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            found = sorted(body) if isinstance(body, dict) else type(body).__name__
            raise ZendeskError(f"{resource}: expected a `{endpoint.data_key}` list of objects in the body, got {found}")
        return rows

    return select


def next_url_selector(endpoint: ZendeskEndpoint) -> Callable[[dict[str, Any]], str | None]:
    """Exports: `after_url` until `end_of_stream`; lists: `links.next` while `meta.has_more`."""
    if endpoint.kind == "export":
        return lambda body: None if body.get("end_of_stream") else body.get("after_url")
    return lambda body: (body.get("links") or {}).get("next") if (body.get("meta") or {}).get("has_more") else None


def iter_pages(
    session: requests.Session,
    subdomain: str,
    endpoint: ZendeskEndpoint,
    inputs: SourceInputs,
    manager: ResumableSourceManager[ZendeskResumeConfig],
    page_size: int,
) -> Iterator[list[dict[str, Any]]]:
    resource = f"zendesk {endpoint.name}"
    client = RESTClient(
        base_url(subdomain),
        session=session,
        data_selector=select_rows(endpoint, resource),
        raise_for_status=status_checker(resource, error_detail),
    )
    return resumable_batches(
        client,
        endpoint.path,
        paginator=JSONLinkPaginator(next_url_selector(endpoint)),
        manager=manager,
        state_class=ZendeskResumeConfig,
        resource=resource,
        first_params=lambda: initial_params(endpoint, inputs, page_size),
    )


def zendesk_source(
    subdomain: str,
    email: str,
    api_token: str,
    endpoint_name: str,
    inputs: SourceInputs,
    manager: ResumableSourceManager[ZendeskResumeConfig],
    page_size: int = DEFAULT_PAGE_SIZE,
) -> SourceResponse:
    endpoint = get_endpoint(endpoint_name)
    incremental_field(endpoint, inputs)  # an unknown field fails here, before the pipeline starts
    return endpoint.response(
        lambda: iter_pages(make_session(email, api_token), subdomain, endpoint, inputs, manager, page_size)
    )


def probe(subdomain: str, email: str, api_token: str, endpoint: ZendeskEndpoint) -> requests.Response:
    """One cheap request (a single row) to check the credentials, without retries."""
    params: dict[str, Any] = {endpoint.page_size_param: 1}
    if endpoint.kind == "export":
        params["start_time"] = 0
    session = make_session(email, api_token, retry=None)
    return session.get(base_url(subdomain) + endpoint.path, params=params)
