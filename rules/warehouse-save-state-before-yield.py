# Rule tests for warehouse-save-state-before-yield: resume state is saved only after its batch is handed over.
import dataclasses
from collections.abc import Iterator
from typing import Any

import requests

from sources.common.resumable import ResumableSourceManager

BASE_URL = "https://api.example.com/v1"


@dataclasses.dataclass
class ExampleResumeConfig:
    next_url: str


def rows_saved_too_early(
    session: requests.Session, manager: ResumableSourceManager[ExampleResumeConfig], url: str
) -> Iterator[list[dict[str, Any]]]:
    next_url: str | None = url
    while next_url:
        body = session.get(next_url).json()
        next_url = body.get("next")
        if next_url:
            # ruleid: warehouse-save-state-before-yield
            manager.save_state(ExampleResumeConfig(next_url=next_url))
        yield body["data"]


def rows_saved_too_early_for(
    pages: Iterator[dict[str, Any]], manager: ResumableSourceManager[ExampleResumeConfig]
) -> Iterator[dict[str, Any]]:
    for page in pages:
        # ruleid: warehouse-save-state-before-yield
        manager.save_state(ExampleResumeConfig(next_url=page["next"]))
        yield from page["data"]


class ExampleTransport:
    def __init__(self, manager: ResumableSourceManager[ExampleResumeConfig]) -> None:
        self.resumable_source_manager = manager

    def pages(self, session: requests.Session, url: str) -> Iterator[list[dict[str, Any]]]:
        next_url: str | None = url
        while next_url:
            body = session.get(next_url).json()
            next_url = body.get("next")
            # ruleid: warehouse-save-state-before-yield
            self.resumable_source_manager.save_state(ExampleResumeConfig(next_url=next_url or ""))
            for row in body["data"]:
                yield {**row, "_page_url": next_url}


def rows_saved_after_yield(
    session: requests.Session, manager: ResumableSourceManager[ExampleResumeConfig], url: str
) -> Iterator[list[dict[str, Any]]]:
    next_url: str | None = url
    while next_url:
        body = session.get(next_url).json()
        # ok: warehouse-save-state-before-yield
        yield body["data"]
        next_url = body.get("next")
        if next_url:
            # ok: warehouse-save-state-before-yield
            manager.save_state(ExampleResumeConfig(next_url=next_url))


def rows_saved_after_yield_from(
    pages: Iterator[dict[str, Any]], manager: ResumableSourceManager[ExampleResumeConfig]
) -> Iterator[dict[str, Any]]:
    for page in pages:
        yield from page["data"]
        # ok: warehouse-save-state-before-yield
        manager.save_state(ExampleResumeConfig(next_url=page["next"]))


def rows_without_loop(
    manager: ResumableSourceManager[ExampleResumeConfig], first_page: dict[str, Any]
) -> Iterator[dict[str, Any]]:
    yield from first_page["data"]
    # ok: warehouse-save-state-before-yield
    manager.save_state(ExampleResumeConfig(next_url=first_page["next"]))


def rows_then_final_page(
    pages: Iterator[dict[str, Any]], manager: ResumableSourceManager[ExampleResumeConfig]
) -> Iterator[list[dict[str, Any]]]:
    last: dict[str, Any] = {"data": [], "next": ""}
    for page in pages:
        yield page["data"]
        # ok: warehouse-save-state-before-yield
        manager.save_state(ExampleResumeConfig(next_url=page["next"]))
        last = page
    yield last["data"]


def rows_saved_in_try(
    session: requests.Session, manager: ResumableSourceManager[ExampleResumeConfig], urls: list[str]
) -> Iterator[list[dict[str, Any]]]:
    for url in urls:
        try:
            body = session.get(url).json()
            # ruleid: warehouse-save-state-before-yield
            manager.save_state(ExampleResumeConfig(next_url=body["next"]))
        except requests.HTTPError:
            continue
        yield body["data"]


def rows_per_repository(
    pages_of: Any, manager: ResumableSourceManager[ExampleResumeConfig], repositories: list[str]
) -> Iterator[list[dict[str, Any]]]:
    state = manager.load_state() if manager.can_resume() else None
    for repository in repositories:
        if state is not None and state.next_url.startswith(repository):
            pages = pages_of(repository, state.next_url)
        else:
            pages = pages_of(repository, None)
        for rows, next_url in pages:
            if rows:
                yield rows
            if next_url is not None:
                # ok: warehouse-save-state-before-yield
                manager.save_state(ExampleResumeConfig(next_url=next_url))


def rows_saved_in_branch(
    pages: Iterator[dict[str, Any]], manager: ResumableSourceManager[ExampleResumeConfig]
) -> Iterator[list[dict[str, Any]]]:
    for page in pages:
        if page["next"]:
            # ruleid: warehouse-save-state-before-yield
            manager.save_state(ExampleResumeConfig(next_url=page["next"]))
        else:
            manager.clear_state()
        yield page["data"]
