"""`import sources` stays light: vendor SDKs, the Redis client and Arrow load only when a run needs them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sources.common.lazy import lazy_import

HEAVY = ("redis", "stripe", "pyarrow", "deltalake", "hypothesis", "mitmproxy")


def modules_after(code: str) -> set[str]:
    """The top-level modules a fresh interpreter holds after running `code`."""
    program = f"{code}\nimport json, sys\nprint(json.dumps(sorted({{name.split('.')[0] for name in sys.modules}})))"
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_importing_every_connector_imports_no_vendor_sdk_redis_or_arrow() -> None:
    loaded = modules_after("import sources")

    assert "sources" in loaded
    assert sorted(loaded & set(HEAVY)) == []


def test_loading_the_conformance_suite_imports_no_arrow_delta_or_hypothesis() -> None:
    loaded = modules_after("import sources, harness.suite.plugin, harness.suite.suite")

    assert sorted(loaded & {"pyarrow", "deltalake", "hypothesis", "stripe", "mitmproxy"}) == []


def test_a_lazy_module_imports_on_first_attribute_and_then_is_the_module() -> None:
    loaded = modules_after(
        "from sources.common.lazy import lazy_import\n"
        "wave = lazy_import('wave')\n"
        "import sys\n"
        "assert 'wave' not in sys.modules\n"
        "assert wave.Error.__name__ == 'Error'\n"
    )

    assert "wave" in loaded


def test_a_missing_module_fails_at_first_use_with_the_import_error() -> None:
    missing = lazy_import("no_such_module_here")

    with pytest.raises(ModuleNotFoundError, match="no_such_module_here"):
        missing.anything  # noqa: B018
    assert "not imported yet" in repr(missing)
