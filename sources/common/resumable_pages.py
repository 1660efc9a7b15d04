"""Resumable paging: where an interrupted job stopped, and handing each page over before saving past it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from sources.common.errors import ResumableStateError
from sources.common.rest_source import BasePaginator, Page, PageRequest, RESTClient
from sources.common.resumable import ResumableSourceManager

Rows = list[dict[str, Any]]


@dataclasses.dataclass
class NextPageState:
    """A resume position that is the next page's request (`PageRequest.to_state()`)."""

    next_request: dict[str, Any]


State = TypeVar("State", bound=NextPageState)


def saved_request(manager: ResumableSourceManager[State], resource: str) -> PageRequest | None:
    """The next page saved by an interrupted run of this job, or None on a fresh sync.

    A saved position that cannot be read fails naming `resource` (e.g. `"zendesk tickets"`).
    """
    try:
        state = manager.load_state() if manager.can_resume() else None
        return PageRequest.from_state(state.next_request) if state is not None else None
    except ResumableStateError as exc:
        raise ResumableStateError(f"{resource}: cannot resume from the saved position: {exc}") from None


def batches_then_save_next(
    pages: Iterable[Page],
    manager: ResumableSourceManager[State],
    state_class: type[State],
    rows: Callable[[Rows], Rows] | None = None,
) -> Iterator[Rows]:
    """One batch per non-empty page (its items, or `rows(items)`), then the request for the page after it.

    The save comes after the yield: while the consumer holds a batch, the saved position still points at that
    batch's page, so a crash re-reads the page instead of skipping its rows. The last page saves nothing.
    """
    for page in pages:
        if page.items:
            yield page.items if rows is None else rows(page.items)
        if page.next_request is not None:
            manager.save_state(state_class(next_request=page.next_request.to_state()))


def resumable_batches(
    client: RESTClient,
    path: str,
    *,
    paginator: BasePaginator,
    manager: ResumableSourceManager[State],
    state_class: type[State],
    resource: str,
    first_params: Callable[[], dict[str, Any]],
    rows: Callable[[Rows], Rows] | None = None,
) -> Iterator[Rows]:
    """A resumable listing of `path`: from the page an interrupted run of this job saved, else from the first
    page with `first_params()` (the filter and sort; the saved request already carries them); one batch per
    page, the next page's request saved after it (`batches_then_save_next`)."""
    resume_from = saved_request(manager, resource)
    params = first_params() if resume_from is None else None
    pages = client.paginate(path, params=params, paginator=paginator, resume_from=resume_from, resource=resource)
    yield from batches_then_save_next(pages, manager, state_class, rows=rows)
