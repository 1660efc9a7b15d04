"""Small, complete sources the SDK tests build on."""

from __future__ import annotations

import dataclasses
from typing import Any

from sources.common.base import (
    ResumableSource,
    SimpleSource,
    SourceSchema,
    WebhookSource,
    WebhookTemplate,
)
from sources.common.fields import SourceConfig, SourceFieldInputConfig, SourceFieldInputConfigType
from sources.common.resumable import ResumableSourceManager
from sources.common.typings import SourceInputs, SourceResponse

TOKEN_FIELD = SourceFieldInputConfig(name="api_token", label="API token", type=SourceFieldInputConfigType.PASSWORD)


@dataclasses.dataclass(frozen=True)
class TokenConfig:
    api_token: str


@dataclasses.dataclass(frozen=True)
class PageState:
    next_page: int


def rows_for(page: int) -> list[dict[str, Any]]:
    return [{"id": page * 10 + offset, "page": page} for offset in range(2)]


class PlainSource(SimpleSource[TokenConfig]):
    config_class = TokenConfig

    @property
    def source_type(self) -> str:
        return "Plain"

    @property
    def get_source_config(self) -> SourceConfig:
        return SourceConfig(name="Plain", label="Plain", fields=(TOKEN_FIELD,))

    def get_schemas(self, config: TokenConfig, team_id: int, with_counts: bool = False) -> list[SourceSchema]:
        return [SourceSchema(name="things", supports_incremental=False, supports_append=False)]

    def validate_credentials(
        self, config: TokenConfig, team_id: int, schema_name: str | None = None
    ) -> tuple[bool, str | None]:
        return True, None

    def source_for_pipeline(self, config: TokenConfig, inputs: SourceInputs) -> SourceResponse:
        return SourceResponse(name=inputs.schema_name, items=lambda: [rows_for(1)], primary_keys=["id"])


class PagesWithWebhooksSource(ResumableSource[TokenConfig, PageState], WebhookSource[TokenConfig]):
    """Pulls three pages, saving its position after each, and takes webhook batches; no webhook API."""

    config_class = TokenConfig
    pages = 3

    @property
    def source_type(self) -> str:
        return "PagesWithWebhooks"

    @property
    def get_source_config(self) -> SourceConfig:
        return SourceConfig(
            name="PagesWithWebhooks",
            label="Pages with webhooks",
            fields=(TOKEN_FIELD,),
            webhookSetupCaption="Add the webhook by hand under Settings > Webhooks.",
        )

    def get_schemas(self, config: TokenConfig, team_id: int, with_counts: bool = False) -> list[SourceSchema]:
        return [SourceSchema(name="things", supports_incremental=True, supports_append=True, supports_webhooks=True)]

    def validate_credentials(
        self, config: TokenConfig, team_id: int, schema_name: str | None = None
    ) -> tuple[bool, str | None]:
        return True, None

    @property
    def webhook_template(self) -> WebhookTemplate:
        return WebhookTemplate(id="pages", name="Pages", description="page events", code="return event")

    @property
    def webhook_resource_map(self) -> dict[str, str]:
        return {"things": "thing"}

    def get_resumable_source_manager(self, inputs: SourceInputs) -> ResumableSourceManager[PageState]:
        return ResumableSourceManager(inputs, PageState)

    def source_for_pipeline(
        self, config: TokenConfig, resumable_source_manager: ResumableSourceManager[PageState], inputs: SourceInputs
    ) -> SourceResponse:
        def items() -> Any:
            state = resumable_source_manager.load_state() if resumable_source_manager.can_resume() else None
            page = state.next_page if state else 1
            while page <= self.pages:
                yield rows_for(page)
                page += 1
                resumable_source_manager.save_state(PageState(next_page=page))

        return SourceResponse(name=inputs.schema_name, items=items, primary_keys=["id"])
