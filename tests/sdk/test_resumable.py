"""ResumableSourceManager against a real redis-server: round trip, TTL, namespacing, bad values, events."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, Optional

import pytest
import redis
from hypothesis import example, given
from hypothesis import strategies as st
from redis.backoff import NoBackoff
from redis.retry import Retry

from sources.common import events
from sources.common.errors import ResumableStateError, StateStoreUnavailableError
from sources.common.redis_client import get_redis_client, set_redis_client
from sources.common.resumable import (
    RESUME_TTL_SECONDS,
    ResumableSourceManager,
    StateLoaded,
    StateSaved,
    resume_key,
)
from sources.common.typings import SourceInputs
from tests.conftest import start_embedded_redis, stop_embedded_redis


@dataclasses.dataclass(frozen=True)
class Cursor:
    next_url: str
    page: int = 1
    seen_ids: list[int] = dataclasses.field(default_factory=list)


def stored_json(client: redis.Redis, key: str) -> Any:
    raw = client.get(key)
    assert raw is not None, f"nothing stored under {key!r}"
    return json.loads(raw)


def inputs(team_id: int = 7, job_id: str = "job-a", schema_id: str = "schema-a") -> SourceInputs:
    return SourceInputs(schema_name="invoices", team_id=team_id, job_id=job_id, schema_id=schema_id)


def manager(**overrides: object) -> ResumableSourceManager[Cursor]:
    return ResumableSourceManager(inputs(**overrides), Cursor)  # type: ignore[arg-type]


def test_nothing_saved_means_nothing_to_resume() -> None:
    fresh = manager()
    assert fresh.can_resume() is False
    assert fresh.load_state() is None


def test_a_saved_state_loads_back_equal_in_a_new_manager() -> None:
    state = Cursor(next_url="https://api.acme.test/v1/invoices?after=in_42", page=3, seen_ids=[40, 41, 42])
    manager().save_state(state)

    again = manager()
    assert again.can_resume() is True
    assert again.load_state() == state


def test_a_later_save_replaces_the_earlier_one() -> None:
    first = manager()
    first.save_state(Cursor(next_url="p2", page=2))
    first.save_state(Cursor(next_url="p3", page=3))

    assert manager().load_state() == Cursor(next_url="p3", page=3)


def test_state_is_stored_as_json_under_the_namespaced_key_with_a_24h_ttl(redis_client: redis.Redis) -> None:
    manager().save_state(Cursor(next_url="p2", page=2))

    key = resume_key(inputs())
    assert key == "warehouse_sources:resume:7:job-a:schema-a"
    assert stored_json(redis_client, key) == {"next_url": "p2", "page": 2, "seen_ids": []}
    assert RESUME_TTL_SECONDS == 24 * 60 * 60
    assert RESUME_TTL_SECONDS - 5 <= redis_client.ttl(key) <= RESUME_TTL_SECONDS


def test_each_save_renews_the_ttl(redis_client: redis.Redis) -> None:
    saver = manager()
    saver.save_state(Cursor(next_url="p2"))
    redis_client.expire(saver.key, 60)
    saver.save_state(Cursor(next_url="p3"))

    assert redis_client.ttl(saver.key) > 60


@pytest.mark.parametrize(
    "other",
    [{"team_id": 8}, {"job_id": "job-b"}, {"schema_id": "schema-b"}],
    ids=["other team", "other job", "other schema"],
)
def test_teams_jobs_and_schemas_do_not_see_each_others_state(other: dict[str, object]) -> None:
    manager().save_state(Cursor(next_url="mine"))
    theirs = manager(**other)

    assert theirs.can_resume() is False
    assert theirs.load_state() is None
    theirs.save_state(Cursor(next_url="theirs"))
    assert manager().load_state() == Cursor(next_url="mine")


def test_clear_state_forgets_only_this_jobs_state() -> None:
    manager().save_state(Cursor(next_url="mine"))
    manager(job_id="job-b").save_state(Cursor(next_url="theirs"))

    manager().clear_state()

    assert manager().can_resume() is False
    assert manager(job_id="job-b").load_state() == Cursor(next_url="theirs")


@pytest.mark.parametrize("raw", [b"not json at all", b"\xff\xfe\x00", b"{'page': 2}"])
def test_a_value_that_is_not_json_names_the_key_and_what_was_found(redis_client: redis.Redis, raw: bytes) -> None:
    redis_client.set(resume_key(inputs()), raw)

    with pytest.raises(ResumableStateError) as raised:
        manager().load_state()

    message = str(raised.value)
    assert "'warehouse_sources:resume:7:job-a:schema-a' is not JSON: found" in message
    assert repr(raw)[:20] in message


@pytest.mark.parametrize(
    ("stored", "problem"),
    [
        ([1, 2, 3], "is not a Cursor (fields ['next_url', 'page', 'seen_ids']): found [1, 2, 3]"),
        ({"offset": 200}, "is not a Cursor (fields ['next_url', 'page', 'seen_ids']): found {'offset': 200}"),
        ({"page": 4}, "does not fit Cursor: "),
        ("p3", "is not a Cursor"),
    ],
    ids=["list", "other fields", "missing required field", "bare string"],
)
def test_json_of_another_shape_names_the_key_and_what_was_found(
    redis_client: redis.Redis, stored: object, problem: str
) -> None:
    redis_client.set(resume_key(inputs()), json.dumps(stored))

    with pytest.raises(ResumableStateError) as raised:
        manager().load_state()

    message = str(raised.value)
    assert message.startswith("resume state under Redis key 'warehouse_sources:resume:7:job-a:schema-a' ")
    assert problem in message
    assert "found" in message


def test_a_long_foreign_value_is_shortened_in_the_message(redis_client: redis.Redis) -> None:
    redis_client.set(resume_key(inputs()), json.dumps({"offset": "x" * 5000}))

    with pytest.raises(ResumableStateError) as raised:
        manager().load_state()

    assert len(str(raised.value)) < 400
    assert str(raised.value).endswith("...")


def test_save_and_load_emit_events_with_key_and_state() -> None:
    seen: list[object] = []
    with events.observing(seen.append):
        manager().save_state(Cursor(next_url="p2", page=2))
        manager().load_state()

    key = resume_key(inputs())
    state = {"next_url": "p2", "page": 2, "seen_ids": []}
    assert seen == [StateSaved(key, state), StateLoaded(key, state)]


def test_state_saved_is_emitted_only_after_redis_has_the_value(redis_client: redis.Redis) -> None:
    stored_when_emitted: list[Any] = []

    def observer(event: object) -> None:
        if isinstance(event, StateSaved):
            stored_when_emitted.append(redis_client.get(event.key))

    with events.observing(observer):
        manager().save_state(Cursor(next_url="p2"))

    assert stored_when_emitted == [json.dumps({"next_url": "p2", "page": 1, "seen_ids": []}).encode()]


def test_saving_another_type_is_refused() -> None:
    @dataclasses.dataclass
    class Offset:
        offset: int

    with pytest.raises(TypeError, match="save_state expects Cursor, got Offset"):
        manager().save_state(Offset(3))  # type: ignore[arg-type]


@pytest.mark.parametrize("data_class", [dict, Cursor(next_url="x")], ids=["not a dataclass", "an instance"])
def test_the_state_class_must_be_a_dataclass_type(data_class: object) -> None:
    with pytest.raises(TypeError, match="ResumableSourceManager needs a dataclass type"):
        ResumableSourceManager(inputs(), data_class)  # type: ignore[arg-type]


def test_an_unreachable_redis_is_a_clear_error_naming_key_and_server(tmp_path: Path) -> None:
    socket = tmp_path / "nothing-here.sock"
    set_redis_client(redis.Redis(unix_socket_path=str(socket), retry=Retry(NoBackoff(), 0)))

    with pytest.raises(StateStoreUnavailableError) as raised:
        manager().save_state(Cursor(next_url="p2"))

    message = str(raised.value)
    assert "could not save resume state under key 'warehouse_sources:resume:7:job-a:schema-a'" in message
    assert f"unix://{socket}" in message


# --- REDIS_URL ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def second_redis() -> Iterator[redis.Redis]:
    server = start_embedded_redis()
    yield server.client()
    stop_embedded_redis(server)


def test_redis_url_selects_another_server(
    monkeypatch: pytest.MonkeyPatch, redis_client: redis.Redis, second_redis: redis.Redis
) -> None:
    socket_file = second_redis.connection_pool.connection_kwargs["path"]
    second_redis.flushall()
    monkeypatch.setenv("REDIS_URL", f"unix://{socket_file}")
    set_redis_client(None)  # forget the embedded default: the next use reads REDIS_URL

    manager().save_state(Cursor(next_url="on-the-second-server"))

    key = resume_key(inputs())
    assert stored_json(second_redis, key)["next_url"] == "on-the-second-server"
    assert redis_client.get(key) is None
    assert get_redis_client().connection_pool.connection_kwargs["path"] == socket_file


def test_a_redis_url_that_is_not_one_is_a_clear_error_without_its_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "rediss//:fake-redis-pass-0001@cache.acme.test:6379")
    set_redis_client(None)

    with pytest.raises(StateStoreUnavailableError) as raised:
        manager()

    assert str(raised.value).startswith("REDIS_URL=")
    assert "is not a Redis URL" in str(raised.value)
    assert "fake-redis-pass-0001" not in str(raised.value)


def test_without_redis_url_the_tests_own_embedded_server_is_used(redis_client: redis.Redis) -> None:
    assert "REDIS_URL" not in os.environ
    assert get_redis_client() is redis_client


# --- values JSON has no type for ----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Window:
    since: dt.datetime
    day: dt.date | None = None
    amount: decimal.Decimal | None = None
    run_id: Optional[uuid.UUID] = None  # noqa: UP045 - the older spelling must work too
    tags: tuple[str, ...] = ()


def window_manager() -> ResumableSourceManager[Window]:
    return ResumableSourceManager(inputs(), Window)


def test_datetimes_dates_decimals_and_uuids_come_back_as_themselves(redis_client: redis.Redis) -> None:
    state = Window(
        since=dt.datetime(2026, 3, 1, 12, 30, tzinfo=dt.UTC),
        day=dt.date(2026, 3, 1),
        amount=decimal.Decimal("12.50"),
        run_id=uuid.UUID("12345678-1234-5678-1234-567812345678"),
    )
    window_manager().save_state(state)

    assert stored_json(redis_client, resume_key(inputs()))["since"] == "2026-03-01T12:30:00+00:00"
    loaded = window_manager().load_state()
    assert loaded is not None
    assert (loaded.since, loaded.day, loaded.amount, loaded.run_id) == (
        state.since,
        state.day,
        state.amount,
        state.run_id,
    )
    assert loaded == state


def test_a_tuple_field_comes_back_as_a_tuple() -> None:
    window_manager().save_state(Window(since=dt.datetime(2026, 1, 1), tags=("a", "b")))

    loaded = window_manager().load_state()
    assert loaded is not None
    assert loaded.tags == ("a", "b")


def test_optional_typed_fields_may_be_none() -> None:
    window_manager().save_state(Window(since=dt.datetime(2026, 1, 1)))

    assert window_manager().load_state() == Window(since=dt.datetime(2026, 1, 1))


def test_a_value_json_cannot_hold_is_refused_at_save_naming_the_key() -> None:
    @dataclasses.dataclass
    class Seen:
        ids: set[int]

    with pytest.raises(TypeError, match=r"save_state for Redis key '.*job-a.*': a set value cannot be saved as JSON"):
        ResumableSourceManager(inputs(), Seen).save_state(Seen({1, 2}))
    assert manager().can_resume() is False


def test_text_that_is_not_a_datetime_in_a_datetime_field_is_a_state_error(redis_client: redis.Redis) -> None:
    redis_client.set(resume_key(inputs()), json.dumps({"since": "yesterday"}))

    with pytest.raises(
        ResumableStateError, match=r"does not fit Window: field 'since' should be a datetime, found 'yesterday'"
    ):
        window_manager().load_state()


IDS = st.text(alphabet="ab:%-", max_size=4)


@given(first=st.tuples(st.integers(0, 3), IDS, IDS), second=st.tuples(st.integers(0, 3), IDS, IDS))
@example(first=(1, "a:b", "c"), second=(1, "a", "b:c"))
@example(first=(1, "a%3Ab", "c"), second=(1, "a:b", "c"))
def test_different_jobs_never_share_a_key(first: tuple[int, str, str], second: tuple[int, str, str]) -> None:
    def key(ids: tuple[int, str, str]) -> str:
        return resume_key(SourceInputs(schema_name="s", team_id=ids[0], job_id=ids[1], schema_id=ids[2]))

    assert (key(first) == key(second)) == (first == second)


@pytest.mark.parametrize(
    ("stored", "problem"),
    [
        ({"next_url": 5}, "field 'next_url' should be of type str, found 5"),
        ({"next_url": "p2", "page": "2"}, "field 'page' should be of type int, found '2'"),
        ({"next_url": "p2", "page": True}, "field 'page' should be of type int, found True"),
        ({"next_url": "p2", "seen_ids": {"a": 1}}, "field 'seen_ids' should be of type list, found {'a': 1}"),
        ({"next_url": None}, "field 'next_url' should be of type str, found None"),
    ],
)
def test_values_of_the_wrong_type_are_foreign_state(redis_client: redis.Redis, stored: object, problem: str) -> None:
    redis_client.set(resume_key(inputs()), json.dumps(stored))

    with pytest.raises(ResumableStateError) as raised:
        manager().load_state()

    assert f"does not fit Cursor: {problem}" in str(raised.value)


@dataclasses.dataclass(frozen=True)
class Loose:
    ratio: float
    mode: Literal["asc", "desc"]
    extra: Any = None


def test_ints_fit_float_fields_and_unchecked_kinds_pass_through(redis_client: redis.Redis) -> None:
    redis_client.set(resume_key(inputs()), json.dumps({"ratio": 1, "mode": "desc", "extra": [1, "x"]}))

    assert ResumableSourceManager(inputs(), Loose).load_state() == Loose(ratio=1, mode="desc", extra=[1, "x"])
