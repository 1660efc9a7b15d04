"""Chargebee tests: the shared connector test kit (`harness.testing.connector_fixtures`) bound to chargebee."""

from __future__ import annotations

from harness.paths import FIXTURES_ROOT
from harness.testing import HarServer, connector_fixtures

__all__ = ["FIXTURES", "HarServer"]

FIXTURES = FIXTURES_ROOT / "chargebee"

globals().update(connector_fixtures("chargebee", r"https://[a-z0-9-]+\.chargebee\.com/.*", replay_used=True))
