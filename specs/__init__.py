"""The hand-written specs, shipped as package data.

The YAML and GraphQL files next to this module are the single source of truth for the mock
server and both contract suites. Use :func:`path` and :func:`load` rather than building paths::

    from specmock import specs
    specs.path("banqer")              # .../specmock/specs/banqer.openapi.yaml
    specs.path("pbm")                 # .../specmock/specs/pbm.graphql
    specs.path("schemathesis.toml")   # the check policy schemathesis run reads

:func:`specmock.contracts.schema` builds a ready schemathesis schema from them.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

__all__ = ["API_SPECS", "OPENAPI_SPECS", "SCHEMATHESIS_CONFIG", "SPEC_FILES", "load", "path", "read_text"]

_OPENAPI, _GRAPHQL, _JSON_SCHEMA = ".openapi.yaml", ".graphql", ".schema.json"
#: Every bundled spec file, OpenAPI and GraphQL alike: whatever of those kinds ships beside this module.
SPEC_FILES: tuple[str, ...] = tuple(
    sorted(
        entry.name
        for entry in resources.files(__name__).iterdir()
        if entry.name.endswith((_OPENAPI, _GRAPHQL, _JSON_SCHEMA))
    )
)
#: API name -> OpenAPI file name (``banqer`` -> ``banqer.openapi.yaml``).
OPENAPI_SPECS: dict[str, str] = {
    name.removesuffix(_OPENAPI): name for name in SPEC_FILES if name.endswith(_OPENAPI)
}
#: API name -> the spec file schemathesis loads for it (OpenAPI or GraphQL SDL).
API_SPECS: dict[str, str] = {
    **OPENAPI_SPECS,
    **{name.removesuffix(_GRAPHQL): name for name in SPEC_FILES if name.endswith(_GRAPHQL)},
}
#: The shipped schemathesis configuration: the specs' documented exceptions to schemathesis's checks.
SCHEMATHESIS_CONFIG = "schemathesis.toml"


def path(name: str) -> Path:
    """Filesystem path of a bundled file: a spec by file name (``banqer.openapi.yaml``) or API name
    (``banqer``, ``banqer-auth``, ``assine``, ``pbm``), or ``schemathesis.toml``."""
    file_name = API_SPECS.get(name, name)
    if file_name not in (*SPEC_FILES, SCHEMATHESIS_CONFIG):
        known = ", ".join([*API_SPECS, *SPEC_FILES, SCHEMATHESIS_CONFIG])
        raise KeyError(f"no bundled spec named {name!r}; known: {known}")
    return Path(str(resources.files(__name__).joinpath(file_name)))


def read_text(name: str) -> str:
    return path(name).read_text(encoding="utf-8")


@cache
def _load(name: str) -> Any:
    text = read_text(name)
    if name.endswith(".json"):
        return json.loads(text)
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # a safe loader either way


def load(name: str) -> Any:
    """Parsed document of a bundled OpenAPI spec or JSON Schema (cached; treat as read-only)."""
    return _load(OPENAPI_SPECS.get(name, name))
