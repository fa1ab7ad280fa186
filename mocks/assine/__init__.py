"""The Assine Online mock (``/assine``): see :mod:`specmock.mocks.assine.api`."""

from specmock.mocks.assine.api import AssineApi

__all__ = ["AssineApi"]
