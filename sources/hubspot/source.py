"""HubSpot source: form fields, schemas, credential probe and the resumable pipeline hand-off."""

from __future__ import annotations

import dataclasses
from urllib.parse import urlencode

import requests

from sources.common.base import ResumableSource, SourceSchema
from sources.common.credentials import probe_verdict
from sources.common.endpoints import endpoint_schemas
from sources.common.errors import SourceError
from sources.common.fields import SourceConfig, SourceFieldInputConfig, SourceFieldInputConfigType
from sources.common.page_size import check_page_size, page_size_field
from sources.common.registry import SourceRegistry
from sources.common.resumable import ResumableSourceManager
from sources.common.typings import SourceInputs, SourceResponse
from sources.hubspot.hubspot import HubspotResumeConfig, error_detail, get_endpoint, hubspot_source, make_session
from sources.hubspot.settings import BASE_URL, DEFAULT_PAGE_SIZE, ENDPOINTS, MAX_PAGE_SIZE

PROBE_ENDPOINT = "contacts"


@dataclasses.dataclass
class HubspotSourceConfig:
    access_token: str
    page_size: int = DEFAULT_PAGE_SIZE

    def __post_init__(self) -> None:
        check_page_size(self.page_size, "hubspot", maximum=MAX_PAGE_SIZE)


@SourceRegistry.register
class HubspotSource(ResumableSource[HubspotSourceConfig, HubspotResumeConfig]):
    config_class = HubspotSourceConfig

    @property
    def source_type(self) -> str:
        return "hubspot"

    @property
    def get_source_config(self) -> SourceConfig:
        scopes = ", ".join(f"`{endpoint.scope}`" for endpoint in ENDPOINTS.values())
        return SourceConfig(
            name="hubspot",
            label="HubSpot",
            caption=(
                "Create a HubSpot private app and paste its access token. Grant the read scope of each object "
                f"you want to sync: {scopes}."
            ),
            docsUrl="https://developers.hubspot.com/docs/api/private-apps",
            iconPath="/static/services/hubspot.png",
            releaseStatus="alpha",
            fields=(
                SourceFieldInputConfig(
                    name="access_token",
                    label="Private app access token",
                    type=SourceFieldInputConfigType.PASSWORD,
                    placeholder="pat-…",
                ),
                page_size_field(DEFAULT_PAGE_SIZE, f"1 to {MAX_PAGE_SIZE}; leave empty for {DEFAULT_PAGE_SIZE}."),
            ),
        )

    def get_schemas(self, config: HubspotSourceConfig, team_id: int, with_counts: bool = False) -> list[SourceSchema]:
        return endpoint_schemas(ENDPOINTS.values())

    def validate_credentials(
        self, config: HubspotSourceConfig, team_id: int, schema_name: str | None = None
    ) -> tuple[bool, str | None]:
        try:
            endpoint = get_endpoint(schema_name or PROBE_ENDPOINT)
        except SourceError as exc:
            return False, str(exc)
        url = f"{BASE_URL}{endpoint.list_path}?{urlencode({'limit': 1, 'archived': 'false'})}"
        try:
            response = make_session(config.access_token).get(url)
        except (requests.RequestException, SourceError) as exc:
            return False, f"Could not reach HubSpot to check the access token: {type(exc).__name__}: {exc}"
        detail = error_detail(response)
        return probe_verdict(
            response.status_code,
            schema_name,
            rejected=f"HubSpot rejected the access token ({detail})",
            forbidden=(
                f"The HubSpot access token cannot read {endpoint.name}: grant the private app the "
                f"`{endpoint.scope}` scope ({detail})"
            ),
            unexpected=f"HubSpot answered {response.status_code} to the credential check ({detail})",
        )

    def get_non_retryable_errors(self) -> dict[str, str | None]:
        return {
            f"401 Client Error: Unauthorized for url: {BASE_URL}": (
                "Your HubSpot access token is invalid or was rotated. Paste the private app's current token."
            ),
            f"403 Client Error: Forbidden for url: {BASE_URL}": (
                "Your HubSpot private app lacks a scope this table needs. Grant the object's read scope "
                "(e.g. crm.objects.contacts.read) and reconnect."
            ),
        }

    def get_resumable_source_manager(self, inputs: SourceInputs) -> ResumableSourceManager[HubspotResumeConfig]:
        return ResumableSourceManager[HubspotResumeConfig](inputs, HubspotResumeConfig)

    def source_for_pipeline(
        self,
        config: HubspotSourceConfig,
        resumable_source_manager: ResumableSourceManager[HubspotResumeConfig],
        inputs: SourceInputs,
    ) -> SourceResponse:
        return hubspot_source(
            access_token=config.access_token,
            endpoint_name=inputs.schema_name,
            page_size=config.page_size,
            inputs=inputs,
            manager=resumable_source_manager,
        )
