"""Zendesk source: registration, form fields, schemas, credential probe and pipeline hand-off."""

from __future__ import annotations

import dataclasses

from sources.common.base import ResumableSource, SourceSchema
from sources.common.credentials import CredentialMessages, check_credentials, http_answer, http_status_advice
from sources.common.endpoints import endpoint_schemas
from sources.common.errors import ConfigError
from sources.common.fields import SourceConfig, SourceFieldInputConfig, SourceFieldInputConfigType
from sources.common.page_size import check_page_size, page_size_field
from sources.common.registry import SourceRegistry
from sources.common.resumable import ResumableSourceManager
from sources.common.typings import SourceInputs, SourceResponse
from sources.zendesk.settings import DEFAULT_PAGE_SIZE, ENDPOINTS
from sources.zendesk.zendesk import ZendeskResumeConfig, error_detail, normalize_subdomain, probe, zendesk_source


@dataclasses.dataclass
class ZendeskSourceConfig:
    subdomain: str
    email: str
    api_token: str
    page_size: int = DEFAULT_PAGE_SIZE

    def __post_init__(self) -> None:
        subdomain = normalize_subdomain(self.subdomain) if isinstance(self.subdomain, str) else None
        if subdomain is None:
            raise ConfigError(
                f"Zendesk config: field 'subdomain' (Subdomain) must be the part before .zendesk.com, "
                f"like 'acme' for acme.zendesk.com; got {self.subdomain!r}"
            )
        self.subdomain = subdomain
        check_page_size(self.page_size, "Zendesk")


@SourceRegistry.register
class ZendeskSource(ResumableSource[ZendeskSourceConfig, ZendeskResumeConfig]):
    config_class = ZendeskSourceConfig

    @property
    def source_type(self) -> str:
        return "zendesk"

    @property
    def get_source_config(self) -> SourceConfig:
        return SourceConfig(
            name="Zendesk",
            label="Zendesk",
            caption=(
                "Connect with the email of a Zendesk user and an API token (Admin Center → Apps and integrations "
                "→ Zendesk API). Tickets and users come from the incremental exports, which need an **admin**; "
                "groups need an agent."
            ),
            docsUrl="https://developer.zendesk.com/api-reference/introduction/security-and-auth/",
            releaseStatus="alpha",
            fields=(
                SourceFieldInputConfig(name="subdomain", label="Subdomain", placeholder="acme"),
                SourceFieldInputConfig(
                    name="email",
                    label="Email",
                    type=SourceFieldInputConfigType.EMAIL,
                    placeholder="admin@example.com",
                ),
                SourceFieldInputConfig(
                    name="api_token",
                    label="API token",
                    type=SourceFieldInputConfigType.PASSWORD,
                ),
                page_size_field(
                    DEFAULT_PAGE_SIZE, "Rows asked for per API request (exports allow up to 1000, lists up to 100)."
                ),
            ),
        )

    def get_schemas(self, config: ZendeskSourceConfig, team_id: int, with_counts: bool = False) -> list[SourceSchema]:
        return endpoint_schemas(ENDPOINTS.values())

    def validate_credentials(
        self, config: ZendeskSourceConfig, team_id: int, schema_name: str | None = None
    ) -> tuple[bool, str | None]:
        return check_credentials(
            "Zendesk",
            ENDPOINTS,
            schema_name,
            default="groups",
            probe=lambda endpoint: http_answer(
                probe(config.subdomain, config.email, config.api_token, endpoint), error_detail
            ),
            context={"subdomain": config.subdomain},
            messages=CredentialMessages(
                rejected="Zendesk rejected the email and API token ({detail}).",
                forbidden="The Zendesk user cannot read {endpoint.name}: it needs the {endpoint.required_role} role "
                "({detail}).",
                not_found="There is no Zendesk account at {subdomain}.zendesk.com; check the subdomain.",
                unexpected="Zendesk answered {status} while checking the credentials: {detail}",
                unreachable="Could not reach {subdomain}.zendesk.com: {error}",
            ),
        )

    def get_non_retryable_errors(self) -> dict[str, str | None]:
        # The host is the account's own subdomain, so the prefixes stop at the scheme.
        return http_status_advice(
            ["https://"],
            unauthorized="Zendesk rejected the email and API token. Create a new API token and reconnect.",
            forbidden="The Zendesk user lacks access: the ticket and user exports need an admin. "
            "Reconnect with an admin's email and API token.",
            not_found="There is no Zendesk account at this subdomain. Check the subdomain and reconnect.",
        )

    def get_resumable_source_manager(self, inputs: SourceInputs) -> ResumableSourceManager[ZendeskResumeConfig]:
        return ResumableSourceManager[ZendeskResumeConfig](inputs, ZendeskResumeConfig)

    def source_for_pipeline(
        self,
        config: ZendeskSourceConfig,
        resumable_source_manager: ResumableSourceManager[ZendeskResumeConfig],
        inputs: SourceInputs,
    ) -> SourceResponse:
        return zendesk_source(
            subdomain=config.subdomain,
            email=config.email,
            api_token=config.api_token,
            endpoint_name=inputs.schema_name,
            inputs=inputs,
            manager=resumable_source_manager,
            page_size=config.page_size,
        )
