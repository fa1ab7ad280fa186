"""Signing keys made per run, and the registry of every token the mock has issued.

JWTs are signed RS256 with a key generated in memory at start (never written to disk). A token is
accepted only while the registry knows it: resetting the mock, expiring all tokens or revoking one
takes effect at once even though the JWT itself is stateless. Expired records are purged as new
tokens are issued, so a long run does not grow with the number of tokens it has seen.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

__all__ = [
    "EXPIRED_KEPT_SECONDS",
    "MAX_TOKEN_RECORDS",
    "SigningKey",
    "TokenRecord",
    "TokenRegistry",
    "opaque_token",
    "token_hash",
]


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


#: Verified tokens remembered, each with its claims (~2 KiB): more than a test run has live at once.
_VERIFIED_KEPT = 1024


class SigningKey:
    """An RSA key pair for RS256, with its public half published as a JWK.

    The key is generated in a background thread started here (OpenSSL releases the GIL), so the
    server goes on importing and building its data meanwhile; generating a 2048-bit key takes
    from under 0.1 s to well over 0.5 s. :func:`~specmock.mocks.app.create_state` waits for it
    before handing the state out, so no request ever waits; any use of the key waits too.
    """

    def __init__(self, bits: int = 2048) -> None:
        self._bits = bits
        self._private: rsa.RSAPrivateKey | None = None
        self._public: rsa.RSAPublicKey | None = None
        self._kid = ""
        self._jwk: dict[str, str] = {}
        self._error: BaseException | None = None
        self._ready = threading.Event()
        self._verified: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()
        threading.Thread(target=self._generate, name="specmock-keygen", daemon=True).start()

    def _generate(self) -> None:
        try:
            private = rsa.generate_private_key(public_exponent=65537, key_size=self._bits)
            public = private.public_key()
            numbers = public.public_numbers()
            der = public.public_bytes(serialization.Encoding.DER,
                                      serialization.PublicFormat.SubjectPublicKeyInfo)
            kid = base64.urlsafe_b64encode(hashlib.sha256(der).digest()[:16]).rstrip(b"=").decode("ascii")
            self._jwk = {"kid": kid, "kty": "RSA", "alg": "RS256", "use": "sig",
                         "n": _b64url_uint(numbers.n), "e": _b64url_uint(numbers.e)}
            self._private, self._public, self._kid = private, public, kid
        except BaseException as exc:  # re-raised to whoever uses the key
            self._error = exc
        finally:
            self._ready.set()

    def wait(self) -> None:
        """Block until the key exists (raises if generating it failed)."""
        if not self._ready.is_set():
            self._ready.wait()
        if self._error is not None:
            raise RuntimeError(f"generating the RSA signing key failed: {self._error!r}") from self._error

    @property
    def kid(self) -> str:
        self.wait()
        return self._kid

    def jwk(self) -> dict[str, str]:
        self.wait()
        return dict(self._jwk)

    def public_key_der_b64(self) -> str:
        """The public key as Keycloak's realm document shows it: base64 of the DER SubjectPublicKeyInfo."""
        self.wait()
        assert self._public is not None
        der = self._public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(der).decode("ascii")

    def sign(self, claims: dict[str, Any], typ: str = "JWT", *, kid: bool = True) -> str:
        """An RS256 JWT of ``claims``. ``kid=False`` gives the bare header ``{"typ":"JWT","alg":"RS256"}``
        in that order (Funcional PBM's documented token), for issuers that publish no JWKS."""
        self.wait()
        assert self._private is not None  # set once wait() returned without raising
        import jwt  # PyJWT costs about 50 ms to import: off the path before the server answers

        if not kid:
            return jwt.encode(
                claims, self._private, algorithm="RS256", headers={"typ": typ}, sort_headers=False
            )
        return jwt.encode(claims, self._private, algorithm="RS256", headers={"kid": self._kid, "typ": typ})

    def verify(self, token: str) -> dict[str, Any]:
        """Claims of a token this key signed; raises :class:`jwt.InvalidTokenError` otherwise.

        Only the signature is checked here: time-based claims are judged against the mock's
        clock by the caller. Verified tokens are remembered (bounded) so the hot path pays the
        RSA cost once per token, not once per request.
        """
        cached = self._verified.get(token)
        if cached is not None:
            return cached
        self.wait()
        assert self._public is not None
        import jwt

        claims: dict[str, Any] = jwt.decode(
            token,
            self._public,
            algorithms=["RS256"],
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False, "verify_aud": False},
        )
        with self._lock:
            self._verified[token] = claims
            while len(self._verified) > _VERIFIED_KEPT:
                self._verified.popitem(last=False)
        return claims


