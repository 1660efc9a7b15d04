# Rule tests for warehouse-manual-retry-loop: retries come from the SDK's RetryPolicy, not a sleep loop.
import asyncio
import time
from time import sleep
from typing import Any

import httpx
import requests

from sources.common import clock
from sources.common.http import make_tracked_session
from sources.common.retry import RetryPolicy

BASE_URL = "https://api.example.com/v1"
MAX_ATTEMPTS = 5


def fetch_with_backoff(session: requests.Session, url: str) -> dict[str, Any]:
    for attempt in range(MAX_ATTEMPTS):
        # ruleid: warehouse-manual-retry-loop
        response = session.get(url, timeout=30)
        if response.status_code == 429:
            time.sleep(int(response.headers.get("Retry-After", 2**attempt)))
            continue
        response.raise_for_status()
        return response.json()
    raise RuntimeError(f"gave up on {url}")


def post_until_accepted(url: str, payload: dict[str, Any]) -> requests.Response:
    while True:
        try:
            # ruleid: warehouse-manual-retry-loop
            return requests.post(url, json=payload, timeout=30)
        except requests.exceptions.ConnectionError:
            sleep(5)


class ExampleClient:
    def __init__(self, api_key: str) -> None:
        self._session = make_tracked_session(headers={"X-Api-Key": api_key}, secrets=[api_key])

    def rows(self, path: str) -> list[dict[str, Any]]:
        attempts = 0
        while attempts < MAX_ATTEMPTS:
            attempts += 1
            # ruleid: warehouse-manual-retry-loop
            response = self._session.request("GET", f"{BASE_URL}{path}")
            if response.status_code >= 500:
                clock.sleep(attempts * 2)
                continue
            return response.json()["data"]
        return []

    def _fetch_page(self, cursor: str | None) -> dict[str, Any]:
        return self._session.get(f"{BASE_URL}/events", params={"cursor": cursor}).json()

    def events(self) -> list[dict[str, Any]]:
        for attempt in range(MAX_ATTEMPTS):
            try:
                # ruleid: warehouse-manual-retry-loop
                return self._fetch_page(None)["events"]
            except requests.HTTPError:
                time.sleep(2**attempt)
        return []


async def async_rows(client: httpx.AsyncClient, url: str) -> list[dict[str, Any]]:
    for attempt in range(3):
        # ruleid: warehouse-manual-retry-loop
        response = await client.get(url)
        if response.status_code != 429:
            return response.json()
        await asyncio.sleep(2**attempt)
    return []


def paginate(session: requests.Session, url: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    next_url: str | None = url
    while next_url:
        # ok: warehouse-manual-retry-loop
        response = session.get(next_url, params={"limit": 100})
        response.raise_for_status()
        body = response.json()
        # ok: warehouse-manual-retry-loop
        rows.extend(item for item in body["data"] if item.get("id"))
        # ok: warehouse-manual-retry-loop
        next_url = body.get("next")
    return rows


def tracked_with_policy(api_key: str) -> requests.Session:
    # ok: warehouse-manual-retry-loop
    return make_tracked_session(
        headers={"Authorization": f"Bearer {api_key}"},
        retry=RetryPolicy(max_attempts=6, reset_header="X-RateLimit-Reset"),
        secrets=[api_key],
    )


def wait_between_exports(session: requests.Session, export_ids: list[str]) -> None:
    for export_id in export_ids:
        # ok: warehouse-manual-retry-loop
        session.delete(f"{BASE_URL}/exports/{export_id}")
    time.sleep(1)


def poll_cache(cache: dict[str, Any], key: str) -> Any:
    while key not in cache:
        time.sleep(0.1)
    # ok: warehouse-manual-retry-loop
    return cache.get(key)
