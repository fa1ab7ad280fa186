"""The Assine Online mock: OAuth2 password login, application tokens, HAL collections with filters,
files, folders, signature workflows, templates and webhooks, as ``assine.openapi.yaml`` describes.

Mounted at ``/assine``: ``{base}/assine`` stands for ``https://api-v1.assine.online``. The modules
next to this one hold the parts: :mod:`.routing` (routes, dispatch, the 500 guard),
:mod:`.problems` (the API Problem shape), :mod:`.oauth` and :mod:`.tokens` (login and bearer
tokens), :mod:`.query`, :mod:`.filters` and :mod:`.collation` (the filter dialect, pure),
:mod:`.hal` (links and pages), :mod:`.cache` (the bounded caches of listings), :mod:`.data`
(seeded users), :mod:`.store` (what callers create), :mod:`.examples` (the records the
spec's examples name), :mod:`.files`, :mod:`.workflows`,
:mod:`.lifecycle`, :mod:`.templates` and :mod:`.webhooks`.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

from jsonschema import Draft202012Validator
from starlette.responses import Response
from starlette.types import ASGIApp

from specmock.mocks.assine import lifecycle
from specmock.mocks.assine.data import Directory, directory
from specmock.mocks.assine.errors import PROBLEM, ProblemForPath
from specmock.mocks.assine.examples import seed_example_records
from specmock.mocks.assine.hal import Plan
from specmock.mocks.assine.oauth import CLIENT_ID, CLIENT_SECRET
from specmock.mocks.assine.query import MAX_DEPTH, MAX_ITEMS, MAX_VALUES
from specmock.mocks.assine.routes import Router
from specmock.mocks.assine.settings import AssineSettings
from specmock.mocks.assine.store import StepRecord, Store
from specmock.mocks.core.cache import BoundedCache
from specmock.mocks.core.firstuse import OnFirstUse
from specmock.mocks.core.openapi import OpenApiSpec, Operation
from specmock.mocks.core.state import MockApi, MockState
from specmock.specs import load as load_spec

__all__ = ["AssineApi"]

#: Compiled listing queries kept (and the query text they may hold in all).
PLANS, PLAN_TEXT = 256, 1 << 20
#: Encoded ``/v1/user`` pages kept (and the bytes they may hold in all, keys included).
USER_PAGES, USER_PAGE_BYTES = 512, 4 << 20
#: Encoded user entities kept, by base URL and id (and the bytes they may hold in all).
USER_ENTITIES, USER_ENTITY_BYTES = 4096, 4 << 20

#: Operations whose JSON request body the mock validates with the spec's schema.
JSON_BODIES = ("createAccessToken", "createFolder", "updateFolder", "createWorkflow", "updateWorkflow",
               "createWorkflowTemplate", "updateWorkflowTemplate", "createWebhook")


@cache
def _spec() -> OpenApiSpec:
    return OpenApiSpec(load_spec("assine"))


@dataclass(frozen=True)
class _Prepared:
    """What the API needs before its first request: the spec's operations and validators, the users."""

    operations: dict[str, Operation]
    bodies: dict[str, Draft202012Validator]
    directory: Directory


