"""Stripe tests: the shared connector test kit (`harness.testing.connector_fixtures`) bound to stripe."""

from __future__ import annotations

from harness.testing import HarServer, connector_fixtures

__all__ = ["API_KEY", "HarServer"]

API_KEY = "sk_test_fake0000fixture0000key"

globals().update(
    connector_fixtures("stripe", r"https://api\.stripe\.com/.*", config={"stripe_secret_key": API_KEY, "page_size": 10})
)
