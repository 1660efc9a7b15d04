"""GitHub tests: the shared connector test kit (`harness.testing.connector_fixtures`) bound to github."""

from __future__ import annotations

from harness.testing import HarServer, connector_fixtures

__all__ = ["REPOSITORIES", "TOKEN", "HarServer"]

TOKEN = "fake-github-token-0001"
REPOSITORIES = ("octo-analytics/warehouse-demo", "octo-analytics/ingest-tools")

globals().update(
    connector_fixtures(
        "github",
        r"https://api\.github\.com/.*",
        config={"personal_access_token": TOKEN, "repositories": ", ".join(REPOSITORIES), "page_size": 10},
    )
)
