"""The Acme endpoint catalog."""

from __future__ import annotations

import dataclasses

from sources.common.base import IncrementalField
from sources.common.typings import SortMode

BASE_URL = "https://api.acme-helpdesk.test/v1"


@dataclasses.dataclass(frozen=True)
class AcmeEndpoint:
    name: str
    path: str
    primary_key: str
    incremental_fields: tuple[IncrementalField, ...]
    partition_key: str
    sort_mode: SortMode
    webhooks: bool = False


def _field(label: str, name: str) -> IncrementalField:
    return IncrementalField(label=label, type="datetime", field=name, field_type="datetime")


ENDPOINTS: dict[str, AcmeEndpoint] = {
    "tickets": AcmeEndpoint(
        "tickets",
        "/tickets",
        "id",
        (_field("Updated at", "updated_at"), _field("Created at", "created_at")),
        "created_at",
        "asc",
        webhooks=True,
    ),
    "agents": AcmeEndpoint("agents", "/agents", "id", (), "created_at", "asc"),
    "events": AcmeEndpoint("events", "/events", "id", (_field("Occurred at", "occurred_at"),), "occurred_at", "desc"),
}
INCREMENTAL_FIELDS: dict[str, list[str]] = {
    name: [field.field for field in endpoint.incremental_fields] for name, endpoint in ENDPOINTS.items()
}
