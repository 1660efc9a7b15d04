"""Account subdomains: the `acme` of `acme.zendesk.com`, however the user pasted it."""

from __future__ import annotations

import re

# One DNS label: letters, digits and inner hyphens, at most 63 characters.
DNS_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def account_subdomain(value: str, domain: str) -> str | None:
    """`acme`, `acme.<domain>` or `https://acme.<domain>/` → `acme`; None when it is none of those."""
    text = value.strip().lower().removeprefix("https://").removeprefix("http://").rstrip("/")
    text = text.removesuffix(f".{domain}")
    return text if DNS_LABEL.match(text) else None
