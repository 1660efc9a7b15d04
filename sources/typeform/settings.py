"""Typeform endpoint catalog (Create API). Every endpoint is full refresh.

Both endpoints page with `page` (from 1) and `page_size` (at most 200) and report `page_count` in the body.
Neither has a server-side time filter, so neither offers incremental sync: forms carry `last_updated_at`, but
`GET /forms` cannot be asked for forms changed since a time.

Ordering: forms are requested sorted explicitly (`sort_by=created_at&order_by=asc`), so a form created during
a sync lands on the last page instead of shifting earlier page boundaries. Workspaces have no sort parameter;
the connector relies on the API's default order being stable across the pages of one sync (a full refresh
replaces the table, so a workspace missed by a shifted boundary returns on the next sync).
"""

from __future__ import annotations

import dataclasses

from sources.common.endpoints import Endpoint

BASE_URLS = {"us": "https://api.typeform.com", "eu": "https://api.eu.typeform.com"}
DEFAULT_DATA_CENTER = "us"
DEFAULT_PAGE_SIZE = 200
MAX_PAGE_SIZE = 200


@dataclasses.dataclass(frozen=True, kw_only=True)
class TypeformEndpoint(Endpoint):
    path: str
    scope: str
    # Sent on every page, in this order; empty where the API offers no sort.
    sort_params: tuple[tuple[str, str], ...] = ()
    max_page_size: int | None = MAX_PAGE_SIZE


ENDPOINTS: dict[str, TypeformEndpoint] = {
    endpoint.name: endpoint
    for endpoint in (
        TypeformEndpoint(
            name="forms",
            path="/forms",
            scope="forms:read",
            sort_params=(("sort_by", "created_at"), ("order_by", "asc")),
            partition_key="created_at",
        ),
        TypeformEndpoint(name="workspaces", path="/workspaces", scope="workspaces:read"),
    )
}
