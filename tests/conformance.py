"""A response-validating wrapper for the kit's own tests: every answer the mock gives is checked
against the spec it claims to implement, by schemathesis, not by the mock's own code.

Use :func:`conforming_client` to get an ``httpx.Client`` whose every response to an API path is
validated (status declared, body and headers conform), failing the test on the first mismatch.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import httpx
import schemathesis
import yaml

from specmock.mocks.descriptor import ApiSpec
from specmock.mocks.registry import descriptors


@dataclass(frozen=True)
class Mount:
    """A mount serving an OpenAPI spec: where it is (as a regex) and the spec."""

    prefix: str
    spec: ApiSpec
    #: Prefixes of the spec's paths the mount also serves without (Assine's ``/v1``).
    optional_prefixes: tuple[str, ...]


def mounts() -> dict[str, Mount]:
    """Mount name -> :class:`Mount`, for every mount of a registered API that names an OpenAPI spec."""
    found = {}
    for api in descriptors():
        for mount in api.mounts:
            if mount.openapi is not None:
                prefix = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(mount.path))
                found[mount.name] = Mount(prefix, api.spec(mount.openapi), mount.optional_prefixes)
    return found


class NonConformingResponse(AssertionError):
    pass


@cache
def _document(spec: ApiSpec) -> Any:
    return yaml.safe_load(spec.path.read_text(encoding="utf-8"))


@cache
def _schema(spec: ApiSpec) -> Any:
    return schemathesis.openapi.from_dict(copy.deepcopy(_document(spec)))


@cache
def _templates(spec: ApiSpec) -> list[tuple[re.Pattern[str], str]]:
    out = []
    for template in _document(spec)["paths"]:
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        out.append((re.compile(f"^{pattern}$"), template))
    # literal paths win over templated ones (/v1/fichas vs /v1/fichas/{id})
    return sorted(out, key=lambda item: item[1].count("{"))


def find_operation(api: str, path: str, method: str) -> Any:
    mount = mounts()[api]
    relative = re.sub(mount.prefix, "", path, count=1)
    for candidate in (relative, *(prefix + relative for prefix in mount.optional_prefixes)):
        for pattern, template in _templates(mount.spec):
            if pattern.match(candidate):
                return _schema(mount.spec)[template][method.upper()]
    spec = mount.spec.file_name
    raise NonConformingResponse(f"{method} {path}: no operation in {spec} matches {relative!r}")


def check_response(api: str, response: httpx.Response) -> None:
    """Fail unless ``response`` is one the spec of ``api`` allows for its request."""
    request = response.request
    operation = find_operation(api, request.url.path, request.method)
    declared = {str(s) for s in operation.definition.raw["responses"]}
    status = str(response.status_code)
    if status not in declared and f"{status[0]}XX" not in declared and "default" not in declared:
        raise NonConformingResponse(
            f"{request.method} {request.url.path}: undocumented status\nReceived: {status}\n"
            f"Documented: {', '.join(sorted(declared))}\nBody: {response.text[:500]}"
        )
    try:
        operation.validate_response(response)
    except BaseExceptionGroup as exc:  # schemathesis raises a FailureGroup describing each mismatch
        raise NonConformingResponse(
            f"{request.method} {request.url}: {exc}\nBody: {response.text[:500]}"
        ) from exc


def api_of(path: str) -> str | None:
    """Which OpenAPI-described API a mock path belongs to (``None`` for admin and PBM paths)."""
    for api, mount in mounts().items():
        if re.match(mount.prefix + "(/|$)", path):
            return api
    return None


def conforming_client(transport: httpx.BaseTransport, base_url: str = "http://mock.test") -> httpx.Client:
    """An ``httpx.Client`` that validates every API response it receives against that API's spec."""

    def hook(response: httpx.Response) -> None:
        api = api_of(response.request.url.path)
        if api is not None:
            response.read()
            check_response(api, response)

    return httpx.Client(transport=transport, base_url=base_url, event_hooks={"response": [hook]})
