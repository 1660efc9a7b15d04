"""Chargebee source: registration, form fields, schemas, credential probe and pipeline hand-off."""

from __future__ import annotations

import dataclasses

from sources.chargebee.chargebee import ChargebeeResumeConfig, chargebee_source, error_detail, normalize_site, probe
from sources.chargebee.settings import DEFAULT_PAGE_SIZE, ENDPOINTS
from sources.common.base import ResumableSource, SourceSchema
from sources.common.credentials import CredentialMessages, check_credentials, http_answer, http_status_advice
from sources.common.endpoints import endpoint_schemas
from sources.common.errors import ConfigError
from sources.common.fields import SourceConfig, SourceFieldInputConfig, SourceFieldInputConfigType
from sources.common.page_size import check_page_size, page_size_field
from sources.common.registry import SourceRegistry
from sources.common.resumable import ResumableSourceManager
from sources.common.typings import SourceInputs, SourceResponse


@dataclasses.dataclass
class ChargebeeSourceConfig:
    site: str
    api_key: str
    page_size: int = DEFAULT_PAGE_SIZE

    def __post_init__(self) -> None:
        site = normalize_site(self.site) if isinstance(self.site, str) else None
        if site is None:
            raise ConfigError(
                f"Chargebee config: field 'site' (Site) must be the part before .chargebee.com, "
                f"like 'acme-test' for acme-test.chargebee.com; got {self.site!r}"
            )
        self.site = site
        check_page_size(self.page_size, "Chargebee")


@SourceRegistry.register
class ChargebeeSource(ResumableSource[ChargebeeSourceConfig, ChargebeeResumeConfig]):
    config_class = ChargebeeSourceConfig

    @property
    def source_type(self) -> str:
        return "chargebee"

    @property
    def get_source_config(self) -> SourceConfig:
        return SourceConfig(
            name="Chargebee",
            label="Chargebee",
            caption=(
                "Enter your Chargebee site (the part before `.chargebee.com`) and an API key. A **read-only** key "
                "with access to all of customers, subscriptions and invoices is enough."
            ),
            docsUrl="https://apidocs.chargebee.com/docs/api/auth",
            releaseStatus="alpha",
            fields=(
                SourceFieldInputConfig(name="site", label="Site", placeholder="acme-test"),
                SourceFieldInputConfig(name="api_key", label="API key", type=SourceFieldInputConfigType.PASSWORD),
                page_size_field(DEFAULT_PAGE_SIZE, "Rows asked for per API request (Chargebee allows up to 100)."),
            ),
        )

    def get_schemas(self, config: ChargebeeSourceConfig, team_id: int, with_counts: bool = False) -> list[SourceSchema]:
        return endpoint_schemas(ENDPOINTS.values())

    def validate_credentials(
        self, config: ChargebeeSourceConfig, team_id: int, schema_name: str | None = None
    ) -> tuple[bool, str | None]:
        return check_credentials(
            "Chargebee",
            ENDPOINTS,
            schema_name,
            default="customers",
            probe=lambda endpoint: http_answer(probe(config.api_key, config.site, endpoint), error_detail),
            context={"site": config.site},
            messages=CredentialMessages(
                rejected="Chargebee rejected the API key ({detail}). Check the key and the site.",
                forbidden="The Chargebee API key cannot read {endpoint.name}: give the key read access to it "
                "({detail}).",
                not_found="There is no Chargebee site at {site}.chargebee.com; check the site name.",
                unexpected="Chargebee answered {status} while checking the API key: {detail}",
                unreachable="Could not reach {site}.chargebee.com: {error}",
            ),
        )

    def get_non_retryable_errors(self) -> dict[str, str | None]:
        # The host is the account's own site, so the prefixes stop at the scheme.
        return http_status_advice(
            ["https://"],
            unauthorized="Chargebee rejected the API key. Create a new API key and reconnect.",
            forbidden="The Chargebee API key may not read this table. Use a key with read access to customers, "
            "subscriptions and invoices.",
            not_found="There is no Chargebee site with this name. Check the site and reconnect.",
        )

    def get_resumable_source_manager(self, inputs: SourceInputs) -> ResumableSourceManager[ChargebeeResumeConfig]:
        return ResumableSourceManager[ChargebeeResumeConfig](inputs, ChargebeeResumeConfig)

    def source_for_pipeline(
        self,
        config: ChargebeeSourceConfig,
        resumable_source_manager: ResumableSourceManager[ChargebeeResumeConfig],
        inputs: SourceInputs,
    ) -> SourceResponse:
        return chargebee_source(
            api_key=config.api_key,
            site=config.site,
            endpoint_name=inputs.schema_name,
            inputs=inputs,
            manager=resumable_source_manager,
            page_size=config.page_size,
        )
