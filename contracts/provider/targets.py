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
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "APIS",
    "ENV",
    "IN_PROCESS_ROOT",
    "ApiTarget",
    "TargetError",
    "is_loopback_url",
    "resolve_targets",
]

#: The APIs the suite verifies, in the order they run.
APIS: tuple[str, ...] = ("banqer", "pbm", "assine")

#: Root URL of an in-process app (schemathesis's ASGI client answers any host; this is the one it uses).
IN_PROCESS_ROOT = "http://testserver"


@dataclass(frozen=True)
class _Var:
    name: str
    demo: str | None = None
    secret: bool = False


#: Per API: URL variables (key -> variable) and credential variables, with the mock's demo values.
ENV: dict[str, dict[str, Any]] = {
    "banqer": {
        "urls": {"api": _Var("BANQER_API_BASE_URL"), "auth": _Var("BANQER_AUTH_BASE_URL")},
        "credentials": (
            _Var("BANQER_TENANT", "demo"),
            _Var("BANQER_CLIENT_ID", "demo-client"),
            _Var("BANQER_CLIENT_SECRET", "demo-secret", secret=True),
        ),
    },
    "pbm": {
        "urls": {"graphql": _Var("PBM_GRAPHQL_URL")},
        "credentials": (
            _Var("PBM_LOGIN", "usuario_exemplo"),
            _Var("PBM_PASSWORD", "senha_exemplo", secret=True),
        ),
    },
    "assine": {
        "urls": {"api": _Var("ASSINE_BASE_URL")},
        "credentials": (
            _Var("ASSINE_USERNAME", "demo@empresa.example"),
            _Var("ASSINE_PASSWORD", "demo-password", secret=True),
            # The OAuth client of the public documentation; not a secret of the account.
            _Var("ASSINE_CLIENT_ID", "app"),
            _Var("ASSINE_CLIENT_SECRET", "app", secret=True),
        ),
    },
}

#: Credentials that have a public default everywhere, not only on the mock (Assine's documented client).
_PUBLIC_DEFAULTS = {"ASSINE_CLIENT_ID": "app", "ASSINE_CLIENT_SECRET": "app"}


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

    @property
    def secrets(self) -> tuple[str, ...]:
        """Credential values that must never appear in a report."""
        names = {var.name for var in ENV[self.api]["credentials"] if var.secret}
        return tuple(
            value
            for name, value in self.credentials.items()
            if name in names and value and value != _PUBLIC_DEFAULTS.get(name)  # Assine's public client "app"
        )

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


def _derived_urls(api: str, root: str, tenant: str) -> dict[str, str]:
    if api == "banqer":
        return {"api": f"{root}/banqer/{tenant}", "auth": f"{root}/banqer-auth"}
    if api == "pbm":
        return {"graphql": f"{root}/pbm/graphql"}
    return {"api": f"{root}/assine"}


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
    unknown = sorted(set(options) - _known_names())
    if unknown:
        raise TargetError(f"unknown option {unknown[0]!r}; known: {', '.join(sorted(_known_names()))}")
    env: Mapping[str, str] = {} if in_process else (os.environ if environ is None else environ)
    root = IN_PROCESS_ROOT if in_process else (_normalise_root(base_url) if base_url else None)

    targets: list[ApiTarget] = []
    problems: list[str] = []
    for api in apis:
        spec = ENV[api]

        def lookup(name: str) -> str | None:
            return options.get(name) or env.get(name) or None

        tenant = (lookup("BANQER_TENANT") or "demo") if api == "banqer" else ""
        derived = _derived_urls(api, root, tenant) if root else {}
        urls: dict[str, str] = {}
        missing_urls: list[str] = []
        for key, var in spec["urls"].items():
            value = options.get(var.name) or derived.get(key) or env.get(var.name)
            if api == "banqer" and key == "auth" and not value and urls.get("api"):
                value = "https://auth.banqer.com.br"
            if value:
                urls[key] = _normalise_root(value)
            else:
                missing_urls.append(var.name)
        if missing_urls:
            problems.append(f"{api}: pass --base-url or set {_join(missing_urls)}")
            continue
        local = in_process or all(is_loopback_url(url) for url in urls.values())
        credentials: dict[str, str] = {}
        missing: list[str] = []
        for var in spec["credentials"]:
            value = lookup(var.name) or (var.demo if local else _PUBLIC_DEFAULTS.get(var.name))
            if value:
                credentials[var.name] = value
            else:
                missing.append(var.name)
        if missing:
            problems.append(f"no credentials for {api} at {', '.join(urls.values())}: set {_join(missing)}")
            continue
        targets.append(
            ApiTarget(api=api, urls=urls, credentials=credentials, local=local, in_process=in_process)
        )
    if problems:
        raise TargetError("; ".join(problems))
    return targets


def _known_names() -> set[str]:
    names: set[str] = set()
    for spec in ENV.values():
        names.update(var.name for var in spec["urls"].values())
        names.update(var.name for var in spec["credentials"])
    return names


def _join(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
