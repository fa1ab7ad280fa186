"""Scenarios that OpenAPI links and schemathesis's checks cannot express, checked step by step.

``app_token_lifecycle`` (Assine): create an application token -> it is listed -> it authenticates
-> revoke it -> it is no longer listed -> a request with it is refused (401). The spec's link
``createAccessToken -> deleteAccessToken`` drives the generic stateful run; the listing has no id
parameter to link to, and "the revoked token is refused" is about the credential, not a
parameter, so the scenario spells those steps out. Every step's response is also validated
against the spec by all of schemathesis's checks.

``auth_required`` (Banqer, PBM): schemathesis's ``ignored_auth`` probes only apiKey and HTTP
security schemes, so it skips Banqer's OAuth2 scheme, and GraphQL has no security declarations at
all. For every operation that served an authenticated request, the same request is sent again
without a token and with an invalid one; each must be refused (Banqer: 401/403; PBM: the
documented ``UNAUTHENTICATED`` error). Reported as ``ignored_auth``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from specmock.contracts.provider.auth import response_json

if TYPE_CHECKING:
    from schemathesis import BaseSchema, Case, Response

    from specmock.contracts.provider.context import RunContext

__all__ = ["app_token_lifecycle", "auth_required"]

CHECK = "app_token_lifecycle"
SPEC = "assine.openapi.yaml"
#: Pages of the token listing read at most while looking for one id.
MAX_PAGES = 20


class _Abort(Exception):
    pass


def app_token_lifecycle(
    run: RunContext, schema: BaseSchema, base_url: str, credentials: dict[str, str]
) -> None:
    from schemathesis.auths import AuthContext, set_on_case

    create = schema["/v1/access-token"]["POST"]
    listing = schema["/v1/access-token"]["GET"]
    revoke = schema["/v1/access-token/{id}"]["DELETE"]

    def with_login_token(case: Case) -> Case:
        set_on_case(case, AuthContext(operation=case.operation, app=case.operation.app), None)
        return case

    def fail(operation: str, title: str, message: str, case: Case | None, response: Response | None) -> None:
        run.record(SPEC, operation, CHECK, title, message, case, response, base_url)

    def expect(case: Case, response: Response, status: int, what: str) -> None:
        if response.status_code != status:
            fail(
                case.operation.label,
                f"{what}: expected HTTP {status}, got {response.status_code}",
                f"{what}.\nExpected: HTTP {status}\nReceived: HTTP {response.status_code}\n"
                f"Body: {(response.text or '')[:500]}",
                case,
                response,
            )
            raise _Abort

    def listed_ids() -> tuple[set[str], Case, Response]:
        ids: set[str] = set()
        case = response = None
        for page in range(1, MAX_PAGES + 1):
            case = with_login_token(listing.Case(query={"page": page}))
            response = run.send(case, base_url)
            if response.status_code == 409 and page > 1:
                break  # past the last page
            expect(case, response, 200, "the token listing answers")
            body = response_json(response)
            items = (body.get("_embedded") or {}).get("access_token") if isinstance(body, dict) else None
            if not isinstance(items, list):
                break
            ids.update(str(item.get("id")) for item in items if isinstance(item, dict))
            if not items or page >= int(body.get("page_count") or 1):
                break
        assert case is not None and response is not None
        return ids, case, response

    def with_token(token: str) -> tuple[Case, Response]:
        case = listing.Case(headers={"Authorization": f"Bearer {token}"})
        return case, run.send(case, base_url)

    try:
        expires = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")
        case = with_login_token(
            create.Case(
                body={"password": credentials["ASSINE_PASSWORD"], "expires": expires},
                media_type="application/json",
            )
        )
        response = run.send(case, base_url)
        if response.status_code == 403:
            # documented: only business (PJ) accounts may create application tokens
            run.result.notes.append(
                "app_token_lifecycle skipped: this account may not create application tokens"
            )
            return
        expect(case, response, 201, "an application token is created with the account's password")
        body = response_json(response) or {}
        token, raw_id = body.get("accessToken"), body.get("id")
        if not isinstance(token, str) or not token or raw_id in (None, ""):
            fail(
                create.label,
                "the created token has no accessToken or id",
                f"Body: {(response.text or '')[:500]}",
                case,
                response,
            )
            return
        run.add_secret(token)
        token_id = str(raw_id).split("?", 1)[0]  # the documented example carries a query-string tail

        ids, case, response = listed_ids()
        if token_id not in ids:
            fail(
                listing.label,
                "the new application token is not listed",
                f"id {token_id} is not in the listing (ids seen: {', '.join(sorted(ids)) or 'none'})",
                case,
                response,
            )

        case, response = with_token(token)
        expect(case, response, 200, "the new application token authenticates")

        case = with_login_token(revoke.Case(path_parameters={"id": token_id}))
        response = run.send(case, base_url)
        expect(case, response, 204, "the application token is revoked")

        ids, case, response = listed_ids()
        if token_id in ids:
            fail(
                listing.label,
                "the revoked application token is still listed",
                f"id {token_id} is still in the listing after DELETE",
                case,
                response,
            )

        case, response = with_token(token)
        expect(case, response, 401, "a request with the revoked application token is refused")
    except _Abort:
        return


#: The token sent by the invalid-credentials probe (well-formed JWT layout, signed by nobody).
_INVALID_JWT = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJub2JvZHkiLCJleHAiOjF9.aW52YWxpZA"


def auth_required(
    run: RunContext,
    spec: str,
    base_url: str,
    served: dict[str, Case],
    refused: Callable[[Response], bool],
) -> None:
    """Each operation that served an authenticated request refuses it without a token and with a bad one."""
    for label, served_case in sorted(served.items()):
        for what, token in (("without a token", None), ("with an invalid token", _INVALID_JWT)):
            headers = {k: v for k, v in (served_case.headers or {}).items() if k.lower() != "authorization"}
            if token is not None:
                headers["Authorization"] = f"Bearer {token}"
            case = served_case.operation.Case(
                path_parameters=served_case.path_parameters,
                query=served_case.query,
                headers=headers,
                cookies=served_case.cookies,
                body=served_case.body,
                media_type=served_case.media_type,
            )
            response = run.send(case, base_url)
            if not refused(response):
                run.record(
                    spec,
                    label,
                    "ignored_auth",
                    f"API accepts a request {what}",
                    f"The same request, served when authenticated, was sent {what}.\n"
                    "Expected: refused (401/403, or PBM's UNAUTHENTICATED error)\n"
                    f"Received: HTTP {response.status_code} {(response.text or '')[:300]}",
                    case,
                    response,
                    base_url,
                )
