"""Chargebee endpoint catalog.

Chargebee wraps each listed object: `{"list": [{"customer": {...}}, ...], "next_offset": "..."}` (a subscription
entry also carries its `customer` and `card`). A row is the endpoint's own object (`entry["customer"]`), exactly
as the API returns it; timestamps stay epoch seconds. Lists page with the opaque `next_offset` token (absent on
the last page), sort explicitly with `sort_by[asc]=updated_at` and filter server-side with
`updated_at[after]=<epoch>` (strictly after). Deleted records are included (`include_deleted=true`, rows carry
`deleted: true`) so the warehouse learns of deletions.
"""

from __future__ import annotations

import dataclasses

from sources.common.base import IncrementalField
from sources.common.endpoints import Endpoint

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 100
# Shown as a datetime; stored by the API as epoch seconds.
UPDATED_AT = IncrementalField("updated_at", "datetime", "updated_at", "integer")


@dataclasses.dataclass(frozen=True, kw_only=True)
class ChargebeeEndpoint(Endpoint):
    path: str
    # The key of the object inside each `list` entry.
    object_key: str
    incremental_fields: tuple[IncrementalField, ...] = (UPDATED_AT,)
    max_page_size: int | None = MAX_PAGE_SIZE


ENDPOINTS: dict[str, ChargebeeEndpoint] = {
    endpoint.name: endpoint
    for endpoint in (
        ChargebeeEndpoint(
            name="customers",
            path="customers",
            object_key="customer",
            partition_key="created_at",
            description="Every customer, deleted ones included.",
        ),
        ChargebeeEndpoint(
            name="subscriptions",
            path="subscriptions",
            object_key="subscription",
            partition_key="created_at",
            description="Every subscription, deleted ones included.",
        ),
        ChargebeeEndpoint(
            name="invoices",
            path="invoices",
            object_key="invoice",
            # Invoices have no created_at; `date` is when the invoice was raised and never changes.
            partition_key="date",
            description="Every invoice, deleted ones included.",
        ),
    )
}
