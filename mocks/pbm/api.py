"""The Funcional PBM GraphQL gateway mock ("wsacesso-graphql"), driven by ``specs/pbm.graphql``.

The schema is built by graphql-core from the bundled SDL — there is no second copy of it in
Python — once per :class:`PbmApi`, with introspection on. ``createToken`` needs no token; the
seven ``WsAcesso_*`` operations need ``Authorization: Bearer <token>`` and answer from the seeded
program-126 catalogue (:mod:`~specmock.mocks.pbm.data`) and the patient/opt-in store
(:mod:`~specmock.mocks.pbm.store`). Error bodies are built in :mod:`~specmock.mocks.pbm.errors`.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from functools import cached_property
from typing import Any

from graphql import GraphQLSchema, build_schema
from starlette.responses import Response
from starlette.types import ASGIApp

from specmock import specs
from specmock.mocks.core.state import MockApi, MockState
from specmock.mocks.pbm import data
from specmock.mocks.pbm.errors import http_error_body, json_response
from specmock.mocks.pbm.limits import MAX_DEPTH, MAX_FIELDS, QueryLimitsRule, limits_rule
from specmock.mocks.pbm.resolvers import Resolvers
from specmock.mocks.pbm.routes import GraphQLHttpApp
from specmock.mocks.pbm.settings import PbmSettings
from specmock.mocks.pbm.store import PbmStore

__all__ = ["DEMO_LOGIN", "DEMO_PASSWORD", "PbmApi"]

DEMO_LOGIN = "usuario_exemplo"
DEMO_PASSWORD = "senha_exemplo"


def build_pbm_schema() -> GraphQLSchema:
    """The executable schema: exactly the SDL; resolvers come in through the root value."""
    return build_schema(specs.read_text("pbm.graphql"))


class PbmApi(MockApi):
    """``/pbm/graphql``: createToken and the WsAcesso_* operations of program 126 / origin 37."""

    name = "pbm"
    mount_path = "/pbm"
    error_media_type = "application/json"

    def __init__(self, state: MockState, *, max_depth: int = MAX_DEPTH, max_fields: int = MAX_FIELDS) -> None:
        super().__init__(state)
        self.schema = build_pbm_schema()
        self.limits_rule: type[QueryLimitsRule] = limits_rule(max_depth, max_fields)
        self.store = PbmStore(state.config.seed)
        self.resolvers = Resolvers(state, self.store)

    @cached_property
    def settings(self) -> PbmSettings:
        """This API's section of the config."""
        return PbmSettings.of(self.state)

    def build_app(self) -> ASGIApp:
        return GraphQLHttpApp(self)

    def error_response(
        self, status: int, message: str | None = None, headers: Mapping[str, str] | None = None
    ) -> Response:
        """The gateway's GraphQL error body for an HTTP status, with ``data: null``.

        401 is the documented UNAUTHENTICATED item, 403 FORBIDDEN, 400 BAD_REQUEST; every other
        status (404, 413, 429, 5xx …) is INTERNAL_SERVER_ERROR with ``extensions.status``, as
        the NestJS Apollo driver maps HTTP exceptions (reference §5.4).
        """
        return json_response(http_error_body(status, message), status, headers)

    def reset(self) -> None:
        self.store.reset()

    def graphql_url(self, base_url: str) -> str:
        return f"{base_url.rstrip('/')}{self.mount_path}/graphql"

    def banner(self, base_url: str) -> list[str]:
        url = self.graphql_url(base_url)
        account = self.settings.accounts.get(DEMO_LOGIN)
        password = account.password if account else DEMO_PASSWORD
        arguments = f"login: {json.dumps(DEMO_LOGIN)}, password: {json.dumps(password)}"
        query = f"mutation {{ createToken({arguments}) {{ token }} }}"
        body = json.dumps({"query": query}, ensure_ascii=False)
        extra = sorted(set(self.settings.accounts) - {DEMO_LOGIN})
        ttl = self.settings.token_ttl
        lines = [
            f"Funcional PBM    {url}  (GraphQL; POST, or GET for queries)",
            f"  demo login {DEMO_LOGIN} / password {password}"
            f" (token valid {ttl} s; program {data.PROGRAM_CODE}, origin {data.ORIGIN_CODE})",
        ]
        if extra:
            lines.append(f"  more logins from the config: {', '.join(extra)}")
        lines.append(f"  curl -s {url} -H 'Content-Type: application/json' -d {shlex.quote(body)}")
        return lines

    def info(self, base_url: str) -> dict[str, Any]:
        return {
            "mount": self.mount_path,
            "graphql": self.graphql_url(base_url),
            "logins": sorted(self.settings.accounts),
            "token_ttl": self.settings.token_ttl,
            "programs": {str(p): sorted(o) for p, o in data.PROGRAM_ORIGINS.items()},
            "patients": len(self.store.patients),
            "optins": len(self.store.optins),
        }
