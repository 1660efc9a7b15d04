"""Pipedrive source: registration, form fields, schemas, credential probe and pipeline hand-off."""

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
from sources.pipedrive.pipedrive import (
    PipedriveResumeConfig,
    error_detail,
    pipedrive_source,
    probe,
)
from sources.pipedrive.settings import BASE_URL, DEFAULT_PAGE_SIZE, ENDPOINTS, MAX_PAGE_SIZE

PROBE_ENDPOINT = "stages"  # every user of the company can list the pipeline stages
CREDENTIAL_MESSAGES = CredentialMessages(
    rejected="Pipedrive rejected the API token ({detail}). Copy it again from Personal preferences > API.",
    forbidden=(
        "The Pipedrive user of this API token cannot read {endpoint.name} ({detail}): "
        "ask a company admin for the permission (visibility) to see them."
    ),
    unexpected="Pipedrive answered {status} while checking the API token: {detail}",
    unreachable="Could not reach Pipedrive to check the API token: {error}",
)


@dataclasses.dataclass
class PipedriveSourceConfig:
    api_token: str
    page_size: int = DEFAULT_PAGE_SIZE

    def __post_init__(self) -> None:
        check_page_size(self.page_size, "pipedrive", maximum=MAX_PAGE_SIZE)


@SourceRegistry.register
class PipedriveSource(
    ResumableSource[PipedriveSourceConfig, PipedriveResumeConfig],
):
    config_class = PipedriveSourceConfig

    @property
    def source_type(self) -> str:
        return "pipedrive"

    @property
    def get_source_config(self) -> SourceConfig:
        return SourceConfig(
            name="pipedrive",
            label="Pipedrive",
            caption=(
                "Your personal API token is in Pipedrive under Personal preferences > API. The sync sees what "
                "that user may see: use a user with visibility of every deal, person and organization."
            ),
            docsUrl="https://developers.pipedrive.com/docs/api/v2/Deals#getDeals",
            releaseStatus="alpha",
            fields=(
                SourceFieldInputConfig(name="api_token", label="API token", type=SourceFieldInputConfigType.PASSWORD),
                page_size_field(DEFAULT_PAGE_SIZE, f"1 to {MAX_PAGE_SIZE}; leave empty for {DEFAULT_PAGE_SIZE}."),
            ),
        )

    def get_schemas(
        self,
        config: PipedriveSourceConfig,
        team_id: int,
        with_counts: bool = False,
    ) -> list[SourceSchema]:
        return endpoint_schemas(ENDPOINTS.values())

    def validate_credentials(
        self,
        config: PipedriveSourceConfig,
        team_id: int,
        schema_name: str | None = None,
    ) -> tuple[bool, str | None]:
        return check_credentials(
            "Pipedrive",
            ENDPOINTS,
            schema_name,
            default=PROBE_ENDPOINT,
            probe=lambda endpoint: http_answer(probe(config.api_token, endpoint), error_detail),
            messages=CREDENTIAL_MESSAGES,
        )

    def get_non_retryable_errors(self) -> dict[str, str | None]:
        return http_status_advice(
            [BASE_URL],
            unauthorized="Pipedrive rejected the API token: copy it again from Personal preferences > API.",
            forbidden="The Pipedrive user of this API token may not read this table: ask a company admin.",
        )

    def get_resumable_source_manager(
        self,
        inputs: SourceInputs,
    ) -> ResumableSourceManager[PipedriveResumeConfig]:
        return ResumableSourceManager[PipedriveResumeConfig](
            inputs,
            PipedriveResumeConfig,
        )

    def source_for_pipeline(
        self,
        config: PipedriveSourceConfig,
        resumable_source_manager: ResumableSourceManager[PipedriveResumeConfig],
        inputs: SourceInputs,
    ) -> SourceResponse:
        return pipedrive_source(
            api_token=config.api_token,
            endpoint_name=inputs.schema_name,
            inputs=inputs,
            manager=resumable_source_manager,
            page_size=config.page_size,
        )
