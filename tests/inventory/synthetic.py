"""Write small synthetic source packages of each kind to disk and load their classes."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path

from sources.common.base import BaseSource

PREAMBLE = """
import dataclasses
from sources.common.base import SimpleSource, ResumableSource, WebhookSource, SourceSchema, WebhookTemplate
from sources.common.fields import SourceConfig, SourceFieldInputConfig, SourceFieldInputConfigType
from sources.common.http import make_tracked_session
from sources.common.typings import SourceResponse


@dataclasses.dataclass
class Config:
    api_key: str = "x"


FIELDS = (SourceFieldInputConfig("api_key", "API key", SourceFieldInputConfigType.PASSWORD),)
"""

CLASS = """
class {cls}({bases}):
    config_class = Config

    @property
    def source_type(self):
        return "{name}"

    @property
    def get_source_config(self):
        return SourceConfig(name="{name}", label="{label}", fields=FIELDS{extra_config})

    def get_schemas(self, config, team_id, with_counts=False):
        return [SourceSchema("things", False, False)]

    def validate_credentials(self, config, team_id, schema_name=None):
        return True, None

    def source_for_pipeline(self, config, inputs):
{body}
"""

WEBHOOK_METHODS = """
    @property
    def webhook_template(self):
        return WebhookTemplate(id="t", name="t", description="t", code="")

    @property
    def webhook_resource_map(self):
        return {"things": "thing"}
"""


def write_source(
    root: Path,
    name: str,
    body: str,
    *,
    bases: str = "SimpleSource[Config]",
    extra_config: str = "",
    helpers: str = "",
) -> type[BaseSource]:
    package = root / name
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / f"{name}.py").write_text(textwrap.dedent(helpers))
    cls = f"{name.title().replace('_', '')}Source"
    code = PREAMBLE + CLASS.format(
        cls=cls,
        bases=bases,
        name=name,
        label=name.replace("_", " ").title(),
        extra_config=extra_config,
        body=textwrap.indent(textwrap.dedent(body).strip(), " " * 8),
    )
    if "WebhookSource" in bases:
        code += WEBHOOK_METHODS
    (package / "source.py").write_text(code)
    module_name = f"synthetic_inventory_{name}"
    spec = importlib.util.spec_from_file_location(module_name, package / "source.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return getattr(module, cls)
