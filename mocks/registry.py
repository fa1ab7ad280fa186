"""The registered APIs: the one list the server, the CLI, the config, the provider suite, the pytest
plugin and the consumer suite iterate over.

:data:`BUILT_IN` names the kit's own descriptors as ``"module:attribute"`` strings, so that reading
the registry imports only the small ``descriptor.py`` module of each API. :func:`register` adds one
more at run time (a test's throwaway API, an API of your own); it returns a handle whose
``unregister()`` (or ``with`` block) takes it out again.
"""

from __future__ import annotations

import threading
from types import TracebackType

from specmock.mocks.descriptor import ApiDescriptor, ApiMount, resolve

__all__ = ["BUILT_IN", "Registration", "descriptor", "descriptors", "mounts", "register"]

#: The kit's APIs, in the order they are served, listed and verified.
BUILT_IN: tuple[str, ...] = (
    "specmock.mocks.banqer.descriptor:DESCRIPTOR",
    "specmock.mocks.pbm.descriptor:DESCRIPTOR",
    "specmock.mocks.assine.descriptor:DESCRIPTOR",
)

_added: list[ApiDescriptor] = []
_lock = threading.Lock()
_built_in: tuple[ApiDescriptor, ...] | None = None


def _load_built_in() -> tuple[ApiDescriptor, ...]:
    global _built_in
    if _built_in is None:
        loaded = tuple(resolve(target) for target in BUILT_IN)
        for item in loaded:
            if not isinstance(item, ApiDescriptor):
                raise TypeError(f"{item!r} is not an ApiDescriptor")
        _built_in = loaded
    return _built_in


def descriptors() -> tuple[ApiDescriptor, ...]:
    """Every registered API: the built-in ones, then those added by :func:`register`."""
    with _lock:
        return (*_load_built_in(), *_added)


def descriptor(name: str) -> ApiDescriptor:
    """The registered API called ``name``; ``KeyError`` naming the known ones otherwise."""
    known = descriptors()
    for item in known:
        if item.name == name:
            return item
    raise KeyError(f"no API named {name!r}; registered: {', '.join(d.name for d in known)}")


def mounts() -> tuple[ApiMount, ...]:
    """Every mount of every registered API, in serving order."""
    return tuple(mount for item in descriptors() for mount in item.mounts)


class Registration:
    """An API added by :func:`register`; ``unregister()`` (or leaving a ``with`` block) removes it."""

    def __init__(self, added: ApiDescriptor) -> None:
        self.descriptor = added

    def unregister(self) -> None:
        with _lock:
            if self.descriptor in _added:
                _added.remove(self.descriptor)

    def __enter__(self) -> ApiDescriptor:
        return self.descriptor

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.unregister()


def register(added: ApiDescriptor) -> Registration:
    """Add an API to the registry (after the built-in ones); its names must be new."""
    taken = {item.name for item in descriptors()} | {mount.name for mount in mounts()}
    taken_paths = {mount.path for mount in mounts()}
    clash = sorted(({added.name} | set(added.mount_names)) & taken)
    if clash:
        raise ValueError(f"an API or mount named {clash[0]!r} is already registered")
    for mount in added.mounts:
        if mount.path in taken_paths:
            raise ValueError(f"the path {mount.path!r} is already mounted")
    with _lock:
        _added.append(added)
    return Registration(added)
