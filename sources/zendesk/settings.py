"""Zendesk endpoint catalog.

Two kinds of endpoint:
- `export`: the cursor-based incremental exports (`/api/v2/incremental/<resource>/cursor.json`). The first
  request sends `start_time` (epoch seconds; items changed on or after it), every later one follows
  `after_url`; the stream is done when `end_of_stream` is true (`after_url` is present even then). Rows come
  ordered by when they changed, so they are incremental on `updated_at`. `start_time` is inclusive, so rows
  stamped exactly at the watermark come again (the merge on `id` dedupes them); nothing is ever skipped.
- `list`: ordinary list endpoints with cursor pagination (`page[size]`, `meta.has_more`, `links.next`). They
  cannot filter by time, so they are full refresh.
Rows are the objects exactly as the API returns them.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

from sources.common.base import IncrementalField
from sources.common.endpoints import Endpoint

DEFAULT_PAGE_SIZE = 100
UPDATED_AT = IncrementalField("updated_at", "datetime", "updated_at", "datetime")

EndpointKind = Literal["export", "list"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class ZendeskEndpoint(Endpoint):
    path: str
    kind: EndpointKind
    data_key: str
    required_role: str
    # The creation time: rows never move between partitions when they change.
    partition_key: str | None = "created_at"

    @property
    def page_size_param(self) -> str:
        return "per_page" if self.kind == "export" else "page[size]"


ENDPOINTS: dict[str, ZendeskEndpoint] = {
    endpoint.name: endpoint
    for endpoint in (
        ZendeskEndpoint(
            name="tickets",
            path="incremental/tickets/cursor.json",
            kind="export",
            data_key="tickets",
            incremental_fields=(UPDATED_AT,),
            max_page_size=1000,
            description="Every ticket, deleted ones included, from the incremental ticket export.",
            required_role="admin",
        ),
        ZendeskEndpoint(
            name="users",
            path="incremental/users/cursor.json",
            kind="export",
            data_key="users",
            incremental_fields=(UPDATED_AT,),
            max_page_size=1000,
            description="Every user (end users, agents and admins) from the incremental user export.",
            required_role="admin",
        ),
        ZendeskEndpoint(
            name="groups",
            path="groups.json",
            kind="list",
            data_key="groups",
            incremental_fields=(),
            max_page_size=100,
            description="Agent groups.",
            required_role="agent",
        ),
    )
}
