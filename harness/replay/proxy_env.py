"""Proxy environment variables are cleared for every run: a proxy would carry the source's traffic off the machine
through an allowed loopback connection (urllib, requests and most SDKs read them). urllib's process-wide opener
is set aside too: it keeps the proxies of the environment it was first built in."""

from __future__ import annotations

import contextlib
import os
import urllib.request
from collections.abc import Iterator

import requests

PROXY_VARIABLES = tuple(
    name for base in ("http_proxy", "https_proxy", "all_proxy", "no_proxy") for name in (base, base.upper())
)


@contextlib.contextmanager
def proxy_env_cleared() -> Iterator[dict[str, str]]:
    """Remove the proxy variables for the block and restore them after; yields what was removed."""
    removed = {name: os.environ.pop(name) for name in PROXY_VARIABLES if name in os.environ}
    opener = urllib.request._opener  # type: ignore[attr-defined]
    urllib.request.install_opener(None)  # type: ignore[arg-type]
    try:
        yield removed
    finally:
        for name in PROXY_VARIABLES:
            os.environ.pop(name, None)
        os.environ.update(removed)
        urllib.request.install_opener(opener)


def harness_session() -> requests.Session:
    """A session for the harness's own HTTP (a replay proxy, a recorder): it never reads proxy variables, netrc or
    CA-bundle variables from the environment; set `proxies` and `verify` explicitly."""
    session = requests.Session()
    session.trust_env = False
    return session
