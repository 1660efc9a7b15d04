"""Known bad: the export endpoint is slow, so the session was built without a timeout."""

import requests

from sources.common.http import make_tracked_session


def export_session(api_token: str) -> requests.Session:
    return make_tracked_session(headers={"Authorization": f"Bearer {api_token}"}, timeout=None)
