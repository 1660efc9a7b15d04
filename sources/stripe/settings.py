"""Stripe endpoint catalog: SDK list service, primary key, incremental field, partitioning and sort order."""

from __future__ import annotations

import dataclasses

from sources.common.base import IncrementalField
from sources.common.endpoints import Endpoint
from sources.common.typings import SortMode

# Stripe caps `limit` at 100; fixtures use a small page size so that pagination is exercised.
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 100

# `created` is integer epoch seconds; the UI shows it as a datetime.
CREATED = IncrementalField(label="created_at", type="datetime", field="created", field_type="integer")


@dataclasses.dataclass(frozen=True, kw_only=True)
class StripeEndpoint(Endpoint):
    # The `StripeClient.v1` service that lists this object (`client.v1.<service>.list`).
    service: str
    object_type: str
    webhook_events: tuple[str, ...]
    incremental_fields: tuple[IncrementalField, ...] = (CREATED,)
    partition_key: str | None = "created"
    # Stripe lists are always newest first and cannot be sorted otherwise.
    sort_mode: SortMode = "desc"
    max_page_size: int | None = MAX_PAGE_SIZE
    supports_webhooks: bool = True


CHARGES = StripeEndpoint(
    name="charges",
    service="charges",
    object_type="charge",
    webhook_events=(
        "charge.captured",
        "charge.expired",
        "charge.failed",
        "charge.pending",
        "charge.refunded",
        "charge.succeeded",
        "charge.updated",
    ),
    description="Charges (GET /v1/charges).",
)

CUSTOMERS = StripeEndpoint(
    name="customers",
    service="customers",
    object_type="customer",
    webhook_events=("customer.created", "customer.deleted", "customer.updated"),
    description="Customers (GET /v1/customers).",
)

INVOICES = StripeEndpoint(
    name="invoices",
    service="invoices",
    object_type="invoice",
    webhook_events=(
        "invoice.created",
        "invoice.deleted",
        "invoice.finalized",
        "invoice.marked_uncollectible",
        "invoice.paid",
        "invoice.payment_failed",
        "invoice.updated",
        "invoice.voided",
    ),
    description="Invoices (GET /v1/invoices).",
)

ENDPOINTS: dict[str, StripeEndpoint] = {endpoint.name: endpoint for endpoint in (CHARGES, CUSTOMERS, INVOICES)}
