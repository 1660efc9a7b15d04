"""The Stripe source: form fields, schemas, credential probes, webhook endpoints and the pipeline hand-off."""

from __future__ import annotations

import dataclasses

from sources.common.base import (
    ExternalWebhookInfo,
    ResumableSource,
    SourceSchema,
    WebhookCreationResult,
    WebhookDeletionResult,
    WebhookSource,
    WebhookTemplate,
)
from sources.common.credentials import CredentialMessages, check_credentials
from sources.common.endpoints import endpoint_schemas
from sources.common.errors import ConfigError
from sources.common.fields import SourceConfig, SourceFieldInputConfig, SourceFieldInputConfigType
from sources.common.page_size import check_page_size
from sources.common.registry import SourceRegistry
from sources.common.resumable import ResumableSourceManager
from sources.common.typings import SourceInputs, SourceResponse
from sources.stripe import hooks
from sources.stripe.settings import DEFAULT_PAGE_SIZE, ENDPOINTS, MAX_PAGE_SIZE
from sources.stripe.stripe import SINGLE_ATTEMPT, StripeResumeConfig, make_stripe_client, probe, stripe_source

KEY_CAPTION = (
    "A [restricted API key](https://dashboard.stripe.com/apikeys) with **Read** access to Charges, Customers and "
    "Invoices, and **Write** access to Webhook Endpoints if the source should register its webhook."
)
CREATE_PROBE_SCHEMA = "customers"
CREDENTIAL_MESSAGES = CredentialMessages(
    rejected="stripe: the API key is invalid or expired ({detail})",
    forbidden="stripe: the API key may not read {endpoint.name}; grant it Read access ({detail})",
    unexpected="stripe: probing {endpoint.name} failed (HTTP {status}): {detail}",
    unreachable="stripe: probing {endpoint.name} failed: {exc}",
)

WEBHOOK_TEMPLATE_CODE = """
let header := request.headers['stripe-signature']
let timestamp := ''
let signature := ''
for (let part in splitByString(',', header)) {
    let pair := splitByString('=', part)
    if (pair[1] == 't') { timestamp := pair[2] }
    if (pair[1] == 'v1') { signature := pair[2] }
}
if (sha256HmacChainHex([inputs.signing_secret, f'{timestamp}.{request.stringBody}']) != signature) {
    return {'httpResponse': {'status': 400, 'body': 'bad signature'}}
}
let row := request.body.data.object
let schema_id := inputs.schema_mapping[row.object]
if (empty(schema_id)) {
    return {'httpResponse': {'status': 200, 'body': 'object not synced'}}
}
produceToWarehouseWebhooks(row, schema_id)
""".strip()


@dataclasses.dataclass(frozen=True)
class StripeSourceConfig:
    stripe_secret_key: str
    # Not a form field: the fixtures set it small so that every endpoint spans several pages.
    page_size: int = DEFAULT_PAGE_SIZE

    def __post_init__(self) -> None:
        if self.stripe_secret_key.startswith("pk_"):
            raise ConfigError(
                "stripe config: field 'stripe_secret_key' holds a publishable key (pk_...); "
                "use a secret (sk_...) or restricted (rk_...) key"
            )
        check_page_size(self.page_size, "stripe", maximum=MAX_PAGE_SIZE)


@SourceRegistry.register
class StripeSource(ResumableSource[StripeSourceConfig, StripeResumeConfig], WebhookSource[StripeSourceConfig]):
    config_class = StripeSourceConfig

    @property
    def source_type(self) -> str:
        return "stripe"

    @property
    def get_source_config(self) -> SourceConfig:
        return SourceConfig(
            name="stripe",
            label="Stripe",
            caption="Charges, customers and invoices from Stripe.",
            docsUrl="https://docs.stripe.com/api",
            iconPath="/static/services/stripe.png",
            releaseStatus="alpha",
            fields=(
                SourceFieldInputConfig(
                    name="stripe_secret_key",
                    label="API key",
                    type=SourceFieldInputConfigType.PASSWORD,
                    placeholder="rk_...",
                    caption=KEY_CAPTION,
                ),
            ),
            webhookFields=(
                SourceFieldInputConfig(
                    name="signing_secret",
                    label="Signing secret",
                    type=SourceFieldInputConfigType.PASSWORD,
                    placeholder="whsec_...",
                    caption="The endpoint's signing secret, used to check the `Stripe-Signature` header.",
                ),
            ),
        )

    def get_schemas(self, config: StripeSourceConfig, team_id: int, with_counts: bool = False) -> list[SourceSchema]:
        return endpoint_schemas(ENDPOINTS.values())

    def validate_credentials(
        self, config: StripeSourceConfig, team_id: int, schema_name: str | None = None
    ) -> tuple[bool, str | None]:
        return check_credentials(
            "Stripe",
            ENDPOINTS,
            schema_name,
            default=CREATE_PROBE_SCHEMA,
            probe=lambda endpoint: probe(config.stripe_secret_key, endpoint),
            messages=CREDENTIAL_MESSAGES,
        )

    def get_non_retryable_errors(self) -> dict[str, str | None]:
        invalid = "Your Stripe API key is invalid or expired. Create a new restricted key and reconnect."
        return {
            "Invalid API Key provided": invalid,
            "Expired API Key provided": invalid,
            "The provided key '": (
                "Your Stripe API key lacks a permission this sync needs. Grant it Read access to the synced objects."
            ),
        }

    def get_resumable_source_manager(self, inputs: SourceInputs) -> ResumableSourceManager[StripeResumeConfig]:
        return ResumableSourceManager[StripeResumeConfig](inputs, StripeResumeConfig)

    def source_for_pipeline(
        self,
        config: StripeSourceConfig,
        resumable_source_manager: ResumableSourceManager[StripeResumeConfig],
        inputs: SourceInputs,
    ) -> SourceResponse:
        webhook_manager = self.webhook_manager_for_schema(inputs)
        return stripe_source(
            config.stripe_secret_key, config.page_size, inputs, resumable_source_manager, webhook_manager
        )

    @property
    def webhook_template(self) -> WebhookTemplate:
        return WebhookTemplate.signed(
            "stripe",
            "Stripe",
            "Checks the Stripe-Signature of events and stores the event's object as a row.",
            WEBHOOK_TEMPLATE_CODE,
            secret_label="Signing secret",
            mapping_label="Stripe object → schema id",
        )

    @property
    def webhook_resource_map(self) -> dict[str, str]:
        return {endpoint.name: endpoint.object_type for endpoint in ENDPOINTS.values() if endpoint.supports_webhooks}

    def create_webhook(self, config: StripeSourceConfig, webhook_url: str, team_id: int) -> WebhookCreationResult:
        return hooks.create_endpoint(make_stripe_client(config.stripe_secret_key, SINGLE_ATTEMPT), webhook_url)

    def delete_webhook(self, config: StripeSourceConfig, webhook_url: str, team_id: int) -> WebhookDeletionResult:
        return hooks.delete_endpoints(make_stripe_client(config.stripe_secret_key, SINGLE_ATTEMPT), webhook_url)

    def get_external_webhook_info(
        self, config: StripeSourceConfig, webhook_url: str, team_id: int
    ) -> ExternalWebhookInfo:
        return hooks.endpoint_info(make_stripe_client(config.stripe_secret_key, SINGLE_ATTEMPT), webhook_url)
