"""Klaviyo source: registration, form fields, schemas, credential probe and pipeline hand-off."""

from __future__ import annotations

import dataclasses

from sources.common.base import ResumableSource, SourceSchema
from sources.common.credentials import CredentialMessages, check_credentials, http_answer, http_status_advice
from sources.common.endpoints import endpoint_schemas
from sources.common.fields import SourceConfig, SourceFieldInputConfig, SourceFieldInputConfigType
from sources.common.page_size import check_page_size, page_size_field
from sources.common.registry import SourceRegistry
from sources.common.resumable import ResumableSourceManager
from sources.common.typings import SourceInputs, SourceResponse
from sources.klaviyo.klaviyo import KlaviyoResumeConfig, error_detail, klaviyo_source, probe
from sources.klaviyo.settings import BASE_URL, DEFAULT_PAGE_SIZE, ENDPOINTS

CREDENTIAL_MESSAGES = CredentialMessages(
    rejected="Klaviyo rejected the API key ({detail}). Check the private API key.",
    forbidden="The Klaviyo API key cannot read {endpoint.name}: grant it the `{endpoint.scope}` scope ({detail}).",
    unexpected="Klaviyo answered {status} while checking the API key: {detail}",
    unreachable="Could not reach Klaviyo to check the API key: {error}",
)


@dataclasses.dataclass
class KlaviyoSourceConfig:
    api_key: str
    page_size: int = DEFAULT_PAGE_SIZE

    def __post_init__(self) -> None:
        check_page_size(self.page_size, "Klaviyo")


@SourceRegistry.register
class KlaviyoSource(ResumableSource[KlaviyoSourceConfig, KlaviyoResumeConfig]):
    config_class = KlaviyoSourceConfig

    @property
    def source_type(self) -> str:
        return "klaviyo"

    @property
    def get_source_config(self) -> SourceConfig:
        return SourceConfig(
            name="Klaviyo",
            label="Klaviyo",
            caption=(
                "Enter a Klaviyo private API key. It needs the read-only scopes of the tables you sync: "
                + ", ".join(f"`{endpoint.scope}` ({endpoint.name})" for endpoint in ENDPOINTS.values())
                + "."
            ),
            docsUrl="https://developers.klaviyo.com/en/docs/authenticate_",
            releaseStatus="alpha",
            fields=(
                SourceFieldInputConfig(
                    name="api_key",
                    label="Private API key",
                    type=SourceFieldInputConfigType.PASSWORD,
                    placeholder="pk_...",
                ),
                page_size_field(
                    DEFAULT_PAGE_SIZE,
                    "Rows asked for per API request (Klaviyo allows up to 100 profiles or 1000 events).",
                ),
            ),
        )

    def get_schemas(self, config: KlaviyoSourceConfig, team_id: int, with_counts: bool = False) -> list[SourceSchema]:
        return endpoint_schemas(ENDPOINTS.values())

    def validate_credentials(
        self, config: KlaviyoSourceConfig, team_id: int, schema_name: str | None = None
    ) -> tuple[bool, str | None]:
        return check_credentials(
            "Klaviyo",
            ENDPOINTS,
            schema_name,
            default="profiles",
            probe=lambda endpoint: http_answer(probe(config.api_key, endpoint), error_detail),
            messages=CREDENTIAL_MESSAGES,
        )

    def get_non_retryable_errors(self) -> dict[str, str | None]:
        scopes = ", ".join(endpoint.scope for endpoint in ENDPOINTS.values())
        return http_status_advice(
            [BASE_URL.removesuffix("/api/")],
            unauthorized="Klaviyo rejected the API key. Create a new private API key and reconnect.",
            forbidden=f"The Klaviyo API key lacks a read scope this table needs ({scopes}). "
            "Update the key's scopes and try again.",
        )

    def get_resumable_source_manager(self, inputs: SourceInputs) -> ResumableSourceManager[KlaviyoResumeConfig]:
        return ResumableSourceManager[KlaviyoResumeConfig](inputs, KlaviyoResumeConfig)

    def source_for_pipeline(
        self,
        config: KlaviyoSourceConfig,
        resumable_source_manager: ResumableSourceManager[KlaviyoResumeConfig],
        inputs: SourceInputs,
    ) -> SourceResponse:
        return klaviyo_source(
            api_key=config.api_key,
            endpoint_name=inputs.schema_name,
            inputs=inputs,
            manager=resumable_source_manager,
            page_size=config.page_size,
        )
