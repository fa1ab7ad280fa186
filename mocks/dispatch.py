"""The mount dispatcher: which hosted API's mount takes a request path, found by splitting the path.

A request to an API needs no router: the mounts are few and their paths are literal segments and
``{name}`` segments (``/banqer/{tenant}``, ``/pbm``). The dispatcher indexes them by first segment,
matches a path segment by segment, and remembers the answer per path, since clients send the same
few paths again and again. It takes exactly what a Starlette ``Mount`` of the same path takes,
except in a path holding a newline, where the mount's regular expression treats the newline apart;
such paths, and anything else the dispatcher does not route, are left to the app's router.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from starlette.types import ASGIApp, Scope

from specmock.mocks.core.cache import BoundedCache

__all__ = ["MountDispatcher", "MountPath"]

#: Paths whose mount is remembered (ids in paths vary at will, so the memory is bounded).
PATHS_REMEMBERED = 4096
PATH_CHARS_REMEMBERED = 256


@dataclass(frozen=True)
class MountPath:
    """A mount path made of literal segments and ``{name}`` segments, the first one literal."""

    segments: tuple[str, ...]

    @classmethod
    def parse(cls, path: str) -> MountPath | None:
        """The mount path ``path``, or ``None`` when only a regular expression can tell what it takes
        (a converter such as ``{n:int}``, a parameter inside a segment, a parameter first)."""
        if not path.startswith("/"):
            return None
        segments = tuple(path.strip("/").split("/"))
        plain = all(s and ("{" not in s or (s[0] == "{" and s[-1] == "}" and s[1:-1].isidentifier()))
                    for s in segments)
        return cls(segments) if plain and "{" not in segments[0] else None

    def match(self, path: str) -> tuple[dict[str, str], str] | None:
        """``(path parameters, matched prefix)``, or ``None`` when the mount does not take ``path``."""
        parts = path.split("/", len(self.segments) + 1)
        if len(parts) != len(self.segments) + 2:  # the mount takes "/pbm/...", not "/pbm"
            return None
        params: dict[str, str] = {}
        for wanted, given in zip(self.segments, parts[1:-1], strict=True):
            if wanted[0] == "{":
                if not given:
                    return None
                params[wanted[1:-1]] = given
            elif wanted != given:
                return None
        return params, path[: len(path) - len(parts[-1]) - 1]


#: What a path routes to: the mount's app, its path parameters, the matched prefix.
Routed = tuple[ASGIApp, dict[str, str], str]


class MountDispatcher:
    """Routes a request to the first of ``mounts`` (``(mount path, app)``, in order) that takes it."""

    def __init__(self, mounts: Sequence[tuple[str, ASGIApp]]) -> None:
        by_first: dict[str, list[tuple[MountPath, ASGIApp]]] | None = {}
        for path, app in mounts:
            parsed = MountPath.parse(path)
            if parsed is None or by_first is None:  # one mount the split cannot mirror: the router decides
                by_first = None
                continue
            by_first.setdefault(parsed.segments[0], []).append((parsed, app))
        self._by_first = by_first
        #: The answer per path seen, ``None`` for a path no mount takes.
        self.paths: BoundedCache[str, Routed | None] = BoundedCache(
            PATHS_REMEMBERED, PATHS_REMEMBERED * PATH_CHARS_REMEMBERED)

    def route(self, scope: Scope) -> ASGIApp | None:
        """The app of the mount taking this request, with ``root_path`` and ``path_params`` set in
        ``scope`` as the mount gives them; ``None`` (scope untouched) for the router to decide."""
        by_first = self._by_first
        path: str = scope.get("path", "")
        if by_first is None or scope["type"] != "http" or scope.get("root_path") or "\n" in path:
            return None
        found = self._find(by_first, path)
        if found is None:
            return None
        app, params, prefix = found
        scope["path_params"] = {**scope.get("path_params", {}), **params}
        scope["root_path"] = prefix
        return app

    def _find(self, by_first: dict[str, list[tuple[MountPath, ASGIApp]]], path: str) -> Routed | None:
        routed = self.paths.get(path)
        if routed is not None or path in self.paths:
            return routed
        for mount, app in by_first.get(path[1:].partition("/")[0], ()):
            match = mount.match(path)
            if match is not None:
                routed = (app, *match)
                break
        if len(path) <= PATH_CHARS_REMEMBERED:
            self.paths.put(path, routed, len(path))
        return routed
