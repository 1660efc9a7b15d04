# Rule tests for warehouse-secret-in-query: credentials travel in headers, never in the URL.
import dataclasses
from urllib.parse import urlencode

import requests

from sources.common.http import make_tracked_session

BASE_URL = "https://api.example.com/v1"


@dataclasses.dataclass
class ExampleConfig:
    api_key: str
    page_size: int = 100


def session_with_the_key_in_params(config: ExampleConfig) -> requests.Session:
    session = make_tracked_session()
    # ruleid: warehouse-secret-in-query
    session.params = {"api_key": config.api_key}
    return session


def session_with_the_key_added(config: ExampleConfig) -> requests.Session:
    session = make_tracked_session()
    # ruleid: warehouse-secret-in-query
    session.params["key"] = config.api_key
    return session


def key_in_an_f_string(session: requests.Session, config: ExampleConfig) -> requests.Response:
    # ruleid: warehouse-secret-in-query
    return session.get(f"{BASE_URL}/customers?limit=100&api_key={config.api_key}")


def token_in_request_params(session: requests.Session, access_token: str) -> requests.Response:
    # ruleid: warehouse-secret-in-query
    return session.get(f"{BASE_URL}/customers", params={"limit": 100, "auth": access_token})


def key_in_an_encoded_query(config: ExampleConfig) -> str:
    # ruleid: warehouse-secret-in-query
    return f"{BASE_URL}/customers?" + urlencode({"page_size": config.page_size, "hapikey": config.api_key})


def key_in_a_header(config: ExampleConfig) -> requests.Session:
    # ok: warehouse-secret-in-query
    return make_tracked_session(headers={"Authorization": f"Bearer {config.api_key}"})


def page_token_in_params(session: requests.Session, page_token: str) -> requests.Response:
    # ok: warehouse-secret-in-query
    return session.get(f"{BASE_URL}/customers", params={"limit": 100, "pageToken": page_token})


def next_page_from_the_api(session: requests.Session, next_token: str) -> requests.Response:
    # ok: warehouse-secret-in-query
    return session.get(f"{BASE_URL}/customers?limit=100&after={next_token}")


def plain_query(session: requests.Session, config: ExampleConfig) -> requests.Response:
    # ok: warehouse-secret-in-query
    session.params = {"limit": config.page_size}
    return session.get(f"{BASE_URL}/customers")
