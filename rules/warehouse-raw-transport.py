# Rule tests for warehouse-raw-transport: connections opened outside the tracked transport.
import http.client
import json
import urllib.request
from http.client import HTTPSConnection
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import aiohttp
import grpc
import urllib3

from sources.common.http import make_tracked_session

BASE_URL = "https://api.example.com/v2"


def fetch_json(path: str, token: str) -> dict:
    request = Request(f"{BASE_URL}{path}", headers={"Authorization": f"Token {token}"})
    # ruleid: warehouse-raw-transport
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def fetch_json_imported(url: str) -> dict:
    # ruleid: warehouse-raw-transport
    with urlopen(url) as response:
        return json.load(response)


def opener_with_cookies() -> urllib.request.OpenerDirector:
    # ruleid: warehouse-raw-transport
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor())


def pooled_rows(url: str) -> list[dict]:
    # ruleid: warehouse-raw-transport
    pool = urllib3.PoolManager(retries=urllib3.Retry(total=3))
    return json.loads(pool.request("GET", url).data)


def one_shot_urllib3(url: str) -> bytes:
    # ruleid: warehouse-raw-transport
    return urllib3.request("GET", url).data


def legacy_endpoint(host: str, path: str) -> bytes:
    # ruleid: warehouse-raw-transport
    connection = http.client.HTTPSConnection(host, timeout=30)
    connection.request("GET", path)
    return connection.getresponse().read()


def plain_http(host: str) -> None:
    # ruleid: warehouse-raw-transport
    http.client.HTTPConnection(host).request("HEAD", "/")


def imported_connection(host: str) -> HTTPSConnection:
    # ruleid: warehouse-raw-transport
    return HTTPSConnection(host)


async def async_rows(url: str) -> list[dict]:
    # ruleid: warehouse-raw-transport
    async with aiohttp.ClientSession() as client, client.get(url) as response:
        return await response.json()


def analytics_channel(target: str) -> grpc.Channel:
    # ruleid: warehouse-raw-transport
    return grpc.secure_channel(target, grpc.ssl_channel_credentials())


def local_channel(target: str) -> grpc.Channel:
    # ruleid: warehouse-raw-transport
    return grpc.insecure_channel(target)


def tracked_rows(token: str, since: str) -> list[dict]:
    # ok: warehouse-raw-transport
    session = make_tracked_session(headers={"Authorization": f"Token {token}"}, secrets=[token])
    # ok: warehouse-raw-transport
    query = urlencode({"updated_since": since, "limit": 100})
    return session.get(f"{BASE_URL}/rows?{query}").json()["rows"]


def is_retryable(exc: Exception) -> bool:
    # ok: warehouse-raw-transport
    return isinstance(exc, urllib3.exceptions.ProtocolError | http.client.RemoteDisconnected)


def status_text(code: int) -> str:
    # ok: warehouse-raw-transport
    return http.client.responses.get(code, "unknown")
