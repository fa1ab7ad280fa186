"""What the kit knows about one API before importing any of its code: the :class:`ApiDescriptor`.

Each API package (``mocks/banqer``, ``mocks/pbm``, ``mocks/assine``) defines one descriptor in its
``descriptor.py``, a module that imports nothing heavy: the server routes to an API, lists it,
parses its config section and takes faults for it by name without building it. The generic
machinery (the app, the CLI, the config file, the provider suite, the pytest plugin, the consumer
suite) iterates over the registered descriptors (:mod:`specmock.mocks.registry`).

The mock never imports the contract suites (see ARCHITECTURE.md), so the pieces that live in
``specmock.contracts`` — how the provider suite logs in and what it runs, the fixture handle, the
consumer contract — are named as ``"module:attribute"`` strings and imported by the contract side
when it uses them (:func:`resolve`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self

if TYPE_CHECKING:
    from specmock.mocks.core.state import MockState

__all__ = [
    "NAME_SCHEMA", "TOKEN_TTL_SCHEMA", "ApiDescriptor", "ApiMount", "ApiSettings", "ApiSpec", "keyed_objects",
    "resolve",
]

#: JSON Schema of a token lifetime in a config section (seconds, up to a year).
TOKEN_TTL_SCHEMA: dict[str, Any] = {"type": "integer", "minimum": 1, "maximum": 31_536_000}
#: JSON Schema of a name, secret or password in a config section.
NAME_SCHEMA: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": 200}


def keyed_objects(required: list[str], properties: dict[str, Any], **keys: Any) -> dict[str, Any]:
    """JSON Schema of a map from names (``keys`` constrain them) to objects of ``properties``."""
    entry = {"type": "object", "additionalProperties": False, "required": required, "properties": properties}
    return {"type": "object", **keys, "additionalProperties": entry}


def resolve(target: str) -> Any:
    """The object a ``"module:attribute"`` string names (imported now)."""
    module, sep, name = target.partition(":")
    if not sep or not module or not name:
        raise ValueError(f"expected 'module:attribute', got {target!r}")
    found: Any = import_module(module)
    for part in name.split("."):
        found = getattr(found, part)
    return found


@dataclass(frozen=True)
class ApiMount:
    """One mount of the server: the control-plane name, the path, the ``MockApi`` class, its spec."""

    #: Name used by faults, rate limits, token expiry and the journal (``"banqer-auth"``).
    name: str
    #: Where it is mounted; may hold ``{name}`` path parameters (``"/banqer/{tenant}"``).
    path: str
    #: The :class:`~specmock.mocks.core.state.MockApi` subclass, as ``"module:Class"``.
    target: str
    #: Name (in :attr:`ApiDescriptor.specs`) of the OpenAPI document this mount serves, if any.
    openapi: str | None = None
    #: Prefixes the mount also serves the spec's paths without (Assine answers ``/v1/x`` and ``/x``).
    optional_prefixes: tuple[str, ...] = ()
    #: ``"module:function"`` making an answer in this mount's error shape without building its API,
    #: ``(status, message=None, headers=None) -> Response`` (the proxy's 502/504); ``None``: plain JSON.
    errors: str | None = None
    #: ``"module:Class"`` of the proxy's check for a mount without an OpenAPI spec (a GraphQL
    #: endpoint), made with no arguments; ``None``: checked against :attr:`openapi`, if it has one.
    checker: str | None = None


@dataclass(frozen=True)
class ApiSpec:
    """One spec file of an API: a name, a file and what kind of document it is."""

    #: How the API's code and reports call it (``"banqer"``, ``"pbm.graphql"``).
    name: str
    #: File name inside :attr:`package`, or an absolute path.
    file: str
    #: ``"openapi"``, ``"graphql"`` or ``"json-schema"``.
    kind: str
    package: str = "specmock.specs"

    @property
    def path(self) -> Path:
        if Path(self.file).is_absolute():
            return Path(self.file)
        from importlib import resources  # not on the start path: only a spec's reader needs it

        return Path(str(resources.files(self.package).joinpath(self.file)))

    def load(self) -> Any:
        """The parsed document of an OpenAPI or JSON Schema file (a bundled one is parsed once)."""
        from specmock import specs  # not on the start path

        if self.package == specs.__name__ and not Path(self.file).is_absolute():
            return specs.load(self.file)
        import yaml

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # a safe loader either way
        return yaml.load(self.path.read_text(encoding="utf-8"), Loader=loader)

    @property
    def file_name(self) -> str:
        """What reports call the file (``banqer.openapi.yaml``)."""
        return Path(self.file).name


class ApiSettings:
    """Base of an API's config section: a frozen dataclass whose defaults are the demo set-up.

    :attr:`SCHEMA` is the JSON Schema of the section's own keys in the YAML file (``rate_limit`` is
    added by the config for every API); :meth:`merged` applies an already validated section: a key
    replaces the field of its name, or, where the class has a ``merge_<key>(given)`` method, becomes
    what that method makes of it (named entries added to the demo ones, say). A value the schema
    lets through but the API cannot use raises ``ValueError`` naming where it is (``banqer.tenants...``).
    """

    #: JSON Schema ``properties`` of the section (each key its schema).
    SCHEMA: ClassVar[dict[str, Any]] = {}

    def merged(self, section: Mapping[str, Any]) -> Self:
        """These settings with a validated YAML section applied over them (default: plain fields)."""
        names = {f.name for f in dataclasses.fields(self)}  # type: ignore[arg-type]
        changes = {key: getattr(self, f"merge_{key}", lambda given: given)(given)
                   for key, given in section.items() if key in names}
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]

    @classmethod
    def of(cls, state: MockState) -> Self:
        """The section of this class in ``state``'s config."""
        for section in state.config.apis.values():
            if isinstance(section, cls):
                return section
        raise LookupError(f"the config has no {cls.__name__} section")

    def with_token_ttl(self, seconds: int) -> Self:
        """The same settings with the lifetime of the tokens this API issues set to ``seconds``."""
        if any(f.name == "token_ttl" for f in dataclasses.fields(self)):  # type: ignore[arg-type]
            return dataclasses.replace(self, token_ttl=seconds)  # type: ignore[type-var]
        return self


