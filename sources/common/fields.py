"""Form fields a source declares in `get_source_config`, and the `SourceConfig` that carries them."""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Iterable
from typing import Literal

_KEBAB_CASE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def _freeze(instance: object, *names: str) -> None:
    """Store list-valued attributes as tuples, so a source may declare fields as lists (as the seed does)."""
    for name in names:
        value = getattr(instance, name)
        if isinstance(value, list):
            object.__setattr__(instance, name, tuple(value))


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

    def __post_init__(self) -> None:
        _freeze(self, "fields")


@dataclasses.dataclass(frozen=True)
class SourceFieldSelectConfigOption:
    label: str
    value: str
    fields: tuple[FieldType, ...] = ()

    def __post_init__(self) -> None:
        _freeze(self, "fields")


@dataclasses.dataclass(frozen=True)
class SourceFieldSelectConfig:
    """A dropdown; the chosen option's child fields are parsed beside the selection."""

    name: str
    label: str
    options: tuple[SourceFieldSelectConfigOption, ...]
    default_value: str | None = None
    required: bool = True

    def __post_init__(self) -> None:
        _freeze(self, "options")
        values = [option.value for option in self.options]
        if self.default_value is not None and self.default_value not in values:
            raise ValueError(
                f"select field '{self.name}': default_value {self.default_value!r} is not one of its options {values}"
            )


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

    def __post_init__(self) -> None:
        _freeze(self, "keys")


@dataclasses.dataclass(frozen=True)
class SourceFieldSSHTunnelConfig:
    """A switch group with the standard tunnel fields: host, port and password or key-pair authentication.

    The config gets `{name: {"enabled": bool, "host", "port", "auth_type", "username", "password" |
    "private_key", "passphrase"}}`; the children are read only when `enabled`.
    """

    name: str = "ssh_tunnel"
    label: str = "Use SSH tunnel?"

    @property
    def fields(self) -> tuple[FieldType, ...]:
        return SSH_TUNNEL_FIELDS


FieldType = (
    SourceFieldInputConfig
    | SourceFieldSwitchGroupConfig
    | SourceFieldSelectConfig
    | SourceFieldOauthConfig
    | SourceFieldFileUploadConfig
    | SourceFieldSSHTunnelConfig
)

_SSH_USERNAME = SourceFieldInputConfig(name="username", label="Tunnel username")
SSH_TUNNEL_FIELDS: tuple[FieldType, ...] = (
    SourceFieldInputConfig(name="host", label="Tunnel host"),
    SourceFieldInputConfig(name="port", label="Tunnel port", type=SourceFieldInputConfigType.NUMBER),
    SourceFieldSelectConfig(
        name="auth_type",
        label="Authentication type",
        default_value="password",
        options=(
            SourceFieldSelectConfigOption(
                label="Password",
                value="password",
                fields=(
                    _SSH_USERNAME,
                    SourceFieldInputConfig(
                        name="password", label="Tunnel password", type=SourceFieldInputConfigType.PASSWORD
                    ),
                ),
            ),
            SourceFieldSelectConfigOption(
                label="Key pair",
                value="keypair",
                fields=(
                    _SSH_USERNAME,
                    SourceFieldInputConfig(
                        name="private_key", label="Private key", type=SourceFieldInputConfigType.PASSWORD
                    ),
                    SourceFieldInputConfig(
                        name="passphrase",
                        label="Passphrase",
                        type=SourceFieldInputConfigType.PASSWORD,
                        required=False,
                    ),
                ),
            ),
        ),
    ),
)

ReleaseStatus = Literal["alpha", "beta", "ga"]
RELEASE_STATUSES: tuple[ReleaseStatus, ...] = ("alpha", "beta", "ga")
ReleaseStage = Literal["unreleased", "alpha", "beta", "ga"]


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

    def __post_init__(self) -> None:
        _freeze(self, "fields", "webhookFields")
        duplicate = _first_duplicate_name(self.fields)
        if duplicate:
            raise ValueError(f"source {self.name!r}: field {duplicate!r} is declared twice where the config reads it")
        self._check_release_settings()

    def _check_release_settings(self) -> None:
        if self.releaseStatus is not None and self.releaseStatus not in RELEASE_STATUSES:
            raise ValueError(
                f"source {self.name!r}: releaseStatus must be one of {', '.join(RELEASE_STATUSES)} or unset, "
                f"got {self.releaseStatus!r}"
            )
        if self.featureFlag is not None and not _KEBAB_CASE.match(self.featureFlag):
            suggestion = "dwh-" + re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-")
            raise ValueError(
                f"source {self.name!r}: featureFlag must be kebab-case like {suggestion!r}, got {self.featureFlag!r}"
            )

    @property
    def release_stage(self) -> ReleaseStage:
        """`unreleased` while `unreleasedSource`, else the release status; an unset status means GA."""
        if self.unreleasedSource:
            return "unreleased"
        return self.releaseStatus or "ga"


def _names_read_beside(fields: Iterable[FieldType]) -> list[list[str]]:
    """The names each field puts into the object it is read from; a select's chosen children sit beside it."""
    groups: list[list[str]] = []
    for field in fields:
        names = [field.name]
        if isinstance(field, SourceFieldSelectConfig):
            names += sorted({child.name for option in field.options for child in option.fields})
        groups.append(names)
    return groups


def _first_duplicate_name(fields: Iterable[FieldType]) -> str | None:
    """A name two fields would both read from the same object (options of one select may share a name)."""
    seen: set[str] = set()
    for names in _names_read_beside(fields):
        clash = next((name for name in names if name in seen), None)
        if clash:
            return clash
        seen.update(names)
    for field in fields:
        if isinstance(field, SourceFieldSwitchGroupConfig):
            nested = _first_duplicate_name(field.fields)
            if nested:
                return f"{field.name}.{nested}"
    return None


def iter_fields(fields: Iterable[FieldType]) -> list[FieldType]:
    """Every field, children of switch groups, SSH tunnels and select options included, depth first."""
    found: list[FieldType] = []
    for field in fields:
        found.append(field)
        if isinstance(field, SourceFieldSwitchGroupConfig | SourceFieldSSHTunnelConfig):
            found.extend(iter_fields(field.fields))
        elif isinstance(field, SourceFieldSelectConfig):
            for option in field.options:
                found.extend(iter_fields(option.fields))
    return found


def sensitive_keys(fields: Iterable[FieldType]) -> frozenset[str]:
    """Names of every PASSWORD field: the values that must never be logged or shown again."""
    return frozenset(
        field.name
        for field in iter_fields(fields)
        if isinstance(field, SourceFieldInputConfig) and field.type is SourceFieldInputConfigType.PASSWORD
    )
