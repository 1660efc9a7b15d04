"""HubSpot endpoint catalog: one CRM v3 object type per endpoint.

Full refresh pages `GET /crm/v3/objects/{object}` with the `after` cursor from `paging.next.after`.
Incremental syncs use `POST /crm/v3/objects/{object}/search`, filtered server-side on the object's
last-modified property (GTE, epoch milliseconds) and sorted ascending on it.

Search paging is keyset, not HubSpot's `after` offset: each next page is the same search filtered to the rows
after the last row received, by (last-modified, object id) — `GT value` OR (`EQ value` AND `hs_object_id GT id`).
An offset skips rows whenever records are edited (they move to the end of the sort) or deleted while a sync runs
or is down; the position of the last row does not. Every query starts at offset 0, so HubSpot's 10,000-result
search ceiling (`SEARCH_RESULT_CEILING`; `after >= 10000` is a 400) is never reached.
"""

from __future__ import annotations

import dataclasses

from sources.common.base import IncrementalField
from sources.common.typings import PartitionFormat, PartitionMode, SortMode

BASE_URL = "https://api.hubapi.com"
# The list endpoints accept at most 100 rows per page; search accepts 200, so 100 suits both.
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 100
SEARCH_RESULT_CEILING = 10_000

UPDATED_AT = IncrementalField(label="updatedAt", type="datetime", field="updatedAt", field_type="datetime")


@dataclasses.dataclass(frozen=True)
class HubspotEndpoint:
    """One CRM object type. `last_modified_property` is the search property behind `updatedAt`."""

    name: str
    object_type: str
    properties: tuple[str, ...]
    last_modified_property: str
    scope: str
    primary_key: tuple[str, ...] = ("id",)
    incremental_fields: tuple[IncrementalField, ...] = (UPDATED_AT,)
    partition_key: str = "createdAt"
    partition_mode: PartitionMode = "datetime"
    partition_format: PartitionFormat = "month"
    sort_mode: SortMode = "asc"
    description: str | None = None

    @property
    def list_path(self) -> str:
        return f"/crm/v3/objects/{self.object_type}"

    @property
    def search_path(self) -> str:
        return f"/crm/v3/objects/{self.object_type}/search"

    def filter_property(self, incremental_field: str) -> str | None:
        """The search property that filters on `incremental_field`, or None when this endpoint has none."""
        return self.last_modified_property if incremental_field == UPDATED_AT.field else None


ENDPOINTS: dict[str, HubspotEndpoint] = {
    endpoint.name: endpoint
    for endpoint in (
        HubspotEndpoint(
            name="contacts",
            object_type="contacts",
            properties=("createdate", "email", "firstname", "lastname", "phone", "company", "lifecyclestage"),
            last_modified_property="lastmodifieddate",
            scope="crm.objects.contacts.read",
        ),
        HubspotEndpoint(
            name="companies",
            object_type="companies",
            properties=("createdate", "name", "domain", "industry", "city", "country", "numberofemployees"),
            last_modified_property="hs_lastmodifieddate",
            scope="crm.objects.companies.read",
        ),
        HubspotEndpoint(
            name="deals",
            object_type="deals",
            properties=("createdate", "dealname", "amount", "dealstage", "pipeline", "closedate"),
            last_modified_property="hs_lastmodifieddate",
            scope="crm.objects.deals.read",
        ),
    )
}
