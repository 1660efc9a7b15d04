"""Read one list endpoint of several repositories as one stream, merged by its sort field.

Each repository's list comes sorted (e.g. `sort=updated&direction=asc`), but one watermark covers every
repository, so the rows must come out in that order across repositories too: reading the repositories one
after the other would move the watermark past older rows of the next repository.

Pages are read by position, not by page number: after a repository's page is used up, its next request is the
same list filtered with `since` = the sort value of the last row handed over (GitHub's `since` keeps rows
updated at or after it), until the vendor's last page of a query (no `Link: rel="next"`). Rows at that value come
again and are dropped by id. `Link: rel="next"` (page N) is followed only while every row of a page shares one
value. A page number would skip rows whenever issues are
updated (they move to the end of the sort) or deleted while a sync runs or is down; the position does not.

A batch ends whenever a repository's page is used up (so there is a batch per API page), and the position
after it is, per repository, `[url of the page to read, sort value of the last row handed over, ids handed over
at that value]`. A repository read to its end keeps its last page, so a resumed run asks it once more for rows
updated while the job was down.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sources.common.errors import ResumableStateError
from sources.common.rest_source import HeaderLinkPaginator, RESTClient

Cursor = list[Any] | None  # [url, last sort value handed over (None: none yet), ids handed over at it]; None: done
Cursors = dict[str, Cursor]
SINCE = "since"


def anchored(url: str, value: str) -> str:
    """`url` (page 1) with `since` set to `value`."""
    parts = urlsplit(url)
    pairs = [
        (name, item) for name, item in parse_qsl(parts.query, keep_blank_values=True) if name not in (SINCE, "page")
    ]
    return urlunsplit(parts._replace(query=urlencode([*pairs, (SINCE, value)])))


def _since(url: str) -> str | None:
    return dict(parse_qsl(urlsplit(url).query)).get(SINCE)


@dataclasses.dataclass
class _Stream:
    repository: str
    order: int
    sort_field: str
    key_field: str
    url: str | None = None
    rows: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    link_next: str | None = None
    after: str | None = None
    seen: list[Any] = dataclasses.field(default_factory=list)
    done: bool = False

    def value(self, row: dict[str, Any]) -> str:
        return str(row.get(self.sort_field) or "")

    def handed_over(self, row: dict[str, Any]) -> bool:
        """Already delivered: before the last value handed over, or at it with an id handed over."""
        if self.after is None:
            return False
        value = self.value(row)
        return value < self.after or (value == self.after and row.get(self.key_field) in self.seen)

    def take(self) -> dict[str, Any]:
        row = self.rows.pop(0)
        value = self.value(row)
        if value != self.after:
            self.after, self.seen = value, []
        self.seen.append(row.get(self.key_field))
        return row

    def next_url(self) -> str | None:
        """Where to read after the current page: the list from the last value handed over on, or, while one value
        fills the page, the vendor's next page of the same query; None after the vendor's last page of the query
        (no `Link: rel="next"`): the vendor said there is no more."""
        if self.url is None or self.link_next is None:
            return None
        if self.after is not None and self.after != _since(self.url):
            return anchored(self.url, self.after)
        return self.link_next

    def cursor(self) -> Cursor:
        """Where a resumed run reads this repository again; a finished one from its last page again (rows updated
        while the job was down come at the end of that query; a watermark moved on by the other repositories would
        pass them by)."""
        url = self.url if self.rows else (self.next_url() or self.url)
        return None if url is None else [url, self.after, list(self.seen)]


def _load(client: RESTClient, stream: _Stream, url: str, resource: str) -> None:
    """Read pages from `url` until one has rows not handed over yet; none left marks the stream done."""
    next_url: str | None = url
    while next_url is not None:
        page = next(iter(client.paginate(next_url, paginator=HeaderLinkPaginator(), resource=resource)))
        stream.url = next_url
        stream.link_next = page.next_request.url if page.next_request is not None else None
        stream.rows = [row for row in page.items if not stream.handed_over(row)]
        if stream.rows:
            return
        next_url = stream.next_url()
    stream.done = True


def _restore(stream: _Stream, cursor: list[Any], resource: str) -> str:
    if not (isinstance(cursor, list) and len(cursor) == 3 and isinstance(cursor[0], str)):
        raise ResumableStateError(
            f"{resource} {stream.repository}: a saved position is [url, last value, ids at it], found {cursor!r:.120}"
        )
    stream.after = cursor[1]
    stream.seen = list(cursor[2] or [])
    return cursor[0]


def read_merged(
    client: RESTClient,
    first_urls: dict[str, str],
    sort_field: str,
    resource: str,
    resume: Cursors | None = None,
    key_field: str = "id",
) -> Iterator[tuple[list[dict[str, Any]], Cursors]]:
    """Rows of every repository in `sort_field` order (ties in `first_urls` order), with the cursors after each batch.

    A repository missing from `resume` (added to the config since) starts at its first page.
    """
    streams: list[_Stream] = []
    for order, (repository, first_url) in enumerate(first_urls.items()):
        stream = _Stream(repository, order, sort_field, key_field)
        streams.append(stream)
        url: str | None = first_url
        if resume is not None and repository in resume:
            saved = resume[repository]
            url = None if saved is None else _restore(stream, saved, resource)
        if url is None:
            stream.done = True
        else:
            _load(client, stream, url, f"{resource} {repository}")
    batch: list[dict[str, Any]] = []
    while live := [stream for stream in streams if stream.rows]:
        stream = min(live, key=lambda s: (s.value(s.rows[0]), s.order))
        batch.append(stream.take())
        if stream.rows:
            continue
        yield batch, {each.repository: each.cursor() for each in streams}
        batch = []
        following = stream.next_url()
        if following is not None:
            _load(client, stream, following, f"{resource} {stream.repository}")
