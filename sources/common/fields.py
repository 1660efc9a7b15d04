"""Form fields a source declares in `get_source_config`, and the `SourceConfig` that carries them."""

from __future__ import annotations

import dataclasses
import enum
from typing import Literal


class SourceFieldInputConfigType(enum.StrEnum):
    TEXT = "text"
    EMAIL = "email"
    NUMBER = "number"
    PASSWORD = "password"
    TEXTAREA = "textarea"


@dataclasses.dataclass(frozen=True)
class SourceFieldInputConfig:
    name: str
    label: str
    type: SourceFieldInputConfigType = SourceFieldInputConfigType.TEXT
    required: bool = True
    placeholder: str = ""
    caption: str | None = None


@dataclasses.dataclass(frozen=True)
class SourceFieldSwitchGroupConfig:
    """A toggle that reveals a group of fields; the config gets `{name: {"enabled": bool, ...children}}`."""

    name: str
    label: str
    fields: tuple[FieldType, ...]
    default: bool = False
    caption: str | None = None


@dataclasses.dataclass(frozen=True)
class SourceFieldSelectConfigOption:
    label: str
    value: str
    fields: tuple[FieldType, ...] = ()


@dataclasses.dataclass(frozen=True)
class SourceFieldSelectConfig:
    """A dropdown; the chosen option's child fields are parsed beside the selection."""

    name: str
    label: str
    options: tuple[SourceFieldSelectConfigOption, ...]
    default_value: str | None = None
    required: bool = True


@dataclasses.dataclass(frozen=True)
class SourceFieldOauthConfig:
    name: str
    label: str
    kind: str
    required: bool = True
    required_scopes: str | None = None


@dataclasses.dataclass(frozen=True)
class SourceFieldFileUploadConfig:
    """A JSON file upload; `keys` is an allow-list of top-level keys kept, or `"*"` for all."""

    name: str
    label: str
    file_format: Literal[".json"] = ".json"
    keys: tuple[str, ...] | Literal["*"] = "*"
    required: bool = True


@dataclasses.dataclass(frozen=True)
class SourceFieldSSHTunnelConfig:
    name: str = "ssh_tunnel"
    label: str = "Use SSH tunnel?"


FieldType = (
    SourceFieldInputConfig
    | SourceFieldSwitchGroupConfig
    | SourceFieldSelectConfig
    | SourceFieldOauthConfig
    | SourceFieldFileUploadConfig
    | SourceFieldSSHTunnelConfig
)

ReleaseStatus = Literal["alpha", "beta", "ga"]


@dataclasses.dataclass(frozen=True)
class SourceConfig:
    """What the create-source form shows, plus release status."""

    name: str
    label: str
    fields: tuple[FieldType, ...]
    caption: str = ""
    docsUrl: str | None = None
    iconPath: str | None = None
    unreleasedSource: bool = False
    releaseStatus: ReleaseStatus | None = None
    featureFlag: str | None = None
    webhookFields: tuple[FieldType, ...] = ()
    webhookSetupCaption: str | None = None


def iter_fields(fields: tuple[FieldType, ...]) -> list[FieldType]:
    """Every field, children of switch groups and select options included, depth first."""
    found: list[FieldType] = []
    for field in fields:
        found.append(field)
        if isinstance(field, SourceFieldSwitchGroupConfig):
            found.extend(iter_fields(field.fields))
        elif isinstance(field, SourceFieldSelectConfig):
            for option in field.options:
                found.extend(iter_fields(option.fields))
    return found


def sensitive_keys(fields: tuple[FieldType, ...]) -> frozenset[str]:
    """Names of every PASSWORD field: the values that must never be logged or shown again."""
    return frozenset(
        field.name
        for field in iter_fields(fields)
        if isinstance(field, SourceFieldInputConfig) and field.type is SourceFieldInputConfigType.PASSWORD
    )
