"""One key source per distinct key configuration, kept warm across policy reloads.

Authenticators (and later trusted issuers and clients) name where their keys come
from. A policy reload must not throw away a fetched JWKS whose configuration did not
change, so sources are keyed by that configuration, not by the snapshot version.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from jwtgate.jose import KeySource, jwks_uri_source, provider_source, static_source

__all__ = ["KeyConfig", "KeySourceRegistry"]


@dataclass(frozen=True)
class KeyConfig:
    """Where keys come from: exactly one of the three, plus transport options."""

    jwks_uri: str | None = None
    provider_uri: str | None = None
    public_keys_json: str | None = None  # canonical JSON, so the config is hashable
    ca_cert: str | None = None
    allow_insecure_http: bool = False

    @classmethod
    def of(
        cls,
        *,
        jwks_uri: str | None,
        provider_uri: str | None,
        public_keys: Mapping[str, Any] | None,
        ca_cert: str | None,
        allow_insecure_http: bool,
    ) -> KeyConfig:
        keys_json = json.dumps(_thaw(public_keys), sort_keys=True) if public_keys else None
        return cls(jwks_uri, provider_uri, keys_json, ca_cert, allow_insecure_http)

    def open(self) -> KeySource:
        if self.public_keys_json is not None:
            return static_source(json.loads(self.public_keys_json))
        if self.provider_uri is not None:
            return provider_source(
                self.provider_uri,
                ca_cert=self.ca_cert,
                allow_insecure_http=self.allow_insecure_http,
            )
        if self.jwks_uri is not None:
            return jwks_uri_source(
                self.jwks_uri, ca_cert=self.ca_cert, allow_insecure_http=self.allow_insecure_http
            )
        raise ValueError("a key configuration needs jwks_uri, provider_uri or public_keys")


class KeySourceRegistry:
    """Opens a source the first time its configuration is seen and reuses it after."""

    def __init__(self) -> None:
        self._sources: dict[KeyConfig, KeySource] = {}

    def get(self, config: KeyConfig) -> KeySource:
        source = self._sources.get(config)
        if source is None:
            source = self._sources[config] = config.open()
        return source

    async def retain(self, configs: Iterable[KeyConfig]) -> None:
        """Close the sources no longer configured (after a policy reload)."""
        keep = set(configs)
        for config in [config for config in self._sources if config not in keep]:
            await self._sources.pop(config).aclose()

    async def aclose(self) -> None:
        await self.retain(())


def _thaw(value: Any) -> Any:
    """Plain dicts and lists from the snapshot's read-only mappings and tuples."""
    if isinstance(value, Mapping):
        return {key: _thaw(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_thaw(item) for item in value]
    return value
