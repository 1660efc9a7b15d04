"""Runs against a vendor model whose data changes mid-way: after a crash (before the resume) or between pages.

`resume_under_drift`: the crash model at batch k over the model's dataset v1, then a seeded `Drift` (rows moved
across the crash position by updates, one insert; the rows at the edge of the crash deleted: the last one
delivered and the first one not yet delivered) makes v2, a new source instance resumes with the
same job id, and (incremental endpoints) the next incremental sync runs from the watermark the pipeline stored.
Every step's batches are merged by primary key into one Delta table, batches 1..k-1 of the crashed run first.

`pages_under_drift`: one uninterrupted sync; after the page that ends batch p, rows are updated and inserted.
`paged_baseline` picks the page boundaries p to change the data at, and a smaller page size when there are few.

Both go through `engine.execute` with a `SimulatedReplay` backend: same egress guard, fake clock, tracked
transport records and `RunRecord`s as replayed runs.
"""

from __future__ import annotations

import dataclasses
import itertools
import random
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harness.replay.base import WireRequest
from harness.replay.simulated import ErrorAnswer, SimulatedReplay
from harness.runs.engine import execute, work_root
from harness.runs.records import BatchRecord, RunRecord, RunSpec
from harness.runs.targets import EndpointUnderTest
from harness.simulators.loader import ModelProblem, new_model
from harness.simulators.model import Change, Key, VendorModel
from sources.common.errors import ConfigError

_counter = itertools.count(1)


def _backend(target: EndpointUnderTest, model: VendorModel) -> SimulatedReplay:
    return SimulatedReplay(model, secrets=target.sut.secrets, origin_dirs=target.sut.origin_dirs)


def fixtures_dir(target: EndpointUnderTest) -> Path:
    return target.sut.fixtures_root / target.source_type


def primary_keys(record: RunRecord) -> tuple[str, ...]:
    return tuple(record.response.primary_keys or ()) if record.response else ()


def keys_of(batches: Iterable[BatchRecord], keys: tuple[str, ...]) -> list[Key]:
    seen: dict[Key, None] = {}
    for batch in batches:
        for row in batch.rows:
            seen.setdefault(tuple(row.get(name) for name in keys), None)
    return list(seen)


@dataclasses.dataclass(frozen=True)
class Drift:
    """The changes made to the vendor's data, and which side of the crash position each changed row was on."""

    changes: tuple[Change, ...]
    delivered: frozenset[Key]
    # Rows changed for where they stand in the sync, and that place: "the last row delivered before the crash".
    roles: tuple[tuple[Key, str], ...] = ()

    @property
    def deleted(self) -> frozenset[Key]:
        return frozenset(change.key for change in self.changes if change.kind == "delete")

    def describe(self, names: tuple[str, ...]) -> str:
        roles = dict(self.roles)
        parts = []
        for change in self.changes:
            key = show(change.key, names)
            side = ""
            if change.key in roles:
                side = f" ({roles[change.key]})"
            elif change.kind != "insert":
                side = " (delivered before)" if change.key in self.delivered else " (not yet delivered)"
            parts.append(f"{change.kind} {key}{side}")
        return "; ".join(parts) or "no change (the endpoint's rows never change)"


def show(key: Key, names: tuple[str, ...]) -> str:
    return ", ".join(f"{name}={value!r}" for name, value in zip(names, key, strict=False))


SAVED_POSITION = "the last row delivered before the crash, where a saved object cursor points"
NEXT_UP = "the first row not yet delivered"


def apply_drift(
    model: VendorModel,
    endpoint: str,
    delivered: list[Key],
    seed: str,
    kinds: tuple[str, ...],
    *,
    doomed: tuple[tuple[Key, str], ...] = (),
) -> Drift:
    """Seeded changes: update one delivered and one not-yet-delivered row (the vendor's sort moves them), insert
    one row, delete one row (a delivered one when there is one). Only the changes the endpoint allows.

    `doomed` names the rows to delete instead, with their place in the sync (the row a saved position points at,
    the first row not yet delivered): the deletes that break a resume depending on that object; the updates then
    pick among the other rows."""
    rng = random.Random(seed)
    data = model.endpoint(endpoint)
    allowed = [kind for kind in kinds if kind in data.mutations]
    current = data.row_keys()
    done = set(delivered)
    targets = dict(doomed) if "delete" in allowed else {}
    targets = {key: role for key, role in targets.items() if key in current}
    before = [key for key in current if key in done and key not in targets]
    after = [key for key in current if key not in done and key not in targets]
    changes: list[Change] = []
    touched: set[Key] = set()
    if "update" in allowed:
        for side in (before, after):
            if side:
                key = rng.choice(side)
                touched.add(key)
                changes.append(model.update(endpoint, key))
    if "insert" in allowed:
        changes.append(model.insert(endpoint))
    if targets:
        changes.extend(model.delete(endpoint, key) for key in targets)
    elif "delete" in allowed:
        pool = [key for key in before if key not in touched] or [key for key in after if key not in touched]
        if pool:
            changes.append(model.delete(endpoint, rng.choice(pool)))
    return Drift(tuple(changes), frozenset(done), tuple(targets.items()))


