"""Typeform forms and workspaces through the Create API."""
