"""Pipedrive transport: session, errors, request parameters, pagination and each endpoint's response."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import requests

from sources.common.endpoints import chosen_incremental_field, lookup_endpoint
from sources.common.errors import SourceError
from sources.common.http import TrackedSession, make_tracked_session
from sources.common.http_errors import body_excerpt, status_checker
from sources.common.rest_source import JSONResponseCursorPaginator, RESTClient
from sources.common.resumable import ResumableSourceManager
from sources.common.resumable_pages import NextPageState, resumable_batches
from sources.common.retry import RetryPolicy
from sources.common.typings import SourceInputs, SourceResponse
from sources.common.watermarks import parse_instant
from sources.pipedrive.settings import BASE_URL, ENDPOINTS, PipedriveEndpoint

SOURCE_NAME = "pipedrive"
# Burst limits answer 429 with `x-ratelimit-reset`: the seconds left in the 2-second window.
RETRY_POLICY = RetryPolicy(reset_header="x-ratelimit-reset", reset_header_kind="seconds")
API_TOKEN_HEADER = "x-api-token"


@dataclasses.dataclass
class PipedriveResumeConfig(NextPageState):
    """The next page's request (`PageRequest.to_state()`): its `cursor` is Pipedrive's marker of the first row of
    the next page, so a resume continues after the last delivered row even when rows moved meanwhile."""


class PipedriveError(SourceError, ValueError):
    """Bad input for a Pipedrive sync: an unknown endpoint, incremental field or watermark."""


def make_session(api_token: str, retry: RetryPolicy | None = RETRY_POLICY) -> TrackedSession:
    return make_tracked_session(
        headers={API_TOKEN_HEADER: api_token, "Accept": "application/json"}, retry=retry, secrets=[api_token]
    )


def error_detail(response: requests.Response) -> str:
    """`error: error_info` of Pipedrive's error body (`{"success": false, "error": ..., "error_info": ...}`)."""
    try:
        body = response.json()
    except ValueError:
        return body_excerpt(response)
    if not isinstance(body, dict) or not body.get("error"):
        return body_excerpt(response)
    code = body.get("code")
    message = f"{code}: {body['error']}" if code else str(body["error"])
    return f"{message} ({body['error_info']})" if body.get("error_info") else message


def get_endpoint(name: str) -> PipedriveEndpoint:
    return lookup_endpoint(ENDPOINTS, name, SOURCE_NAME, error=PipedriveError)


def incremental_field(endpoint: PipedriveEndpoint, inputs: SourceInputs) -> str | None:
    return chosen_incremental_field(
        inputs,
        endpoint.incremental_field_names,
        f"{SOURCE_NAME} {endpoint.name}",
        error=PipedriveError,
    )


def rfc3339(value: Any, where: str) -> str:
    """`2025-01-01T10:20:00Z`: the form Pipedrive's `updated_since` documents (whole seconds, UTC, `Z`).

    Truncating to the second can only widen an `update_time >=` filter, never skip a row."""
    moment = parse_instant(value, where, error=PipedriveError)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def initial_params(endpoint: PipedriveEndpoint, inputs: SourceInputs, page_size: int) -> dict[str, Any]:
    """The first page: `limit`, and on incremental endpoints the sort on the sync's field ascending (full syncs
    too, so the cursor walks a stable order) with `updated_since` from the watermark."""
    params: dict[str, Any] = {"limit": endpoint.page_size(page_size)}
    if not endpoint.incremental_fields:
        return params
    field = incremental_field(endpoint, inputs) or endpoint.incremental_field_names[0]
    params["sort_by"] = field
    params["sort_direction"] = "asc"
    last_value = inputs.db_incremental_field_last_value
    if incremental_field(endpoint, inputs) is not None and last_value is not None:
        params["updated_since"] = rfc3339(last_value, f"{SOURCE_NAME} {endpoint.name}")
    return params


def make_paginator() -> JSONResponseCursorPaginator:
    """`additional_data.next_cursor` back as `cursor`; null on the last page."""
    return JSONResponseCursorPaginator(cursor_path="additional_data.next_cursor", cursor_param="cursor")


def iter_pages(
    api_token: str,
    endpoint: PipedriveEndpoint,
    inputs: SourceInputs,
    manager: ResumableSourceManager[PipedriveResumeConfig],
    page_size: int,
) -> Iterator[list[dict[str, Any]]]:
    resource = f"{SOURCE_NAME} {endpoint.name}"
    client = RESTClient(
        BASE_URL,
        session=make_session(api_token),
        data_selector="data",
        raise_for_status=status_checker(resource, error_detail),
    )
    return resumable_batches(
        client,
        endpoint.path,
        paginator=make_paginator(),
        manager=manager,
        state_class=PipedriveResumeConfig,
        resource=resource,
        first_params=lambda: initial_params(endpoint, inputs, page_size),
    )


def pipedrive_source(
    api_token: str,
    endpoint_name: str,
    inputs: SourceInputs,
    manager: ResumableSourceManager[PipedriveResumeConfig],
    page_size: int,
) -> SourceResponse:
    endpoint = get_endpoint(endpoint_name)
    incremental_field(endpoint, inputs)  # an unknown field fails here, before the pipeline starts
    return endpoint.response(lambda: iter_pages(api_token, endpoint, inputs, manager, page_size))


def probe(api_token: str, endpoint: PipedriveEndpoint) -> requests.Response:
    """One cheap request (a single row) to check the token, without retries."""
    return make_session(api_token, retry=None).get(BASE_URL + endpoint.path, params={"limit": 1})
