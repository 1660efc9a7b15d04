"""Pipedrive: deals, persons, organizations (incremental on update_time) and stages through the Pipedrive API v2."""
