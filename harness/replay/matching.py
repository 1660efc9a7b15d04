"""How a live request is compared with a recorded one.

Method, scheme, host and path match exactly. Query parameters match exactly but in any order (as a multiset
of name/value pairs). Bodies are parsed before comparison: JSON by value (object keys in any order), form
bodies as a multiset of pairs, anything else byte for byte. Headers are not compared (credentials in them are
scrubbed from fixtures).
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from sources.common.scrub import scrub_text


@dataclasses.dataclass(frozen=True)
class RequestKey:
    method: str
    base_url: str
    query: tuple[tuple[str, str], ...]
    body: tuple[str, Any] | None

    @property
    def path(self) -> str:
        return urlsplit(self.base_url).path

    def describe(self) -> str:
        query = "&".join(f"{name}={value}" for name, value in self.query)
        text = f"{self.method} {self.base_url}{'?' + query if query else ''}"
        if self.body is not None:
            text += f" body={_short(self.body[1])}"
        return text


def _short(value: Any, limit: int = 160) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((str(key), _freeze(item)) for key, item in value.items()))
    if isinstance(value, list):
        return tuple(_freeze(item) for item in value)
    return value


def normalize_body(body: str | bytes | None, content_type: str | None) -> tuple[str, Any] | None:
    if body is None:
        return None
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    if not text:
        return None
    try:
        return ("json", _freeze(json.loads(text)))
    except ValueError:
        pass
    if "form" in (content_type or "") or ("=" in text and " " not in text and "\n" not in text):
        return ("form", tuple(sorted(parse_qsl(text, keep_blank_values=True))))
    return ("raw", text)


def request_key(
    method: str, url: str, body: str | bytes | None, content_type: str | None, secrets: frozenset[str] = frozenset()
) -> RequestKey:
    """The comparable form of a request; known secrets are scrubbed the way the recorder scrubbed them."""
    url = scrub_text(url, secrets) if secrets else url
    if body is not None and secrets:
        body = scrub_text(body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body), secrets)
    parts = urlsplit(url)
    base = urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", "", ""))
    query = tuple(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return RequestKey(method.upper(), base, query, normalize_body(body, content_type))


def closeness(live: RequestKey, recorded: RequestKey) -> tuple[int, int, int, int]:
    """Rank for 'closest recorded request': same method, same path, then how many query pairs they share."""
    shared = sum((Counter(live.query) & Counter(recorded.query)).values())
    same_names = len({name for name, _ in live.query} & {name for name, _ in recorded.query})
    return (
        int(live.method == recorded.method),
        int(live.base_url == recorded.base_url),
        shared,
        same_names,
    )
