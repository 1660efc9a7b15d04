"""Render the connector skeleton and write it: every file and the registration line, or nothing.

The files are rendered in memory, written into a staging folder beside their destinations, then moved into place
(`sources/<name>/` and `fixtures/<name>/` as whole folders, `sources/__init__.py` by `os.replace`); a failure at
any step removes what was moved, so a refused or failed `new` leaves the tree as it was.
"""

from __future__ import annotations

import keyword
import os
import re
import shutil
import tempfile
from pathlib import Path
from string import Template

from harness.scaffold.styles import DEFAULT_STYLE, STYLES, Style

TEMPLATES = Path(__file__).parent / "templates"
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
URL_PATTERN = re.compile(r"https?://[^\s\"'\\$]+")
# The templates are laid out as `ruff format` writes them for names up to this long.
MAX_NAME_LENGTH = 24
# Destination (relative to the repository root) -> template (relative to TEMPLATES); `{name}` is the source name.
FILES = {
    "sources/{name}/__init__.py": "sources/__init__.py.tmpl",
    "sources/{name}/settings.py": "sources/settings.py.tmpl",
    "sources/{name}/{name}.py": "sources/transport.py.tmpl",
    "sources/{name}/source.py": "sources/source.py.tmpl",
    "sources/{name}/tests/conftest.py": "sources/tests/conftest.py.tmpl",
    "sources/{name}/tests/test_{name}.py": "sources/tests/test.py.tmpl",
    "fixtures/{name}/simulator.py": "fixtures/simulator.py.tmpl",
    "fixtures/{name}/manifest.toml": "fixtures/manifest.toml.tmpl",
}
REGISTRY_MODULE = "sources/__init__.py"


class ScaffoldError(Exception):
    """`new` cannot write the skeleton; the message is one line naming the name, file or option at fault."""


