"""The vendor model interface: a simulator that answers any request against a dataset that can change.

A `VendorModel` is a stateful model of a vendor: it holds the vendor's data and answers every request against its
current version; between requests the harness can change that data the way the vendor's users would: update a row (its
last-modified time moves to the model's clock, so it moves wherever the vendor's sort puts it), insert a row,
delete a row. Each change bumps `version` and is logged.

A fixture opts in by defining `vendor_model()` in `fixtures/<source>/simulator.py`, returning a `VendorModel`
over the dataset its `full` scenario was recorded from. The vendor logic (routes, filters, sorting, paging)
stays in the simulator; the model only adds the per-endpoint data handles (`EndpointModel`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

Key = tuple[Any, ...]
Mutation = str  # "update" | "insert" | "delete"
MUTATIONS: tuple[Mutation, ...] = ("update", "insert", "delete")
Responder = Callable[[Any], Any]  # a PreparedRequest -> the vendor's SimulatedResponse (harness.recording.recorder)


class EndpointModel(ABC):
    """The rows behind one endpoint (schema) of the vendor, keyed as the connector's primary key sees them.

    `version_field` is the row field the vendor moves on every update (e.g. `updated_at`): a row is "at its latest
    version" in a table when that field equals the model's value. None for rows that never change.
    `mutations` are the changes the vendor really allows on this endpoint (an append-only log: `insert` only).
    """

    version_field: str | None = None
    mutations: frozenset[Mutation] = frozenset(MUTATIONS)

    @abstractmethod
    def row_keys(self) -> list[Key]:
        """Primary keys of the rows of the current version, in the vendor's default order."""

    def version(self, key: Key) -> Any:
        """The `version_field` value of row `key` as the API shows it (None when the endpoint has none)."""
        return None

    def update(self, key: Key, at: dt.datetime) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not support updates")

    def insert(self, at: dt.datetime) -> Key:
        raise NotImplementedError(f"{type(self).__name__} does not support inserts")

    def delete(self, key: Key) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not support deletes")


def row_id(row: Any) -> Key:
    """The primary key of a JSON row: its `id`."""
    return (row["id"],)


@dataclasses.dataclass
class ListEndpoint(EndpointModel):
    """An endpoint whose rows live in one list of the simulator's dataset, changed in place.

    `key(row)` is the primary key as the API row carries it (default: a JSON row's `id`); `touch(row, at)` is the
    vendor's update (move the last-modified field to `at` and change something a user would change); `create(at)`
    returns a new row created at `at` (appended to `rows`); `version_of(row)` reads the last-modified value (the
    `field`) as the API shows it.
    """

    rows: list[Any]
    key: Callable[[Any], Key] = row_id
    version_of: Callable[[Any], Any] | None = None
    touch: Callable[[Any, dt.datetime], None] | None = None
    create: Callable[[dt.datetime], Any] | None = None
    deletable: bool = True
    field: str | None = None

    def __post_init__(self) -> None:
        self.version_field = self.field if self.version_of is not None else None
        allowed = {"update"} if self.touch is not None else set()
        allowed |= {"insert"} if self.create is not None else set()
        allowed |= {"delete"} if self.deletable else set()
        self.mutations = frozenset(allowed)

    def _find(self, key: Key) -> Any:
        for row in self.rows:
            if self.key(row) == key:
                return row
        raise KeyError(f"no row {key!r}")

    def row_keys(self) -> list[Key]:
        return [self.key(row) for row in self.rows]

    def version(self, key: Key) -> Any:
        return self.version_of(self._find(key)) if self.version_of is not None else None

    def update(self, key: Key, at: dt.datetime) -> None:
        if self.touch is None:
            raise NotImplementedError("this endpoint's rows are never updated")
        self.touch(self._find(key), at)

    def insert(self, at: dt.datetime) -> Key:
        if self.create is None:
            raise NotImplementedError("this endpoint's rows are never created by users")
        row = self.create(at)
        if not any(existing is row for existing in self.rows):
            self.rows.append(row)
        return self.key(row)

    def delete(self, key: Key) -> None:
        if not self.deletable:
            raise NotImplementedError("this endpoint's rows are never deleted")
        self.rows.remove(self._find(key))


@dataclasses.dataclass(frozen=True)
class Change:
    version: int
    endpoint: str
    kind: Mutation
    key: Key
    at: dt.datetime

    def describe(self) -> str:
        return f"{self.kind} {self.key!r}"


class VendorModel:
    """A vendor simulator over a versioned dataset: `respond(request)` answers against the current version.

    `now` is the model's clock for changes: later than every row of the dataset, advanced by `step` per change,
    so an updated row's last-modified time is always the newest.
    """

    def __init__(
        self,
        respond: Responder,
        endpoints: dict[str, EndpointModel],
        now: dt.datetime,
        step: dt.timedelta = dt.timedelta(minutes=7),
    ) -> None:
        self._respond = respond
        self.endpoints = endpoints
        self.now = now
        self.step = step
        self.version = 1
        self.changes: list[Change] = []

    def respond(self, request: Any) -> Any:
        """The vendor's answer to a `requests.PreparedRequest` against the current version."""
        return self._respond(request)

    def endpoint(self, name: str) -> EndpointModel:
        try:
            return self.endpoints[name]
        except KeyError:
            known = ", ".join(self.endpoints)
            raise KeyError(f"the vendor model has no endpoint {name!r}; it models {known}") from None

    def _tick(self) -> dt.datetime:
        self.now += self.step
        return self.now

    def _log(self, endpoint: str, kind: Mutation, key: Key, at: dt.datetime) -> Change:
        self.version += 1
        change = Change(self.version, endpoint, kind, key, at)
        self.changes.append(change)
        return change

    def update(self, endpoint: str, key: Key, at: dt.datetime | None = None) -> Change:
        """Edit row `key`: its last-modified time moves to the model's clock, or to `at` when given (a change
        made in the same instant as an earlier one, e.g. the watermark a sync left behind)."""
        at = self._tick() if at is None else at
        self.endpoint(endpoint).update(key, at)
        return self._log(endpoint, "update", key, at)

    def insert(self, endpoint: str, at: dt.datetime | None = None) -> Change:
        """Create a row at the model's clock, or at `at` when given."""
        at = self._tick() if at is None else at
        key = self.endpoint(endpoint).insert(at)
        return self._log(endpoint, "insert", key, at)

    def delete(self, endpoint: str, key: Key) -> Change:
        self.endpoint(endpoint).delete(key)
        return self._log(endpoint, "delete", key, self.now)
