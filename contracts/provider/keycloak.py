"""Scenarios a Keycloak realm must pass: its session operations checked step by step.

The realm spec's operations are fuzzed like every other; what no schema can say is how they relate:
a token the realm issued is active until it is revoked, a revoked one is refused everywhere, the
realm's ``public_key`` is the key that signs its tokens, discovery names what is served. Each
scenario below logs in through the realm's own token endpoint (``client_secret_post``), follows the
behaviour Keycloak documents, and reports under its own check name:

``keycloak_introspection`` (RFC 7662)
    a fresh token is ``active: true`` with the members Keycloak returns (:data:`ACTIVE_MEMBERS`,
    the realm spec's ``Introspection`` schema), describing that token; a string that is no token
    and a token signed for another realm are ``{"active": false}`` and nothing else; introspection
    without client credentials is refused with 401; after revocation the token is
    ``{"active": false}``. (Keycloak answers ``active: true`` for a live token another client of the
    same realm holds, so that case is not one of them.)
``keycloak_revocation`` (RFC 7009 §2.2)
    revoking a token the realm does not know answers 200, and so does revoking one token twice.
``keycloak_logout``
    an access token sent to logout as ``refresh_token`` is 400 ``invalid_grant`` (only a refresh
    token names a session) and stays active. When the client gets a refresh token (Keycloak's "Use
    refresh tokens for client credentials grant"; off by default, which the report then notes), it
    refreshes, introspecting it (``token_type_hint=refresh_token``) answers ``active: true`` with
    ``token_type`` ``Refresh``, logout with it answers 204, after which it no longer refreshes (400
    ``invalid_grant``), it introspects ``{"active": false}`` and every access token of the session is
    inactive.
``keycloak_userinfo``
    a token requested with the ``openid`` scope (which Keycloak 20 and later require for userinfo)
    answers its own ``sub``, on ``GET`` with the ``Authorization`` header and on ``POST`` with the
    token as the ``access_token`` form field (RFC 6750 §2.2); a ``POST`` with no token at all is 401;
    a token whose ``scope`` lacks ``openid`` gets 403 with a ``Bearer ... error="insufficient_scope"``
    challenge; a string that is no token (in the header or the form field) and a revoked token get
    401 with a ``WWW-Authenticate: Bearer ... error="invalid_token"`` challenge (RFC 6750 §3).
``keycloak_realm_key``
    the realm document names the realm, its ``public_key`` verifies the access token's signature,
    and ``token-service`` is the base of discovery's ``token_endpoint``.
``keycloak_discovery``
    every endpoint discovery advertises answers something other than 404 or 405 to the method it
    takes; each operation of the realm spec is advertised at its path; every grant type listed is
    one the token endpoint does not call unsupported, and response types are listed only with an
    authorization endpoint that does not call them unsupported.

Every step's answer is also validated against the realm spec by schemathesis's checks.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, partial
from typing import TYPE_CHECKING, Any, Literal, cast
from urllib.parse import urlsplit

from specmock.contracts.provider.auth import response_json
from specmock.contracts.provider.context import Crashed
from specmock.contracts.provider.plan import Scenario

if TYPE_CHECKING:
    from schemathesis import APIOperation, BaseSchema, Case, Response
    from schemathesis.core.jsonschema.types import JsonValue

    from specmock.contracts.provider.context import RunContext

__all__ = ["ACTIVE_MEMBERS", "CHECKS", "KeycloakRealm", "scenarios"]

#: Members an introspection answer carries for an active token (the realm spec's ``Introspection``).
ACTIVE_MEMBERS = ("active", "client_id", "exp", "iat", "iss", "scope", "sub", "token_type")

#: The check each scenario reports under, with what it checks (for ``OWN_CHECKS`` and the docs).
CHECKS: dict[str, str] = {
    "keycloak_introspection": "Keycloak realm: a fresh token is active with its members, a revoked, "
    "foreign or garbage one is only {\"active\": false}, introspection without client credentials is 401",
    "keycloak_revocation": "Keycloak realm: revoking an unknown token, or one token twice, answers 200",
    "keycloak_logout": "Keycloak realm: logout refuses an access token with invalid_grant; a live refresh "
    "token introspects active, its logout ends its session, after which it fails with invalid_grant and the "
    "session's tokens are inactive",
    "keycloak_userinfo": "Keycloak realm: userinfo answers the token's sub (header or access_token form "
    "field); a token without openid gets 403 "
    "insufficient_scope, a revoked or garbage one 401 with a Bearer challenge",
    "keycloak_realm_key": "Keycloak realm: the realm document's public_key verifies the token, "
    "token-service is the token endpoint's base",
    "keycloak_discovery": "Keycloak realm: discovery advertises exactly what is served, and only grant "
    "and response types the realm accepts",
}

#: operationIds of the realm spec, by what they are.
TOKEN, INTROSPECT, REVOKE, LOGOUT = "createToken", "introspectToken", "revokeToken", "logout"
USERINFO, POST_USERINFO = "getUserinfo", "postUserinfo"
REALM, DISCOVERY, CERTS = "getRealm", "getOpenidConfiguration", "getJwks"

#: Discovery members naming an endpoint of the realm spec, with its operationId.
_ADVERTISED = {
    "token_endpoint": TOKEN,
    "introspection_endpoint": INTROSPECT,
    "revocation_endpoint": REVOKE,
    "end_session_endpoint": LOGOUT,
    "userinfo_endpoint": USERINFO,
    "jwks_uri": CERTS,
}
#: The method each advertised endpoint takes (``GET`` for the others: authorization, JWKS, iframes).
_POSTED = frozenset({
    "token_endpoint", "introspection_endpoint", "revocation_endpoint", "end_session_endpoint",
    "device_authorization_endpoint", "backchannel_authentication_endpoint",
    "pushed_authorization_request_endpoint", "registration_endpoint",
})
_ALSO_ENDPOINTS = frozenset({"jwks_uri", "check_session_iframe"})
#: A string no realm issues as a token.
_GARBAGE = "specmock-not-a-token"
#: What a refused bearer token gets (worded so that report masking leaves it readable).
_CHALLENGE = 'a WWW-Authenticate challenge of the Bearer scheme with error="invalid_token"'
_RSA_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]


@dataclass(frozen=True)
class KeycloakRealm:
    """Where a plan's Keycloak realm is: its spec and the credential variables that log in to it."""

    #: Name of the realm spec in the API's descriptor (its operationIds are the ones above).
    spec: str
    #: Credential variables: the realm's name, the client id and the client secret.
    realm: str
    client_id: str
    client_secret: str
    #: The path parameter of the realm spec that holds the realm's name.
    parameter: str = "realm"


