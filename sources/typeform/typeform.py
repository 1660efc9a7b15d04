"""Typeform transport: session, error messages, page-number pagination and the `SourceResponse` per endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import requests

from sources.common.endpoints import lookup_endpoint
from sources.common.errors import SourceError
from sources.common.http import make_tracked_session
from sources.common.http_errors import code_and_message, status_checker
from sources.common.rest_source import PageNumberPaginator, RESTClient
from sources.common.retry import DEFAULT_RETRY
from sources.common.typings import SourceResponse
from sources.typeform.settings import ENDPOINTS, TypeformEndpoint

SOURCE_NAME = "typeform"
# Typeform allows 2 requests per second per account and documents no rate-limit headers: the default policy
# backs off exponentially on 429 (and honours Retry-After if one is sent).
RETRY_POLICY = DEFAULT_RETRY


class TypeformError(SourceError):
    """A Typeform endpoint or setting the transport cannot work with."""


def make_session(personal_access_token: str) -> requests.Session:
    return make_tracked_session(
        headers={"Authorization": f"Bearer {personal_access_token}", "Accept": "application/json"},
        retry=RETRY_POLICY,
    )


def error_detail(response: requests.Response) -> str:
    """Typeform's own explanation from an error body (`code: description`), or the body's first bytes."""
    return code_and_message(response, ("code",), "description")


def get_endpoint(name: str) -> TypeformEndpoint:
    return lookup_endpoint(ENDPOINTS, name, SOURCE_NAME, error=TypeformError, known=sorted(ENDPOINTS))


def make_paginator(page_size: int) -> PageNumberPaginator:
    return PageNumberPaginator(
        base_page=1,
        page_param="page",
        total_pages_path="page_count",
        page_size=page_size,
        page_size_param="page_size",
    )


def typeform_source(personal_access_token: str, endpoint_name: str, page_size: int, base_url: str) -> SourceResponse:
    endpoint = get_endpoint(endpoint_name)
    resource = f"{SOURCE_NAME} {endpoint.name}"
    client = RESTClient(
        base_url,
        session=make_session(personal_access_token),
        data_selector="items",
        raise_for_status=status_checker(resource, error_detail, brackets="()"),
    )

    def items() -> Iterator[list[dict[str, Any]]]:
        pages = client.paginate(
            endpoint.path,
            params=dict(endpoint.sort_params),
            paginator=make_paginator(page_size),
            resource=resource,
        )
        for page in pages:
            if page.items:
                yield page.items

    return endpoint.response(items)
