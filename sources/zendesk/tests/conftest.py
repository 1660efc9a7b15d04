"""Zendesk tests: the shared connector test kit (`harness.testing.connector_fixtures`) bound to zendesk."""

from __future__ import annotations

from harness.paths import FIXTURES_ROOT
from harness.testing import HarServer, connector_fixtures

__all__ = ["FIXTURES", "HarServer"]

FIXTURES = FIXTURES_ROOT / "zendesk"

globals().update(connector_fixtures("zendesk", r"https://[a-z0-9-]+\.zendesk\.com/.*", replay_used=True))
