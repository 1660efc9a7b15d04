"""The connector test kit (`harness.testing.connector_fixtures`) bound to pipedrive."""

from __future__ import annotations

from harness.testing import connector_fixtures

FIXTURES = connector_fixtures(
    "pipedrive",
    r"https://api\.pipedrive\.com/api/v2/.*",
    config={"api_token": "fake-pipedrive-api-token-0001", "page_size": 10},
)
globals().update(FIXTURES)