@dataclasses.dataclass(frozen=True)
class DriftResumeRecord:
    crash_at: int
    drift: Drift
    crashed: RunRecord
    resumed: RunRecord
    incremental: RunRecord | None
    watermark: Any
    table_rows: tuple[dict[str, Any], ...]
    expected: dict[Key, Any]  # primary key -> version (the model's v2 after the resume), deleted rows excluded
    version_field: str | None
    existed: frozenset[Key]  # keys of dataset v1
    # The vendor's error answers (4xx/5xx) to the resumed run and to the incremental sync after it.
    resumed_errors: tuple[ErrorAnswer, ...] = ()
    incremental_errors: tuple[ErrorAnswer, ...] = ()

    @property
    def failed_run(self) -> RunRecord | None:
        """The run after the change that raised (the resume, or the incremental sync after it)."""
        for run in (self.resumed, self.incremental):
            if run is not None and run.error is not None:
                return run
        return None

    @property
    def stopped_on(self) -> ErrorAnswer | None:
        """The vendor's error answer to the last request of the run that raised, if its last answer was one."""
        run = self.failed_run
        errors = self.resumed_errors if run is self.resumed else self.incremental_errors
        if run is None or not errors or not run.wire or errors[-1].request.index != run.wire[-1].index:
            return None
        return errors[-1]


def doomed(batches: tuple[BatchRecord, ...], crash_at: int, names: tuple[str, ...]) -> tuple[tuple[Key, str], ...]:
    """The rows a crash at `crash_at` leaves at the edge of the sync: the last row of batch k-1 (where a position
    saved as an object id points) and the first row of batch k (the first one not durably delivered)."""
    rows: list[tuple[Key, str]] = []
    if crash_at >= 2 and batches[crash_at - 2].rows:
        rows.append((tuple(batches[crash_at - 2].rows[-1].get(name) for name in names), SAVED_POSITION))
    if len(batches) >= crash_at and batches[crash_at - 1].rows:
        key = tuple(batches[crash_at - 1].rows[0].get(name) for name in names)
        if all(key != other for other, _ in rows):
            rows.append((key, NEXT_UP))
    return tuple(rows)


def baseline(target: EndpointUnderTest) -> RunRecord:
    """An uninterrupted `full` sync over the model's dataset v1."""
    model = new_model(fixtures_dir(target))
    return execute(target, RunSpec("full"), backend=_backend(target, model))


def resume_under_drift(target: EndpointUnderTest, crash_at: int) -> DriftResumeRecord:
    model = new_model(fixtures_dir(target))
    existed = frozenset(model.endpoint(target.name).row_keys())
    job_id = f"conformance-drift-{next(_counter)}"
    crashed = execute(
        target, RunSpec("full", crash_at=crash_at), job_id=job_id, keep_state=True, backend=_backend(target, model)
    )
    names = primary_keys(crashed)
    durable = crashed.batches[: crash_at - 1]
    seed = f"{target.source_type}/{target.name}/resume/{crash_at}"
    drift = apply_drift(
        model,
        target.name,
        keys_of(durable, names),
        seed,
        ("update", "insert", "delete"),
        doomed=doomed(crashed.batches, crash_at, names),
    )
    resumed_backend = _backend(target, model)
    resumed = execute(target, RunSpec("full"), job_id=job_id, backend=resumed_backend)
    incremental_errors: list[ErrorAnswer] = []
    from harness.runs.drift_table import DriftTable  # Arrow and Delta Lake: only when a drift check runs

    table = DriftTable(crashed, work_root() / f"drift-table-{next(_counter)}")
    table.merge(durable)
    table.merge(resumed.batches)
    watermark = table.watermark()
    incremental = None
    if target.incremental and resumed.completed:
        scenario = "incremental" if target.scenario("incremental") is not None else "full"
        field = crashed.inputs.incremental_field or (target.scenario(scenario).incremental_field)  # type: ignore[union-attr]
        overrides = (
            ("should_use_incremental_field", True),
            ("incremental_field", field),
            ("db_incremental_field_last_value", watermark),
            ("db_incremental_field_earliest_value", None),
        )
        if field is not None:
            spec = RunSpec(scenario, overrides=overrides)
            incremental_backend = _backend(target, model)
            incremental = execute(target, spec, backend=incremental_backend)
            incremental_errors = incremental_backend.error_answers
            table.merge(incremental.batches)
    data = model.endpoint(target.name)
    expected = {key: data.version(key) for key in data.row_keys()}
    return DriftResumeRecord(
        crash_at,
        drift,
        crashed,
        resumed,
        incremental,
        watermark,
        table.rows(),
        expected,
        data.version_field,
        existed,
        tuple(resumed_backend.error_answers),
        tuple(incremental_errors),
    )


# A listing read in fewer pages than this gives the data too few page boundaries to change across.
MIN_BOUNDARIES = 2
# ... so the drift runs then ask for about this many pages of the largest listing, where the page size is a setting.
PAGES_WANTED = 4


