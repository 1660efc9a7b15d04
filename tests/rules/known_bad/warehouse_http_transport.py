"""Known bad: a transport module that builds its own `requests.Session` instead of the tracked one."""

from collections.abc import Iterator
from typing import Any

import requests

BASE_URL = "https://api.acme.example/v1"


class AcmeClient:
    def __init__(self, api_key: str) -> None:
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {api_key}", "Accept": "application/json"})

    def customers(self, page_size: int = 100) -> Iterator[list[dict[str, Any]]]:
        url: str | None = f"{BASE_URL}/customers?limit={page_size}"
        while url:
            response = self.session.get(url, timeout=60)
            response.raise_for_status()
            body = response.json()
            yield body["data"]
            url = body.get("next_url")
