"""Known bad: the API key rides along as a query parameter on every request of the session."""

import requests

from sources.common.http import make_tracked_session


def session(api_key: str) -> requests.Session:
    tracked = make_tracked_session(headers={"Accept": "application/json"})
    tracked.params = {"api_key": api_key}
    return tracked
