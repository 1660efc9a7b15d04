"""`pytest harness` loads the conformance plugin from here."""

from harness.suite.plugin import (  # noqa: F401  (pytest finds hooks and fixtures by name in a conftest)
    conformance_verdict,
    pytest_addoption,
    pytest_configure,
    pytest_generate_tests,
    pytest_sessionfinish,
    pytest_terminal_summary,
)
