"""The optional YAML config: tenants, clients, accounts, token lifetimes and rate limits.

Whatever a config file names is merged over the built-in demo set-up, so a file only needs to say
what it adds or changes. A file that is not valid YAML, or not of the documented shape, raises
:class:`ConfigError` with one line saying where and what.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from specmock.mocks.config_file import (
    MAX_INTEGER_BITS,
    SEED_MAX,
    SEED_MIN,
    ConfigError,
    oversized_integer,
    read_yaml_file,
)
from specmock.mocks.core.ratelimit import RateLimitRule
from specmock.mocks.descriptor import ApiSettings
from specmock.mocks.registry import descriptors

if TYPE_CHECKING:
    import jsonschema

# jsonschema and yaml are imported where a config is parsed: a server started without a config
# file never needs them.

__all__ = ["ConfigError", "MockConfig", "config_schema", "load_config", "parse_config"]


def _default_apis() -> dict[str, ApiSettings]:
    return {d.name: d.settings() for d in descriptors() if d.settings is not None}


@dataclass(frozen=True, init=False)
class MockConfig:
    """What one mock is set up with: the seed, the shared limits, and each API's own section.

    ``apis`` maps an API's name to its settings (``BanqerSettings`` …); an API left out gets its
    demo set-up. ``config.api("banqer")`` reads one. The flat spelling of earlier versions,
    ``MockConfig(banqer_token_ttl=60)`` or ``config.banqer_token_ttl``, still works: it is
    ``<api>_<setting>`` for every registered API.
    """

    seed: int
    rate_limits: dict[str, RateLimitRule]
    journal_size: int
    journal_bytes: int
    max_body_bytes: int
    apis: dict[str, ApiSettings] = field(repr=False)

    def __init__(self, seed: int = 2024, rate_limits: Mapping[str, RateLimitRule] | None = None,
                 journal_size: int = 1000, journal_bytes: int = 8 * 1_048_576,
                 max_body_bytes: int = 1_048_576,
                 apis: Mapping[str, ApiSettings] | None = None, **flat: Any) -> None:
        sections = _default_apis()
        sections.update(apis or {})
        for key, value in flat.items():
            api, setting = _flat_name(sections, key)
            sections[api] = replace(sections[api], **{setting: value})
        set_field = object.__setattr__
        set_field(self, "seed", seed)
        set_field(self, "rate_limits", dict(rate_limits or {}))
        set_field(self, "journal_size", journal_size)
        set_field(self, "journal_bytes", journal_bytes)
        set_field(self, "max_body_bytes", max_body_bytes)
        set_field(self, "apis", sections)

    def api(self, name: str) -> Any:
        """The settings of the API called ``name`` (``KeyError`` if it has no config section)."""
        return self.apis[name]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name == "apis":
            raise AttributeError(name)
        try:
            api, setting = _flat_name(self.apis, name)
        except TypeError:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}") from None
        return getattr(self.apis[api], setting)

    def with_token_ttl(self, seconds: int) -> MockConfig:
        """The same config with every API's token lifetime set to ``seconds``."""
        apis = {name: section.with_token_ttl(seconds) for name, section in self.apis.items()}
        return replace(self, apis=apis)


def _flat_name(sections: Mapping[str, ApiSettings], key: str) -> tuple[str, str]:
    """``banqer_token_ttl`` -> ``("banqer", "token_ttl")``; ``TypeError`` when no API has it."""
    from dataclasses import fields

    for api, section in sections.items():
        prefix = api.replace("-", "_") + "_"
        if key.startswith(prefix) and key[len(prefix):] in {f.name for f in fields(section)}:
            return api, key[len(prefix):]
    raise TypeError(f"MockConfig got an unexpected keyword argument {key!r}")


_RATE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["limit", "per_seconds"],
    "properties": {"limit": {"type": "integer", "minimum": 1, "maximum": 1_000_000_000},
                   "per_seconds": {"type": "number", "minimum": 0.001, "maximum": 86_400}},
}


def config_schema() -> dict[str, Any]:
    """The JSON Schema of a config file: the shared keys and one section per registered API."""
    properties: dict[str, Any] = {
        "seed": {"type": "integer", "minimum": SEED_MIN, "maximum": SEED_MAX},
        "journal_size": {"type": "integer", "minimum": 1, "maximum": 1_000_000},
        "journal_bytes": {"type": "integer", "minimum": 65_536, "maximum": 1 << 30},
        "max_body_bytes": {"type": "integer", "minimum": 1024, "maximum": 1 << 30},
    }
    for d in descriptors():
        if d.settings is not None:
            properties[d.name] = {
                "type": "object",
                "additionalProperties": False,
                "properties": {**d.settings.SCHEMA, "rate_limit": _RATE},
            }
    return {"type": "object", "additionalProperties": False, "properties": properties}


def _where(error: jsonschema.ValidationError) -> str:
    return ".".join(str(p) for p in error.absolute_path) or "top level"


def parse_config(data: Any, source: str = "config") -> MockConfig:
    """A :class:`MockConfig` from already-parsed YAML, merged over the demo defaults."""
    import jsonschema

    if data is None:
        data = {}
    huge = oversized_integer(data)
    if huge is not None:
        raise ConfigError(
            f"{source}: {huge}: an integer of more than {MAX_INTEGER_BITS} bits is out of range")
    validator = jsonschema.Draft202012Validator(config_schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        raise ConfigError(f"{source}: {_where(error)}: {error.message}")
    config = MockConfig()
    shared = ("seed", "journal_size", "journal_bytes", "max_body_bytes")
    updates: dict[str, Any] = {key: data[key] for key in shared if key in data}
    apis = dict(config.apis)
    rate_limits: dict[str, RateLimitRule] = {}
    for name, section in apis.items():
        given = data.get(name, {})
        try:
            apis[name] = section.merged({k: v for k, v in given.items() if k != "rate_limit"})
        except ValueError as error:  # a value the schema allows but the API cannot use
            raise ConfigError(f"{source}: {error}") from None
        if "rate_limit" in given:
            rule = given["rate_limit"]
            rate_limits[name] = RateLimitRule(int(rule["limit"]), rule["per_seconds"])
    return replace(config, apis=apis, rate_limits=rate_limits, **updates)


def __getattr__(name: str) -> Any:
    """The types of the registered APIs' config sections (``BanqerClient``, ``PbmAccount`` ...), where
    earlier versions defined them: their home is now each API's ``settings`` module."""
    import sys

    for api in descriptors():
        module = sys.modules.get(api.settings.__module__) if api.settings is not None else None
        if module is not None and not name.startswith("_") and hasattr(module, name):
            return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_config(path: str | Path) -> MockConfig:
    """Read and validate a YAML config file; every problem is one :class:`ConfigError` line.

    The file is read within the limits of :mod:`~specmock.mocks.config_file` (regular file, size,
    no aliases, no duplicate keys).
    """
    return parse_config(read_yaml_file(path), str(path))
