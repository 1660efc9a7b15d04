"""Credential checks: the probe behind `validate_credentials`, its verdict by HTTP status, and the 401/403 advice
of `get_non_retryable_errors`; the wording stays the vendor's."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

import requests

from sources.common.errors import SourceError
from sources.common.http_errors import ErrorDetail

CredentialCheck = tuple[bool, str | None]


def probe_verdict(
    status: int,
    schema_name: str | None,
    *,
    rejected: str,
    forbidden: str,
    unexpected: str,
    not_found: str | None = None,
) -> CredentialCheck:
    """What `validate_credentials` returns for a probe answered with `status`.

    200 is valid. 401 is `rejected`. 403 is valid when the source is being created (`schema_name` is None: a
    key may lack the probed table's scope yet read others) and `forbidden` when a named schema was probed.
    404 is `not_found` when the vendor gives it a meaning of its own (e.g. an unknown account subdomain);
    every other status is `unexpected`.
    """
    if status == 200:
        return True, None
    if status == 401:
        return False, rejected
    if status == 403:
        return (True, None) if schema_name is None else (False, forbidden)
    if status == 404 and not_found is not None:
        return False, not_found
    return False, unexpected


# What a probe learned: the HTTP status and the vendor's own reason (e.g. `code: message` from the error body).
ProbeAnswer = tuple[int, str]
ProbedEndpoint = TypeVar("ProbedEndpoint")


@dataclasses.dataclass(frozen=True)
class CredentialMessages:
    """The user-facing answers of a credential check, as `str.format` templates.

    Placeholders: `{endpoint}` (the probed endpoint; `{endpoint.name}`, or any field of the connector's endpoint
    declaration), `{detail}` (the vendor's reason), `{status}` (the HTTP status), and in `unreachable`,
    `{error}` (the exception's type name) and `{exc}` (its message); plus those `check_credentials` is given.
    """

    rejected: str
    forbidden: str
    unexpected: str
    unreachable: str
    not_found: str | None = None


def check_credentials(
    vendor: str,
    endpoints: Mapping[str, ProbedEndpoint],
    schema_name: str | None,
    *,
    default: str,
    probe: Callable[[ProbedEndpoint], ProbeAnswer],
    messages: CredentialMessages,
    context: Mapping[str, object] | None = None,
) -> CredentialCheck:
    """A whole `validate_credentials`: probe `schema_name`'s endpoint (`default`'s at create) and judge the answer
    with `probe_verdict`. A schema the catalog lacks, or a probe that cannot reach the vendor, is a refusal with a
    message; nothing raises. `context` adds placeholders of the connector's own (e.g. `{subdomain}`)."""
    extra = dict(context or {})
    if schema_name is not None and schema_name not in endpoints:
        return False, f"{vendor} has no table {schema_name!r}; known: {', '.join(endpoints)}"
    endpoint = endpoints[schema_name or default]
    try:
        status, detail = probe(endpoint)
    except (OSError, SourceError) as exc:  # requests.RequestException is an OSError
        return False, messages.unreachable.format(**extra, endpoint=endpoint, error=type(exc).__name__, exc=exc)
    values = {**extra, "endpoint": endpoint, "detail": detail, "status": status}
    return probe_verdict(
        status,
        schema_name,
        rejected=messages.rejected.format(**values),
        forbidden=messages.forbidden.format(**values),
        unexpected=messages.unexpected.format(**values),
        not_found=None if messages.not_found is None else messages.not_found.format(**values),
    )


def http_answer(response: requests.Response, detail: ErrorDetail) -> ProbeAnswer:
    """A probe's `requests` response as its status and the vendor's reason."""
    return response.status_code, detail(response)


def http_status_advice(
    base_urls: Iterable[str], *, unauthorized: str, forbidden: str, not_found: str | None = None
) -> dict[str, str | None]:
    """`get_non_retryable_errors` for errors raised by `response.raise_for_status()`: requests' message prefix for
    401 and 403 (and 404 where the vendor gives it a meaning, e.g. an unknown account) under each base URL,
    mapped to what the user should do. A base URL of `"https://"` covers vendors with one host per account."""
    advice: dict[str, str | None] = {}
    for base_url in base_urls:
        advice[f"401 Client Error: Unauthorized for url: {base_url}"] = unauthorized
        advice[f"403 Client Error: Forbidden for url: {base_url}"] = forbidden
        if not_found is not None:
            advice[f"404 Client Error: Not Found for url: {base_url}"] = not_found
    return advice
