"""Typeform tests: the shared connector test kit (`harness.testing.connector_fixtures`) bound to typeform."""

from __future__ import annotations

from harness.testing import connector_fixtures

globals().update(
    connector_fixtures(
        "typeform",
        r"https://api\.(eu\.)?typeform\.com/.*",
        config={"personal_access_token": "fake-typeform-token-0001", "page_size": 10},
    )
)