def scenarios(realm: KeycloakRealm) -> tuple[Scenario, ...]:
    """The Keycloak scenarios of a plan whose realm is ``realm``."""
    runs: dict[str, tuple[Callable[[_Realm], None], frozenset[str]]] = {
        "keycloak_introspection": (_introspection, frozenset({INTROSPECT, REVOKE})),
        "keycloak_revocation": (_revocation, frozenset({REVOKE})),
        "keycloak_logout": (_logout, frozenset({LOGOUT})),
        "keycloak_userinfo": (_userinfo, frozenset({USERINFO, POST_USERINFO})),
        "keycloak_realm_key": (_realm_key, frozenset({REALM})),
        "keycloak_discovery": (_discovery, frozenset({DISCOVERY})),
    }
    return tuple(
        Scenario(name, realm.spec, partial(_scenario, body, realm, name), operations)
        for name, (body, operations) in runs.items()
    )


class _Abort(Exception):
    """A step answered so that the scenario cannot go on (already recorded)."""


@dataclass(frozen=True)
class _Token:
    access: str
    claims: dict[str, Any]
    refresh: str | None


def _scenario(
    body: Callable[[_Realm], None], realm: KeycloakRealm, check: str,
    run: RunContext, schema: BaseSchema, base_url: str, credentials: dict[str, str],
) -> None:
    try:
        body(_Realm(run, schema, base_url, credentials, realm, check))
    except _Abort:
        return


