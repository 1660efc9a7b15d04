# Rule tests for warehouse-http-transport: how a source may and may not reach a vendor API over HTTP.
import httpx
import requests
from requests import HTTPError, Response, Session
from requests import post as requests_post

from sources.common.http import make_tracked_session

BASE_URL = "https://api.example.com/v1"


class ExampleClient:
    def __init__(self, api_key: str) -> None:
        # ruleid: warehouse-http-transport
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {api_key}"

    def list_customers(self, cursor: str | None) -> Response:
        return self.session.get(f"{BASE_URL}/customers", params={"starting_after": cursor})


def build_session_alias() -> Session:
    # ruleid: warehouse-http-transport
    return Session()


def build_session_lowercase() -> requests.Session:
    # ruleid: warehouse-http-transport
    return requests.session()


# ruleid: warehouse-http-transport
class RetryingSession(requests.Session):
    pass


def fetch_page(url: str, api_key: str) -> dict:
    # ruleid: warehouse-http-transport
    response = requests.get(url, headers={"Authorization": f"Bearer {api_key}"}, timeout=30)
    response.raise_for_status()
    return response.json()


def create_export(api_key: str) -> dict:
    # ruleid: warehouse-http-transport
    return requests.post(f"{BASE_URL}/exports", json={"format": "json"}, auth=(api_key, "")).json()


def raw_request(method: str, url: str) -> Response:
    # ruleid: warehouse-http-transport
    return requests.request(method, url, timeout=30)


def delete_webhook(webhook_id: str) -> None:
    # ruleid: warehouse-http-transport
    requests.delete(f"{BASE_URL}/webhooks/{webhook_id}", timeout=30)


def aliased_post(url: str) -> Response:
    # ruleid: warehouse-http-transport
    return requests_post(url, data={}, timeout=30)


def probe_head(url: str) -> int:
    # ruleid: warehouse-http-transport
    return requests.head(url, timeout=5).status_code


def patch_and_put(url: str) -> None:
    # ruleid: warehouse-http-transport
    requests.patch(url, json={"a": 1}, timeout=5)
    # ruleid: warehouse-http-transport
    requests.put(url, json={"a": 1}, timeout=5)


def httpx_client_rows(token: str) -> list[dict]:
    # ruleid: warehouse-http-transport
    with httpx.Client(base_url=BASE_URL, headers={"Authorization": f"Bearer {token}"}) as client:
        return client.get("/rows").json()


async def httpx_async_rows() -> list[dict]:
    # ruleid: warehouse-http-transport
    async with httpx.AsyncClient() as client:
        return (await client.get(f"{BASE_URL}/rows")).json()


def httpx_module_get(url: str) -> dict:
    # ruleid: warehouse-http-transport
    return httpx.get(url).json()


def tracked_session(api_key: str) -> requests.Session:
    # ok: warehouse-http-transport
    return make_tracked_session(headers={"Authorization": f"Bearer {api_key}"}, secrets=[api_key])


def get_with_tracked_session(session: requests.Session, url: str) -> Response:
    # ok: warehouse-http-transport
    return session.get(url, params={"limit": 100})


def validate(session: requests.Session) -> bool:
    try:
        # ok: warehouse-http-transport
        session.get(f"{BASE_URL}/me").raise_for_status()
    # ok: warehouse-http-transport
    except requests.exceptions.HTTPError as exc:
        # ok: warehouse-http-transport
        if exc.response is not None and exc.response.status_code == 403:
            return True
        raise
    # ok: warehouse-http-transport
    except requests.HTTPError:
        return False
    return True


def is_client_error(exc: HTTPError) -> bool:
    # ok: warehouse-http-transport
    return isinstance(exc, requests.exceptions.HTTPError) and exc.response is not None


def timeout_errors() -> tuple[type[Exception], ...]:
    # ok: warehouse-http-transport
    return (requests.exceptions.Timeout, httpx.TimeoutException)


def status_of(response: Response) -> int:
    # ok: warehouse-http-transport
    return response.status_code if response.ok else requests.codes.server_error
