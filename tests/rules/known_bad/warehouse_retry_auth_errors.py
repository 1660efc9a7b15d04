"""Known bad: 'the token sometimes flickers', so 401 and 403 are retried like outages."""

from sources.common.retry import RETRYABLE_STATUSES, RetryPolicy


def retry_policy() -> RetryPolicy:
    return RetryPolicy(max_attempts=10, retry_statuses=RETRYABLE_STATUSES | {401, 403})
