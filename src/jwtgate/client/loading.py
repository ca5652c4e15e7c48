"""Loading a ``JwtAuthConfig`` from TOML or ``JWTGATE_CLIENT_*`` variables (SPEC §6).

Both sources hold the same fields under the same names. Values are read as they are
written — TOML has its own types; an environment variable is text, so numbers and
booleans are parsed, and tables and lists are JSON text — and every error names where
the value came from (``client.toml: issuer``, ``JWTGATE_CLIENT_ISSUER``), never the value.
``private_key_file`` is read here, so ``private_key`` is the one field the config sees.
An unknown name is refused rather than ignored: a typo must not silently drop a setting.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from jwtgate.client.errors import JwtAuthConfigError

__all__ = ["ENV_PREFIX", "FIELD_KINDS", "Layer", "build", "env_fields", "toml_fields"]

ENV_PREFIX = "JWTGATE_CLIENT_"
FIELD_KINDS: dict[str, str] = {
    "private_key": "text",
    "private_key_file": "path",
    "algorithm": "text",
    "expiry_seconds": "integer",
    "issuer": "text",
    "audience": "audience",
    "subject": "text",
    "headers": "object",
    "additional_claims": "object",
    "token_url": "text",
    "grant_type": "text",
    "client_id": "text",
    "client_secret": "text",
    "client_auth_method": "text",
    "scope": "text",
    "format": "text",
    "timeout_seconds": "number",
    "tls_verify": "boolean",
    "ca_file": "path",
    "client_cert_file": "path",
    "client_key_file": "path",
}
_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}
C = TypeVar("C")


@dataclass
class Layer:
    """Field values from one source, and how errors name each field of that source."""

    fields: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    name_missing: Callable[[str], str] = str  # how to name a field this source lacks

    def label(self, name: str) -> str:
        return self.labels.get(name) or self.name_missing(name)

    def resolve_key_file(self) -> Layer:
        """Replace ``private_key_file`` by ``private_key``, the file's text."""
        if "private_key_file" not in self.fields:
            return self
        label = self.label("private_key_file")
        if "private_key" in self.fields:
            raise JwtAuthConfigError(label, "give private_key or private_key_file, not both")
        path = self.fields.pop("private_key_file")
        if not isinstance(path, str):
            raise JwtAuthConfigError(label, "must be a file name")
        try:
            self.fields["private_key"] = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise JwtAuthConfigError(label, f"cannot be read ({error.strerror})") from error
        except UnicodeDecodeError as error:
            raise JwtAuthConfigError(label, "is not UTF-8 text (a PEM file or a secret)") from error
        self.labels["private_key"] = self.labels.pop("private_key_file", label)
        return self


def toml_fields(path: Path) -> Layer:
    """The fields of a TOML file; relative file names are relative to its folder."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise JwtAuthConfigError(str(path), f"cannot be read ({error.strerror})") from error
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise JwtAuthConfigError(str(path), f"not TOML ({error})") from error
    layer = Layer(name_missing=lambda name: f"{path}: {name}")
    for name, value in data.items():
        if name not in FIELD_KINDS:
            raise JwtAuthConfigError(f"{path}: {name}", "unknown field")
        if FIELD_KINDS[name] == "path" and isinstance(value, str):
            value = str(path.parent / value)
        layer.fields[name] = value
        layer.labels[name] = f"{path}: {name}"
    return layer.resolve_key_file()


def env_fields(environ: Mapping[str, str]) -> Layer:
    """The ``JWTGATE_CLIENT_<FIELD>`` variables that are set and not empty."""
    layer = Layer(name_missing=lambda name: ENV_PREFIX + name.upper())
    for variable, text in environ.items():
        if not variable.startswith(ENV_PREFIX):
            continue
        name = variable.removeprefix(ENV_PREFIX).lower()
        if name not in FIELD_KINDS:
            raise JwtAuthConfigError(variable, "unknown variable")
        if text:
            layer.fields[name] = _parse(FIELD_KINDS[name], text, variable)
            layer.labels[name] = variable
    return layer.resolve_key_file()


def build(cls: Callable[..., C], *layers: Layer) -> C:
    """``cls(**fields)`` of the layers merged (later layers win, tables replaced whole),
    with a refused field named as its source names it."""
    fields: dict[str, Any] = {}
    for layer in layers:
        fields.update(layer.fields)
    try:
        return cls(**fields)
    except JwtAuthConfigError as error:
        source = next((layer for layer in reversed(layers) if error.field in layer.fields), None)
        label = (source or layers[-1]).label(error.field)
        raise JwtAuthConfigError(label, error.message) from None


def _parse(kind: str, text: str, variable: str) -> Any:
    """Environment text to the field's type."""
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text)
        if kind == "object":
            return json.loads(text)
        if kind == "audience" and text.lstrip().startswith("["):
            return json.loads(text)
    except ValueError as error:
        raise JwtAuthConfigError(variable, f"must be {_EXPECTED[kind]}") from error
    if kind == "boolean":
        if text.strip().lower() not in _TRUE | _FALSE:
            raise JwtAuthConfigError(variable, "must be true or false")
        return text.strip().lower() in _TRUE
    return text


_EXPECTED = {
    "integer": "an integer",
    "number": "a number",
    "object": "a JSON object",
    "audience": "a string or a JSON array of strings",
}
