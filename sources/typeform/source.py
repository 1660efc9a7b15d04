"""Typeform source: form fields, schemas, credential probe and the full-refresh pipeline hand-off."""

from __future__ import annotations

import dataclasses
from urllib.parse import urlencode

from sources.common.base import SimpleSource, SourceSchema
from sources.common.credentials import CredentialMessages, check_credentials, http_answer, http_status_advice
from sources.common.endpoints import endpoint_schemas
from sources.common.errors import ConfigError
from sources.common.fields import (
    SourceConfig,
    SourceFieldInputConfig,
    SourceFieldInputConfigType,
    SourceFieldSelectConfig,
    SourceFieldSelectConfigOption,
)
from sources.common.page_size import check_page_size, page_size_field
from sources.common.registry import SourceRegistry
from sources.common.typings import SourceInputs, SourceResponse
from sources.typeform.settings import (
    BASE_URLS,
    DEFAULT_DATA_CENTER,
    DEFAULT_PAGE_SIZE,
    ENDPOINTS,
    MAX_PAGE_SIZE,
    TypeformEndpoint,
)
from sources.typeform.typeform import error_detail, make_session, typeform_source

PROBE_ENDPOINT = "forms"
CREDENTIAL_MESSAGES = CredentialMessages(
    rejected="Typeform rejected the personal access token ({detail})",
    forbidden="The Typeform personal access token cannot read {endpoint.name}: create a token with the "
    "`{endpoint.scope}` scope ({detail})",
    unexpected="Typeform answered {status} to the credential check ({detail})",
    unreachable="Could not reach Typeform to check the access token: {error}: {exc}",
)


@dataclasses.dataclass
class TypeformSourceConfig:
    personal_access_token: str
    data_center: str = DEFAULT_DATA_CENTER
    page_size: int = DEFAULT_PAGE_SIZE

    def __post_init__(self) -> None:
        if self.data_center not in BASE_URLS:
            known = ", ".join(sorted(BASE_URLS))
            raise ConfigError(f"typeform config: field 'data_center' must be one of {known}, got {self.data_center!r}")
        check_page_size(self.page_size, "typeform", maximum=MAX_PAGE_SIZE)

    @property
    def base_url(self) -> str:
        return BASE_URLS[self.data_center]


@SourceRegistry.register
class TypeformSource(SimpleSource[TypeformSourceConfig]):
    config_class = TypeformSourceConfig

    @property
    def source_type(self) -> str:
        return "typeform"

    @property
    def get_source_config(self) -> SourceConfig:
        scopes = ", ".join(f"`{endpoint.scope}`" for endpoint in ENDPOINTS.values())
        return SourceConfig(
            name="typeform",
            label="Typeform",
            caption=(
                "Create a personal access token in your Typeform account settings and paste it here. Give it the "
                f"read scope of each table you want to sync: {scopes}."
            ),
            docsUrl="https://www.typeform.com/developers/get-started/personal-access-token/",
            iconPath="/static/services/typeform.png",
            releaseStatus="alpha",
            fields=(
                SourceFieldInputConfig(
                    name="personal_access_token",
                    label="Personal access token",
                    type=SourceFieldInputConfigType.PASSWORD,
                    placeholder="tfp_…",
                ),
                SourceFieldSelectConfig(
                    name="data_center",
                    label="Data center",
                    options=(
                        SourceFieldSelectConfigOption(label="US (api.typeform.com)", value="us"),
                        SourceFieldSelectConfigOption(label="EU (api.eu.typeform.com)", value="eu"),
                    ),
                    default_value=DEFAULT_DATA_CENTER,
                    required=False,
                ),
                page_size_field(DEFAULT_PAGE_SIZE, f"1 to {MAX_PAGE_SIZE}; leave empty for {DEFAULT_PAGE_SIZE}."),
            ),
        )

    def get_schemas(self, config: TypeformSourceConfig, team_id: int, with_counts: bool = False) -> list[SourceSchema]:
        return endpoint_schemas(ENDPOINTS.values())

    def validate_credentials(
        self, config: TypeformSourceConfig, team_id: int, schema_name: str | None = None
    ) -> tuple[bool, str | None]:
        def probe(endpoint: TypeformEndpoint) -> tuple[int, str]:
            url = f"{config.base_url}{endpoint.path}?{urlencode({'page': 1, 'page_size': 1})}"
            return http_answer(make_session(config.personal_access_token).get(url), error_detail)

        return check_credentials(
            "Typeform", ENDPOINTS, schema_name, default=PROBE_ENDPOINT, probe=probe, messages=CREDENTIAL_MESSAGES
        )

    def get_non_retryable_errors(self) -> dict[str, str | None]:
        return http_status_advice(
            BASE_URLS.values(),
            unauthorized="Your Typeform personal access token is invalid or was revoked. "
            "Create a new token and reconnect.",
            forbidden="Your Typeform personal access token lacks a scope this table needs (forms:read or "
            "workspaces:read). Create a token with that scope and reconnect.",
        )

    def source_for_pipeline(self, config: TypeformSourceConfig, inputs: SourceInputs) -> SourceResponse:
        return typeform_source(
            personal_access_token=config.personal_access_token,
            endpoint_name=inputs.schema_name,
            page_size=config.page_size,
            base_url=config.base_url,
        )
