"""GitHub HTTP: the tracked session, rate-limit aware retries, and the error raised for a failed response."""

from __future__ import annotations

import requests

from sources.common.http import make_tracked_session
from sources.common.retry import RetryPolicy
from sources.common.scrub import scrub_url
from sources.github.settings import API_VERSION

RATE_LIMIT_RESET_HEADER = "x-ratelimit-reset"
RATE_LIMIT_REMAINING_HEADER = "x-ratelimit-remaining"


class GithubRateLimitError(requests.HTTPError):
    """GitHub still refuses with a rate limit after every retry."""


def is_rate_limited(response: requests.Response) -> bool:
    """GitHub answers a rate limit with 429, or with 403 plus `x-ratelimit-remaining: 0` or `Retry-After`."""
    if response.status_code == 429:
        return True
    if response.status_code != 403:
        return False
    return response.headers.get(RATE_LIMIT_REMAINING_HEADER) == "0" or "Retry-After" in response.headers


# GitHub's rate-limit 403s are retried; a 403 for missing access is not (`is_rate_limited` tells them apart).
GITHUB_RETRY = RetryPolicy(reset_header=RATE_LIMIT_RESET_HEADER, retry_response=is_rate_limited)
# Credential probes answer the user at once: one attempt, no waiting on rate limits.
PROBE_RETRY = RetryPolicy(
    max_attempts=1, retry_transport_errors=False, reset_header=RATE_LIMIT_RESET_HEADER, retry_response=is_rate_limited
)


def raise_for_github_status(response: requests.Response) -> None:
    """`raise_for_status`, except that an exhausted rate limit says so instead of looking like a missing scope."""
    if response.status_code < 400:
        return
    if is_rate_limited(response):
        reset = response.headers.get(RATE_LIMIT_RESET_HEADER, "unknown")
        raise GithubRateLimitError(
            f"GitHub rate limit exhausted for {scrub_url(response.url)} (x-ratelimit-reset={reset}); "
            "retry after the reset time",
            response=response,
        )
    response.raise_for_status()


def make_github_session(token: str, retry: RetryPolicy = GITHUB_RETRY) -> requests.Session:
    return make_tracked_session(
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
        },
        retry=retry,
    )
