"""Known bad: the resume state points past a page before that page has been handed over."""

import dataclasses
from collections.abc import Iterator
from typing import Any

import requests

from sources.common.resumable import ResumableSourceManager


@dataclasses.dataclass
class AcmeResumeConfig:
    next_url: str


def orders(
    session: requests.Session, manager: ResumableSourceManager[AcmeResumeConfig], url: str
) -> Iterator[list[dict[str, Any]]]:
    next_url: str | None = url
    while next_url:
        response = session.get(next_url)
        response.raise_for_status()
        body = response.json()
        next_url = body.get("next_url")
        if next_url:
            manager.save_state(AcmeResumeConfig(next_url=next_url))
        yield body["orders"]
