"""The verdict of a `validate_credentials` probe, from its HTTP status; the wording stays the vendor's."""

from __future__ import annotations

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
