"""Where each API lives and which credentials the suite logs in with.

Precedence, per value:

* base URLs: an explicit option > derived from the mock's root (``base_url`` or an in-process
  ``app``) > the environment. Derived URLs follow the mock's layout: ``{root}/banqer/{tenant}``,
  ``{root}/banqer-auth``, ``{root}/pbm/graphql``, ``{root}/assine``.
* credentials: an explicit option > the environment > the mock's demo credentials, the last only
  when every URL of that API is on a loopback address (or the app runs in-process). An
  in-process app never reads the environment: the kit's own suite must not depend on the shell.

Options and environment use the same names as the reference clients (``BANQER_CLIENT_ID`` …).
A live target without credentials is refused with one line naming the variables to set.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from specmock.contracts.provider.plan import ProviderPlan, plan_for, verifiable

__all__ = [
    "IN_PROCESS_ROOT",
    "ApiTarget",
    "TargetError",
    "is_loopback_url",
    "known_names",
    "resolve_targets",
]

#: Root URL of an in-process app (schemathesis's ASGI client answers any host; this is the one it uses).
IN_PROCESS_ROOT = "http://testserver"


class TargetError(ValueError):
    """The target cannot be verified as asked: a missing URL or missing credentials (one line)."""


@dataclass(frozen=True)
class ApiTarget:
    """One API to verify: its base URLs, the credentials to log in with, and whether it is local."""

    api: str
    urls: dict[str, str]
    credentials: dict[str, str] = field(repr=False)
    local: bool
    in_process: bool = False
    #: Values among the credentials that must never appear in a report.
    secrets: tuple[str, ...] = field(default=(), repr=False)

    def describe(self) -> str:
        return ", ".join(self.urls.values())


def is_loopback_url(url: str) -> bool:
    """Whether ``url`` points at this machine (``localhost``, ``127.0.0.0/8``, ``::1``)."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _normalise_root(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise TargetError(f"invalid base URL {url!r}: expected http(s)://host[:port][/path]")
    return url.rstrip("/")


def _plans(apis: Sequence[str]) -> list[tuple[str, ProviderPlan]]:
    return [(api, plan_for(api)[1]) for api in apis]


def resolve_targets(
    apis: Sequence[str],
    *,
    base_url: str | None = None,
    in_process: bool = False,
    options: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> list[ApiTarget]:
    """The :class:`ApiTarget` of each API in ``apis``, or :class:`TargetError` naming what is missing.

    ``options`` maps variable names (``BANQER_CLIENT_ID``, ``ASSINE_BASE_URL`` …) to values and
    wins over everything; ``environ`` defaults to ``os.environ`` and is ignored when
    ``in_process`` is true.
    """
    options = dict(options or {})
    known = known_names()
    unknown = sorted(set(options) - known)
    if unknown:
        raise TargetError(f"unknown option {unknown[0]!r}; known: {', '.join(sorted(known))}")
    env: Mapping[str, str] = {} if in_process else (os.environ if environ is None else environ)
    root = IN_PROCESS_ROOT if in_process else (_normalise_root(base_url) if base_url else None)

    def lookup(name: str) -> str | None:
        return options.get(name) or env.get(name) or None

    targets: list[ApiTarget] = []
    problems: list[str] = []
    for api, plan in _plans(apis):
        # What the paths under a mock's root may name: the credentials given, else the mock's demo ones.
        named = {var.name: lookup(var.name) or var.demo or "" for var in plan.credentials}
        urls: dict[str, str] = {}
        missing_urls: list[str] = []
        for var in plan.urls:
            derived = f"{root}{var.path.format_map(named)}" if root else None
            value = options.get(var.env) or derived or env.get(var.env)
            if not value and var.fallback and urls:
                value = var.fallback
            if value:
                urls[var.key] = _normalise_root(value)
            else:
                missing_urls.append(var.env)
        if missing_urls:
            problems.append(f"{api}: pass --base-url or set {_join(missing_urls)}")
            continue
        local = in_process or all(is_loopback_url(url) for url in urls.values())
        credentials: dict[str, str] = {}
        missing: list[str] = []
        for cred in plan.credentials:
            value = lookup(cred.name) or (cred.demo if local or cred.public else None)
            if value:
                credentials[cred.name] = value
            else:
                missing.append(cred.name)
        if missing:
            problems.append(f"no credentials for {api} at {', '.join(urls.values())}: set {_join(missing)}")
            continue
        secrets = tuple(
            credentials[cred.name] for cred in plan.credentials
            # a public default (Assine's documented client "app") is no secret of the account
            if cred.secret and credentials.get(cred.name)
            and not (cred.public and credentials[cred.name] == cred.demo)
        )
        targets.append(ApiTarget(api=api, urls=urls, credentials=credentials, local=local,
                                 in_process=in_process, secrets=secrets))
    if problems:
        raise TargetError("; ".join(problems))
    return targets


def known_names() -> set[str]:
    """Every variable name the registered APIs' plans read (URLs and credentials)."""
    names: set[str] = set()
    for api in verifiable():
        plan = plan_for(api)[1]
        names.update(var.env for var in plan.urls)
        names.update(var.name for var in plan.credentials)
    return names


def _join(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