def listing_of(request: WireRequest) -> tuple[str, str]:
    """The listing a request reads: its method and URL path."""
    return request.method, urlsplit(request.url).path


def page_boundaries(plain: RunRecord) -> list[int]:
    """The batches p after which a listing continues: the request that follows the responses of batch p reads a
    listing (method and path) that already yielded rows by then, so it asks for a later page of it. A change of
    the data there can make a paginator skip rows; between listings (the next request reads the next parent's
    children, another account's rows, or nothing) it cannot."""
    points: list[int] = []
    yielded: set[tuple[str, str]] = set()
    for p in range(1, len(plain.batches)):
        served = plain.batches[p - 1].requests_before
        if 0 < served <= len(plain.wire):
            yielded.add(listing_of(plain.wire[served - 1]))
        if 0 < served < len(plain.wire) and listing_of(plain.wire[served]) in yielded:
            points.append(p)
    return points


def _largest_listing(plain: RunRecord) -> int:
    """The most rows one listing (method and path) yielded in the run."""
    rows: dict[tuple[str, str], int] = {}
    for batch in plain.batches:
        if 0 < batch.requests_before <= len(plain.wire):
            where = listing_of(plain.wire[batch.requests_before - 1])
            rows[where] = rows.get(where, 0) + len(batch.rows)
    return max(rows.values(), default=0)


@dataclasses.dataclass(frozen=True)
class PagedBaseline:
    """The uninterrupted sync the page drift runs against, the target it ran with and its page boundaries;
    `page_size` is set when the drift runs use a smaller page size than the manifest's config."""

    target: EndpointUnderTest
    run: RunRecord
    boundaries: tuple[int, ...]
    page_size: int | None = None
    configured: int | None = None
    tried: int | None = None  # a smaller page size that gave no more boundaries


def with_page_size(target: EndpointUnderTest, page_size: int) -> EndpointUnderTest | None:
    """The target with the connector's `page_size` setting changed, or None when its config has none."""
    config = target.sut.config
    if not dataclasses.is_dataclass(config) or "page_size" not in {field.name for field in dataclasses.fields(config)}:
        return None
    try:
        changed = dataclasses.replace(config, page_size=page_size)  # type: ignore[type-var]
    except (ConfigError, TypeError, ValueError):  # the connector refuses that page size: keep the manifest's
        return None
    return dataclasses.replace(target, sut=dataclasses.replace(target.sut, config=changed))


def paged_baseline(target: EndpointUnderTest) -> PagedBaseline:
    """The `full` sync over dataset v1 for `pagination.under_drift`. When its listings span fewer than
    MIN_BOUNDARIES page boundaries and the connector has a `page_size` setting, the sync (and the drift runs)
    use a page size that splits the largest listing into about PAGES_WANTED pages."""
    plain = baseline(target)
    points = page_boundaries(plain)
    configured = getattr(target.sut.config, "page_size", None)
    if len(points) >= MIN_BOUNDARIES or not plain.completed or not isinstance(configured, int):
        return PagedBaseline(target, plain, tuple(points))
    smaller = max(1, -(-_largest_listing(plain) // PAGES_WANTED))
    paged = with_page_size(target, smaller) if smaller < configured else None
    if paged is None:
        return PagedBaseline(target, plain, tuple(points))
    rerun = baseline(paged)
    more = page_boundaries(rerun)
    if len(more) <= len(points):
        return PagedBaseline(target, plain, tuple(points), tried=smaller)
    return PagedBaseline(paged, rerun, tuple(more), smaller, configured)


@dataclasses.dataclass(frozen=True)
class DriftPagesRecord:
    after_batch: int
    drift: Drift
    run: RunRecord
    expected: frozenset[Key]  # rows of v1 still there at the end (updated or not)


def pages_under_drift(target: EndpointUnderTest, plain: RunRecord, after_batch: int) -> DriftPagesRecord:
    """A full sync whose data changes after the responses that made batch `after_batch` (of the `plain` run)."""
    model = new_model(fixtures_dir(target))
    names = primary_keys(plain)
    delivered = keys_of(plain.batches[:after_batch], names)
    backend = _backend(target, model)
    changes: list[Drift] = []
    problems: list[Exception] = []
    seed = f"{target.source_type}/{target.name}/pages/{after_batch}"
    start = set(model.endpoint(target.name).row_keys())

    def mutate() -> None:
        try:
            changes.append(apply_drift(model, target.name, delivered, seed, ("update", "insert")))
        except Exception as exc:  # the vendor model's fault, not the source's: reported after the run
            problems.append(exc)

    backend.between_pages(plain.batches[after_batch - 1].requests_before, mutate)
    run = execute(target, RunSpec("full"), backend=backend)
    if problems:
        raise ModelProblem(f"{fixtures_dir(target)}/simulator.py: changing {target.name}: {problems[0]!r}")
    drift = changes[0] if changes else Drift((), frozenset(delivered))
    remaining = frozenset(key for key in model.endpoint(target.name).row_keys() if key in start)
    return DriftPagesRecord(after_batch, drift, run, remaining)
