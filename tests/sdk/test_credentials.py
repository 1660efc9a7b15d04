"""Credential checks: each probe status maps to the verdict the connector contract asks for, in the vendor's words;
`check_credentials` probes the right endpoint and never raises; the 401/403 advice covers every base URL."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
import requests

from sources.common.credentials import (
    CredentialMessages,
    check_credentials,
    http_answer,
    http_status_advice,
    probe_verdict,
)
from sources.common.errors import SourceError

WORDING = {
    "rejected": "Acme rejected the key (bad_key).",
    "forbidden": "The Acme key cannot read orders: grant orders:read.",
    "unexpected": "Acme answered the probe with an error.",
}


@pytest.mark.parametrize(
    ("status", "schema_name", "expected"),
    [
        (200, None, (True, None)),
        (200, "orders", (True, None)),
        (401, None, (False, WORDING["rejected"])),
        (401, "orders", (False, WORDING["rejected"])),
        # A key may lack the probed table's scope yet read others: creating the source still succeeds.
        (403, None, (True, None)),
        (403, "orders", (False, WORDING["forbidden"])),
        (404, None, (False, WORDING["unexpected"])),
        (429, "orders", (False, WORDING["unexpected"])),
        (500, None, (False, WORDING["unexpected"])),
        (302, None, (False, WORDING["unexpected"])),
    ],
)
def test_each_status_maps_to_its_verdict(status: int, schema_name: str | None, expected: tuple) -> None:
    assert probe_verdict(status, schema_name, **WORDING) == expected


@pytest.mark.parametrize("schema_name", [None, "orders"])
def test_a_vendor_meaning_for_404_is_used_when_given(schema_name: str | None) -> None:
    verdict = probe_verdict(404, schema_name, **WORDING, not_found="There is no Acme account at acme.example.")
    assert verdict == (False, "There is no Acme account at acme.example.")


def test_not_found_wording_is_only_for_404() -> None:
    assert probe_verdict(410, None, **WORDING, not_found="no account") == (False, WORDING["unexpected"])


@dataclasses.dataclass(frozen=True)
class AcmeEndpoint:
    name: str
    scope: str


CATALOG = {"orders": AcmeEndpoint("orders", "orders:read"), "stores": AcmeEndpoint("stores", "stores:read")}
MESSAGES = CredentialMessages(
    rejected="Acme rejected the key ({detail}).",
    forbidden="The Acme key cannot read {endpoint.name}: grant {endpoint.scope} ({detail}).",
    unexpected="Acme answered {status} ({detail}).",
    unreachable="Could not reach {account}.acme.example: {error}: {exc}",
    not_found="There is no Acme account {account}.",
)


def check(schema_name: str | None, answer: Callable[[AcmeEndpoint], tuple[int, str]]) -> tuple[bool, str | None]:
    return check_credentials(
        "Acme", CATALOG, schema_name, default="stores", probe=answer, messages=MESSAGES, context={"account": "demo"}
    )


@pytest.mark.parametrize(
    ("status", "schema_name", "expected"),
    [
        (200, None, (True, None)),
        (401, "orders", (False, "Acme rejected the key (bad: no).")),
        (403, None, (True, None)),
        (403, "orders", (False, "The Acme key cannot read orders: grant orders:read (bad: no).")),
        (404, None, (False, "There is no Acme account demo.")),
        (500, "stores", (False, "Acme answered 500 (bad: no).")),
    ],
)
def test_check_credentials_probes_the_schema_and_words_the_verdict(
    status: int, schema_name: str | None, expected: tuple[bool, str | None]
) -> None:
    probed: list[str] = []

    def answer(endpoint: AcmeEndpoint) -> tuple[int, str]:
        probed.append(endpoint.name)
        return status, "bad: no"

    assert check(schema_name, answer) == expected
    assert probed == [schema_name or "stores"]


@pytest.mark.parametrize("error", [requests.ConnectionError("refused"), SourceError("egress refused")])
def test_a_probe_that_cannot_reach_the_vendor_is_a_refusal_not_a_raise(error: Exception) -> None:
    def answer(endpoint: AcmeEndpoint) -> tuple[int, str]:
        raise error

    assert check(None, answer) == (False, f"Could not reach demo.acme.example: {type(error).__name__}: {error}")


def test_an_unknown_schema_is_refused_without_a_probe() -> None:
    def answer(endpoint: AcmeEndpoint) -> tuple[int, str]:
        raise AssertionError("no probe for an unknown schema")

    assert check("refunds", answer) == (False, "Acme has no table 'refunds'; known: orders, stores")


def test_http_answer_reads_status_and_vendor_detail() -> None:
    response = requests.Response()
    response.status_code = 403
    assert http_answer(response, lambda answered: f"detail of {answered.status_code}") == (403, "detail of 403")


def test_http_status_advice_covers_401_and_403_per_base_url_and_404_when_given() -> None:
    advice = http_status_advice(
        ["https://api.acme.example", "https://eu.acme.example"], unauthorized="new key", forbidden="grant scope"
    )
    assert advice == {
        "401 Client Error: Unauthorized for url: https://api.acme.example": "new key",
        "403 Client Error: Forbidden for url: https://api.acme.example": "grant scope",
        "401 Client Error: Unauthorized for url: https://eu.acme.example": "new key",
        "403 Client Error: Forbidden for url: https://eu.acme.example": "grant scope",
    }
    with_404 = http_status_advice(["https://"], unauthorized="a", forbidden="b", not_found="check the account")
    assert with_404["404 Client Error: Not Found for url: https://"] == "check the account"
