"""Account subdomains however they were pasted: a name, a host, or a URL."""

from __future__ import annotations

import pytest

from sources.common.subdomains import account_subdomain


@pytest.mark.parametrize(
    "pasted",
    [
        "acme-outdoors",
        " ACME-Outdoors ",
        "acme-outdoors.zendesk.com",
        "https://acme-outdoors.zendesk.com/",
        "http://acme-outdoors.zendesk.com",
    ],
)
def test_every_form_gives_the_subdomain(pasted: str) -> None:
    assert account_subdomain(pasted, "zendesk.com") == "acme-outdoors"


@pytest.mark.parametrize(
    "pasted",
    [
        "",
        "acme.example.com",
        "acme.chargebee.com",
        "-acme",
        "acme-",
        "acme_outdoors",
        "a" * 64,
        "https://acme.zendesk.com/x",
    ],
)
def test_anything_else_is_none(pasted: str) -> None:
    assert account_subdomain(pasted, "zendesk.com") is None


def test_the_longest_dns_label_is_accepted() -> None:
    assert account_subdomain("a" * 63, "zendesk.com") == "a" * 63
