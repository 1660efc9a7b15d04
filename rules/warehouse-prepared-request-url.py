# Rule tests for warehouse-prepared-request-url: query strings come from urlencode, not a prepared request.
from typing import Any
from urllib.parse import urlencode

import requests
from requests import Request

BASE_URL = "https://api.example.com/v3"


def first_page_url(endpoint: str, params: dict[str, Any]) -> str:
    # ruleid: warehouse-prepared-request-url
    return requests.Request("GET", f"{BASE_URL}/{endpoint}", params=params).prepare().url


def imported_request_url(endpoint: str, params: dict[str, Any]) -> str:
    # ruleid: warehouse-prepared-request-url
    return Request("GET", f"{BASE_URL}/{endpoint}", params=params).prepare().url


def two_step_url(endpoint: str, since: str) -> str:
    request = requests.Request("GET", f"{BASE_URL}/{endpoint}", params={"updated_since": since})
    # ruleid: warehouse-prepared-request-url
    return request.prepare().url


def three_step_url(endpoint: str, since: str) -> str:
    request = requests.Request("GET", f"{BASE_URL}/{endpoint}", params={"updated_since": since})
    prepared = request.prepare()
    # ruleid: warehouse-prepared-request-url
    url = prepared.url
    return url or ""


def prepared_then_url(endpoint: str, cursor: str) -> str:
    prepared = requests.Request("GET", f"{BASE_URL}/{endpoint}", params={"cursor": cursor}).prepare()
    # ruleid: warehouse-prepared-request-url
    return str(prepared.url)


def session_prepared_url(session: requests.Session, endpoint: str, params: dict[str, Any]) -> str:
    # ruleid: warehouse-prepared-request-url
    return session.prepare_request(requests.Request("GET", f"{BASE_URL}/{endpoint}", params=params)).url


def manual_prepared_url(endpoint: str, params: dict[str, Any]) -> str:
    prepared = requests.PreparedRequest()
    # ruleid: warehouse-prepared-request-url
    prepared.prepare_url(f"{BASE_URL}/{endpoint}", params)
    return prepared.url or ""


def encoded_url(endpoint: str, params: dict[str, Any]) -> str:
    # ok: warehouse-prepared-request-url
    return f"{BASE_URL}/{endpoint}?{urlencode(params, doseq=True)}"


def fetch(session: requests.Session, endpoint: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    response = session.get(f"{BASE_URL}/{endpoint}", params=params)
    response.raise_for_status()
    # ok: warehouse-prepared-request-url
    next_url = response.request.url
    # ok: warehouse-prepared-request-url
    final_url = response.url
    return [{"next": next_url, "final": final_url}]
