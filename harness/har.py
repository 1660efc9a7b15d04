"""HAR 1.2: the one fixture format both replay backends read. Entries are kept in the order they were made."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

HAR_VERSION = "1.2"


class HarError(ValueError):
    """A HAR file is unreadable or lacks a field; the message names the file and the entry."""


@dataclasses.dataclass(frozen=True)
class HarRequest:
    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    body: str | None = None
    mime_type: str | None = None

    @property
    def base_url(self) -> str:
        parts = urlsplit(self.url)
        return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))

    @property
    def query(self) -> list[tuple[str, str]]:
        return parse_qsl(urlsplit(self.url).query, keep_blank_values=True)


@dataclasses.dataclass(frozen=True)
class HarResponse:
    status: int
    status_text: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    body: str = ""
    mime_type: str = "application/json"

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((value for key, value in self.headers if key.lower() == lowered), None)


@dataclasses.dataclass(frozen=True)
class HarEntry:
    request: HarRequest
    response: HarResponse
    started: str = "2024-01-01T00:00:00.000Z"
    comment: str | None = None


@dataclasses.dataclass(frozen=True)
class Har:
    entries: tuple[HarEntry, ...]
    creator: dict[str, str]
    path: Path | None = None


def _pairs(items: list[dict[str, Any]] | None) -> tuple[tuple[str, str], ...]:
    return tuple((str(item["name"]), str(item["value"])) for item in items or [])


def _entry_from_json(raw: dict[str, Any]) -> HarEntry:
    request, response = raw["request"], raw["response"]
    post = request.get("postData") or {}
    content = response.get("content") or {}
    return HarEntry(
        request=HarRequest(
            method=request["method"].upper(),
            url=request["url"],
            headers=_pairs(request.get("headers")),
            body=post.get("text"),
            mime_type=post.get("mimeType"),
        ),
        response=HarResponse(
            status=int(response["status"]),
            status_text=response.get("statusText", ""),
            headers=_pairs(response.get("headers")),
            body=content.get("text", ""),
            mime_type=content.get("mimeType", "application/json"),
        ),
        started=raw.get("startedDateTime", "2024-01-01T00:00:00.000Z"),
        comment=raw.get("comment"),
    )


def read_har(path: Path) -> Har:
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        raise HarError(f"{path}: HAR file not found") from None
    except json.JSONDecodeError as exc:
        raise HarError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    log = document.get("log") if isinstance(document, dict) else None
    if not isinstance(log, dict) or not isinstance(log.get("entries"), list):
        raise HarError(f"{path}: not a HAR file (no log.entries)")
    entries = []
    for index, raw in enumerate(log["entries"]):
        try:
            entries.append(_entry_from_json(raw))
        except (KeyError, TypeError, ValueError) as exc:
            raise HarError(f"{path}: entry {index} is missing or has an invalid field ({exc})") from None
    return Har(entries=tuple(entries), creator=dict(log.get("creator") or {}), path=path)


def _entry_to_json(entry: HarEntry) -> dict[str, Any]:
    request, response = entry.request, entry.response
    raw_request: dict[str, Any] = {
        "method": request.method,
        "url": request.url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": [{"name": k, "value": v} for k, v in request.headers],
        "queryString": [{"name": k, "value": v} for k, v in request.query],
        "headersSize": -1,
        "bodySize": len(request.body.encode()) if request.body else 0,
    }
    if request.body is not None:
        raw_request["postData"] = {"mimeType": request.mime_type or "application/json", "text": request.body}
    raw: dict[str, Any] = {
        "startedDateTime": entry.started,
        "time": 0,
        "request": raw_request,
        "response": {
            "status": response.status,
            "statusText": response.status_text,
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": [{"name": k, "value": v} for k, v in response.headers],
            "content": {
                "size": len(response.body.encode()),
                "mimeType": response.mime_type,
                "text": response.body,
            },
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": len(response.body.encode()),
        },
        "cache": {},
        "timings": {"send": 0, "wait": 0, "receive": 0},
    }
    if entry.comment:
        raw["comment"] = entry.comment
    return raw


def write_har(path: Path, entries: list[HarEntry], creator: dict[str, str]) -> None:
    document = {
        "log": {
            "version": HAR_VERSION,
            "creator": creator,
            "entries": [_entry_to_json(entry) for entry in entries],
        }
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
