"""Remove credentials from URLs and text before they reach a log line, a record or a fixture."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote, quote_plus, unquote_plus, urlsplit, urlunsplit

from requests.utils import requote_uri

REDACTED = "REDACTED"

SENSITIVE_WORDS = frozenset(
    {"token", "secret", "password", "passwd", "key", "apikey", "signature", "sig", "auth", "authorization"}
    | {"credential", "credentials", "sessionid", "jwt"}
)
# A name part ending in one of these is a credential even when written as one word (`hapikey`, `accesstoken`).
SENSITIVE_SUFFIXES = ("token", "secret", "password", "passwd", "apikey", "signature", "credential")
# Pagination cursors are named like tokens (`page_token`) but are not credentials; nor is an idempotency key.
NOT_SENSITIVE_WORDS = frozenset({"page", "cursor", "next", "sync", "idempotency"})
SENSITIVE_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "x-api-key", "api-key", "cookie", "set-cookie", "x-auth-token"}
)
# Shorter values would redact ordinary text; no real credential is this short.
MIN_SECRET_LENGTH = 4

# `//user:password@` in text a URL parser could not split (e.g. a URL with a malformed scheme).
_USERINFO = re.compile(r"(?<=//)[^/@\s]*@")
# `name=value` inside free text (an error message quoting a URL).
_TEXT_PARAM = re.compile(r"(?P<name>[A-Za-z0-9_.\-\[\]]+)=(?P<value>[^&\s'\"),;]+)")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NAME_PARTS = re.compile(r"[^a-z0-9]+")


def name_parts(name: str) -> list[str]:
    """`X-Api-Key` → [x, api, key]; `accessToken` → [access, token]."""
    return [part for part in _NAME_PARTS.split(_CAMEL_BOUNDARY.sub("_", name).lower()) if part]


def _is_credential_part(part: str) -> bool:
    if part in SENSITIVE_WORDS:
        return True
    return part.endswith(SENSITIVE_SUFFIXES) and not part.startswith(tuple(NOT_SENSITIVE_WORDS))


def is_sensitive_name(name: str) -> bool:
    """Whether a parameter, header or field of this name carries a credential (`api_key`, `accessToken`)."""
    parts = name_parts(name)
    return not any(part in NOT_SENSITIVE_WORDS for part in parts) and any(map(_is_credential_part, parts))


def secret_variants(secret: str) -> set[str]:
    """The forms a value takes on the wire: as is, percent-encoded (path or query) and form-encoded."""
    return {secret, quote(secret, safe=""), quote_plus(secret, safe=""), requote_uri(secret)}


def scrub_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Replace every known secret value, raw or URL-encoded, by `REDACTED`."""
    known = {str(secret) for secret in secrets if secret is not None}
    variants = {variant for secret in known if len(secret) >= MIN_SECRET_LENGTH for variant in secret_variants(secret)}
    for variant in sorted(variants, key=len, reverse=True):
        text = text.replace(variant, REDACTED)
    return text


def _scrub_params(query: str) -> str:
    """Redact the value of every sensitive `name=value` pair, keeping every other byte as it was."""
    pieces = []
    for piece in query.split("&"):
        name, sep, _value = piece.partition("=")
        pieces.append(f"{name}{sep}{REDACTED}" if sep and is_sensitive_name(unquote_plus(name)) else piece)
    return "&".join(pieces)


def scrub_url(url: str, secrets: Iterable[str] = ()) -> str:
    """Drop userinfo, redact sensitive query (and fragment) parameters, then any known secret anywhere."""
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    rebuilt = urlunsplit((parts.scheme, netloc, parts.path, _scrub_params(parts.query), _scrub_params(parts.fragment)))
    return scrub_text(_USERINFO.sub("", rebuilt), secrets)


def scrub_message(text: str, secrets: Iterable[str] = ()) -> str:
    """Scrub free text such as an error message: credential `name=value` pairs, userinfo, known secrets."""

    def redact(match: re.Match[str]) -> str:
        return f"{match['name']}={REDACTED}" if is_sensitive_name(match["name"]) else match[0]

    return scrub_text(_USERINFO.sub("", _TEXT_PARAM.sub(redact, text)), secrets)


def is_sensitive_header(name: str) -> bool:
    return name.lower() in SENSITIVE_HEADERS or is_sensitive_name(name)


def secret_header_values(headers: Mapping[str, str | bytes] | Iterable[tuple[str, str | bytes]]) -> set[str]:
    """The credential values carried by headers, plus the bare token after a scheme (`Bearer x` → `x`)."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    found: set[str] = set()
    for name, value in items:
        if value and is_sensitive_header(name):
            text = value.decode() if isinstance(value, bytes) else str(value)
            found.add(text)
            _scheme, _, token = text.partition(" ")
            if token:
                found.add(token.strip())
    return found
