"""Where a request carries a credential, read from the request as it was sent (before any scrubbing).

A credential belongs in a header (`Authorization`, `X-Api-Key`, ...), or, for the few vendors that ask for it,
in a documented body field (an OAuth `client_secret`). Anywhere else it leaks: a URL ends up in access logs,
proxies, browser history, error messages and our own fixtures. `credential_places` names each place a known
secret (a configured one, or a value the request itself sends in an auth header) sits outside the headers, and
URL userinfo; the replay records them on every `WireRequest` and the recorder refuses to write a URL that has
one. Only masked values are kept. Credential-named parameters with other values are left alone here: a
vendor's presigned download URL (`X-Amz-Signature=...`) is no leak of ours.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator
from urllib.parse import parse_qsl, urlsplit

from harness.fixtures.json_leaves import json_leaves
from sources.common.scrub import MIN_SECRET_LENGTH, REDACTED, secret_variants

URL_KINDS = frozenset({"query parameter", "URL path", "URL userinfo", "URL fragment"})


@dataclasses.dataclass(frozen=True)
class CredentialPlace:
    kind: str  # "query parameter" | "URL path" | "URL userinfo" | "URL fragment" | "body field" | "body"
    name: str | None  # the parameter or body field (a dotted path for JSON), when there is one
    masked: str  # the value, masked: enough to recognise it, not to use it

    @property
    def in_url(self) -> bool:
        return self.kind in URL_KINDS

    def describe(self) -> str:
        return f"{self.kind} {self.name!r} ({self.masked})" if self.name else f"{self.kind} ({self.masked})"


def mask(value: str) -> str:
    return f"{value[:3]}…" if len(value) > 8 else "…"


def _known(secrets: Iterable[str]) -> list[str]:
    found = {variant for secret in secrets if len(secret) >= MIN_SECRET_LENGTH for variant in secret_variants(secret)}
    return sorted(found, key=len, reverse=True)


def _carries(value: str, variants: list[str]) -> str | None:
    return next((variant for variant in variants if variant in value), None)


def _body_places(body: str, content_type: str | None, variants: list[str]) -> Iterator[CredentialPlace]:
    try:
        document = json.loads(body)
    except ValueError:
        document = None
    if isinstance(document, dict | list):
        for path, value in json_leaves(document):
            hit = _carries(value, variants)
            if hit is not None:
                yield CredentialPlace("body field", path, mask(hit))
        return
    if "form" in (content_type or "") or ("=" in body and not any(char.isspace() for char in body)):
        for name, value in parse_qsl(body, keep_blank_values=True):
            hit = _carries(value, variants)
            if hit is not None:
                yield CredentialPlace("body field", name, mask(hit))
        return
    hit = _carries(body, variants)
    if hit is not None:
        yield CredentialPlace("body", None, mask(hit))


def credential_places(
    url: str, body: str | bytes | None = None, content_type: str | None = None, secrets: Iterable[str] = ()
) -> tuple[CredentialPlace, ...]:
    """Every place outside the headers where this request carries a credential."""
    variants = _known(secrets)
    parts = urlsplit(url)
    places: list[CredentialPlace] = []
    if "@" in parts.netloc:
        userinfo = parts.netloc.rsplit("@", 1)[0]
        places.append(CredentialPlace("URL userinfo", None, mask(userinfo.partition(":")[2] or userinfo)))
    hit = _carries(parts.path, variants)
    if hit is not None:
        places.append(CredentialPlace("URL path", None, mask(hit)))
    for kind, text in (("query parameter", parts.query), ("URL fragment", parts.fragment)):
        for name, value in parse_qsl(text, keep_blank_values=True):
            found = _carries(value, variants)
            if found is not None:
                places.append(CredentialPlace(kind, name, mask(found)))
    if body:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
        places.extend(_body_places(text, content_type, variants))
    return tuple(places)


def redacted_places(url: str, body: str | None = None, content_type: str | None = None) -> tuple[CredentialPlace, ...]:
    """Where a recorded request holds the recorder's placeholder outside the headers: a credential was sent there."""
    parts = urlsplit(url)
    places = [
        CredentialPlace("query parameter", name, REDACTED)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if REDACTED in value
    ]
    if REDACTED in parts.path:
        places.append(CredentialPlace("URL path", None, REDACTED))
    if body and REDACTED in body:
        try:
            document = json.loads(body)
        except ValueError:
            document = None
        if isinstance(document, dict | list):
            fields = [path for path, value in json_leaves(document) if REDACTED in value]
        else:
            fields = [name for name, value in parse_qsl(body, keep_blank_values=True) if REDACTED in value]
        if not fields:
            places.append(CredentialPlace("body", None, REDACTED))
        places.extend(CredentialPlace("body field", name, REDACTED) for name in fields)
    return tuple(places)
