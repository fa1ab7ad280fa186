"""What counts as a secret, and how it is hidden: re-exported from :mod:`specmock.redact`.

The definitions live in the package root so that the contract suites can mask secrets in their
reports without importing the mock; this module keeps the mock's imports unchanged.
"""

from __future__ import annotations

# ``name as name``: an explicit re-export, so the shared module's ``__all__`` is the one list of names.
from specmock.redact import MASK as MASK
from specmock.redact import SECRET_KEYS as SECRET_KEYS
from specmock.redact import is_secret_key as is_secret_key
from specmock.redact import redact_graphql as redact_graphql
from specmock.redact import redact_header as redact_header
from specmock.redact import redact_mapping as redact_mapping
from specmock.redact import redact_text as redact_text
