"""Klaviyo endpoint catalog.

Row shape: Klaviyo answers with JSON:API resource objects (`{"type", "id", "attributes": {...}, "relationships",
"links"}`). The incremental fields (`updated`, `datetime`) live under `attributes`, and the pipeline reads its
watermark and partition key from top-level columns, so each row is the resource with `attributes` flattened
into it: `{"type", "id", **attributes, "relationships", "links"}`. Nothing else is renamed or parsed; nested
attribute values (`location`, `properties`, `event_properties`) stay as the API returns them.
"""

from __future__ import annotations

import dataclasses

from sources.common.base import IncrementalField
from sources.common.endpoints import Endpoint

BASE_URL = "https://a.klaviyo.com/api/"
# The API revision this connector is written against (sent as the `revision` header). 2026-01-15 is the first
# revision in which Get Events accepts `page[size]`.
API_REVISION = "2026-01-15"
DEFAULT_PAGE_SIZE = 100


@dataclasses.dataclass(frozen=True, kw_only=True)
class KlaviyoEndpoint(Endpoint):
    path: str
    # The read scope a private API key needs for this endpoint.
    scope: str
    # Whether the incremental field's filter offers `greater-or-equal` (Get Events: `datetime`); Get Profiles
    # offers only `greater-than` and `less-than` on `updated` (the `filter` parameter of each API reference page).
    at_or_after: bool = False


ENDPOINTS: dict[str, KlaviyoEndpoint] = {
    endpoint.name: endpoint
    for endpoint in (
        KlaviyoEndpoint(
            name="profiles",
            path="profiles/",
            scope="profiles:read",
            incremental_fields=(IncrementalField("updated", "datetime", "updated", "datetime"),),
            partition_key="created",
            max_page_size=100,
            description="Every profile (contact) in the account.",
        ),
        KlaviyoEndpoint(
            name="events",
            path="events/",
            scope="events:read",
            incremental_fields=(IncrementalField("datetime", "datetime", "datetime", "datetime"),),
            partition_key="datetime",
            max_page_size=1000,
            at_or_after=True,
            description="Every tracked event (opened email, placed order, ...); events never change once made.",
        ),
    )
}