class _Realm:
    """One scenario's view of the realm: build, send and judge its steps."""

    def __init__(self, run: RunContext, schema: BaseSchema, base_url: str, credentials: dict[str, str],
                 realm: KeycloakRealm, check: str) -> None:
        self.run, self.schema, self.base_url, self.check = run, schema, base_url, check
        self.name = credentials[realm.realm]
        self.client_id = credentials[realm.client_id]
        self.secret = credentials[realm.client_secret]
        self.parameter = realm.parameter

    # -- building and sending -----------------------------------------------------------------

    def operation(self, operation_id: str) -> APIOperation:
        return self.schema.find_operation_by_id(operation_id)  # type: ignore[attr-defined]

    def case(self, operation_id: str, *, form: dict[str, str] | None = None,
             headers: dict[str, str] | None = None) -> Case:
        return self.operation(operation_id).Case(
            path_parameters={self.parameter: self.name},
            headers=headers,
            body=_not_set() if form is None else cast("JsonValue", form),
            media_type="application/x-www-form-urlencoded" if form is not None else None,
        )

    def client(self, **fields: str) -> dict[str, str]:
        """A form authenticating the client (``client_secret_post``) with ``fields``."""
        return {"client_id": self.client_id, "client_secret": self.secret, **fields}

    def shown(self, url: str) -> str:
        """``url`` as reports show it (an in-process run's URLs point at ``specmock serve``)."""
        return str(self.run.channel.shown(url))

    def send(self, case: Case) -> Response:
        return self.run.send(case, self.base_url)

    def post(self, operation_id: str, **fields: str) -> tuple[Case, Response]:
        case = self.case(operation_id, form=self.client(**fields))
        return case, self.send(case)

    def get(self, operation_id: str, token: str | None = None) -> tuple[Case, Response]:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else None
        case = self.case(operation_id, headers=headers)
        return case, self.send(case)

    def token(self, scope: str | None = None) -> _Token:
        """A fresh token of the client (and its refresh token when the realm issues one)."""
        extra = {"scope": scope} if scope else {}
        case, response = self.post(TOKEN, grant_type="client_credentials", **extra)
        self.expect(case, response, 200, "the token endpoint issues a token to the client's credentials")
        body = response_json(response)
        access = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(access, str) or not access:
            self.fail(case, response, "the token answer has no access_token", "")
            raise _Abort
        self.run.add_secret(access)
        refresh = body.get("refresh_token") if isinstance(body, dict) else None
        if isinstance(refresh, str) and refresh:
            self.run.add_secret(refresh)
        claims = _claims(access)
        if claims is None:
            self.fail(case, response, "the access token is not a JWT",
                      "Keycloak issues signed JWTs; the scenario reads the token's claims.")
            raise _Abort
        return _Token(access, claims, refresh if isinstance(refresh, str) and refresh else None)

    # -- judging -------------------------------------------------------------------------------

    def fail(self, case: Case, response: Response | None, title: str, detail: str) -> None:
        message = detail
        if response is not None:
            message = f"{detail}\nReceived: HTTP {response.status_code} {_excerpt(response)}".strip()
        self.run.record(self.run.spec_of(self.schema), case.operation.label, self.check, title, message,
                        case, response, self.base_url)

    def expect(self, case: Case, response: Response, status: int, what: str) -> None:
        """``what`` needs ``status``; anything else is a finding and ends the scenario."""
        if response.status_code != status:
            self.fail(case, response, f"{what}: expected HTTP {status}, got {response.status_code}",
                      f"{what}.\nExpected: HTTP {status}")
            raise _Abort

    def inactive(self, case: Case, response: Response, what: str) -> None:
        """RFC 7662 §2.2: an inactive token is ``{"active": false}`` and nothing else."""
        self.expect(case, response, 200, f"introspecting {what} answers")
        body = response_json(response)
        if body != {"active": False}:
            self.fail(case, response, f"introspecting {what} is not {{\"active\": false}} alone",
                      f"Introspecting {what}.\nExpected: {{\"active\": false}} and no other member "
                      "(RFC 7662 §2.2)")

    def refused(self, case: Case, response: Response, what: str) -> None:
        """RFC 6750 §3.1: a bad bearer token gets 401 with a ``Bearer`` challenge naming ``invalid_token``."""
        text = _challenge(response)
        if response.status_code != 401:
            self.fail(case, response, f"userinfo with {what} is not refused with 401",
                      f"Userinfo with {what}.\nExpected: HTTP 401 with {_CHALLENGE}")
        elif not text.lower().startswith("bearer") or 'error="invalid_token"' not in text:
            self.fail(case, response, f"userinfo refuses {what} without {_CHALLENGE}",
                      f"Userinfo with {what}.\nExpected: {_CHALLENGE} (RFC 6750 §3.1)\n"
                      f"Received WWW-Authenticate: {text or '(none)'}")


