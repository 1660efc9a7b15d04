"""Remove credentials from URLs and text before they reach a log line, a record or a fixture."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "REDACTED"

SENSITIVE_WORDS = frozenset(
    {"token", "secret", "password", "passwd", "key", "apikey", "signature", "sig", "auth", "authorization"}
    | {"credential", "credentials", "sessionid", "jwt"}
)
# Pagination cursors are named like tokens (`page_token`) but are not credentials.
NOT_SENSITIVE_WORDS = frozenset({"page", "cursor", "next", "sync"})
_NAME_PARTS = re.compile(r"[^a-z0-9]+")
SENSITIVE_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "x-api-key", "api-key", "cookie", "set-cookie", "x-auth-token"}
)


def is_sensitive_name(name: str) -> bool:
    parts = set(_NAME_PARTS.split(name.lower()))
    return bool(parts & SENSITIVE_WORDS) and not parts & NOT_SENSITIVE_WORDS


def scrub_text(text: str, secrets: Iterable[str] = ()) -> str:
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def scrub_url(url: str, secrets: Iterable[str] = ()) -> str:
    """Drop userinfo, redact sensitive query parameters, then any known secret value anywhere in the URL."""
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(is_sensitive_name(name) for name, _ in query):
        cleaned = [(name, REDACTED if is_sensitive_name(name) else value) for name, value in query]
        query_string = urlencode(cleaned, safe="[]:,")
    else:
        query_string = parts.query
    rebuilt = urlunsplit((parts.scheme, netloc, parts.path, query_string, parts.fragment))
    return scrub_text(rebuilt, secrets)


def secret_header_values(headers: dict[str, str] | Iterable[tuple[str, str]]) -> set[str]:
    """The credential values carried by headers, plus the bare token after a scheme (`Bearer x` → `x`)."""
    items = headers.items() if isinstance(headers, dict) else headers
    found: set[str] = set()
    for name, value in items:
        if name.lower() in SENSITIVE_HEADERS and value:
            text = value.decode() if isinstance(value, bytes) else str(value)
            found.add(text)
            scheme, _, token = text.partition(" ")
            if token:
                found.add(token)
    return found
