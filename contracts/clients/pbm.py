"""Reference client for the Funcional PBM GraphQL gateway ("wsacesso-graphql"; sync, httpx).

* ``createToken(login, password)`` is called once; the JWT is reused until 60 s before its
  ``exp`` claim (read from the payload without verifying the signature; a token without a
  readable ``exp`` is kept for 3600 s, the documented lifetime). A failing ``createToken``
  raises :class:`PbmAuthError` (fatal, never retried).
* an ``UNAUTHENTICATED`` GraphQL error (in a 200 or 401 body), or any HTTP 401, makes the client
  create one new token and retry once per call.
* HTTP 429 and 5xx are retried exactly like the Banqer client (``Retry-After``; backoff
  ``min(2**attempt + random(), 30)``; ``max_attempts`` counted the same way).
* a response with ``errors`` raises :class:`PbmGraphQLError` carrying the first error's
  ``extensions.code`` (``GRAPHQL_VALIDATION_FAILED`` for a 400 whose error has no code),
  ``path`` and ``message``, plus the whole ``errors`` list and ``data``. A body that is not a
  GraphQL result raises :class:`PbmError` with code ``"UNKNOWN"``.

The operation methods send the documented selection sets with inline ``args`` literals (as the portal's
examples do), so they do not depend on input type names, which are not public.

Environment (read by :meth:`PbmClient.from_env`):

=====================  ==========================================================
``PBM_GRAPHQL_URL``    GraphQL endpoint (``https://<host>/graphql``; no public default)
``PBM_LOGIN``          login provided by Funcional
``PBM_PASSWORD``       password provided by Funcional
=====================  ==========================================================
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any, Unpack

import httpx
import jwt

from ._core import (
    NOT_JSON,
    ApiError,
    AuthError,
    ClientOptions,
    ReferenceClient,
    json_body,
    send_request,
    with_client_options,
)

__all__ = ["PbmAuthError", "PbmClient", "PbmError", "PbmGraphQLError"]

log = logging.getLogger(__name__)

#: The token is renewed this many seconds before its ``exp``.
RENEW_BEFORE_EXP = 60.0
#: Lifetime assumed for a token whose ``exp`` cannot be read.
DEFAULT_LIFETIME = 3600.0

CREATE_TOKEN = (
    "mutation CreateToken($login: String!, $password: String!) {\n"
    "  createToken(login: $login, password: $password) { token }\n}"
)
MEDICINES = (
    "medicines { lineCode description lineDescription ean EAN displayMessage typeCouncilAllowed "
    "productCode tarred }"
)
PROGRAM_FORM = (
    "forms { formType fields { optionFields { fieldCode value text inclusionDate } fieldName valueField "
    "displayName description type format displayConfiguration regex mask pixelFieldSize sequence "
    "intialValue } dynamicFields { responseCode enteredValue codeQuestion userProgramCode "
    "questionTypeFlag codeProductRule } }"
)
QUESTIONNAIRE = (
    "questionnaire { code message status questionCode parentQuestionCode programCode titleDisplay "
    "multipleChoice required displayOrder tipQuestion answers { responseCode titleDisplay allowTypedValue "
    "maximumSizeTypedValue EnteredValue displayOrder effectiveDateStart effectiveDateEnd } lineCode "
    "effectiveDateStart effectiveDateEnd typeControl flagQuestionType "
    "nestedQuestion { parentQuestionCode parentResponseCode codeNestedQuestion } productName EAN }"
)


class PbmError(ApiError):
    """An error answer of the gateway; ``code`` is ``"UNKNOWN"`` when the body is not GraphQL."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"[{status} {code}] {message}", status=status)
        self.code = code
        self.message = message