# -- the scenarios --------------------------------------------------------------------------------


def _introspection(realm: _Realm) -> None:
    token = realm.token()
    case, response = realm.post(INTROSPECT, token=token.access)
    realm.expect(case, response, 200, "introspecting a fresh token answers")
    body = response_json(response)
    body = body if isinstance(body, dict) else {}
    if body.get("active") is not True:
        realm.fail(case, response, "a fresh token is not active",
                   'Introspecting the token the realm has just issued.\nExpected: "active": true')
    else:
        missing = [member for member in ACTIVE_MEMBERS if member not in body]
        if missing:
            realm.fail(case, response, f"the introspection of an active token lacks {', '.join(missing)}",
                       f"Expected the members Keycloak returns: {', '.join(ACTIVE_MEMBERS)}")
        expected = {name: token.claims.get(name) for name in ("exp", "iat", "iss", "scope", "sub")}
        expected["client_id"] = realm.client_id
        wrong = [f"{name}: expected {value!r}, got {body[name]!r}" for name, value in expected.items()
                 if name in body and value is not None and body[name] != value]
        if "token_type" in body and str(body["token_type"]).lower() != "bearer":
            wrong.append(f"token_type: expected 'Bearer', got {body['token_type']!r}")
        if wrong:
            realm.fail(case, response, "the introspection does not describe the token it was given",
                       "\n".join(wrong))

    for what, value in (("a string that is no token", _GARBAGE),
                        ("a token signed for another realm", _foreign(token.claims))):
        case, response = realm.post(INTROSPECT, token=value)
        realm.inactive(case, response, what)

    case = realm.case(INTROSPECT, form={"token": token.access})
    response = realm.send(case)
    if response.status_code != 401:
        realm.fail(case, response, "introspection without client credentials is not refused with 401",
                   "Introspection without client_id and client_secret.\nExpected: HTTP 401, as Keycloak "
                   "answers a caller it cannot authenticate")

    case, response = realm.post(REVOKE, token=token.access)
    realm.expect(case, response, 200, "the token is revoked")
    case, response = realm.post(INTROSPECT, token=token.access)
    realm.inactive(case, response, "a revoked token")


def _revocation(realm: _Realm) -> None:
    case, response = realm.post(REVOKE, token=_GARBAGE)
    realm.expect(case, response, 200, "revoking a token the realm does not know (RFC 7009 §2.2)")
    token = realm.token()
    case, response = realm.post(REVOKE, token=token.access)
    realm.expect(case, response, 200, "revoking a fresh token")
    case, response = realm.post(REVOKE, token=token.access)
    realm.expect(case, response, 200, "revoking the same token again (RFC 7009 §2.2)")


