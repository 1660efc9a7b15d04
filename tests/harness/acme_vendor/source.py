"""A conforming source for the Acme Helpdesk API: resumable, incremental, webhook-capable, on the SDK."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any

import requests

from acme_vendor.settings import BASE_URL, ENDPOINTS, AcmeEndpoint
from sources.common.base import ResumableSource, SourceSchema, WebhookSource, WebhookTemplate
from sources.common.fields import SourceConfig, SourceFieldInputConfig, SourceFieldInputConfigType
from sources.common.http import DEFAULT_TIMEOUT, make_tracked_session
from sources.common.rest_source import (
    BasePaginator,
    HeaderLinkPaginator,
    JSONResponseCursorPaginator,
    PageRequest,
    RESTClient,
)
from sources.common.resumable import ResumableSourceManager
from sources.common.retry import NO_RETRY, RetryPolicy
from sources.common.typings import SortMode, SourceInputs, SourceResponse


@dataclasses.dataclass
class AcmeConfig:
    api_token: str
    page_size: int = 10


@dataclasses.dataclass
class AcmeResume:
    phase: str
    request: dict[str, Any]


Phase = tuple[str, dict[str, Any]]
PROBE_QUERY = {"tickets": "limit=1", "agents": "per_page=1", "events": "limit=1"}


def constant(value: str) -> property:
    """A `source_type` the registry can read from the class (it calls the getter without an instance)."""
    return property(lambda self: value)


def instant(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    else:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment.astimezone(dt.UTC)


def format_instant(value: Any) -> str:
    return instant(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch_millis(value: Any) -> int:
    return int(instant(value).timestamp() * 1000)


# Acme answers a request over its rate limit with 429 and X-RateLimit-Reset, the epoch second the limit resets.
ACME_RETRY = RetryPolicy(reset_header="X-RateLimit-Reset", reset_header_kind="epoch")


class AcmeSource(ResumableSource[AcmeConfig, AcmeResume], WebhookSource[AcmeConfig]):
    config_class = AcmeConfig
    source_type = constant("acme")
    token_field_type = SourceFieldInputConfigType.PASSWORD
    timeout: Any = DEFAULT_TIMEOUT

    # -- form, schemas, credentials ------------------------------------------------------------------------------
    @property
    def get_source_config(self) -> SourceConfig:
        return SourceConfig(
            name=self.source_type,
            label="Acme Helpdesk",
            fields=(
                SourceFieldInputConfig("api_token", "API token", type=self.token_field_type),
                SourceFieldInputConfig("page_size", "Page size", type=SourceFieldInputConfigType.NUMBER),
            ),
            releaseStatus="alpha",
        )

    def get_schemas(self, config: AcmeConfig, team_id: int, with_counts: bool = False) -> list[SourceSchema]:
        return [
            SourceSchema(
                name=endpoint.name,
                supports_incremental=bool(endpoint.incremental_fields),
                supports_append=bool(endpoint.incremental_fields),
                incremental_fields=list(endpoint.incremental_fields),
                supports_webhooks=endpoint.webhooks,
            )
            for endpoint in ENDPOINTS.values()
        ]

    def validate_credentials(
        self, config: AcmeConfig, team_id: int, schema_name: str | None = None
    ) -> tuple[bool, str | None]:
        url = f"{BASE_URL}/me" if schema_name is None else f"{BASE_URL}/{schema_name}?{PROBE_QUERY[schema_name]}"
        try:
            response = self.session(config, NO_RETRY).get(url)
        except requests.RequestException as exc:
            return False, f"Could not reach Acme: {exc}"
        if response.status_code == 200:
            return True, None
        if response.status_code == 401:
            return False, "Invalid Acme API token"
        if response.status_code == 403:
            return self.forbidden(schema_name)
        return False, f"Acme answered HTTP {response.status_code}"

    def forbidden(self, schema_name: str | None) -> tuple[bool, str | None]:
        if schema_name is None:
            return True, None
        return False, f"The Acme token lacks the scope to read {schema_name}"

    def get_non_retryable_errors(self) -> dict[str, str | None]:
        return {
            "401 Client Error: Unauthorized": "The Acme API token is invalid or revoked; create a new one.",
            "403 Client Error: Forbidden": "The Acme API token lacks a scope this schema needs.",
        }

    # -- webhooks -----------------------------------------------------------------------------------------------
    @property
    def webhook_template(self) -> WebhookTemplate:
        return WebhookTemplate("acme-tickets", "Acme tickets", "Ticket change events", "return request.body")

    @property
    def webhook_resource_map(self) -> dict[str, str]:
        return {"tickets": "ticket"}

    # -- sync ---------------------------------------------------------------------------------------------------
    def get_resumable_source_manager(self, inputs: SourceInputs) -> ResumableSourceManager[AcmeResume]:
        return ResumableSourceManager[AcmeResume](inputs, AcmeResume)

    def retry_policy(self) -> RetryPolicy:
        return ACME_RETRY

    def session(self, config: AcmeConfig, retry: RetryPolicy | None = None) -> requests.Session:
        return make_tracked_session(
            headers={"Authorization": f"Bearer {config.api_token}"},
            retry=retry or self.retry_policy(),
            timeout=self.timeout,
        )

    def sort_mode(self, endpoint: AcmeEndpoint) -> SortMode:
        return endpoint.sort_mode

    def partition_key(self, endpoint: AcmeEndpoint) -> str:
        return endpoint.partition_key

    def source_for_pipeline(
        self, config: AcmeConfig, resumable_source_manager: ResumableSourceManager[AcmeResume], inputs: SourceInputs
    ) -> SourceResponse:
        endpoint = ENDPOINTS[inputs.schema_name]
        return SourceResponse(
            name=endpoint.name,
            items=lambda: self.items(config, resumable_source_manager, inputs, endpoint),
            primary_keys=[endpoint.primary_key],
            partition_keys=[self.partition_key(endpoint)],
            partition_mode="datetime",
            partition_format="month",
            sort_mode=self.sort_mode(endpoint),
        )

    def items(
        self,
        config: AcmeConfig,
        manager: ResumableSourceManager[AcmeResume],
        inputs: SourceInputs,
        endpoint: AcmeEndpoint,
    ) -> Iterator[Any]:
        client = RESTClient(BASE_URL, session=self.session(config))
        phases = self.phases(config, inputs, endpoint)
        yield from self.pages(client, endpoint, phases, manager)
        if endpoint.webhooks:
            yield from self.webhook_items(inputs)

    def webhook_items(self, inputs: SourceInputs) -> Iterator[Any]:
        yield from self.get_webhook_source_manager(inputs).iter_tables()

    def chosen_field(self, inputs: SourceInputs, endpoint: AcmeEndpoint) -> str:
        return inputs.incremental_field or endpoint.incremental_fields[0].field

    def watermark(self, value: Any) -> str:
        """A tickets filter value: ISO 8601 in UTC with `Z`, as Acme documents it."""
        return format_instant(value)

    def events_watermark(self, value: Any) -> int:
        """An events filter value: epoch milliseconds, as Acme documents it."""
        return epoch_millis(value)

    def phases(self, config: AcmeConfig, inputs: SourceInputs, endpoint: AcmeEndpoint) -> list[Phase]:
        incremental = inputs.should_use_incremental_field
        last, earliest = inputs.db_incremental_field_last_value, inputs.db_incremental_field_earliest_value
        if endpoint.name == "tickets":
            field = self.chosen_field(inputs, endpoint)
            params: dict[str, Any] = {"limit": config.page_size, "sort_by": field, "order": "asc"}
            if incremental and last is not None:
                params[f"{field.split('_')[0]}_since"] = self.watermark(last)
            return [("tickets", params)]
        if endpoint.name == "events":
            base = {"limit": config.page_size}
            if not incremental or (last is None and earliest is None):
                return [("all", base)]
            phases = []
            if earliest is not None:
                phases.append(("older", {**base, "before": self.events_watermark(earliest)}))
            if last is not None:
                phases.append(("newer", {**base, "since": self.events_watermark(last)}))
            return phases
        return [("agents", {"page": 1, "per_page": config.page_size})]

    def paginator(self, endpoint: AcmeEndpoint) -> BasePaginator:
        if endpoint.name == "tickets":
            return JSONResponseCursorPaginator(
                cursor_path="next_cursor", cursor_param="cursor", has_more_path="has_more"
            )
        if endpoint.name == "events":
            return JSONResponseCursorPaginator(cursor_path="next_cursor", cursor_param="cursor")
        return HeaderLinkPaginator()

    def selector(self, endpoint: AcmeEndpoint) -> str | None:
        return {"tickets": "data", "events": "events"}.get(endpoint.name)

    def pages(
        self,
        client: RESTClient,
        endpoint: AcmeEndpoint,
        phases: list[Phase],
        manager: ResumableSourceManager[AcmeResume],
    ) -> Iterator[list[dict[str, Any]]]:
        state = manager.load_state() if manager.can_resume() else None
        names = [name for name, _ in phases]
        start = names.index(state.phase) if state is not None and state.phase in names else 0
        for index, (phase, params) in enumerate(phases[start:], start=start):
            resume_from = PageRequest.from_state(state.request) if state is not None and index == start else None
            for page in client.paginate(
                endpoint.path,
                params=params,
                paginator=self.paginator(endpoint),
                data_selector=self.selector(endpoint),
                resume_from=resume_from,
                resource=endpoint.name,
            ):
                yield page.items
                if page.next_request is not None:
                    manager.save_state(AcmeResume(phase, page.next_request.to_state()))
