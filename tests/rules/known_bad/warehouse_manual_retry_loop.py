"""Known bad: a hand-written backoff loop around the tracked session."""

import time
from typing import Any

from sources.common.http import make_tracked_session

BASE_URL = "https://api.acme.example/v1"


def fetch_page(api_key: str, cursor: str | None) -> dict[str, Any]:
    session = make_tracked_session(headers={"X-Api-Key": api_key}, retry=None, secrets=[api_key])
    for attempt in range(5):
        response = session.get(f"{BASE_URL}/orders", params={"cursor": cursor})
        if response.status_code == 429 or response.status_code >= 500:
            time.sleep(float(response.headers.get("Retry-After", 2**attempt)))
            continue
        response.raise_for_status()
        return response.json()
    raise RuntimeError("orders: gave up after 5 attempts")