def _logout(realm: _Realm) -> None:
    token = realm.token()
    case, response = realm.post(LOGOUT, refresh_token=token.access)
    if response.status_code != 400 or _error(response) != "invalid_grant":
        realm.fail(case, response, "logout takes the access token as a refresh token",
                   "Logout with the access token sent as refresh_token.\nExpected: HTTP 400 invalid_grant, "
                   "as Keycloak answers: only a refresh token names a session")
        token = realm.token()  # that one may have been revoked
    else:
        case, response = realm.post(INTROSPECT, token=token.access)
        realm.expect(case, response, 200, "introspecting the access token logout refused")
        body = response_json(response)
        if not isinstance(body, dict) or body.get("active") is not True:
            realm.fail(case, response, "a refused logout ended the access token",
                       'Logout refused the access token with invalid_grant.\nExpected: the token still '
                       '"active": true')
    if token.refresh is None:
        realm.run.result.notes.append(
            "keycloak_logout: the client gets no refresh token (Keycloak's default for client credentials), "
            "so ending a session was not checked; a client with refresh tokens for client credentials is"
        )
        return
    case, response = realm.post(TOKEN, grant_type="refresh_token", refresh_token=token.refresh)
    realm.expect(case, response, 200, "refreshing with the refresh token of a live session")
    refreshed = response_json(response)
    later = refreshed.get("access_token") if isinstance(refreshed, dict) else None
    if isinstance(later, str) and later:
        realm.run.add_secret(later)
    if isinstance(refreshed, dict) and isinstance(refreshed.get("refresh_token"), str):
        realm.run.add_secret(refreshed["refresh_token"])

    case, response = realm.post(INTROSPECT, token=token.refresh, token_type_hint="refresh_token")
    realm.expect(case, response, 200, "introspecting the session's refresh token answers")
    body = response_json(response)
    if not isinstance(body, dict) or body.get("active") is not True or body.get("token_type") != "Refresh":
        realm.fail(case, response, "a live refresh token is not active on introspection",
                   "Introspecting the refresh token of a live session, as the client it was issued to.\n"
                   'Expected: "active": true and "token_type": "Refresh", as Keycloak answers')

    case, response = realm.post(LOGOUT, refresh_token=token.refresh)
    realm.expect(case, response, 204, "logout with the session's refresh token")
    case, response = realm.post(TOKEN, grant_type="refresh_token", refresh_token=token.refresh)
    if response.status_code != 400 or _error(response) != "invalid_grant":
        realm.fail(case, response, "the refresh token still works after logout",
                   "Refreshing with the refresh token of a session that was logged out.\n"
                   "Expected: HTTP 400 invalid_grant")
    for what, access in (("the access token of a session that was logged out", token.access),
                         ("the refreshed access token of a session that was logged out", later),
                         ("the refresh token of a session that was logged out", token.refresh)):
        if isinstance(access, str) and access:
            case, response = realm.post(INTROSPECT, token=access)
            realm.inactive(case, response, what)


def _userinfo(realm: _Realm) -> None:
    token = realm.token(scope="openid")
    case, response = realm.get(USERINFO, token.access)
    realm.expect(case, response, 200, "userinfo with a fresh token requested with the openid scope")
    body = response_json(response)
    sub = body.get("sub") if isinstance(body, dict) else None
    if sub != token.claims.get("sub"):
        realm.fail(case, response, "userinfo does not answer the token's sub",
                   f"Expected sub {token.claims.get('sub')!r} (the token's), got {sub!r}")
    case = realm.case(POST_USERINFO, form={"access_token": token.access})
    response = realm.send(case)
    realm.expect(case, response, 200, "POST userinfo with the token as the access_token form field "
                 "(RFC 6750 §2.2)")
    body = response_json(response)
    sub = body.get("sub") if isinstance(body, dict) else None
    if sub != token.claims.get("sub"):
        realm.fail(case, response, "POST userinfo does not answer the sub of the token in its form",
                   f"Expected sub {token.claims.get('sub')!r} (the token's), got {sub!r}")
    plain = realm.token()
    if "openid" not in str(plain.claims.get("scope", "")).split():
        case, response = realm.get(USERINFO, plain.access)
        text = _challenge(response)
        if (response.status_code != 403 or not text.lower().startswith("bearer")
                or 'error="insufficient_scope"' not in text):
            realm.fail(case, response, "userinfo does not refuse a token without the openid scope",
                       "Userinfo with a token whose scope lacks openid.\nExpected: HTTP 403 with a "
                       'Bearer challenge naming error="insufficient_scope", as Keycloak 20 and later answer\n'
                       f"Received WWW-Authenticate: {text or '(none)'}")
    case, response = realm.get(USERINFO, _GARBAGE)
    realm.refused(case, response, "a string that is no token")
    case = realm.case(POST_USERINFO, form={"access_token": _GARBAGE})
    response = realm.send(case)
    realm.refused(case, response, "a string that is no token in the access_token form field")
    case = realm.case(POST_USERINFO, form={})
    response = realm.send(case)
    if response.status_code != 401 or not _challenge(response).lower().startswith("bearer"):
        realm.fail(case, response, "POST userinfo without any token is not refused with 401",
                   "POST userinfo with neither an Authorization header nor an access_token field.\n"
                   "Expected: HTTP 401 with a Bearer challenge (RFC 6750 §3.1)")
    case, response = realm.post(REVOKE, token=token.access)
    realm.expect(case, response, 200, "the token is revoked")
    case, response = realm.get(USERINFO, token.access)
    realm.refused(case, response, "a revoked token")


