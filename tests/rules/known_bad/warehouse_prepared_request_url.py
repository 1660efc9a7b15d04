"""Known bad: building the first page URL by preparing a `requests.Request`."""

from typing import Any

import requests

BASE_URL = "https://api.acme.example/v1"


def first_page_url(endpoint: str, since: str | None) -> str:
    params: dict[str, Any] = {"limit": 100, "sort": "updated_at"}
    if since:
        params["updated_since"] = since
    request = requests.Request("GET", f"{BASE_URL}/{endpoint}", params=params)
    return request.prepare().url or ""
