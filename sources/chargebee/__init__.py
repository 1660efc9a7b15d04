"""Chargebee: customers, subscriptions and invoices from the v2 REST API."""
