"""HubSpot source: form fields, schemas, credential probe and the resumable pipeline hand-off."""

from __future__ import annotations

import dataclasses
from urllib.parse import urlencode

from sources.common.base import ResumableSource, SourceSchema
from sources.common.credentials import CredentialMessages, check_credentials, http_answer, http_status_advice
from sources.common.endpoints import endpoint_schemas
from sources.common.fields import SourceConfig, SourceFieldInputConfig, SourceFieldInputConfigType
from sources.common.page_size import check_page_size, page_size_field
from sources.common.registry import SourceRegistry
from sources.common.resumable import ResumableSourceManager
from sources.common.typings import SourceInputs, SourceResponse
from sources.hubspot.hubspot import HubspotResumeConfig, error_detail, hubspot_source, make_session
from sources.hubspot.settings import BASE_URL, DEFAULT_PAGE_SIZE, ENDPOINTS, MAX_PAGE_SIZE, HubspotEndpoint

PROBE_ENDPOINT = "contacts"
CREDENTIAL_MESSAGES = CredentialMessages(
    rejected="HubSpot rejected the access token ({detail})",
    forbidden="The HubSpot access token cannot read {endpoint.name}: grant the private app the "
    "`{endpoint.scope}` scope ({detail})",
    unexpected="HubSpot answered {status} to the credential check ({detail})",
    unreachable="Could not reach HubSpot to check the access token: {error}: {exc}",
)


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
        def probe(endpoint: HubspotEndpoint) -> tuple[int, str]:
            url = f"{BASE_URL}{endpoint.list_path}?{urlencode({'limit': 1, 'archived': 'false'})}"
            return http_answer(make_session(config.access_token).get(url), error_detail)

        return check_credentials(
            "HubSpot", ENDPOINTS, schema_name, default=PROBE_ENDPOINT, probe=probe, messages=CREDENTIAL_MESSAGES
        )

    def get_non_retryable_errors(self) -> dict[str, str | None]:
        return http_status_advice(
            [BASE_URL],
            unauthorized="Your HubSpot access token is invalid or was rotated. Paste the private app's current token.",
            forbidden="Your HubSpot private app lacks a scope this table needs. Grant the object's read scope "
            "(e.g. crm.objects.contacts.read) and reconnect.",
        )

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
