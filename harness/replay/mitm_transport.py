"""Point every `requests` call of the process at the harness's mitmdump, explicitly.

`through_proxy` patches `HTTPAdapter.send` (the tracked adapter calls `super().send()`, so it passes here, as
does a stray `requests.get`) to send through the proxy and to trust the proxy's CA: `proxies=` and `verify=`
are set on each send, after requests has merged the environment, so `REQUESTS_CA_BUNDLE`, `HTTPS_PROXY` and
friends cannot override them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter

Send = Callable[..., requests.Response]
# (adapter, request, send kwargs, the real send) -> response
Interceptor = Callable[[HTTPAdapter, requests.PreparedRequest, dict[str, Any], Send], requests.Response]


@contextlib.contextmanager
def through_proxy(proxy_url: str, ca_path: Path, interceptor: Interceptor | None = None) -> Iterator[None]:
    original = HTTPAdapter.send

    def send(adapter: HTTPAdapter, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        kwargs["proxies"] = {"http": proxy_url, "https": proxy_url}
        kwargs["verify"] = str(ca_path)
        if interceptor is None:
            return original(adapter, request, **kwargs)
        return interceptor(adapter, request, kwargs, lambda *a, **k: original(adapter, *a, **k))

    HTTPAdapter.send = send  # type: ignore[method-assign]
    try:
        yield
    finally:
        HTTPAdapter.send = original  # type: ignore[method-assign]