class PbmGraphQLError(PbmError):
    """A GraphQL ``errors`` answer. ``code``/``path``/``message`` come from the first error."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        path: list[Any] | None,
        errors: list[Any],
        data: Any = None,
    ) -> None:
        super().__init__(status, code, message)
        self.path = path
        self.errors = errors
        self.data = data


class PbmAuthError(AuthError):
    """``createToken`` failed (``code`` from the GraphQL error, else ``"UNKNOWN"``)."""

    def __init__(self, message: str, *, status: int | None = None, code: str = "UNKNOWN") -> None:
        super().__init__(message, status=status)
        self.code = code


class PbmClient(ReferenceClient):
    """PBM GraphQL client. ``sleep``, ``now`` (epoch seconds) and ``random`` are injectable."""

    _log = log
    #: Seconds before the token's ``exp`` at which it is renewed.
    renew_before_exp: float = RENEW_BEFORE_EXP

    @with_client_options
    def __init__(self, url: str, login: str, password: str, **options: Unpack[ClientOptions]) -> None:
        super().__init__(password, **options)
        self.url = url
        self.login = login
        self._password = password

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **kwargs: Any) -> PbmClient:
        """Build a client from ``PBM_GRAPHQL_URL``, ``PBM_LOGIN``, ``PBM_PASSWORD``."""
        env = cls._environ(environ, "PBM_GRAPHQL_URL", "PBM_LOGIN", "PBM_PASSWORD")
        return cls(env["PBM_GRAPHQL_URL"], env["PBM_LOGIN"], env["PBM_PASSWORD"], **kwargs)

    def __repr__(self) -> str:
        return f"PbmClient(url={self.url!r}, login={self.login!r}, password='***')"

    # -- token --------------------------------------------------------------------------------

    def create_token(self) -> str:
        """Run ``createToken`` now and cache the result."""
        payload = {"query": CREATE_TOKEN, "variables": {"login": self.login, "password": self._password}}
        response = send_request(self._http, self._redact, "POST", self.url, json=payload)
        body = json_body(response)
        data = body.get("data") if isinstance(body, dict) else None
        result = data.get("createToken") if isinstance(data, dict) else None
        token = result.get("token") if isinstance(result, dict) else None
        if not response.is_success or not isinstance(token, str) or not token:
            error = _graphql_error(response, body)
            code, message = (error.code, error.message) if error else ("UNKNOWN", response.reason_phrase)
            raise PbmAuthError(
                self._redact(f"createToken failed: [{response.status_code} {code}] {message}"),
                status=response.status_code,
                code=code,
            )
        try:
            exp = float(jwt.decode(token, options={"verify_signature": False})["exp"])
        except (jwt.PyJWTError, KeyError, TypeError, ValueError):
            exp = self.retry.now() + DEFAULT_LIFETIME
        self._keep_token(token, exp - self.renew_before_exp)
        log.debug("new PBM token for %s, renew at %.0f", self.login, self._token_renew_at)
        return token

    def _new_token(self) -> str:
        return self.create_token()

    def _is_unauthorized(self, response: httpx.Response) -> bool:
        return _is_unauthenticated(response)

    # -- calls --------------------------------------------------------------------------------

    def execute(self, query: str, variables: Mapping[str, Any] | None = None) -> Any:
        """Run one GraphQL operation; returns ``data`` or raises :class:`PbmError`."""
        payload: dict[str, Any] = {"query": query}
        if variables is not None:
            payload["variables"] = dict(variables)
        response = self._authorized("POST", self.url, json=payload)
        body = json_body(response)
        error = _graphql_error(response, body)
        if error is not None:
            error.message = self._redact(error.message)
            error.args = (self._redact(str(error)),)
            raise error
        if not response.is_success or not isinstance(body, dict) or "data" not in body:
            what = response.reason_phrase if not response.is_success else "response is not a GraphQL result"
            raise PbmError(response.status_code, "UNKNOWN", self._redact(what))
        return body["data"]

    def _root(self, field: str, args: Mapping[str, Any], selection: str, mutation: bool = False) -> Any:
        operation = "mutation" if mutation else "query"
        data = self.execute(
            f"{operation} {{\n  {field}(args: {_literal(args)}) {{ code message status {selection} }}\n}}"
        )
        return data.get(field) if isinstance(data, dict) else None

    def consult_program_form(self, program_code: int, origin_code: int) -> Any:
        args = {"programCode": int(program_code), "originCode": int(origin_code)}
        return self._root("WsAcesso_consultProgramForm", args, PROGRAM_FORM)

    def list_dynamics_fields_origin(self, program_code: int, origin_code: int) -> Any:
        args = {"programCode": int(program_code), "originCode": int(origin_code)}
        return self._root("WsAcesso_listDynamicsFieldsOrigin", args, QUESTIONNAIRE)

    def list_nested_questions(self, program_code: int, parent_beneficiary_question_code: int) -> Any:
        args = {
            "programCode": int(program_code),
            "parentBeneficiaryQuestionCode": int(parent_beneficiary_question_code),
        }
        return self._root("WsAcesso_listNestedQuestions", args, QUESTIONNAIRE)

    def get_medicines_for_treatment_start(self, program_code: int, origin_code: int) -> Any:
        args = {"programCode": int(program_code), "originCode": int(origin_code)}
        return self._root("WsAcesso_getMedicinesForTreatmentStart", args, MEDICINES)

    def register_patient(self, args: Mapping[str, Any]) -> Any:
        """``WsAcesso_registerPatient`` (argument list not public: ``args`` is sent as given)."""
        return self._root("WsAcesso_registerPatient", args, "", mutation=True)

    def update_patient(self, args: Mapping[str, Any]) -> Any:
        return self._root("WsAcesso_updatePatient", args, "", mutation=True)

    def insert_optin_external(self, args: Mapping[str, Any]) -> Any:
        return self._root("WsAcesso_insertOptinExternal", args, "", mutation=True)


def _errors(body: Any) -> list[Any] | None:
    errors = body.get("errors") if isinstance(body, dict) else None
    return errors if isinstance(errors, list) and errors else None


def _is_unauthenticated(response: httpx.Response) -> bool:
    if response.status_code == 401:
        return True
    if response.status_code != 200:
        return False
    return any(
        isinstance(e, dict)
        and isinstance(e.get("extensions"), dict)
        and e["extensions"].get("code") == "UNAUTHENTICATED"
        for e in _errors(json_body(response)) or ()
    )


def _graphql_error(response: httpx.Response, body: Any) -> PbmGraphQLError | None:
    """The typed error for a body with a non-empty ``errors`` list, else ``None``.

    Code: the first error's ``extensions.code``; a 400 whose first error has no code is a
    parse/validation failure (``GRAPHQL_VALIDATION_FAILED``); an ``errors`` entry that is not a
    GraphQL error (an object with a ``message`` text) gives ``"UNKNOWN"``.
    """
    errors = _errors(body) if body is not NOT_JSON else None
    if errors is None:
        return None
    first = errors[0] if isinstance(errors[0], dict) and isinstance(errors[0].get("message"), str) else None
    if first is None:
        return PbmGraphQLError(
            response.status_code, "UNKNOWN", response.reason_phrase, None, errors, body.get("data")
        )
    extensions = first.get("extensions")
    code = extensions.get("code") if isinstance(extensions, dict) else None
    if not isinstance(code, str):
        code = "GRAPHQL_VALIDATION_FAILED" if response.status_code == 400 else "UNKNOWN"
    path = first.get("path")
    return PbmGraphQLError(
        response.status_code,
        code,
        first["message"],
        path if isinstance(path, list) else None,
        errors,
        body.get("data"),
    )


def _literal(value: Any) -> str:
    """A GraphQL input literal (JSON string escapes are valid GraphQL escapes)."""
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if value is None or isinstance(value, bool | int | float | str):
        return json.dumps(value, ensure_ascii=False)
    raise TypeError(f"cannot write {type(value).__name__} as a GraphQL literal")
