"""Every check module carries its contract, and the harness README documents every check."""

from __future__ import annotations

import pytest

from harness.checks import CHECKS
from harness.fixtures.manifest import SCENARIO_NAMES
from harness.paths import REPO_ROOT


@pytest.mark.parametrize("check_id", list(CHECKS))
def test_a_check_module_states_what_it_proves_where_it_applies_and_what_it_needs(check_id: str) -> None:
    module = CHECKS[check_id]

    assert check_id == module.ID
    assert module.LEVEL in ("source", "endpoint")
    assert len(module.PROVES) > 80 and len(module.APPLIES) > 10
    assert set(module.SCENARIOS) <= {*SCENARIO_NAMES, "credentials"}
    assert callable(module.check)


def test_the_readme_documents_every_check() -> None:
    readme = (REPO_ROOT / "harness" / "README.md").read_text()

    assert [check_id for check_id in CHECKS if f"| `{check_id}` |" not in readme] == []
