"""Known bad: a transport that talks to the API through urllib, bypassing the tracked session."""

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode
from urllib.request import Request, urlopen

BASE_URL = "https://api.acme.example/v1"


def invoices(api_key: str, since: str) -> Iterator[list[dict[str, Any]]]:
    cursor: str | None = None
    while True:
        query = urlencode({"updated_since": since, **({"cursor": cursor} if cursor else {})})
        request = Request(f"{BASE_URL}/invoices?{query}", headers={"X-Api-Key": api_key})
        with urlopen(request, timeout=60) as response:
            body = json.load(response)
        yield body["invoices"]
        cursor = body.get("next_cursor")
        if not cursor:
            return
