"""Scrub a recorded exchange before anything of it is written: every credential becomes `REDACTED`.

What goes:
- the values of credential headers (Authorization, Cookie, Set-Cookie, X-Api-Key, anything named like a secret);
- every known secret (each PASSWORD field of the config), raw or URL-encoded, wherever it appears: URL, query,
  headers, request body, response body, `Link` next-URLs;
- URL userinfo and query parameters named like secrets (`api_key=`, `access_token=`, `client_secret=`);
- values of body fields named like secrets, in requests and responses (a token endpoint's `access_token`,
  `refresh_token`, a form's `client_secret`). A secret learned from a response is scrubbed from every other
  exchange of the recording too (the bearer token of later requests).

`REDACTED` is the one stable placeholder: at replay the harness scrubs the live request's known secrets the same
way (`harness.replay.matching.request_key`), so scrubbed fixtures still match.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode

from sources.common.scrub import (
    MIN_SECRET_LENGTH,
    REDACTED,
    is_sensitive_header,
    is_sensitive_name,
    name_parts,
    scrub_text,
    scrub_url,
    secret_header_values,
)

# Links to other pages carry the query of the request (a secret query parameter comes back in them).
URL_HEADERS = frozenset({"link", "location", "content-location"})


@dataclasses.dataclass(frozen=True)
class Exchange:
    """One request and its response as they crossed the wire, before scrubbing. Held in memory only."""

    method: str
    url: str
    request_headers: tuple[tuple[str, str], ...]
    request_body: str | None
    status: int
    reason: str
    response_headers: tuple[tuple[str, str], ...]
    response_body: str
    started: dt.datetime | None = None  # the (frozen) time it was sent at

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((value for key, value in self.request_headers if key.lower() == lowered), None)


# A body field whose name ends in `key` is a credential only with one of these before it (`license.key` is not).
KEY_QUALIFIERS = frozenset({"api", "access", "secret", "private", "signing", "client", "auth", "publishable"})
WEAK_PARTS = frozenset({"key", "auth", "sig", "signature"})


def is_credential_field(name: str) -> bool:
    """A JSON or form field that holds a credential: `access_token`, `refresh_token`, `client_secret`, `api_key`."""
    if not is_sensitive_name(name):
        return False
    parts = name_parts(name)
    if parts[-1] == "key":
        return len(parts) > 1 and parts[-2] in KEY_QUALIFIERS
    return parts[-1] not in WEAK_PARTS or (len(parts) > 1 and parts[-2] in KEY_QUALIFIERS)


def _sensitive_values(value: Any) -> Iterable[str]:
    """String values under keys named like secrets, anywhere in a JSON document."""
    if isinstance(value, dict):
        for key, item in value.items():
            if is_credential_field(str(key)) and isinstance(item, str) and len(item) >= MIN_SECRET_LENGTH:
                yield item
            else:
                yield from _sensitive_values(item)
    elif isinstance(value, list):
        for item in value:
            yield from _sensitive_values(item)


def _form_values(text: str) -> list[str]:
    if "=" not in text or " " in text.strip() or text.lstrip().startswith(("{", "[")):
        return []
    return [
        value
        for name, value in parse_qsl(text, keep_blank_values=True)
        if is_credential_field(name) and len(value) >= MIN_SECRET_LENGTH
    ]


def body_secrets(text: str | None) -> set[str]:
    """Credential values a body carries in fields named like secrets (JSON or form-encoded)."""
    if not text:
        return set()
    try:
        return set(_sensitive_values(json.loads(text)))
    except ValueError:
        return set(_form_values(text))


class Scrubber:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = {str(secret) for secret in secrets if secret and len(str(secret)) >= MIN_SECRET_LENGTH}

    def learn(self, exchanges: Iterable[Exchange]) -> None:
        """Collect every credential the exchanges carry, so that each one is scrubbed from all of them."""
        for exchange in exchanges:
            self.secrets |= secret_header_values(exchange.request_headers)
            self.secrets |= secret_header_values(exchange.response_headers)
            self.secrets |= body_secrets(exchange.request_body) | body_secrets(exchange.response_body)
            self.secrets = {secret for secret in self.secrets if len(secret) >= MIN_SECRET_LENGTH}

    def url(self, url: str) -> str:
        return scrub_url(url, self.secrets)

    def headers(self, headers: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
        scrubbed = []
        for name, value in headers:
            if is_sensitive_header(name):
                scrubbed.append((name, REDACTED))
            elif name.lower() in URL_HEADERS:
                scrubbed.append((name, self._urls_in(value)))
            else:
                scrubbed.append((name, scrub_text(value, self.secrets)))
        return tuple(scrubbed)

    def _urls_in(self, value: str) -> str:
        """`<url>; rel="next", <url>; rel="last"` (or a bare URL) with each URL scrubbed."""
        if "<" not in value:
            return self.url(value.strip()) if value.strip() else value
        pieces = value.split("<")
        out = [pieces[0]]
        for piece in pieces[1:]:
            url, sep, rest = piece.partition(">")
            out.append(f"<{self.url(url)}{sep}{scrub_text(rest, self.secrets)}")
        return "".join(out)

    def body(self, text: str | None) -> str | None:
        if text is None:
            return None
        try:
            document = json.loads(text)
        except ValueError:
            if _form_values(text):
                pairs = parse_qsl(text, keep_blank_values=True)
                text = urlencode([(name, REDACTED if is_credential_field(name) else value) for name, value in pairs])
            return scrub_text(text, self.secrets)
        if set(_sensitive_values(document)):
            # Only bodies that carry a credential field are re-serialised: others keep every byte as sent.
            return scrub_text(json.dumps(_redact_fields(document), ensure_ascii=False), self.secrets)
        return scrub_text(text, self.secrets)


def _redact_fields(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: REDACTED
            if is_credential_field(str(key)) and isinstance(item, str) and len(item) >= MIN_SECRET_LENGTH
            else _redact_fields(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_redact_fields(item) for item in value]
    return value
