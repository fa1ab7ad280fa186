"""Reference clients for the three APIs (sync, httpx): small, readable, and meant to be copied.

============  ======================  ==========================================
API           client                  typed errors
============  ======================  ==========================================
Banqer        :class:`BanqerClient`   :class:`BanqerError`, :class:`BanqerAuthError`
Funcional PBM :class:`PbmClient`      :class:`PbmError`, :class:`PbmGraphQLError`, :class:`PbmAuthError`
Assine Online :class:`AssineClient`   :class:`AssineProblem`, :class:`AssineAuthError`
============  ======================  ==========================================

Exception hierarchy (one base, :class:`ClientError`)::

    ClientError                      .status (HTTP status or None), .message
    ├── AuthError                    token endpoint / login failed: fatal, never retried
    │   ├── BanqerAuthError          .error (OAuth2 error code)
    │   ├── PbmAuthError             .code
    │   └── AssineAuthError          .title
    ├── ApiError                     the API answered with an error
    │   ├── BanqerError              .reason ("UNKNOWN" when the body has none)
    │   ├── PbmError                 .code ("UNKNOWN" when the body is not GraphQL)
    │   │   └── PbmGraphQLError      .path, .errors, .data
    │   └── AssineProblem            .title ("UNKNOWN" when not a problem body), .detail, .type,
    │                                .validation_messages
    ├── PaginationLoopError          the server repeated a page token / next link
    └── TransportError               no HTTP answer (connection refused, timeout, ...)

Every client takes ``sleep``, ``now`` (epoch seconds) and ``random`` callables, ``max_attempts``,
``retry_policy`` (a :class:`RetryPolicy` subclass, to change how a call is retried) and an optional
``http_client`` (``httpx.Client``) or ``transport`` (any ``httpx.BaseTransport``), and has a
``from_env()`` classmethod. Secrets (client secret, passwords, tokens) are masked as ``***`` in
``repr()``, exception messages and log records.
"""

from ._core import (
    ApiError,
    AuthError,
    ClientError,
    PaginationLoopError,
    RetryPolicy,
    TransportError,
    backoff_delay,
    parse_retry_after,
)
from .assine import AssineAuthError, AssineClient, AssineProblem
from .assine_filters import F, Filter, OrderBy, to_params
from .banqer import BanqerAuthError, BanqerClient, BanqerError
from .pbm import PbmAuthError, PbmClient, PbmError, PbmGraphQLError

__all__ = [
    "ApiError",
    "AssineAuthError",
    "AssineClient",
    "AssineProblem",
    "AuthError",
    "BanqerAuthError",
    "BanqerClient",
    "BanqerError",
    "ClientError",
    "F",
    "Filter",
    "OrderBy",
    "PaginationLoopError",
    "PbmAuthError",
    "PbmClient",
    "PbmError",
    "PbmGraphQLError",
    "RetryPolicy",
    "TransportError",
    "backoff_delay",
    "parse_retry_after",
    "to_params",
]
