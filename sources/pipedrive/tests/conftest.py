"""The connector test kit (`harness.testing.connector_fixtures`) bound to pipedrive."""

from __future__ import annotations

from harness.testing import connector_fixtures

FIXTURES = connector_fixtures(
    "pipedrive",
    r"https://api\.pipedrive\.example/.*",
    config={"api_key": "fake-pipedrive-key-0001"},
)
globals().update(FIXTURES)