class AssineApi(MockApi):
    """Assine Online at ``/assine``: see the module docstring; data per instance, users shared."""

    name = "assine"
    mount_path = "/assine"
    error_media_type = PROBLEM

    def __init__(self, state: MockState) -> None:
        super().__init__(state)
        self.store = Store()
        self._seed_examples()
        #: Whether listings use the caches below; off, every listing is computed from scratch.
        self.cache_listings = True
        #: Compiled queries by (query string, field table, caller if ``$USER_ID`` appears): pure.
        self.plans: BoundedCache[tuple[bytes, int, int | None], Plan] = BoundedCache(PLANS, PLAN_TEXT)
        # The directory never changes for the life of the API (no route changes a user, reset leaves
        # them as they are), so the two caches below never go stale and are kept across resets.
        #: Encoded ``/v1/user`` pages by (base URL, path, query string, caller if ``$USER_ID`` appears).
        self.user_pages: BoundedCache[tuple[str, str, bytes, int | None], bytes] = BoundedCache(
            USER_PAGES, USER_PAGE_BYTES)
        #: Each user's encoded entity by (base URL, user id): what pages and ``/v1/user/{id}`` join.
        self.user_entities: BoundedCache[tuple[str, int], bytes] = BoundedCache(
            USER_ENTITIES, USER_ENTITY_BYTES)
        #: Key of the HMAC inside file ``uuid`` tokens; per run, never shown.
        self.file_secret = secrets.token_bytes(32)
        # The spec (parsed and compiled once) and the seeded users are built on first use, or ahead by
        # the server's warm-up. Both are cached per process, so further instances get them at once.
        self._prepared = OnFirstUse(self._prepare, "the Assine mock could not load its spec or data")

    @cached_property
    def settings(self) -> AssineSettings:
        """This API's section of the config."""
        return AssineSettings.of(self.state)

    def _prepare(self) -> _Prepared:
        spec = _spec()
        return _Prepared(
            spec.operations,
            {op: spec.operation(op).body_validators["application/json"] for op in JSON_BODIES},
            directory(self.state.config.seed, self.settings.users, self.settings.seeded_users),
        )

    @property
    def prepared(self) -> _Prepared:
        return self._prepared.get()

    def warm_up(self) -> None:
        """The compiled spec and the seeded users."""
        self._prepared.get()

    # -- spec and data --------------------------------------------------------------------------------

    @property
    def directory(self) -> Directory:
        """The users and business units (immutable, shared)."""
        return self.prepared.directory

    def operation(self, operation_id: str) -> Operation:
        return self.prepared.operations[operation_id]

    def body_validator(self, operation_id: str) -> Draft202012Validator:
        return self.prepared.bodies[operation_id]

    # -- MockApi --------------------------------------------------------------------------------------

    def build_app(self) -> ASGIApp:
        return Router(self)

    def error_response(
        self, status: int, message: str | None = None, headers: Mapping[str, str] | None = None
    ) -> Response:
        """An API Problem for ``status`` (title from the status; OAuth titles on ``/oauth*``)."""
        return ProblemForPath(status, message, headers)

    def _seed_examples(self) -> None:
        seed_example_records(self.store, self.state.tokens, self.settings.users, self.state.clock.now())

    def reset(self) -> None:
        """Files, folders, workflows, templates, webhooks and ids back to the start (users never change).

        The records the spec's examples name come back too (the shared tokens were cleared first).
        """
        self.store.clear()
        self._seed_examples()

    def info(self, base_url: str) -> dict[str, Any]:
        return {
            "mount": self.mount_path,
            "base_url": f"{base_url}{self.mount_path}",
            "accounts": {email: "PJ" if user.business_unit else "PF"
                         for email, user in self.settings.users.items()},
            "seeded_users": self.settings.seeded_users,
            "oauth_client": CLIENT_ID,
            "token_ttl": self.settings.token_ttl,
            "filter_limits": {"items": MAX_ITEMS, "depth": MAX_DEPTH, "values": MAX_VALUES},
            "mock_only_routes": ["POST /__mock__/workflow-step/{id}/sign",
                                 "POST /__mock__/workflow-step/{id}/reject"],
        }

    def banner(self, base_url: str) -> list[str]:
        base = f"{base_url}{self.mount_path}"
        accounts = self.settings.users
        listed = "; ".join(f"{email} / {user.password} ({'PJ' if user.business_unit else 'PF'})"
                           for email, user in accounts.items())
        lines = [
            f"assine API      {base}  (HAL; /v1/... and unprefixed; POST {base}/oauth, {base}/oauth/revoke)",
            f"assine users    {listed or 'none configured'}; OAuth client {CLIENT_ID} / {CLIENT_SECRET}",
            "assine note     curl needs -g (--globoff) for filter[0][...] brackets; keep $USER_ID unexpanded",
        ]
        demo = next(iter(accounts.values()), None)
        if demo is not None:
            login = ('{"grant_type":"password","client_id":"app","client_secret":"app",'
                     f'"username":"{demo.email}","password":"{demo.password}"}}')
            lines.append(
                "assine try      TOKEN=$(curl -s -H 'Content-Type: application/json' "
                f"-d '{login}' {base}/oauth "
                "| python3 -c \"import json,sys; print(json.load(sys.stdin)['access_token'])\") && "
                f"curl -g -s -H \"Authorization: Bearer $TOKEN\" "
                f"\"{base}/v1/user?filter[0][field]=id&filter[0][type]=eq&filter[0][value]=\\$USER_ID\""
            )
        return lines

    # -- mock-only controls ---------------------------------------------------------------------------

    def sign_step(self, step_id: int) -> StepRecord:
        """Mock-only: the pending step ``step_id`` is signed (404/409 as :class:`ApiProblem` otherwise)."""
        with self.store.lock:
            return lifecycle.sign(self, step_id, self.state.clock.now())

    def reject_step(self, step_id: int) -> StepRecord:
        """Mock-only: the pending step ``step_id`` is rejected, cancelling its workflow."""
        with self.store.lock:
            return lifecycle.reject(self, step_id, self.state.clock.now())

    def webhook_outbox(self) -> list[dict[str, Any]]:
        """The webhook notifications the mock would have sent: ``{"url", "payload"}``, oldest first."""
        with self.store.lock:
            return list(self.store.outbox)
