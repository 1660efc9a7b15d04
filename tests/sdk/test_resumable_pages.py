"""Resumable page batches: each page is handed over before the position past it is saved; resuming reads it."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from sources.common import events
from sources.common.errors import ResumableStateError
from sources.common.redis_client import get_redis_client
from sources.common.rest_source import Page, PageRequest
from sources.common.resumable import ResumableSourceManager, StateSaved, resume_key
from sources.common.resumable_pages import NextPageState, batches_then_save_next, resumable_batches, saved_request
from sources.common.typings import SourceInputs

URL = "https://api.acme.example/v1/orders"


@dataclasses.dataclass
class AcmeResumeConfig(NextPageState):
    """The next page's request."""


def request_for(page: int) -> PageRequest:
    return PageRequest(url=URL, params={"page": page})


def pages(*sizes: int) -> Iterator[Page]:
    """One page per size, numbered from 1, each pointing at the next; the last has no next request."""
    for number, size in enumerate(sizes, start=1):
        rows = [{"id": f"{number}-{index}"} for index in range(size)]
        following = request_for(number + 1) if number < len(sizes) else None
        yield Page(rows, request_for(number), following, requests.Response(), number)


@pytest.fixture
def manager() -> ResumableSourceManager[AcmeResumeConfig]:
    inputs = SourceInputs(schema_name="orders", team_id=1, job_id=f"job-{uuid.uuid4().hex}", schema_id="s-orders")
    return ResumableSourceManager(inputs, AcmeResumeConfig)


def saved_page(manager: ResumableSourceManager[AcmeResumeConfig]) -> Any:
    state = manager.load_state()
    return None if state is None else state.next_request["params"]["page"]


def test_every_batch_is_yielded_before_the_position_past_it_is_saved(
    manager: ResumableSourceManager[AcmeResumeConfig],
) -> None:
    order: list[str] = []
    with events.observing(lambda event: order.append("save") if isinstance(event, StateSaved) else None):
        for _batch in batches_then_save_next(pages(2, 2, 1), manager, AcmeResumeConfig):
            order.append("yield")
    assert order == ["yield", "save", "yield", "save", "yield"]
    assert saved_page(manager) == 3  # the last page saves nothing after it


def test_a_crash_while_the_consumer_holds_a_batch_resumes_at_that_batchs_page(
    manager: ResumableSourceManager[AcmeResumeConfig],
) -> None:
    batches = batches_then_save_next(pages(2, 2, 2), manager, AcmeResumeConfig)
    assert next(batches) == [{"id": "1-0"}, {"id": "1-1"}]
    assert saved_page(manager) is None  # batch 1 is with the consumer: nothing is saved past it yet
    assert next(batches) == [{"id": "2-0"}, {"id": "2-1"}]
    assert saved_page(manager) == 2  # batch 1 was handed over; batch 2 is still in the consumer's hands
    batches.close()  # the consumer dies handling batch 2: the code after its yield never runs
    assert saved_page(manager) == 2
    assert saved_request(manager, "acme orders") == request_for(2)


def test_an_empty_page_is_not_a_batch_but_still_moves_the_position(
    manager: ResumableSourceManager[AcmeResumeConfig],
) -> None:
    assert list(batches_then_save_next(pages(0, 1), manager, AcmeResumeConfig)) == [[{"id": "2-0"}]]
    assert saved_page(manager) == 2


def test_rows_shapes_each_batch(manager: ResumableSourceManager[AcmeResumeConfig]) -> None:
    def ids(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"order": row["id"]} for row in rows]

    batches = list(batches_then_save_next(pages(1, 1), manager, AcmeResumeConfig, rows=ids))
    assert batches == [[{"order": "1-0"}], [{"order": "2-0"}]]


def test_a_fresh_job_has_no_saved_request(manager: ResumableSourceManager[AcmeResumeConfig]) -> None:
    assert saved_request(manager, "acme orders") is None


def test_the_saved_request_round_trips(manager: ResumableSourceManager[AcmeResumeConfig]) -> None:
    manager.save_state(AcmeResumeConfig(next_request=request_for(4).to_state()))
    assert saved_request(manager, "acme orders") == request_for(4)


@pytest.mark.parametrize(
    "stored", ["not json", '{"other": 1}', '{"next_request": "https://x"}', '{"next_request": {"params": {}}}']
)
def test_a_corrupt_saved_position_fails_in_one_line_naming_the_resource(
    manager: ResumableSourceManager[AcmeResumeConfig], stored: str
) -> None:
    get_redis_client().set(resume_key(manager.inputs), stored)
    with pytest.raises(ResumableStateError) as caught:
        saved_request(manager, "acme orders")
    assert str(caught.value).startswith("acme orders: cannot resume from the saved position: ")
    assert "\n" not in str(caught.value)


class RecordingClient:
    """Stands in for `RESTClient.paginate`: records how it was asked and answers three pages."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def paginate(self, path: str, **kwargs: Any) -> Iterator[Page]:
        self.calls.append({"path": path, **kwargs})
        return pages(1, 1, 1)


def listing(
    client: RecordingClient, manager: ResumableSourceManager[AcmeResumeConfig], first_params: Any, **rows: Any
) -> Iterator[list[dict[str, Any]]]:
    return resumable_batches(
        client,  # type: ignore[arg-type]
        "/v1/orders",
        paginator=None,  # type: ignore[arg-type]
        manager=manager,
        state_class=AcmeResumeConfig,
        resource="acme orders",
        first_params=first_params,
        **rows,
    )


def test_resumable_batches_start_from_the_first_params_on_a_fresh_sync(
    manager: ResumableSourceManager[AcmeResumeConfig],
) -> None:
    client = RecordingClient()
    flagged = listing(
        client, manager, lambda: {"sort": "updated_at"}, rows=lambda rows: [{**row, "seen": True} for row in rows]
    )
    assert list(flagged) == [
        [{"id": "1-0", "seen": True}],
        [{"id": "2-0", "seen": True}],
        [{"id": "3-0", "seen": True}],
    ]
    assert [(call["params"], call["resume_from"], call["resource"]) for call in client.calls] == [
        ({"sort": "updated_at"}, None, "acme orders")
    ]
    assert saved_page(manager) == 3


def test_resumable_batches_continue_from_the_saved_request_without_first_params(
    manager: ResumableSourceManager[AcmeResumeConfig],
) -> None:
    manager.save_state(AcmeResumeConfig(next_request=request_for(2).to_state()))
    client = RecordingClient()

    def no_first_params() -> dict[str, Any]:
        raise AssertionError("a resumed sync must not build the first page's params")

    list(listing(client, manager, no_first_params))
    assert [(call["params"], call["resume_from"]) for call in client.calls] == [(None, request_for(2))]
