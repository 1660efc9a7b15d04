"""Stripe HTTP: the official SDK on the tracked session, and its errors as one-line source errors."""

from __future__ import annotations

from sources.common.errors import SourceError
from sources.common.http import DEFAULT_TIMEOUT, make_tracked_session
from sources.common.lazy import lazy_import
from sources.common.retry import DEFAULT_RETRY, RetryPolicy

stripe = lazy_import("stripe")  # the vendor SDK: imported when a stripe client is made

# Credential probes and webhook management answer the user at once: one attempt.
SINGLE_ATTEMPT = RetryPolicy(max_attempts=1, retry_transport_errors=False)


class StripeSyncError(SourceError):
    """A Stripe API call failed. The message starts with Stripe's own message, then names the endpoint."""

    def __init__(self, message: str, http_status: int | None, code: str | None) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.code = code


def make_stripe_client(api_key: str, retry: RetryPolicy = DEFAULT_RETRY) -> stripe.StripeClient:
    """A client whose every call goes through a tracked session; retries are ours (tenacity on the fake-able
    clock), never the SDK's, which would sleep in real time."""
    session = make_tracked_session(retry=retry, secrets=[api_key])
    http_client = stripe.RequestsClient(session=session, timeout=DEFAULT_TIMEOUT)
    return stripe.StripeClient(api_key, http_client=http_client, max_network_retries=0)


def error_message(error: stripe.StripeError) -> str:
    """Stripe's message on one line (connection errors span several)."""
    return " ".join((error.user_message or str(error) or type(error).__name__).split())


def sync_error(error: stripe.StripeError, where: str) -> StripeSyncError:
    status = f"HTTP {error.http_status}" if error.http_status else type(error).__name__
    return StripeSyncError(f"{error_message(error)} [{where}: {status}]", error.http_status, error.code)
