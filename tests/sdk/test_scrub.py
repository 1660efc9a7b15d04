"""Credential scrubbing of names, URLs, text and headers."""

from __future__ import annotations

import string

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from sources.common.scrub import (
    REDACTED,
    is_sensitive_header,
    is_sensitive_name,
    scrub_message,
    scrub_text,
    scrub_url,
    secret_header_values,
)

CREDENTIAL_NAMES = [
    "api_key", "apiKey", "api-key", "X-Api-Key", "key", "access_token", "accessToken", "refresh_token",
    "client_secret", "clientSecret", "password", "passwd", "hapikey", "authToken", "Authorization", "sig",
    "signature", "jwt", "sessionid", "X-Shopify-Access-Token", "private_key",
]  # fmt: skip
PLAIN_NAMES = [
    "page_token", "pageToken", "next_token", "nextPageToken", "cursor", "sync_token", "idempotency_key",
    "limit", "page", "q", "sort", "created_after", "monkeys_per_page", "starting_after",
]  # fmt: skip


@pytest.mark.parametrize("name", CREDENTIAL_NAMES)
def test_credential_names_are_sensitive(name: str) -> None:
    assert is_sensitive_name(name)


@pytest.mark.parametrize("name", PLAIN_NAMES)
def test_cursor_and_ordinary_names_are_not(name: str) -> None:
    assert not is_sensitive_name(name)


def test_scrub_url_drops_userinfo_and_redacts_credential_params_keeping_the_rest_byte_for_byte() -> None:
    url = "https://svc:fake-pw-0001@api.acme.test/v1/items?q=a%20b&api_key=fake-key-0001&sort=-created&limit=10"
    assert scrub_url(url) == f"https://api.acme.test/v1/items?q=a%20b&api_key={REDACTED}&sort=-created&limit=10"


def test_scrub_url_redacts_credentials_in_the_fragment() -> None:
    url = "https://app.acme.test/callback#access_token=fake-token-0001&state=xyz"
    assert scrub_url(url) == f"https://app.acme.test/callback#access_token={REDACTED}&state=xyz"


def test_scrub_url_redacts_known_secrets_anywhere_raw_or_encoded() -> None:
    secret = "fake/key+0001=="
    url = "https://api.acme.test/v1/fake/key+0001==/items?q=fake%2Fkey%2B0001%3D%3D"
    assert scrub_url(url, [secret]) == f"https://api.acme.test/v1/{REDACTED}/items?q={REDACTED}"


def test_scrub_url_leaves_a_malformed_url_without_its_userinfo() -> None:
    assert scrub_url("rediss//:fake-pw-0001@cache.acme.test:6379") == "rediss//cache.acme.test:6379"


def test_scrub_text_ignores_values_too_short_to_be_credentials() -> None:
    assert scrub_text("id=abc", ["abc", ""]) == "id=abc"


def test_scrub_text_replaces_longer_secrets_first() -> None:
    assert scrub_text("tok-1234-extra", ["tok-1234", "tok-1234-extra"]) == REDACTED


def test_secret_header_values_take_the_value_and_the_token_after_the_scheme() -> None:
    headers = {
        "Authorization": "Bearer fake-token-0001",
        "X-Shopify-Access-Token": "fake-shop-0001",
        "Content-Type": "application/json",
        "Idempotency-Key": "retry-7",
    }
    assert secret_header_values(headers) == {"Bearer fake-token-0001", "fake-token-0001", "fake-shop-0001"}
    assert secret_header_values([("x-api-key", b"fake-bytes-0001")]) == {"fake-bytes-0001"}


@pytest.mark.parametrize("name", ["Authorization", "cookie", "X-Api-Key", "X-Auth-Token", "Api-Key"])
def test_standard_credential_headers_are_sensitive(name: str) -> None:
    assert is_sensitive_header(name)


SECRETS = st.text(alphabet=string.ascii_letters + string.digits + "-_+/=~.!*", min_size=8, max_size=40)


@given(secret=SECRETS)
def test_a_known_secret_never_survives_in_a_prepared_url(secret: str) -> None:
    params: dict[str, str | int] = {"q": secret, "api_key": secret, "limit": 5}
    request = requests.Request("GET", "https://api.acme.test/v1/accounts", params=params).prepare()
    scrubbed = scrub_url(request.url or "", [secret])

    assert secret not in scrubbed
    assert scrubbed.startswith("https://api.acme.test/v1/accounts?")
    assert scrubbed.endswith("&limit=5")


@given(secret=SECRETS.filter(lambda s: "." not in s and "/" not in s), user=st.sampled_from(["svc", "u-1"]))
def test_userinfo_and_path_secrets_never_survive(secret: str, user: str) -> None:
    request = requests.Request("GET", f"https://{user}:{secret}@api.acme.test/v1/{secret}/items").prepare()
    scrubbed = scrub_url(request.url or "", [secret])

    assert secret not in scrubbed
    assert user not in scrubbed


def test_non_text_secrets_are_scrubbed_as_text() -> None:
    assert scrub_url("https://api.acme.test/v1/accounts/98765432", [98765432, None]) == (  # type: ignore[list-item]
        f"https://api.acme.test/v1/accounts/{REDACTED}"
    )


@given(
    secret=SECRETS,
    params=st.dictionaries(st.sampled_from(["q", "api_key", "page_token", "limit", "accessToken"]), SECRETS),
)
def test_scrubbing_twice_changes_nothing_more(secret: str, params: dict[str, str]) -> None:
    url = requests.Request("GET", f"https://api.acme.test/v1/{secret}", params=params).prepare().url or ""
    once = scrub_url(url, [secret])

    assert scrub_url(once, [secret]) == once


def test_scrub_message_redacts_credential_pairs_userinfo_and_secrets_in_free_text() -> None:
    message = (
        "GET https://svc:fake-pw-0001@api.acme.test/v1/x?accessToken=fake-tok-0001&page_token=p2 failed "
        "for account fake-acct-0001, api_key=fake-key-0001; limit=5"
    )
    assert scrub_message(message, ["fake-acct-0001"]) == (
        "GET https://api.acme.test/v1/x?accessToken=REDACTED&page_token=p2 failed "
        "for account REDACTED, api_key=REDACTED; limit=5"
    )