def _realm_key(realm: _Realm) -> None:
    import jwt

    token = realm.token()
    case, response = realm.get(REALM)
    realm.expect(case, response, 200, "the realm document answers")
    document = response_json(response)
    document = document if isinstance(document, dict) else {}
    if document.get("realm") != realm.name:
        realm.fail(case, response, "the realm document names another realm",
                   f"Expected realm {realm.name!r}, got {document.get('realm')!r}")
    public_key = document.get("public_key")
    try:
        key = _public_key(public_key)
    except ValueError as exc:
        realm.fail(case, response, "the realm document's public_key is not a public key",
                   f"Expected the base64 DER SubjectPublicKeyInfo of the signing key ({exc})")
    else:
        try:
            jwt.decode(token.access, key, algorithms=_RSA_ALGORITHMS,
                       options={"verify_aud": False, "verify_iss": False, "verify_exp": False,
                                "verify_iat": False, "verify_nbf": False})
        except jwt.InvalidTokenError as exc:
            realm.fail(case, response, "the realm's public_key does not verify the access token",
                       f"A fresh access token checked with public_key: {exc}")

    service = document.get("token-service")
    discovery_case, discovery_response = realm.get(DISCOVERY)
    realm.expect(discovery_case, discovery_response, 200, "the discovery document answers")
    discovery = response_json(discovery_response)
    endpoint = discovery.get("token_endpoint") if isinstance(discovery, dict) else None
    base = f"/realms/{realm.name}/protocol/openid-connect"
    if (not isinstance(service, str) or f"{service.rstrip('/')}/token" != endpoint
            or not urlsplit(service).path.rstrip("/").endswith(base)):
        realm.fail(case, response, "the realm document's token-service is not the token endpoint's base",
                   f"Expected token-service + '/token' == token_endpoint ({endpoint!r}), ending in "
                   f"{base}\nReceived token-service: {service!r}")


def _discovery(realm: _Realm) -> None:
    case, response = realm.get(DISCOVERY)
    realm.expect(case, response, 200, "the discovery document answers")
    document = response_json(response)
    if not isinstance(document, dict) or not isinstance(document.get("issuer"), str):
        realm.fail(case, response, "the discovery document has no issuer", "")
        return
    issuer = document["issuer"].rstrip("/")
    for key, operation_id in _ADVERTISED.items():
        expected = issuer + _under_realm(realm.operation(operation_id).path, realm.parameter)
        if document.get(key) != expected:
            realm.fail(case, response, f"discovery does not advertise the served {operation_id} as {key}",
                       f"Expected {key}: {expected!r}\nAdvertised: {document.get(key)!r}")
    _advertised_are_served(realm, document, issuer)
    _grant_types_accepted(realm, document, case, response)
    _response_types_accepted(realm, document, issuer, case, response)


def _advertised_are_served(realm: _Realm, document: dict[str, Any], issuer: str) -> None:
    for key, url in sorted(document.items()):
        if not isinstance(url, str) or not (key.endswith("_endpoint") or key in _ALSO_ENDPOINTS):
            continue
        if not url.startswith(issuer + "/"):
            realm.run.result.notes.append(f"keycloak_discovery: {key} ({url}) is outside the issuer, "
                                          "not probed")
            continue
        method: Literal["GET", "POST"] = "POST" if key in _POSTED else "GET"
        case, response = _probe(realm, method, f"/realms/{realm.name}{url[len(issuer):]}")
        if response is not None and response.status_code in (404, 405):
            realm.fail(case, response, f"discovery advertises {key}, which is not served",
                       f"{method} {realm.shown(url)}\nExpected: an answer other than 404 or 405")


def _grant_types_accepted(realm: _Realm, document: dict[str, Any], case: Case, response: Response) -> None:
    for grant in _strings(document.get("grant_types_supported")):
        if grant == "implicit":  # an authorization-endpoint flow (RFC 8414 §2), not a token request
            if "authorization_endpoint" not in document:
                realm.fail(case, response, "discovery lists the implicit grant but no authorization endpoint",
                           "Expected an authorization_endpoint alongside grant type 'implicit'")
            continue
        probe, answer = realm.post(TOKEN, grant_type=grant)
        if answer.status_code in (404, 405) or _error(answer) == "unsupported_grant_type":
            realm.fail(probe, answer, f"discovery lists grant type {grant!r}, refused by the token endpoint",
                       f"POST token with grant_type={grant} and the client's credentials.\n"
                       "Expected: anything but unsupported_grant_type")


