"""SourceRegistry: registration by decorator, lookup, and the errors a wrong registration gives."""

from __future__ import annotations

import enum
from collections.abc import Iterator

import pytest

from sources.common.base import SimpleSource, SourceSchema
from sources.common.errors import UnknownSourceError
from sources.common.registry import SourceRegistry
from tests.sdk.sample_sources import PagesWithWebhooksSource, PlainSource, TokenConfig


@pytest.fixture(autouse=True)
def empty_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test registers into an empty registry; the real one is restored afterwards."""
    monkeypatch.setattr(SourceRegistry, "_sources", {})
    yield


def test_a_registered_source_is_found_by_its_type() -> None:
    SourceRegistry.register(PlainSource)

    assert SourceRegistry.get_source_class("Plain") is PlainSource
    assert isinstance(SourceRegistry.get_source("Plain"), PlainSource)
    assert SourceRegistry.source_types() == ["Plain"]


def test_register_returns_the_class_so_it_works_as_a_decorator() -> None:
    assert SourceRegistry.register(PlainSource) is PlainSource


def test_registering_the_same_class_twice_is_harmless() -> None:
    SourceRegistry.register(PlainSource)
    SourceRegistry.register(PlainSource)

    assert SourceRegistry.all_sources() == {"Plain": PlainSource}


def test_a_second_class_with_the_same_type_fails_naming_both() -> None:
    SourceRegistry.register(PlainSource)

    class Impostor(PlainSource):
        pass

    with pytest.raises(ValueError, match="'Plain' is registered twice") as raised:
        SourceRegistry.register(Impostor)
    message = str(raised.value)
    assert "sample_sources.PlainSource" in message
    assert "Impostor" in message
    assert SourceRegistry.get_source_class("Plain") is PlainSource


def test_an_unknown_type_names_it_and_lists_the_known_ones() -> None:
    SourceRegistry.register(PlainSource)
    SourceRegistry.register(PagesWithWebhooksSource)

    with pytest.raises(UnknownSourceError) as raised:
        SourceRegistry.get_source("Stripe")

    assert str(raised.value) == "unknown source type 'Stripe'; registered: PagesWithWebhooks, Plain"
    assert isinstance(raised.value, KeyError)


def test_an_unknown_type_in_an_empty_registry_says_none_are_registered() -> None:
    with pytest.raises(UnknownSourceError, match="registered: none"):
        SourceRegistry.get_source_class("Stripe")


def test_source_type_as_a_plain_attribute_is_refused() -> None:
    class AttributeType(PlainSource):
        source_type = "Attribute"

    with pytest.raises(TypeError, match=r"AttributeType must define source_type as a property"):
        SourceRegistry.register(AttributeType)


@pytest.mark.parametrize("value", [None, 42, "", b"Bytes"])
def test_source_type_must_return_a_non_empty_str(value: object) -> None:
    class WrongType(PlainSource):
        @property
        def source_type(self) -> str:
            return value  # type: ignore[return-value]

    with pytest.raises(TypeError, match=r"WrongType.source_type must return a non-empty str, got"):
        SourceRegistry.register(WrongType)
    assert SourceRegistry.source_types() == []


def test_source_type_that_needs_an_instance_gets_a_clear_error() -> None:
    class NeedsSelf(PlainSource):
        name = "NeedsSelf"

        @property
        def source_type(self) -> str:
            return self.name

    with pytest.raises(TypeError, match=r"NeedsSelf.source_type must return a constant str without using self"):
        SourceRegistry.register(NeedsSelf)


def test_a_str_enum_source_type_is_stored_as_its_value() -> None:
    class SourceKind(enum.StrEnum):
        PLAIN = "Plain"

    class EnumTyped(PlainSource):
        @property
        def source_type(self) -> str:
            return SourceKind.PLAIN

    SourceRegistry.register(EnumTyped)

    assert SourceRegistry.get_source_class("Plain") is EnumTyped
    assert type(SourceRegistry.source_types()[0]) is str


def test_an_unfinished_source_cannot_be_registered_and_the_error_lists_what_is_missing() -> None:
    class Unfinished(SimpleSource[TokenConfig]):
        @property
        def source_type(self) -> str:
            return "Unfinished"

        def get_schemas(self, config: TokenConfig, team_id: int, with_counts: bool = False) -> list[SourceSchema]:
            return []

    with pytest.raises(TypeError) as raised:
        SourceRegistry.register(Unfinished)

    assert str(raised.value).endswith(
        "Unfinished cannot be registered: it does not implement "
        "get_source_config, source_for_pipeline, validate_credentials"
    )
    assert SourceRegistry.source_types() == []


def test_unregister_forgets_the_type() -> None:
    SourceRegistry.register(PlainSource)
    SourceRegistry.unregister("Plain")

    with pytest.raises(UnknownSourceError):
        SourceRegistry.get_source("Plain")
