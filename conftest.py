"""Root test configuration: hypothesis profiles shared by the kit's own suite.

``dev`` is quick and is the default; ``ci`` runs enough examples to matter and is chosen by CI
(``CI=true``) or ``HYPOTHESIS_PROFILE=ci``; ``debug`` prints every example.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Verbosity, settings

_SLOW_OK = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]

settings.register_profile("dev", max_examples=25, deadline=None, suppress_health_check=_SLOW_OK)
settings.register_profile("ci", max_examples=60, deadline=None, suppress_health_check=_SLOW_OK,
                          print_blob=True, derandomize=False)
settings.register_profile("debug", max_examples=10, deadline=None, verbosity=Verbosity.verbose,
                          suppress_health_check=_SLOW_OK)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))
