# Rule tests for warehouse-retry-auth-errors: 401 and 403 fail at once, they are never retried.
import dataclasses
from http import HTTPStatus

import requests
from urllib3.util.retry import Retry

from sources.common import retry
from sources.common.retry import DEFAULT_RETRY, RETRYABLE_STATUSES, RetryPolicy

# ruleid: warehouse-retry-auth-errors
EXTRA_RETRY_STATUSES = frozenset({401, 429, 503})

# ok: warehouse-retry-auth-errors
NON_RETRYABLE_STATUSES = frozenset({401, 403})


def retries_unauthorized() -> RetryPolicy:
    # ruleid: warehouse-retry-auth-errors
    return RetryPolicy(max_attempts=10, retry_statuses=RETRYABLE_STATUSES | {401, 403})


def retries_forbidden_through_the_module() -> RetryPolicy:
    # ruleid: warehouse-retry-auth-errors
    return retry.RetryPolicy(retry_statuses=frozenset({HTTPStatus.FORBIDDEN, 429}))


def retries_forbidden_by_replace() -> RetryPolicy:
    # ruleid: warehouse-retry-auth-errors
    return dataclasses.replace(DEFAULT_RETRY, retry_statuses=frozenset({403, 429}))


def urllib3_retry_on_unauthorized() -> Retry:
    # ruleid: warehouse-retry-auth-errors
    return Retry(total=5, status_forcelist=[401, 500, 502])


def rate_limit_403_by_header() -> RetryPolicy:
    def rate_limited(response: requests.Response) -> bool:
        return response.status_code == 403 and response.headers.get("x-ratelimit-remaining") == "0"

    # ok: warehouse-retry-auth-errors
    return RetryPolicy(retry_statuses=RETRYABLE_STATUSES, retry_response=rate_limited)


def retries_server_errors() -> RetryPolicy:
    # ok: warehouse-retry-auth-errors
    return RetryPolicy(max_attempts=8, retry_statuses=frozenset({429, 500, 502, 503, 504}))
