"""probe_verdict: each probe status maps to the verdict the connector contract asks for, in the vendor's words."""

from __future__ import annotations

import pytest

from sources.common.credentials import probe_verdict

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
