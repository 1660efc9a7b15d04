# Rule tests for warehouse-save-state-in-item-loop: a page's resume state is saved after all of its items.
import dataclasses
from collections.abc import Iterator
from typing import Any

import requests

from sources.common.rest_source import RESTClient
from sources.common.resumable import ResumableSourceManager


@dataclasses.dataclass
class ExampleResumeConfig:
    next_url: str


def items_saved_after_the_first_item(
    client: RESTClient, manager: ResumableSourceManager[ExampleResumeConfig]
) -> Iterator[dict[str, Any]]:
    for page in client.paginate("/items"):
        for item in page.items:
            yield item
            if page.next_request is not None:
                # ruleid: warehouse-save-state-in-item-loop
                manager.save_state(ExampleResumeConfig(next_url=page.next_request.url))


def items_saved_before_each_item(
    session: requests.Session, manager: ResumableSourceManager[ExampleResumeConfig], url: str
) -> Iterator[dict[str, Any]]:
    next_url: str | None = url
    while next_url:
        body = session.get(next_url).json()
        next_url = body.get("next")
        for row in body["data"]:
            # ruleid: warehouse-save-state-in-item-loop
            manager.save_state(state=ExampleResumeConfig(next_url=next_url or ""))
            yield row


def items_of_a_page_from_the_sdk(
    client: RESTClient, manager: ResumableSourceManager[ExampleResumeConfig]
) -> Iterator[dict[str, Any]]:
    for page in client.paginate("/items"):
        for item in page.items:
            yield from item["lines"]
            # ruleid: warehouse-save-state-in-item-loop
            manager.save_state(ExampleResumeConfig(next_url=str(page.next_request)))


def rows_of_pages(
    pages: Iterator[list[dict[str, Any]]], manager: ResumableSourceManager[ExampleResumeConfig]
) -> Iterator[dict[str, Any]]:
    for rows in pages:
        for row in rows:
            yield row
            # ruleid: warehouse-save-state-in-item-loop
            manager.save_state(ExampleResumeConfig(next_url="next"))


def items_saved_after_the_page(
    client: RESTClient, manager: ResumableSourceManager[ExampleResumeConfig]
) -> Iterator[dict[str, Any]]:
    for page in client.paginate("/items"):
        yield from page.items
        if page.next_request is not None:
            # ok: warehouse-save-state-in-item-loop
            manager.save_state(ExampleResumeConfig(next_url=page.next_request.url))


def pages_per_repository(
    pages_of: Any, manager: ResumableSourceManager[ExampleResumeConfig], repositories: list[str]
) -> Iterator[list[dict[str, Any]]]:
    for repository in repositories:
        for rows, next_url in pages_of(repository):
            yield rows
            # ok: warehouse-save-state-in-item-loop
            manager.save_state(ExampleResumeConfig(next_url=next_url))


def items_with_a_cleanup_loop(
    client: RESTClient, manager: ResumableSourceManager[ExampleResumeConfig]
) -> Iterator[dict[str, Any]]:
    for page in client.paginate("/items"):
        yield from page.items
        for _ in page.items:
            # ok: warehouse-save-state-in-item-loop
            manager.save_state(ExampleResumeConfig(next_url="done"))
