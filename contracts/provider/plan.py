"""What the provider suite needs to know about one API: a :class:`ProviderPlan`.

An API's descriptor (:class:`~specmock.mocks.descriptor.ApiDescriptor`) names its plan as
``"module:attribute"``; the kit's three plans are in :mod:`.plans`. A plan says where the API lives
(URL variables and the path under a mock's root), which credentials log in, which of its specs are
exercised against which URL, how the suite logs in, and which scenarios and checks of its own run.
The runner (:mod:`.runner`) has no branch per API: it follows the plan.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from specmock.mocks.descriptor import ApiDescriptor, resolve
from specmock.mocks.registry import descriptor, descriptors

if TYPE_CHECKING:
    from schemathesis import APIOperation, BaseSchema, Case, Response

    from specmock.contracts.provider.auth import Send, TokenFlow
    from specmock.contracts.provider.context import RunContext

__all__ = [
    "Credential",
    "Login",
    "ProviderPlan",
    "Scenario",
    "SpecRun",
    "UrlVar",
    "plan_for",
    "verifiable",
]


@dataclass(frozen=True)
class UrlVar:
    """A base URL of the API: its key, its variable, its path under a mock's root.

    ``path`` may name credential variables in braces (``/banqer/{BANQER_TENANT}``); ``fallback``
    is used on a live target when another URL of the API is set and this one is not.
    """

    key: str
    env: str
    path: str
    fallback: str | None = None


@dataclass(frozen=True)
class Credential:
    """A login variable; ``demo`` is the mock's value, used on loopback and in-process targets."""

    name: str
    demo: str | None = None
    secret: bool = False
    #: The demo value is public (a documented OAuth client), so it is used on live targets too and
    #: never masked in reports.
    public: bool = False


@dataclass(frozen=True)
class SpecRun:
    """One spec of the API exercised against one of its URLs."""

    #: Name of the spec in the API's descriptor (``"banqer"``, ``"pbm.graphql"``).
    spec: str
    #: Key of the URL (:class:`UrlVar`) the spec's requests go to.
    url: str
    #: Rule-based stateful run along the spec's OpenAPI links.
    stateful: bool = False
    #: After the generated requests, probe every operation that served an authenticated request
    #: without a token and with a bad one; the predicate tells a refusal.
    auth_probe: Callable[[Response], bool] | None = None


@dataclass(frozen=True)
class Login:
    """How the suite logs in: a token flow built from the operation in ``spec``, and where its token goes."""

    #: Spec holding the login operation.
    spec: str
    #: ``flow(schema, base_url, send, credentials)`` -> the :class:`~.auth.TokenFlow`.
    flow: Callable[[BaseSchema, str, Send, dict[str, str]], TokenFlow]
    #: Spec whose operations get the bearer token.
    applies_to: str
    #: Which of its operations need it.
    applies: Callable[[APIOperation], bool]


@dataclass(frozen=True)
class Scenario:
    """A check the suite spells out step by step (stateful runs only); reported under :attr:`name`."""

    name: str
    spec: str
    run: Callable[[RunContext, BaseSchema, str, dict[str, str]], None]
    #: operationIds the scenario exercises; it runs when ``operations=`` selects any of them.
    operations: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ProviderPlan:
    """Everything the provider suite does for one API, in order: log in, exercise each spec,
    stateful runs, auth probes, scenarios."""

    urls: tuple[UrlVar, ...]
    credentials: tuple[Credential, ...]
    specs: tuple[SpecRun, ...]
    login: Login | None = None
    scenarios: tuple[Scenario, ...] = ()
    #: Checks run on every answer on top of schemathesis's (``check(ctx, response, case)``).
    extra_checks: tuple[Callable[..., Any], ...] = ()
    #: How reports name the suite's own checks among them (one replacing a schemathesis check
    #: reports under that check's name).
    own_checks: tuple[str, ...] = ()
    #: schemathesis checks switched off because an extra check replaces them.
    replaced_checks: tuple[str, ...] = ()
    #: Parameters ``schemathesis.toml`` pins to the mock's demo set-up that take a credential's value
    #: on the target instead: ``(parameter, credential variable)`` pairs (the realm's ``tenant``).
    pinned_parameters: tuple[tuple[str, str], ...] = ()
    #: Called before each step of a stateful run (e.g. to put the account's password in a body).
    prepare_stateful: Callable[[RunContext, Case], None] | None = None


def plan_for(api: str | ApiDescriptor) -> tuple[ApiDescriptor, ProviderPlan]:
    """The registered API and its plan; ``ValueError`` if it has none."""
    found = descriptor(api) if isinstance(api, str) else api
    if found.provider is None:
        raise ValueError(f"the {found.name} API has no provider plan")
    plan = resolve(found.provider)
    if not isinstance(plan, ProviderPlan):
        raise TypeError(f"{found.provider} is not a ProviderPlan")
    return found, plan


def verifiable() -> tuple[str, ...]:
    """Names of the registered APIs the provider suite verifies, in the order they run."""
    return tuple(d.name for d in descriptors() if d.provider is not None)
