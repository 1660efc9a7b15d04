"""Read one list endpoint of several repositories as one stream, merged by its sort field.

Each repository's list comes sorted (e.g. `sort=updated&direction=asc`), but one watermark covers every
repository, so the rows must come out in that order across repositories too: reading the repositories one
after the other would move the watermark past older rows of the next repository.

A batch ends whenever a repository's page is used up (so there is a batch per API page), and the position
after it is, per repository, the page being read and how many of its rows were handed over already
(`[url, taken]`), or None once the repository is done.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from sources.common.rest_source import HeaderLinkPaginator, RESTClient

Cursor = list[Any] | None  # [url of the page being read, rows of it already handed over], None: done
Cursors = dict[str, Cursor]


@dataclasses.dataclass
class _Stream:
    repository: str
    order: int
    url: str | None = None
    rows: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    taken: int = 0
    next_url: str | None = None

    def cursor(self) -> Cursor:
        if self.rows:
            return [self.url, self.taken]
        return [self.next_url, 0] if self.next_url else None


def _load(client: RESTClient, stream: _Stream, url: str, skip: int, resource: str) -> None:
    """Fetch the page at `url`, dropping the first `skip` rows; move on while a page has nothing left."""
    next_url: str | None = url
    while next_url is not None:
        page = next(iter(client.paginate(next_url, paginator=HeaderLinkPaginator(), resource=resource)))
        stream.url, stream.taken = next_url, min(skip, len(page.items))
        stream.rows = page.items[skip:]
        stream.next_url = page.next_request.url if page.next_request is not None else None
        if stream.rows:
            return
        next_url, skip = stream.next_url, 0


def read_merged(
    client: RESTClient,
    first_urls: dict[str, str],
    sort_field: str,
    resource: str,
    resume: Cursors | None = None,
) -> Iterator[tuple[list[dict[str, Any]], Cursors]]:
    """Rows of every repository in `sort_field` order (ties in `first_urls` order), with the cursors after each batch.

    A repository missing from `resume` (added to the config since) starts at its first page.
    """
    streams: list[_Stream] = []
    for order, (repository, first_url) in enumerate(first_urls.items()):
        cursor: Cursor = [first_url, 0]
        if resume is not None and repository in resume:
            cursor = resume[repository]
        stream = _Stream(repository, order)
        streams.append(stream)
        if cursor is not None:
            _load(client, stream, str(cursor[0]), int(cursor[1]), f"{resource} {repository}")
    batch: list[dict[str, Any]] = []
    while live := [stream for stream in streams if stream.rows]:
        stream = min(live, key=lambda s: (str(s.rows[0].get(sort_field) or ""), s.order))
        batch.append(stream.rows.pop(0))
        stream.taken += 1
        if stream.rows:
            continue
        yield batch, {each.repository: each.cursor() for each in streams}
        batch = []
        if stream.next_url is not None:
            _load(client, stream, stream.next_url, 0, f"{resource} {stream.repository}")
