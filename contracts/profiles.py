"""Hypothesis settings of the consumer contract suites, in the kit's repository and in a user's.

Registered when the pytest plugin loads (and when a suite runs outside pytest):

=================  =============  ===========================================================
profile            max_examples   for
=================  =============  ===========================================================
``specmock``       25             every CI build (the suites' default)
``specmock-ci``    100            a thorough run: derandomized, failures print a reproduce blob
``specmock-quick`` 5              a quick local check
=================  =============  ===========================================================

Which settings a property uses: the profile the run loaded, when it is one the user chose
(``--hypothesis-profile``, ``HYPOTHESIS_PROFILE`` or ``settings.load_profile`` in a conftest);
``specmock`` when Hypothesis runs its built-in ``default`` profile. (On a CI machine Hypothesis
loads its built-in ``ci`` profile by itself: 100 examples, derandomized.) ``--specmock-examples N``
(or :func:`set_examples`) then sets ``max_examples`` of every property.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis.errors import InvalidArgument

__all__ = ["DEFAULT", "PROFILES", "active", "load_from_environment", "register", "set_examples"]

DEFAULT = "specmock"
_SLOW_OK = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
PROFILES: dict[str, dict[str, object]] = {
    "specmock": {"max_examples": 25},
    "specmock-ci": {"max_examples": 100, "derandomize": True, "print_blob": True},
    "specmock-quick": {"max_examples": 5},
}
#: Hypothesis' own profile, and the suite's profile that stands in for it.
_BUILT_IN = {"default": "specmock"}
_examples: int | None = None


def register() -> None:
    """Register the ``specmock`` profiles, once per process (Hypothesis refuses to register a
    profile while settings of a running test are in force, e.g. pytest run in-process by a test)."""
    for name, values in PROFILES.items():
        try:
            settings.get_profile(name)
        except InvalidArgument:
            settings.register_profile(name, deadline=None, suppress_health_check=_SLOW_OK, **values)  # type: ignore[arg-type]


def set_examples(count: int | None) -> None:
    """``max_examples`` of every consumer property from now on (``None``: the profile's)."""
    global _examples
    _examples = count


def load_from_environment(environ: dict[str, str] | None = None) -> str | None:
    """Load the profile ``HYPOTHESIS_PROFILE`` names, if any; return its name.

    Raises ``ValueError`` naming the registered profiles when it names none of them.
    """
    name = (os.environ if environ is None else environ).get("HYPOTHESIS_PROFILE", "").strip()
    if not name:
        return None
    register()
    try:
        settings.load_profile(name)
    except InvalidArgument:
        known = ", ".join(sorted(settings._profiles))
        message = f"HYPOTHESIS_PROFILE={name!r} is not a registered profile; registered: {known}"
        raise ValueError(message) from None
    return name


def active() -> settings:
    """The settings a consumer property starts from (see the module doc)."""
    register()
    current = settings.get_current_profile_name()
    base = settings.get_profile(_BUILT_IN[current]) if current in _BUILT_IN else settings()
    if _examples is not None:
        return settings(base, max_examples=_examples)
    return base
