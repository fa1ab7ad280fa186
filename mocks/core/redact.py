"""What counts as a secret, and how it is hidden: re-exported from :mod:`specmock.redact`.

The definitions live in the package root so that the contract suites can mask secrets in their
reports without importing the mock; this module keeps the mock's imports unchanged.
"""

from __future__ import annotations

from specmock.redact import (
    MASK,
    SECRET_KEYS,
    is_secret_key,
    redact_graphql,
    redact_header,
    redact_mapping,
    redact_text,
)

__all__ = [
    "MASK",
    "SECRET_KEYS",
    "is_secret_key",
    "redact_graphql",
    "redact_header",
    "redact_mapping",
    "redact_text",
]
