# Rule tests for warehouse-no-socket-or-process: sockets, name lookups and processes at the source layer.
# The imports are the cases under test, each with its annotation, so isort and unused-import stay off.
# ruff: noqa: I001, F401
import contextlib
import importlib
import json
import os
import urllib.request

# ruleid: warehouse-no-socket-or-process
import socket

# ruleid: warehouse-no-socket-or-process
import _socket

# ruleid: warehouse-no-socket-or-process
import subprocess

# ruleid: warehouse-no-socket-or-process
import subprocess as sp

# ruleid: warehouse-no-socket-or-process
from socket import gethostbyname

# ruleid: warehouse-no-socket-or-process
from subprocess import run as run_command

# ok: warehouse-no-socket-or-process
from urllib.parse import urlencode

# ok: warehouse-no-socket-or-process
from sources.common.http import make_tracked_session

BASE_URL = "https://api.example.com/v2"


def usage_through_curl(token: str) -> dict:
    output = subprocess.run(["curl", "-s", "-H", f"Authorization: Bearer {token}", f"{BASE_URL}/usage"], check=True)
    return json.loads(output.stdout)


def shell_out(url: str) -> None:
    # ruleid: warehouse-no-socket-or-process
    os.system(f"curl -s {url} > /tmp/export.json")


def pipe_from_shell(url: str) -> str:
    # ruleid: warehouse-no-socket-or-process
    return os.popen(f"wget -qO- {url}").read()


def replace_process(url: str) -> None:
    # ruleid: warehouse-no-socket-or-process
    os.execvp("curl", ["curl", url])


def spawn_exporter() -> int:
    # ruleid: warehouse-no-socket-or-process
    return os.posix_spawnp("exporter", ["exporter", "--all"], os.environ)


def fork_worker() -> int:
    # ruleid: warehouse-no-socket-or-process
    return os.fork()


def socket_by_name() -> object:
    # ruleid: warehouse-no-socket-or-process
    return importlib.import_module("socket")


def subprocess_by_dunder() -> object:
    # ruleid: warehouse-no-socket-or-process
    return __import__("subprocess")


async def shell_from_asyncio(url: str) -> None:
    import asyncio

    # ruleid: warehouse-no-socket-or-process
    process = await asyncio.create_subprocess_exec("curl", url)
    await process.wait()


async def raw_stream(host: str) -> None:
    import asyncio

    # ruleid: warehouse-no-socket-or-process
    _reader, writer = await asyncio.open_connection(host, 443)
    writer.close()


def download_export(url: str, path: str) -> None:
    # ruleid: warehouse-no-socket-or-process
    urllib.request.urlretrieve(url, path)


def global_proxy_opener(opener: urllib.request.OpenerDirector) -> None:
    # ruleid: warehouse-no-socket-or-process
    urllib.request.install_opener(opener)


def fetch_page(token: str, cursor: str | None) -> dict:
    session = make_tracked_session(headers={"Authorization": f"Bearer {token}"})
    # ok: warehouse-no-socket-or-process
    query = urlencode({"cursor": cursor} if cursor else {})
    return session.get(f"{BASE_URL}/items?{query}").json()


def environment_and_paths(folder: str) -> str:
    # ok: warehouse-no-socket-or-process
    token = os.environ.get("ACME_TOKEN", "")
    # ok: warehouse-no-socket-or-process
    return os.path.join(folder, token)


def socket_timeout_setting(config: dict) -> float:
    # ok: warehouse-no-socket-or-process
    socket_timeout = float(config.get("socket_timeout", 30))
    with contextlib.suppress(KeyError):
        # ok: warehouse-no-socket-or-process
        os.getpid()
    return socket_timeout
