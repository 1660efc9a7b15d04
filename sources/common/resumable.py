"""`ResumableSourceManager`: a source's resume position, as JSON of a dataclass in Redis (24 h TTL)."""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Iterator
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import structlog

from sources.common import events
from sources.common.errors import ResumableStateError, StateStoreUnavailableError
from sources.common.lazy import lazy_import
from sources.common.redis_client import describe_redis_server, get_redis_client
from sources.common.state_codec import dumps_state, restore_types
from sources.common.typings import SourceInputs

redis = lazy_import("redis")  # the client package pulls redis.asyncio: only once a connection is made

ResumableData = TypeVar("ResumableData")

RESUME_TTL_SECONDS = 24 * 60 * 60
KEY_PREFIX = "warehouse_sources:resume"

_logger = structlog.get_logger("sources.resumable")


@dataclasses.dataclass(frozen=True)
class StateSaved:
    """Emitted on every `save_state`, after Redis has the value."""

    key: str
    state: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class StateLoaded:
    key: str
    state: dict[str, Any]


def resume_key(inputs: SourceInputs) -> str:
    """`warehouse_sources:resume:<team>:<job>:<schema>`; a `:` inside an id is escaped so ids never collide."""
    parts = (str(inputs.team_id), inputs.job_id, inputs.schema_id)
    return ":".join([KEY_PREFIX, *(quote(part, safe="") for part in parts)])


class ResumableSourceManager(Generic[ResumableData]):
    """Saves and loads one sync job's resume position: JSON of `data_class` under `resume_key(inputs)`."""

    def __init__(self, inputs: SourceInputs, data_class: type[ResumableData]) -> None:
        if not (dataclasses.is_dataclass(data_class) and isinstance(data_class, type)):
            raise TypeError(f"ResumableSourceManager needs a dataclass type, got {data_class!r}")
        self.inputs = inputs
        self.data_class = data_class
        self.key = resume_key(inputs)
        self._redis = get_redis_client()

    def can_resume(self) -> bool:
        with self._redis_errors("look up"):
            return bool(self._redis.exists(self.key))

    def load_state(self) -> ResumableData | None:
        with self._redis_errors("load"):
            raw = self._redis.get(self.key)
        if raw is None:
            return None
        payload = self._decode(raw)
        state = self._build(payload)
        events.emit(StateLoaded(self.key, payload))
        return state

    def save_state(self, data: ResumableData) -> None:
        if not isinstance(data, self.data_class):
            raise TypeError(f"save_state expects {self.data_class.__name__}, got {type(data).__name__}")
        payload = dataclasses.asdict(data)  # type: ignore[call-overload]
        try:
            text = dumps_state(payload)
        except TypeError as exc:
            raise TypeError(f"save_state for Redis key {self.key!r}: {exc}") from None
        with self._redis_errors("save"):
            self._redis.set(self.key, text, ex=RESUME_TTL_SECONDS)
        _logger.debug("resume_state_saved", key=self.key)
        events.emit(StateSaved(self.key, payload))

    def clear_state(self) -> None:
        with self._redis_errors("clear"):
            self._redis.delete(self.key)

    def _decode(self, raw: bytes | str) -> dict[str, Any]:
        try:
            payload = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ResumableStateError(
                f"resume state under Redis key {self.key!r} is not JSON: found {raw[:80]!r}"
            ) from None
        names = {field.name for field in dataclasses.fields(self.data_class)}  # type: ignore[arg-type]
        if not isinstance(payload, dict) or not set(payload) <= names:
            raise ResumableStateError(
                f"resume state under Redis key {self.key!r} is not a {self.data_class.__name__} "
                f"(fields {sorted(names)}): found {_shorten(payload)}"
            )
        return payload

    def _build(self, payload: dict[str, Any]) -> ResumableData:
        try:
            return self.data_class(**restore_types(self.data_class, payload))
        except (TypeError, ValueError) as exc:
            raise ResumableStateError(
                f"resume state under Redis key {self.key!r} does not fit {self.data_class.__name__}: "
                f"{exc}; found {_shorten(payload)}"
            ) from None

    @contextlib.contextmanager
    def _redis_errors(self, action: str) -> Iterator[None]:
        try:
            yield
        except redis.exceptions.RedisError as exc:
            raise StateStoreUnavailableError(
                f"could not {action} resume state under key {self.key!r} at "
                f"{describe_redis_server(self._redis)}: {type(exc).__name__}: {exc}"
            ) from None


def _shorten(payload: Any, limit: int = 120) -> str:
    text = repr(payload)
    return text if len(text) <= limit else text[: limit - 3] + "..."
