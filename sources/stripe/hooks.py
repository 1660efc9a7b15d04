"""Webhook endpoints (/v1/webhook_endpoints) through the SDK: create, find, delete."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sources.common.base import ExternalWebhookInfo, WebhookCreationResult, WebhookDeletionResult
from sources.common.lazy import lazy_import
from sources.stripe.settings import ENDPOINTS
from sources.stripe.stripe import error_message

stripe = lazy_import("stripe")  # the vendor SDK: imported when a stripe client is made

WEBHOOK_EVENTS = sorted({event for endpoint in ENDPOINTS.values() for event in endpoint.webhook_events})
WEBHOOK_DESCRIPTION = "Data warehouse source"
LIST_LIMIT = 100


def _failure(error: stripe.StripeError, action: str) -> str:
    status = f"HTTP {error.http_status}" if error.http_status else type(error).__name__
    return f"stripe: cannot {action} the webhook endpoint ({status}): {error_message(error)}"


def iter_webhook_endpoints(client: stripe.StripeClient) -> Iterator[stripe.WebhookEndpoint]:
    params: dict[str, Any] = {"limit": LIST_LIMIT}
    while True:
        page = client.v1.webhook_endpoints.list(params=params)
        yield from page.data
        if not page.has_more or not page.data:
            return
        params = {"limit": LIST_LIMIT, "starting_after": page.data[-1].id}


def endpoints_for_url(client: stripe.StripeClient, webhook_url: str) -> list[stripe.WebhookEndpoint]:
    return [endpoint for endpoint in iter_webhook_endpoints(client) if endpoint.url == webhook_url]


def create_endpoint(client: stripe.StripeClient, webhook_url: str) -> WebhookCreationResult:
    """Refuses a second endpoint for the same URL: Stripe would deliver every event twice."""
    try:
        existing = endpoints_for_url(client, webhook_url)
        if existing:
            return WebhookCreationResult(
                success=False,
                error=f"stripe: webhook endpoint {existing[0].id} already sends to {webhook_url}; delete it first",
            )
        created = client.v1.webhook_endpoints.create(
            params={"url": webhook_url, "enabled_events": WEBHOOK_EVENTS, "description": WEBHOOK_DESCRIPTION}
        )
    except stripe.StripeError as exc:
        return WebhookCreationResult(success=False, error=_failure(exc, "create"))
    return WebhookCreationResult(success=True, external_id=created.id, signing_secret=created.to_dict().get("secret"))


def delete_endpoints(client: stripe.StripeClient, webhook_url: str) -> WebhookDeletionResult:
    """Delete every endpoint sending to `webhook_url`; none left is success."""
    try:
        for endpoint in endpoints_for_url(client, webhook_url):
            client.v1.webhook_endpoints.delete(endpoint.id)
    except stripe.StripeError as exc:
        return WebhookDeletionResult(success=False, error=_failure(exc, "delete"))
    return WebhookDeletionResult(success=True)


def endpoint_info(client: stripe.StripeClient, webhook_url: str) -> ExternalWebhookInfo:
    try:
        found = endpoints_for_url(client, webhook_url)
    except stripe.StripeError as exc:
        return ExternalWebhookInfo(exists=False, error=_failure(exc, "read"))
    if not found:
        return ExternalWebhookInfo(exists=False, url=webhook_url)
    endpoint = found[0]
    status = endpoint.status if endpoint.status in ("enabled", "disabled") else "unknown"
    return ExternalWebhookInfo(
        exists=True, url=webhook_url, status=status, enabled_events=list(endpoint.enabled_events or [])
    )