@dataclass
class TokenRecord:
    api: str
    token_id: str
    expires_at: float
    issued_at: float
    subject: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    revoked: bool = False


#: Records kept at most. Past it the oldest issued is dropped first (a client still holding that
#: token hears "unknown token"): a run issuing without end stays bounded in memory.
MAX_TOKEN_RECORDS = 200_000
#: Expired records are kept this long so a client presenting one hears "expired", not "unknown".
EXPIRED_KEPT_SECONDS = 3600
#: Issues between two purges (each purge costs only the records it removes).
_PURGE_EVERY = 256


class TokenRegistry:
    """Issued tokens by ``(api, token_id)``: a JWT's ``jti``, or an opaque token's value hash.

    Bounded by count (``max_records``, oldest issued dropped first). Expired records are purged
    every 256 issues from a heap ordered by expiry, so a purge costs the records it removes,
    never a pass over the whole registry.
    """

    def __init__(self, max_records: int = MAX_TOKEN_RECORDS) -> None:
        self.max_records = max_records
        self._records: OrderedDict[tuple[str, str], TokenRecord] = OrderedDict()
        # (expires_at as issued, key): an entry may be stale (the record was dropped, revoked
        # by expire_all or issued again); purging checks the record itself.
        self._expiry: list[tuple[float, tuple[str, str]]] = []
        self._lock = threading.Lock()
        self._issued_since_purge = 0

    def issue(self, record: TokenRecord, now: float) -> TokenRecord:
        key = (record.api, record.token_id)
        with self._lock:
            records = self._records
            if key in records:
                del records[key]  # issued again: it now counts as the newest
            records[key] = record
            heapq.heappush(self._expiry, (record.expires_at, key))
            self._issued_since_purge += 1
            if self._issued_since_purge >= _PURGE_EVERY:
                self._purge(now)
            while len(records) > self.max_records:
                records.popitem(last=False)
            self._compact()
        return record

    def _compact(self) -> None:
        """Rebuild the expiry heap once stale entries (dropped or re-expired records) outnumber the live."""
        if len(self._expiry) > 2 * len(self._records) + 1024:
            self._expiry = [(r.expires_at, k) for k, r in self._records.items()]
            heapq.heapify(self._expiry)

    def get(self, api: str, token_id: str) -> TokenRecord | None:
        """The record whatever its state (expired and revoked ones included), if still kept."""
        return self._records.get((api, token_id))

    def active(self, api: str, token_id: str, now: float) -> TokenRecord | None:
        record = self._records.get((api, token_id))
        if record is None or record.revoked or now >= record.expires_at:
            return None
        return record

    def revoke(self, api: str, token_id: str) -> bool:
        record = self._records.get((api, token_id))
        if record is None:
            return False
        record.revoked = True
        return True

    def expire_all(self, now: float, api: str | None = None) -> int:
        with self._lock:
            count = 0
            for key, record in self._records.items():
                if (api is None or record.api == api) and record.expires_at > now:
                    record.expires_at = now
                    heapq.heappush(self._expiry, (now, key))  # purged an hour from now, not at its old expiry
                    count += 1
            self._compact()
            return count

    def records(self, api: str | None = None) -> list[TokenRecord]:
        with self._lock:
            return [r for r in self._records.values() if api is None or r.api == api]

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
            self._expiry.clear()

    def __len__(self) -> int:
        return len(self._records)

    def _purge(self, now: float) -> None:
        self._issued_since_purge = 0
        horizon = now - EXPIRED_KEPT_SECONDS
        expiry, records = self._expiry, self._records
        while expiry and expiry[0][0] <= horizon:
            _, key = heapq.heappop(expiry)
            record = records.get(key)
            # A record issued again under the same key, or expired early by expire_all, has an
            # entry of its own for its present expiry: only that one removes it.
            if record is not None and record.expires_at <= horizon:
                del records[key]


def opaque_token() -> str:
    """A 40-hex-character opaque token, like the bshaffer OAuth2 server's."""
    return secrets.token_hex(20)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()[:32]
