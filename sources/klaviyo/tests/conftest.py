"""Klaviyo tests: the shared connector test kit (`harness.testing.connector_fixtures`) bound to klaviyo."""

from __future__ import annotations

from harness.paths import FIXTURES_ROOT
from harness.testing import HarServer, connector_fixtures

__all__ = ["FIXTURES", "HarServer"]

FIXTURES = FIXTURES_ROOT / "klaviyo"

globals().update(connector_fixtures("klaviyo", r"https://a\.klaviyo\.com/.*", replay_used=True))
