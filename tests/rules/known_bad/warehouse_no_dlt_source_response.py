"""Known bad: a source that wraps a dlt source instead of building its SourceResponse."""

from typing import Any

from sources.common.dlt_helpers import dlt_source_to_source_response
from sources.common.typings import SourceInputs, SourceResponse


def rest_api_source(config: dict[str, Any]) -> Any:
    raise NotImplementedError("stands in for a dlt rest_api source")


def acme_source(inputs: SourceInputs, api_key: str) -> SourceResponse:
    dlt_source = rest_api_source(
        {"client": {"base_url": "https://api.acme.example/v1", "auth": {"token": api_key}}, "resources": []}
    )
    return dlt_source_to_source_response(dlt_source, primary_keys=["id"], partition_keys=["created_at"])