def _response_types_accepted(realm: _Realm, document: dict[str, Any], issuer: str,
                             case: Case, response: Response) -> None:
    response_types = _strings(document.get("response_types_supported"))
    authorization = document.get("authorization_endpoint")
    if not response_types:
        return
    if not isinstance(authorization, str):
        realm.fail(case, response, "discovery lists response types without an authorization endpoint",
                   f"response_types_supported: {response_types}\n"
                   "Expected: none, or an authorization_endpoint")
        return
    if not authorization.startswith(issuer + "/"):
        return  # noted by _advertised_are_served
    path = f"/realms/{realm.name}{authorization[len(issuer):]}"
    for response_type in response_types:
        query = {"response_type": response_type, "client_id": realm.client_id, "scope": "openid"}
        probe, answer = _probe(realm, "GET", path, query)
        if answer is None:
            continue
        said = f"{answer.headers.get('Location') or ''} {answer.text or ''}"
        if answer.status_code in (404, 405) or "unsupported_response_type" in said:
            realm.fail(probe, answer, f"discovery lists response type {response_type!r}, which is refused",
                       f"GET {realm.shown(authorization)}?response_type={response_type}\n"
                       "Expected: anything but 404, 405 or unsupported_response_type")


def _probe(realm: _Realm, method: Literal["GET", "POST"], path: str,
                query: dict[str, str] | None = None) -> tuple[Case, Response | None]:
    """``method path`` on the realm: validated against the spec when it has that operation."""
    operation = realm.schema.find_operation_by_path(method, path)  # type: ignore[attr-defined]
    known = operation is not None
    case = (operation if known else realm.operation(DISCOVERY)).Case(method=method, query=query)
    case.path = path
    if method == "POST":
        case.body, case.media_type = {}, "application/x-www-form-urlencoded"
    if known:
        return case, realm.send(case)
    try:
        return case, realm.run.call(case, realm.base_url)
    except Crashed:
        return case, None


# -- helpers ---------------------------------------------------------------------------------------


def _not_set() -> Any:
    from schemathesis.core import NOT_SET

    return NOT_SET


def _under_realm(path: str, parameter: str) -> str:
    """The part of a realm spec path after ``/realms/{parameter}``."""
    return path.split("{" + parameter + "}", 1)[1]


def _claims(token: str) -> dict[str, Any] | None:
    """A JWT's claims, read without verifying it."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return None
    return claims if isinstance(claims, dict) else None


@cache
def _foreign_key() -> Any:
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _foreign(claims: dict[str, Any]) -> str:
    """The same claims, issued by another realm and signed with a key no realm of the target has."""
    import jwt

    issuer = str(claims.get("iss", "https://auth.example/realms/x"))
    forged = {**claims, "iss": issuer.rsplit("/", 1)[0] + "/specmock-foreign", "jti": str(uuid.uuid4())}
    return jwt.encode(forged, _foreign_key(), algorithm="RS256", headers={"kid": "specmock-foreign"})


def _public_key(value: Any) -> Any:
    """Keycloak's ``public_key`` (base64 DER SubjectPublicKeyInfo) as a key PyJWT verifies with."""
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    if not isinstance(value, str) or not value:
        raise ValueError("missing")
    try:
        return load_der_public_key(base64.b64decode(value, validate=True))
    except (ValueError, TypeError) as exc:
        raise ValueError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None


def _challenge(response: Response) -> str:
    challenge = response.headers.get("WWW-Authenticate") or response.headers.get("www-authenticate")
    return " ".join(challenge) if isinstance(challenge, list) else str(challenge or "")


def _error(response: Response) -> Any:
    body = response_json(response)
    return body.get("error") if isinstance(body, dict) else None


def _strings(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _excerpt(response: Response, limit: int = 300) -> str:
    text = " ".join((response.text or "").split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
