"""A response-validating wrapper for the kit's own tests: every answer the mock gives is checked
against the spec it claims to implement, by schemathesis, not by the mock's own code.

Use :func:`conforming_client` to get an ``httpx.Client`` whose every response to an API path is
validated (status declared, body and headers conform), failing the test on the first mismatch.
"""

from __future__ import annotations

import copy
import re
from functools import cache
from typing import Any

import httpx
import schemathesis

from specmock import specs

#: API name -> (prefix on the mock, as a regex; OpenAPI spec name)
MOUNTS: dict[str, tuple[str, str]] = {
    "banqer": (r"^/banqer/[^/]+", "banqer"),
    "banqer-auth": (r"^/banqer-auth", "banqer-auth"),
    "assine": (r"^/assine", "assine"),
}


class NonConformingResponse(AssertionError):
    pass


@cache
def _schema(spec: str) -> Any:
    return schemathesis.openapi.from_dict(copy.deepcopy(specs.load(spec)))


@cache
def _templates(spec: str) -> list[tuple[re.Pattern[str], str]]:
    out = []
    for template in specs.load(spec)["paths"]:
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        out.append((re.compile(f"^{pattern}$"), template))
    # literal paths win over templated ones (/v1/fichas vs /v1/fichas/{id})
    return sorted(out, key=lambda item: item[1].count("{"))


def find_operation(api: str, path: str, method: str) -> Any:
    prefix, spec = MOUNTS[api]
    relative = re.sub(prefix, "", path, count=1)
    # Assine answers its resources with and without the /v1 prefix; the spec writes them with it.
    for candidate in (relative, "/v1" + relative) if api == "assine" else (relative,):
        for pattern, template in _templates(spec):
            if pattern.match(candidate):
                return _schema(spec)[template][method.upper()]
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
    for api, (prefix, _) in MOUNTS.items():
        if re.match(prefix + "(/|$)", path):
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
