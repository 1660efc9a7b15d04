"""Vendor models: a fixture's simulator as a stateful vendor over a versioned dataset (see `model.py`)."""
