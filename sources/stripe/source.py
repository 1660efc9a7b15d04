"""The Stripe source: form fields, schemas, credential probes, webhook endpoints and the pipeline hand-off."""

from __future__ import annotations

from sources.common.base import (
    ExternalWebhookInfo,
    ResumableSource,
    SourceSchema,
    WebhookCreationResult,
    WebhookDeletionResult,
    WebhookSource,
    WebhookTemplate,
)
from sources.common.fields import SourceConfig, SourceFieldInputConfig, SourceFieldInputConfigType
from sources.common.lazy import lazy_import
from sources.common.registry import SourceRegistry
from sources.common.resumable import ResumableSourceManager
from sources.common.typings import SourceInputs, SourceResponse
from sources.stripe import hooks
from sources.stripe.config import StripeSourceConfig
from sources.stripe.settings import ENDPOINTS
from sources.stripe.stripe import StripeResumeConfig, stripe_source
from sources.stripe.transport import SINGLE_ATTEMPT, error_message, make_stripe_client

stripe = lazy_import("stripe")  # the vendor SDK: imported when a stripe client is made

KEY_CAPTION = (
    "A [restricted API key](https://dashboard.stripe.com/apikeys) with **Read** access to Charges, Customers and "
    "Invoices, and **Write** access to Webhook Endpoints if the source should register its webhook."
)
CREATE_PROBE_SCHEMA = "customers"

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
        return [
            SourceSchema(
                name=endpoint.name,
                supports_incremental=bool(endpoint.incremental_fields),
                supports_append=bool(endpoint.incremental_fields),
                incremental_fields=list(endpoint.incremental_fields),
                supports_webhooks=endpoint.supports_webhooks,
                description=endpoint.description,
            )
            for endpoint in ENDPOINTS.values()
        ]

    def validate_credentials(
        self, config: StripeSourceConfig, team_id: int, schema_name: str | None = None
    ) -> tuple[bool, str | None]:
        if schema_name is not None and schema_name not in ENDPOINTS:
            return False, f"stripe: unknown schema {schema_name!r}"
        endpoint = ENDPOINTS[schema_name or CREATE_PROBE_SCHEMA]
        client = make_stripe_client(config.stripe_secret_key, retry=SINGLE_ATTEMPT)
        try:
            getattr(client.v1, endpoint.service).list(params={"limit": 1})
        except stripe.AuthenticationError as exc:
            return False, f"stripe: the API key is invalid or expired ({error_message(exc)})"
        except stripe.PermissionError as exc:
            if schema_name is None:
                return True, None  # a genuine key; permissions are checked per schema
            return False, f"stripe: the API key may not read {schema_name}; grant it Read access ({error_message(exc)})"
        except stripe.StripeError as exc:
            status = f"HTTP {exc.http_status}" if exc.http_status else type(exc).__name__
            return False, f"stripe: probing {endpoint.name} failed ({status}): {error_message(exc)}"
        return True, None

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
        return stripe_source(config, inputs, resumable_source_manager, webhook_manager)

    @property
    def webhook_template(self) -> WebhookTemplate:
        return WebhookTemplate(
            id="template-warehouse-source-stripe",
            name="Stripe warehouse source webhook",
            description="Checks the Stripe-Signature of events and stores the event's object as a row.",
            code=WEBHOOK_TEMPLATE_CODE,
            inputs_schema=[
                {"key": "signing_secret", "type": "string", "label": "Signing secret", "secret": True},
                {"key": "schema_mapping", "type": "json", "label": "Stripe object → schema id", "secret": False},
            ],
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
