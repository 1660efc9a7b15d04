"""The "Rows per request" setting: its form field and the check of a parsed value."""

from __future__ import annotations

from typing import Any

import pytest

from sources.common.errors import ConfigError
from sources.common.fields import SourceFieldInputConfigType
from sources.common.page_size import check_page_size, page_size_field


def test_the_field_is_an_optional_number_showing_the_default() -> None:
    field = page_size_field(100, caption="Acme allows up to 100.")
    assert (field.name, field.label, field.type) == ("page_size", "Rows per request", SourceFieldInputConfigType.NUMBER)
    assert not field.required
    assert (field.placeholder, field.caption) == ("100", "Acme allows up to 100.")


@pytest.mark.parametrize(("value", "maximum"), [(1, None), (5000, None), (1, 200), (200, 200)])
def test_whole_numbers_in_range_pass(value: int, maximum: int | None) -> None:
    check_page_size(value, "Acme", maximum)


@pytest.mark.parametrize("value", [0, -3, 2.5, "10", None])
def test_without_a_maximum_anything_but_a_whole_number_from_1_is_refused(value: Any) -> None:
    with pytest.raises(ConfigError) as caught:
        check_page_size(value, "Acme")
    assert str(caught.value) == (
        f"Acme config: field 'page_size' (Rows per request) must be a whole number of at least 1, got {value!r}"
    )


@pytest.mark.parametrize("value", [0, 201, 10.5])
def test_with_a_maximum_the_range_is_named(value: Any) -> None:
    with pytest.raises(ConfigError) as caught:
        check_page_size(value, "acme", maximum=200)
    assert str(caught.value) == (
        f"acme config: field 'page_size' (Rows per request) must be a whole number from 1 to 200, got {value!r}"
    )
