"""Zendesk Support: tickets and users from the cursor-based incremental exports, groups from the list API."""
