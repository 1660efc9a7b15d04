"""The base classes every source inherits from: `SimpleSource`, `ResumableSource`, `WebhookSource`."""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from typing import Any, ClassVar, Generic, Literal, TypeVar

from sources.common.config import parse_config
from sources.common.fields import FieldType, SourceConfig, sensitive_keys
from sources.common.resumable import ResumableSourceManager
from sources.common.typings import IncrementalFieldType, SourceInputs, SourceResponse
from sources.common.webhook import WebhookSourceManager

ConfigType = TypeVar("ConfigType")
ResumableData = TypeVar("ResumableData")


@dataclasses.dataclass(frozen=True)
class IncrementalField:
    label: str
    type: IncrementalFieldType
    field: str
    field_type: IncrementalFieldType


@dataclasses.dataclass(frozen=True)
class SourceSchema:
    name: str
    supports_incremental: bool
    supports_append: bool
    incremental_fields: list[IncrementalField] = dataclasses.field(default_factory=list)
    supports_webhooks: bool = False
    row_count: int | None = None
    description: str | None = None


class BaseSource(ABC, Generic[ConfigType]):
    """What every source provides. `config_class` is the typed config its fields parse into."""

    config_class: ClassVar[type]

    @property
    @abstractmethod
    def source_type(self) -> str: ...

    @property
    @abstractmethod
    def get_source_config(self) -> SourceConfig: ...

    @abstractmethod
    def get_schemas(self, config: ConfigType, team_id: int, with_counts: bool = False) -> list[SourceSchema]: ...

    @abstractmethod
    def validate_credentials(
        self, config: ConfigType, team_id: int, schema_name: str | None = None
    ) -> tuple[bool, str | None]: ...

    def get_non_retryable_errors(self) -> dict[str, str | None]:
        """Error-message prefixes that must fail the sync at once, mapped to what the user should do."""
        return {}

    def parse_config(self, payload: dict[str, Any]) -> ConfigType:
        """The typed config for `payload`; a `ConfigError` naming the source and field if it does not fit."""
        config_class = getattr(type(self), "config_class", None)
        if config_class is None:
            raise TypeError(f"{type(self).__qualname__} must set config_class to the dataclass its fields parse into")
        return parse_config(config_class, self.get_source_config, payload)

    @property
    def sensitive_keys(self) -> frozenset[str]:
        """Names of every PASSWORD field of the source config (webhook fields have their own, below)."""
        return sensitive_keys(self.get_source_config.fields)

    @property
    def webhook_sensitive_keys(self) -> frozenset[str]:
        """Names of every PASSWORD webhook field (e.g. a signing secret)."""
        return sensitive_keys(self.get_source_config.webhookFields)

    @property
    def fields(self) -> tuple[FieldType, ...]:
        return self.get_source_config.fields


class SimpleSource(BaseSource[ConfigType]):
    @abstractmethod
    def source_for_pipeline(self, config: ConfigType, inputs: SourceInputs) -> SourceResponse: ...


class ResumableSource(BaseSource[ConfigType], Generic[ConfigType, ResumableData]):
    @abstractmethod
    def get_resumable_source_manager(self, inputs: SourceInputs) -> ResumableSourceManager[ResumableData]: ...

    @abstractmethod
    def source_for_pipeline(
        self,
        config: ConfigType,
        resumable_source_manager: ResumableSourceManager[ResumableData],
        inputs: SourceInputs,
    ) -> SourceResponse: ...


@dataclasses.dataclass(frozen=True)
class WebhookTemplate:
    """How incoming webhook payloads become rows (the seed's HogFunctionTemplate, reduced to data)."""

    id: str
    name: str
    description: str
    code: str
    inputs_schema: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    @classmethod
    def signed(
        cls, source_type: str, label: str, description: str, code: str, *, secret_label: str, mapping_label: str
    ) -> WebhookTemplate:
        """A vendor that signs its deliveries: the template asks for the signing secret and for a map from the
        vendor's object or event to schema ids (`secret_label`, `mapping_label` in the vendor's words)."""
        return cls(
            id=f"template-warehouse-source-{source_type}",
            name=f"{label} warehouse source webhook",
            description=description,
            code=code,
            inputs_schema=[
                {"key": "signing_secret", "type": "string", "label": secret_label, "secret": True},
                {"key": "schema_mapping", "type": "json", "label": mapping_label, "secret": False},
            ],
        )


@dataclasses.dataclass(frozen=True)
class WebhookCreationResult:
    success: bool
    error: str | None = None
    external_id: str | None = None
    signing_secret: str | None = None


@dataclasses.dataclass(frozen=True)
class WebhookDeletionResult:
    success: bool
    error: str | None = None


@dataclasses.dataclass(frozen=True)
class ExternalWebhookInfo:
    exists: bool
    url: str | None = None
    status: Literal["enabled", "disabled", "unknown"] | None = None
    enabled_events: list[str] = dataclasses.field(default_factory=list)
    error: str | None = None


class WebhookSource(BaseSource[ConfigType]):
    """A source the vendor can push change events to; combine with a pull base class."""

    @property
    @abstractmethod
    def webhook_template(self) -> WebhookTemplate: ...

    @property
    @abstractmethod
    def webhook_resource_map(self) -> dict[str, str]:
        """Our schema name → the vendor's object type."""

    def create_webhook(self, config: ConfigType, webhook_url: str, team_id: int) -> WebhookCreationResult:
        return WebhookCreationResult(success=False, error=self._manual_setup_message())

    def delete_webhook(self, config: ConfigType, webhook_url: str, team_id: int) -> WebhookDeletionResult:
        return WebhookDeletionResult(success=False, error=self._manual_setup_message())

    def get_external_webhook_info(self, config: ConfigType, webhook_url: str, team_id: int) -> ExternalWebhookInfo:
        return ExternalWebhookInfo(exists=False, error=self._manual_setup_message())

    def get_webhook_source_manager(self, inputs: SourceInputs) -> WebhookSourceManager:
        return WebhookSourceManager(inputs)

    def webhook_manager_for_schema(self, inputs: SourceInputs) -> WebhookSourceManager | None:
        """The webhook rows of this sync's schema, or None when webhooks do not feed it."""
        return self.get_webhook_source_manager(inputs) if inputs.schema_name in self.webhook_resource_map else None

    def _manual_setup_message(self) -> str:
        caption = self.get_source_config.webhookSetupCaption
        return caption or f"{self.source_type} has no API to manage webhooks; set the webhook up by hand."
