"""The Banqer mock: the API of each tenant (:class:`BanqerApi`) and its OIDC realm (:class:`BanqerAuthApi`).

- :mod:`.realm` — ``/banqer-auth/realms/{tenant}/…``: client-credentials tokens (``client_secret_post``
  and ``client_secret_basic``), OIDC discovery and JWKS, as Keycloak serves them;
- :mod:`.api` — ``/banqer/{tenant}/v1/…``: credores and fichas de cobrança behind bearer tokens and
  scopes, validated against ``banqer.openapi.yaml``;
- :mod:`.data` — the seeded, deterministic data set of each tenant;
- :mod:`.pagination` — opaque page tokens bound to their query;
- :mod:`.errors` — the API's error body and the realm's OAuth 2.0 one.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["BanqerApi", "BanqerAuthApi"]

# Imported on first use: the package's descriptor module is read without building the mock.
_LAZY = {"BanqerApi": "specmock.mocks.banqer.api", "BanqerAuthApi": "specmock.mocks.banqer.realm"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(module), name)