@dataclass(frozen=True)
class ApiDescriptor:
    """One API of the kit: everything the generic machinery needs to host, configure and check it."""

    #: Name of the API: its config section, ``specmock verify --api``, the ``<name>_mock`` fixture.
    name: str
    #: Human name (``"Funcional PBM"``).
    title: str
    #: Its mounts on the server, in routing and listing order.
    mounts: tuple[ApiMount, ...]
    #: Its spec files.
    specs: tuple[ApiSpec, ...]
    #: Its config section (``None``: the YAML file has no section for it).
    settings: type[ApiSettings] | None = None
    #: The provider suite's plan for it (``specmock.contracts.provider.plan.ProviderPlan``), as
    #: ``"module:attribute"``; ``None``: ``specmock verify`` does not offer it.
    provider: str | None = None
    #: The pytest fixture handle class (a ``specmock.contracts.fixtures.ApiMock``), as ``"module:Class"``;
    #: ``None``: the generic handle.
    fixture: str | None = None
    #: The consumer contract class (a ``specmock.contracts.consumer`` ``ConsumerContract``), if any.
    consumer: str | None = None
    #: The adapter running that contract against a driver command (``specmock contract``), as
    #: ``"module:Class"``; ``None``: ``specmock contract`` does not offer it.
    command_adapter: str | None = None

    def spec(self, name: str) -> ApiSpec:
        for spec in self.specs:
            if spec.name == name:
                return spec
        raise KeyError(f"the {self.name} API has no spec named {name!r}")

    @property
    def mount_names(self) -> tuple[str, ...]:
        return tuple(mount.name for mount in self.mounts)
