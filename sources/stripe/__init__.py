"""Stripe: charges, customers and invoices through the official SDK, on the tracked transport."""
