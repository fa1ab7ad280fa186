"""``createToken`` and the bearer check every WsAcesso operation makes.

The token is an RS256 JWT signed with the mock's run key, carrying the claim set of the public
example in the same order (``iat exp jti iss sub profiles name identity uuid email mobile_number
authorized_app``) with synthetic personal values. It is accepted only while the token registry
knows it as active for ``"pbm"``: a reset, ``/__mock__/tokens/expire`` or the clock moving past
``exp`` ends it at once. Whatever is wrong with a token — absent, not a bearer, not a JWT, signed
by another key, issued for another API, expired, forgotten — the answer is the same documented
``UNAUTHENTICATED`` error, so nothing about the token leaks.

The check runs in each protected resolver (once per request, on first use). When a document asks
for several root fields, execution stops at the first one that fails (every root field is
non-null, as in graphql-js), so the error's ``path`` names the first root field that needs the
token — by its field name, even when it is aliased, as the spec's ``RootFieldPath`` requires.
``createToken`` and introspection (``__schema``, ``__type``, ``__typename``) need no token.
"""

from __future__ import annotations

import hmac
import secrets
import string
from functools import cache
from typing import Any

import jwt

from specmock.mocks.core.state import MockState
from specmock.mocks.core.tokens import TokenRecord
from specmock.mocks.pbm.data import Identity, identity_for
from specmock.mocks.pbm.settings import PbmSettings

__all__ = ["API_NAME", "ISSUER", "authenticate", "bearer_token", "check_credentials", "issue_token"]

API_NAME = "pbm"
ISSUER = "SSO"
_JTI_ALPHABET = string.ascii_letters + string.digits


@cache
def _identity(login: str, seed: int) -> Identity:
    return identity_for(login, seed)


def check_credentials(state: MockState, login: str, password: str) -> bool:
    """Whether ``login``/``password`` is a configured account (constant-time password compare)."""
    account = PbmSettings.of(state).accounts.get(login)
    if account is None:
        return False
    return hmac.compare_digest(account.password.encode("utf-8", "surrogatepass"),
                               password.encode("utf-8", "surrogatepass"))


def issue_token(state: MockState, login: str) -> str:
    """A fresh JWT for ``login``, registered as active until ``iat + pbm_token_ttl``."""
    person = _identity(login, state.config.seed)
    iat = int(state.clock.now())
    exp = iat + int(PbmSettings.of(state).token_ttl)
    jti = "".join(secrets.choice(_JTI_ALPHABET) for _ in range(16))
    claims: dict[str, Any] = {
        "iat": iat,
        "exp": exp,
        "jti": jti,
        "iss": ISSUER,
        "sub": person.uuid,
        "profiles": {"master": [], "point_of_sales_buyer": [person.cnpj]},
        "name": person.name,
        "identity": person.identity,
        "uuid": person.uuid,
        "email": person.email,
        "mobile_number": person.mobile_number,
        "authorized_app": True,
    }
    # The documented token's header is exactly {"typ":"JWT","alg":"RS256"}: no kid (PBM publishes no JWKS).
    token = state.keys.sign(claims, kid=False)
    state.tokens.issue(TokenRecord(API_NAME, jti, float(exp), float(iat), person.uuid, {"login": login}),
                       state.clock.now())
    return token


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        return None
    return token


def authenticate(state: MockState, authorization: str | None) -> TokenRecord | None:
    """The active token record behind an ``Authorization`` header, or ``None``."""
    found = check_token(state, authorization)
    return found if isinstance(found, TokenRecord) else None


def check_token(state: MockState, authorization: str | None) -> TokenRecord | str:
    """The active token record behind an ``Authorization`` header, or the check it fails
    (a key of :data:`~specmock.mocks.core.why.TOKEN_CHECKS`), for the journal only."""
    token = bearer_token(authorization)
    if token is None:
        return "missing" if not authorization else "malformed"
    try:
        claims = state.keys.verify(token)
    except (jwt.InvalidTokenError, ValueError, TypeError, KeyError):
        return "bad_signature"
    jti = claims.get("jti")
    if not isinstance(jti, str) or claims.get("iss") != ISSUER:
        return "other_api"
    now = state.clock.now()
    record = state.tokens.active(API_NAME, jti, now)
    if record is None:
        known = state.tokens.get(API_NAME, jti)
        return "unknown" if known is None else "revoked" if known.revoked else "expired"
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or now >= exp:
        return "expired"
    return record
