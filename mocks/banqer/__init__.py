"""The Banqer mock: the API of each tenant (:class:`BanqerApi`) and its OIDC realm (:class:`BanqerAuthApi`).

- :mod:`.auth` — ``/banqer-auth/realms/{tenant}/…``: client-credentials tokens (``client_secret_post``
  and ``client_secret_basic``), OIDC discovery and JWKS, as Keycloak serves them;
- :mod:`.api` — ``/banqer/{tenant}/v1/…``: credores and fichas de cobrança behind bearer tokens and
  scopes, validated against ``banqer.openapi.yaml``;
- :mod:`.data` — the seeded, deterministic data set of each tenant;
- :mod:`.pagination` — opaque page tokens bound to their query;
- :mod:`.errors` — the API's error body and the realm's OAuth 2.0 one.
"""

from specmock.mocks.banqer.api import BanqerApi
from specmock.mocks.banqer.realm import BanqerAuthApi

__all__ = ["BanqerApi", "BanqerAuthApi"]
