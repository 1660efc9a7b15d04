"""`pytest harness` loads the conformance plugin from here.

Every connector is imported first: one that fails to import is reported by pytest as one line (`ERROR: connector
module ... failed to import: ...`) instead of a traceback through this file, and the plugin is not loaded.
"""

import pytest

from harness.one_line import sources_import_error

SOURCES_IMPORT_ERROR = sources_import_error()

if SOURCES_IMPORT_ERROR is None:
    from harness.suite.plugin import (  # noqa: F401  (pytest finds hooks and fixtures by name in a conftest)
        conformance_verdict,
        pytest_addoption,
        pytest_configure,
        pytest_generate_tests,
        pytest_sessionfinish,
        pytest_sessionstart,
        pytest_terminal_summary,
        pytest_unconfigure,
    )
else:

    def pytest_addoption(parser: pytest.Parser) -> None:
        # Called while pytest reads its plugins, before the command line is parsed: a UsageError raised here is
        # printed as one line, where an exception raised while importing a conftest is printed as a traceback.
        raise pytest.UsageError(SOURCES_IMPORT_ERROR)
