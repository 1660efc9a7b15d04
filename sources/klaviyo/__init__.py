"""Klaviyo: profiles and events from the JSON:API REST API."""