def class_prefix(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def check_name(name: str, root: Path, registered: list[str]) -> None:
    """Refuse a name that is not a lowercase identifier, is already a source type, or whose folders exist."""
    if not NAME_PATTERN.fullmatch(name) or keyword.iskeyword(name):
        raise ScaffoldError(f"{name!r} is not a source name: use a lowercase Python identifier such as acme_desk")
    if len(name) > MAX_NAME_LENGTH:
        raise ScaffoldError(f"{name!r} is longer than {MAX_NAME_LENGTH} characters: choose a shorter source name")
    folded = {known.replace("_", "").lower(): known for known in registered}
    if name.replace("_", "") in folded:
        known = folded[name.replace("_", "")]
        raise ScaffoldError(f"{name!r} is already registered" + (f" (as {known!r})" if known != name else ""))
    for folder in (root / "sources" / name, root / "fixtures" / name):
        if folder.exists():
            raise ScaffoldError(f"{folder.relative_to(root)} already exists: nothing was written")


def render(name: str, vendor_url: str | None = None, pagination: str = DEFAULT_STYLE) -> dict[str, str]:
    """The skeleton's files, by path relative to the repository root."""
    if pagination not in STYLES:
        raise ScaffoldError(f"--pagination {pagination!r} is not a style; known: {', '.join(STYLES)}")
    if vendor_url is not None and not URL_PATTERN.fullmatch(vendor_url):
        raise ScaffoldError(f"--vendor-url {vendor_url!r} is not an http(s) address")
    style = STYLES[pagination]
    flat = name.replace("_", "")
    base_url = f"https://api.{flat}.example"
    values = {
        "name": name,
        "Name": class_prefix(name),
        "label": " ".join(part.capitalize() for part in name.split("_")),
        "dashed": name.replace("_", "-"),
        "vendor_url": vendor_url or f"https://developer.{flat}.example/docs",
        "base_url": base_url,
        "pagination": pagination,
        "pagination_table": style.contract,
        # An incremental listing of a vendor that counts rows is read by position: its contract is a keyset.
        "tickets_pagination_table": keyset_contract(style) if style.counts_rows else style.contract,
        "paginator_class": style.paginator_class,
        "paginator": style.paginator,
        "data_selector": style.data_selector,
        "page_size_param": ""
        if style.paginator_sends_limit
        else f'"{style.limit_param}": endpoint.page_size(page_size)',
        "probe_params": f'"{style.limit_param}": 1',
        **simulator_paging(pagination),
        **connector_paging(style),
        # isort's order: the class, then the functions by name (the source function sorts by the source's name).
        "transport_names": "".join(
            f"    {item},\n"
            for item in [f"{class_prefix(name)}ResumeConfig", *sorted([f"{name}_source", "error_detail", "probe"])]
        ),
    }
    for nested in ("make_paginator", "simulator_page"):  # templates inside the templates
        values[nested] = Template(values[nested]).substitute(values)
    return {
        destination.format(name=name): sort_source_imports(
            Template((TEMPLATES / template).read_text()).substitute(values)
        )
        for destination, template in FILES.items()
    }


def keyset_contract(style: Style) -> str:
    """The skeleton's re-query from the last row, on the example vendor's inclusive `updated_at_since` filter."""
    return "\n".join(
        [
            'style = "keyset"',
            'position = "updated_at_since"',
            'position_from = "updated_at"',
            'compare = "gte"',
            'encoding = "iso8601-z"',
            f'limit_param = "{style.limit_param}"',
            'items = "data"',
            style.counting,
        ]
    )


def connector_paging(style: Style) -> dict[str, str]:
    """The skeleton connector's `make_paginator`: the vendor's paginator, read by position where it counts rows."""
    variant = "keyset" if style.counts_rows else "plain"
    names = ["BasePaginator", "KeysetPaginator"] if style.counts_rows else []
    names = [*sorted([*names, style.paginator_class], key=str.lower), "RESTClient"]
    return {
        "make_paginator": (TEMPLATES / "sources" / "paginators" / f"{variant}.py.tmpl").read_text().rstrip("\n"),
        "rest_source_names": ", ".join(names),
        "paginator_call": "make_paginator(endpoint, inputs, endpoint.page_size(page_size))"
        if style.counts_rows
        else "make_paginator(endpoint.page_size(page_size))",
    }


def simulator_paging(pagination: str) -> dict[str, str]:
    """The example vendor's paging in the skeleton's simulator.py (one file per style) and the imports it needs."""
    pages = TEMPLATES / "fixtures" / "pages"
    code = (pages / f"{pagination}.py.tmpl").read_text().rstrip("\n")
    if "rows_after(" in code:
        code = (pages / "keyset_helpers.py.tmpl").read_text() + "\n\n" + code
    modules = [module for module in ("base64", "json", "math") if f"{module}." in code]
    names = ["SplitResult", "parse_qsl", *(["urlencode"] if "urlencode(" in code else []), "urlsplit"]
    return {
        "simulator_page": code,
        "stdlib_imports": "".join(f"import {module}\n" for module in modules),
        "url_imports": ", ".join(names),
    }


def sort_source_imports(text: str) -> str:
    """Each run of `from sources.` imports in module order: the new package sorts before or after `common` by name."""
    lines = text.splitlines(keepends=True)
    output: list[str] = []
    run: list[list[str]] = []  # the statements of the current run, each one line or a parenthesised block

    def flush() -> None:
        output.extend(line for statement in sorted(run, key=lambda lines: lines[0].split()[1]) for line in statement)
        run.clear()

    index = 0
    while index < len(lines):
        if lines[index].startswith("from sources."):
            statement = [lines[index]]
            if statement[0].rstrip().endswith("("):
                while statement[-1] != ")\n":
                    index += 1
                    statement.append(lines[index])
            run.append(statement)
        else:
            flush()
            output.append(lines[index])
        index += 1
    flush()
    return "".join(output)


def register(text: str, name: str) -> str:
    """`sources/__init__.py` with one import line and one `__all__` entry more, both in sorted place."""
    class_name = f"{class_prefix(name)}Source"
    lines = text.splitlines(keepends=True)
    imports = [index for index, line in enumerate(lines) if line.startswith("from sources.")]
    try:
        start = lines.index("__all__ = [\n")
        end = lines.index("]\n", start)
    except ValueError:
        raise ScaffoldError(f"{REGISTRY_MODULE}: no `__all__ = [` ... `]` list to add {class_name!r} to") from None
    if not imports:
        raise ScaffoldError(f"{REGISTRY_MODULE}: no `from sources.` import lines to add {name!r} beside")
    module = f"sources.{name}.source"
    line = f"from {module} import {class_name}\n"
    at = next((index for index in imports if lines[index].split()[1] > module), imports[-1] + 1)
    entry = f'    "{class_name}",\n'
    entries = range(start + 1, end)
    at_all = next((index for index in entries if lines[index].strip() > entry.strip()), end)
    lines.insert(at_all, entry)
    lines.insert(at, line)
    return "".join(lines)


def write(root: Path, files: dict[str, str], name: str) -> list[Path]:
    """Write `files` and register `name` in `sources/__init__.py`, all or nothing; the paths written."""
    registry = root / REGISTRY_MODULE
    registered = register(registry.read_text(), name)
    staging = Path(tempfile.mkdtemp(prefix=f".new-{name}-", dir=root))
    moved: list[Path] = []
    try:
        for relative, text in files.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        (staging / REGISTRY_MODULE).write_text(registered)
        for top in ("sources", "fixtures"):
            destination = root / top / name
            os.rename(staging / top / name, destination)  # never merges into a folder that appeared meanwhile
            moved.append(destination)
        os.replace(staging / REGISTRY_MODULE, registry)
    except BaseException:
        for folder in moved:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [root / relative for relative in files] + [registry]
