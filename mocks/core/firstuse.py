"""The one way the mock builds something on first use: :class:`OnFirstUse`.

Used for an API hosted on first use (:class:`~specmock.mocks.core.state.HostedApi`), for its control
layer and its warm-up (``mocks/app.py``), and for what an API prepares before its first answer
(Assine's compiled spec and users). Whichever thread asks first builds; the others wait for that
build. A failed build is not retried: it is logged once and every later :meth:`OnFirstUse.get`
raises the same message again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["BuildFailed", "OnFirstUse"]

T = TypeVar("T")

log = logging.getLogger("specmock.mocks")


class BuildFailed(RuntimeError):
    """Something built on first use could not be built; every later use raises this again."""


class OnFirstUse(Generic[T]):
    """A value built by ``build()`` the first time :meth:`get` is called, once, under a lock.

    ``what`` names it in the failure message (``"the pbm mock could not be loaded"``); ``error`` is
    the exception class raised for a failure (a :class:`BuildFailed`). A failure raised by an inner
    :class:`OnFirstUse` (already logged) keeps its own message. ``level`` is the log level of a
    failure (``None``: not logged).
    """

    def __init__(self, build: Callable[[], T], what: str, *, error: type[BuildFailed] = BuildFailed,
                 level: int | None = logging.ERROR) -> None:
        self._build: Callable[[], T] | None = build
        self._what = what
        self._error_type = error
        self._level = level
        self._value: T | None = None
        self._built = False
        self._failure: tuple[str, BaseException] | None = None
        self._lock = threading.Lock()

    @classmethod
    def built(cls, value: T, what: str = "") -> OnFirstUse[T]:
        """One that holds ``value`` already."""
        made: OnFirstUse[T] = cls(lambda: value, what)
        made._value, made._built, made._build = value, True, None
        return made

    @property
    def value(self) -> T | None:
        """The value if it is built, else ``None`` (never builds it)."""
        return self._value

    @property
    def is_built(self) -> bool:
        return self._built

    @property
    def error(self) -> str | None:
        """Why the build failed, if it did."""
        return self._failure[0] if self._failure else None

    def get(self) -> T:
        """The value, built now if it is not yet; raises ``error`` if the build fails (now or before)."""
        if self._built:
            return self._value  # type: ignore[return-value]
        with self._lock:
            if not self._built and self._failure is None and self._build is not None:
                try:
                    self._value = self._build()
                    self._built = True
                    self._build = None
                except BuildFailed as exc:
                    self._failure = (str(exc), exc)
                except Exception as exc:
                    message = f"{self._what}: {type(exc).__name__}: {exc}"
                    if self._level is not None:
                        log.log(self._level, "specmock: %s", message,
                                exc_info=exc if self._level >= logging.ERROR else None)
                    self._failure = (message, exc)
        if self._built:
            return self._value  # type: ignore[return-value]
        assert self._failure is not None
        # A new exception each time: re-raising one instance would grow its traceback forever.
        raise self._error_type(self._failure[0]) from self._failure[1]
