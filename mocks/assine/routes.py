"""The route table and the small ASGI dispatcher in front of every handler.

Resources answer under ``/v1/<x>`` and under ``/<x>`` (the public documentation uses both);
``/oauth``, ``/oauth/revoke`` and the mock-only ``/__mock__/...`` routes only unprefixed. Matching
is a dictionary lookup for fixed paths and a segment comparison for the few with an ``{id}``,
which keeps the per-request cost flat. The dispatcher then applies, in order: 404 for an unknown
path, 405 with ``Allow`` for a method the path does not take (the OAuth error on ``/oauth*``),
``OPTIONS`` answered with ``Allow``, the bearer token on resources (403/401), and the handler.
Every :class:`ApiProblem` becomes its response here; any other exception is a bug, logged and
answered 500 in the API's shape — bad input never surfaces as a bare 500 page.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from specmock.mocks.assine import files, oauth, templates, tokens, users, webhooks, workflows
from specmock.mocks.assine.errors import ApiProblem
from specmock.mocks.assine.hal import Ctx, request_base
from specmock.mocks.core.why import explain, refused

if TYPE_CHECKING:
    from specmock.mocks.assine.api import AssineApi

__all__ = ["RESOURCES", "Router"]

log = logging.getLogger("specmock.mocks.assine")

Handler = Callable[[Ctx], Awaitable[Response]]

#: Resource paths (also served with the ``/v1`` prefix) and their handlers by method.
RESOURCES: dict[str, dict[str, Handler]] = {
    "/access-token": {"GET": tokens.list_access_tokens, "POST": tokens.create_access_token},
    "/access-token/{id}": {"DELETE": tokens.delete_access_token},
    "/user": {"GET": users.list_users},
    "/user/{id}": {"GET": users.get_user},
    "/business-unit/{id}": {"GET": users.get_business_unit},
    "/file": {"GET": files.list_files, "POST": files.upload_file},
    "/file/{id}": {"GET": files.get_file, "DELETE": files.delete_file},
    "/file/{id}/download": {"GET": files.download_file},
    "/folder": {"GET": files.list_folders, "POST": files.create_folder},
    "/folder/{id}": {"GET": files.get_folder, "PATCH": files.update_folder, "DELETE": files.delete_folder},
    "/workflow": {"GET": workflows.list_workflows, "POST": workflows.create_workflow},
    "/workflow/{id}": {"GET": workflows.get_workflow, "PATCH": workflows.update_workflow},
    "/workflow-step": {"GET": workflows.list_steps},
    "/workflow-step/{id}": {"GET": workflows.get_step},
    "/workflow-step-link-to-sign": {"GET": workflows.list_links_to_sign},
    "/workflow-template": {"GET": templates.list_templates, "POST": templates.create_template},
    "/workflow-template/{id}": {"GET": templates.get_template, "PATCH": templates.update_template,
                                "DELETE": templates.delete_template},
    "/webhook-business-unit": {"GET": webhooks.list_webhooks, "POST": webhooks.create_webhook},
    "/webhook-business-unit/{id}": {"GET": webhooks.get_webhook, "DELETE": webhooks.delete_webhook},
}
#: Routes without a bearer token: the OAuth endpoints and the mock-only signing hooks.
PUBLIC: dict[str, dict[str, Handler]] = {
    "/oauth": {"POST": oauth.token},
    "/oauth/revoke": {"POST": oauth.revoke},
    "/__mock__/workflow-step/{id}/sign": {"POST": workflows.mock_sign},
    "/__mock__/workflow-step/{id}/reject": {"POST": workflows.mock_reject},
}


@dataclass(frozen=True)
class Route:
    template: str
    handlers: Mapping[str, Handler]
    protected: bool

    @property
    def allow(self) -> str:
        methods = list(self.handlers)
        if "GET" in methods:
            methods.append("HEAD")
        return ", ".join([*methods, "OPTIONS"])


class _Table:
    def __init__(self, routes: Mapping[str, Route]) -> None:
        self.fixed = {t: r for t, r in routes.items() if "{" not in t}
        self.templated: dict[int, list[tuple[list[str], Route]]] = {}
        for template, route in routes.items():
            if "{" in template:
                parts = template.split("/")
                self.templated.setdefault(len(parts), []).append((parts, route))

    def match(self, path: str) -> tuple[Route, dict[str, str]] | None:
        route = self.fixed.get(path)
        if route is not None:
            return route, {}
        parts = path.split("/")
        for template, route in self.templated.get(len(parts), ()):
            params: dict[str, str] = {}
            for want, got in zip(template, parts, strict=True):
                if want.startswith("{"):
                    if not got:
                        break
                    params[want[1:-1]] = got
                elif want != got:
                    break
            else:
                return route, params
        return None


class Router:
    """The ASGI app of the Assine API, relative to its mount."""

    def __init__(self, api: AssineApi) -> None:
        self.api = api
        resources = {t: Route(t, h, True) for t, h in RESOURCES.items()}
        self.prefixed = _Table(resources)
        self.plain = _Table({**resources, **{t: Route(t, h, False) for t, h in PUBLIC.items()}})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        try:
            response = await self.dispatch(request)
        except ApiProblem as problem:
            response = problem.response()
            if problem.status >= 400:
                explain(scope, problem.why or refused("request", problem.detail))
        except Exception:
            log.exception("assine: unexpected error on %s %s", scope.get("method"), scope.get("path"))
            response = ApiProblem(500).response()
        await response(scope, receive, send)

    async def dispatch(self, request: Request) -> Response:
        scope = request.scope
        root: str = scope.get("root_path", "")
        path: str = scope["path"]
        relative = path[len(root):] if root and path.startswith(root) else path
        if len(relative) > 1 and relative.endswith("/"):
            relative = relative[:-1]
        if relative.startswith("/v1/"):
            found = self.prefixed.match(relative[3:])
        else:
            found = self.plain.match(relative)
        if found is None or (found[0].template.startswith("/__mock__/")
                             and not self.api.state.mock_only_controls):  # off with --no-admin
            raise ApiProblem(404, "The requested resource was not found")
        route, params = found
        method = request.method
        handler = route.handlers.get("GET" if method == "HEAD" else method)
        if handler is None:
            if method == "OPTIONS":
                return Response(status_code=200, headers={"Allow": route.allow})
            if route.template.startswith("/oauth"):
                raise oauth.method_not_allowed(route.template)
            raise ApiProblem(405, f"The {method} method is not allowed on this resource; use {route.allow}",
                             headers={"Allow": route.allow})
        api = self.api
        now = api.state.clock.now()
        ctx = Ctx(api, request, request_base(request), now, params)
        try:
            if route.protected:
                ctx.user, ctx.token = tokens.authenticate(api, request, now)
            with api.store.lock:
                return await handler(ctx)
        except ApiProblem as problem:
            if problem.why is not None:
                problem.why.setdefault("operation", f"{method} {route.template}")
            raise
