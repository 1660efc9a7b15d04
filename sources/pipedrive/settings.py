"""Pipedrive endpoint catalog (API v2, https://developers.pipedrive.com/docs/api/v2/Deals#getDeals).

Deals, persons and organizations list with `updated_since` (RFC 3339, `update_time >=`) and sort on
`update_time` ascending, so they are incremental on `update_time`; stages have no update filter (full refresh).
Every v2 listing pages with an opaque `cursor` (`additional_data.next_cursor`) and takes at most 500 rows per
request (`limit`).
"""

from __future__ import annotations

import dataclasses

from sources.common.base import IncrementalField
from sources.common.endpoints import Endpoint

BASE_URL = "https://api.pipedrive.com/api/v2"
DEFAULT_PAGE_SIZE = 100  # the vendor's default `limit`
MAX_PAGE_SIZE = 500  # "a maximum value of 500 is allowed"

UPDATE_TIME = IncrementalField("Update time", "datetime", "update_time", "datetime")


@dataclasses.dataclass(frozen=True, kw_only=True)
class PipedriveEndpoint(Endpoint):
    path: str
    max_page_size: int | None = MAX_PAGE_SIZE


ENDPOINTS: dict[str, PipedriveEndpoint] = {
    endpoint.name: endpoint
    for endpoint in (
        PipedriveEndpoint(
            name="deals",
            path="/deals",
            incremental_fields=(UPDATE_TIME,),
            partition_key="add_time",
            description="One deal (not archived): value, currency, stage, pipeline, owner, linked person and org.",
        ),
        PipedriveEndpoint(
            name="persons",
            path="/persons",
            incremental_fields=(UPDATE_TIME,),
            partition_key="add_time",
            description="One contact person: name, emails, phones, owner and organization.",
        ),
        PipedriveEndpoint(
            name="organizations",
            path="/organizations",
            incremental_fields=(UPDATE_TIME,),
            partition_key="add_time",
            description="One organization: name, owner, address and labels.",
        ),
        PipedriveEndpoint(
            name="stages",
            path="/stages",
            description="One pipeline stage: its pipeline, order, deal probability and rotting settings.",
        ),
    )
}
