"""Shared machinery of the robustness suite: a mock on a loopback port, bounded clients, error shapes.

Every request of the suite goes through an ``httpx.Client`` with a timeout (so a hang fails the test
instead of stalling it) and, for the bad-input tests, through :func:`check`:

* never a 5xx, never a dropped connection (httpx raises), never a hang (the client's timeout);
* a 4xx is in the API's own error shape — Banqer ``{message, details[{reason}]}``, the realm's
  ``{error, error_description}``, PBM's GraphQL ``{errors[...]}``, Assine's API Problem served as
  ``application/problem+json``, the admin API's ``{error}``;
* the server thread logged no error (an exception uvicorn had to catch, or an API's own
  "unexpected error" log line) while the request was served.

:data:`CASES` counts the checked requests per API; the suite prints the totals at the end.
"""

from __future__ import annotations

import collections
import contextlib
import copy
import json
import logging
import re
import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, reject, settings
from hypothesis import strategies as st

from specmock import specs
from specmock.mocks.app import create_app, create_state
from specmock.mocks.config import MockConfig
from specmock.mocks.core.state import MockApi, MockState
from specmock.mocks.server import ConnectionLimits, ServerThread

#: Seconds any one request may take before the client gives up (the hang detector).
TIMEOUT = 10.0
#: Health checks the suite's generators trip on purpose (big, slow, filtered inputs; a per-test fixture).
SUPPRESS = [
    HealthCheck.too_slow,
    HealthCheck.filter_too_much,
    HealthCheck.data_too_large,
    HealthCheck.function_scoped_fixture,
]
#: Requests checked by :func:`check`, per API family (``banqer`` counts its realm too).
CASES: collections.Counter[str] = collections.Counter()

FAMILY = {
    "banqer": "banqer",
    "banqer-auth": "banqer",
    "pbm": "pbm",
    "assine": "assine",
    "admin": "admin",
    "root": "root",
}
DEMO_BANQER = ("demo-client", "demo-secret")
DEMO_PBM = ("usuario_exemplo", "senha_exemplo")
DEMO_ASSINE = ("demo@empresa.example", "demo-password")
REALM_TOKEN = "/banqer-auth/realms/demo/protocol/openid-connect/token"
CREATE_TOKEN = (
    "mutation($login: String!, $password: String!) "
    "{ createToken(login: $login, password: $password) { token } }"
)


#: In a thorough profile (``ci``: 60 examples per property) every generator here runs this many times
#: the profile's examples: a case costs a few milliseconds, and thousands per API take 150 per test.
#: The quick profiles (``dev``, ``debug``) run their own number.
THOROUGH_SCALE = 2.5
THOROUGH = 50


def examples(fraction: float = 1.0, minimum: int = 5) -> int:
    """``max_examples`` for a test: the active profile's (scaled up in a thorough one), times ``fraction``."""
    active = settings.default
    base = active.max_examples if active is not None else 100
    scale = THOROUGH_SCALE if base >= THOROUGH else 1.0
    return max(minimum, round(base * scale * fraction))


# -- the server -------------------------------------------------------------------------------------


class _ThreadErrors(logging.Handler):
    """Collects ERROR records logged on one thread (the server's event loop)."""

    def __init__(self, thread_name: str) -> None:
        super().__init__(logging.ERROR)
        self.thread_name = thread_name
        self.records: list[logging.LogRecord] = []
        self._lock_records = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        if record.threadName == self.thread_name:
            with self._lock_records:
                self.records.append(record)

    def take(self) -> list[str]:
        with self._lock_records:
            taken, self.records = self.records, []
        return [
            f"{r.name}: {r.getMessage()}" + (f" ({r.exc_info[1]!r})" if r.exc_info else "") for r in taken
        ]


#: The root logger (the APIs log under ``specmock.*``) and uvicorn's, which does not propagate.
_WATCHED_LOGGERS = ("uvicorn.error", "")


@dataclass
class Served:
    """A mock served by uvicorn on 127.0.0.1 in a background thread."""

    state: MockState
    server: ServerThread
    errors: _ThreadErrors
    clients: list[httpx.Client] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def port(self) -> int:
        return self.server.port

    def client(self, **kwargs: Any) -> httpx.Client:
        """A keep-alive client on the mock whose every request is bounded by :data:`TIMEOUT`."""
        made = httpx.Client(base_url=self.url, timeout=TIMEOUT, **kwargs)
        self.clients.append(made)
        return made

    def assert_no_server_errors(self) -> None:
        logged = self.errors.take()
        assert not logged, "the server logged errors:\n" + "\n".join(logged)


@contextlib.contextmanager
def serve(
    config: MockConfig | None = None, apis: list[type[MockApi]] | None = None, *, admin: bool = True,
    limits: ConnectionLimits | None = None, allowed_hosts: tuple[str, ...] = (),
) -> Iterator[Served]:
    """A fresh mock (all APIs unless ``apis``) on a free loopback port, stopped afterwards."""
    state = create_state(config, apis=apis)
    server = ServerThread(create_app(state, admin=admin, allowed_hosts=allowed_hosts), limits=limits)
    errors = _ThreadErrors(f"specmock-{server.port}")
    loggers = [logging.getLogger(name) for name in _WATCHED_LOGGERS]
    for logger in loggers:
        logger.addHandler(errors)
    served = Served(state, server, errors)
    try:
        server.start()
        yield served
    finally:
        for client in served.clients:
            client.close()
        server.stop()
        for logger in loggers:
            logger.removeHandler(errors)


def long_lived(**data: Any) -> MockConfig:
    """The demo config with tokens living a day, so no test meets an expiry it did not ask for."""
    from specmock.mocks.config import parse_config

    return parse_config(data).with_token_ttl(86_400)


# -- tokens -----------------------------------------------------------------------------------------


def banqer_token(
    client: httpx.Client, credentials: tuple[str, str] = DEMO_BANQER, tenant: str = "demo"
) -> str:
    response = client.post(
        f"/banqer-auth/realms/{tenant}/protocol/openid-connect/token",
        data={
            "grant_type": "client_credentials",
            "client_id": credentials[0],
            "client_secret": credentials[1],
        },
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def pbm_token(client: httpx.Client, credentials: tuple[str, str] = DEMO_PBM) -> str:
    response = client.post(
        "/pbm/graphql",
        json={"query": CREATE_TOKEN, "variables": {"login": credentials[0], "password": credentials[1]}},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["data"]["createToken"]["token"])


def assine_login(client: httpx.Client, credentials: tuple[str, str] = DEMO_ASSINE) -> dict[str, Any]:
    response = client.post(
        "/assine/oauth",
        json={
            "grant_type": "password",
            "client_id": "app",
            "client_secret": "app",
            "username": credentials[0],
            "password": credentials[1],
        },
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def assine_token(client: httpx.Client, credentials: tuple[str, str] = DEMO_ASSINE) -> str:
    return str(assine_login(client, credentials)["access_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# -- requests ---------------------------------------------------------------------------------------


def post_json(
    client: httpx.Client, path: str, body: Any, headers: Mapping[str, str] | None = None
) -> httpx.Response:
    """POST ``body`` as ``application/json``: bytes as they are, anything else encoded (NaN allowed)."""
    raw = body if isinstance(body, bytes) else _dumps(body)
    return client.post(path, content=raw, headers={"Content-Type": "application/json", **(headers or {})})


# -- error shapes -----------------------------------------------------------------------------------

_PREFIXES = (
    ("banqer-auth", re.compile(r"^/banqer-auth(/|$)")),
    ("banqer", re.compile(r"^/banqer/[^/]+(/|$)")),
    ("pbm", re.compile(r"^/pbm(/|$)")),
    ("assine", re.compile(r"^/assine(/|$)")),
    ("admin", re.compile(r"^/__mock__(/|$)")),
)
_UPPER_SNAKE = re.compile(r"^[A-Z][A-Z0-9_]*$")


def api_of(path: str) -> str:
    """Which API answers ``path`` on the mock (``root`` for paths no API serves)."""
    for api, pattern in _PREFIXES:
        if pattern.match(path):
            return api
    return "root"


def _json(response: httpx.Response, media: str = "application/json") -> Any:
    kind = response.headers.get("content-type", "")
    assert kind.split(";")[0].strip() == media, f"content type {kind!r}, expected {media}"
    return response.json()


def banqer_error(response: httpx.Response) -> None:
    body = _json(response)
    assert isinstance(body, dict) and isinstance(body.get("message"), str) and body["message"], body
    details = body.get("details")
    assert isinstance(details, list) and details and isinstance(details[0], dict), body
    assert isinstance(details[0].get("reason"), str) and _UPPER_SNAKE.match(details[0]["reason"]), body


def realm_error(response: httpx.Response) -> None:
    body = _json(response)
    assert isinstance(body, dict), body
    assert isinstance(body.get("error"), str) and body["error"], body
    assert isinstance(body.get("error_description"), str), body


def pbm_error(response: httpx.Response) -> None:
    body = _json(response)
    assert isinstance(body, dict), body
    errors = body.get("errors")
    assert isinstance(errors, list) and errors, body
    for item in errors:
        assert isinstance(item, dict) and isinstance(item.get("message"), str), body
        code = item.get("extensions", {}).get("code")
        assert isinstance(code, str) and _UPPER_SNAKE.match(code), body


def assine_problem(response: httpx.Response) -> None:
    body = _json(response, "application/problem+json")
    assert isinstance(body, dict), body
    for key in ("type", "title", "detail"):
        assert isinstance(body.get(key), str), body
    assert body.get("status") == response.status_code, body


def admin_error(response: httpx.Response) -> None:
    body = _json(response)
    assert isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"], body


ERROR_SHAPES: dict[str, Callable[[httpx.Response], None]] = {
    "banqer": banqer_error,
    "banqer-auth": realm_error,
    "pbm": pbm_error,
    "assine": assine_problem,
    "admin": admin_error,
    "root": admin_error,
}


def check(response: httpx.Response, api: str | None = None) -> httpx.Response:
    """Fail unless ``response`` is a bounded, non-5xx answer in its API's own error shape."""
    request = response.request
    api = api or api_of(request.url.path)
    CASES[FAMILY[api]] += 1
    shown = f"{request.method} {str(request.url)[:300]} -> {response.status_code}: {response.text[:500]!r}"
    assert response.status_code < 500, shown
    if response.status_code >= 400 and request.method != "HEAD":
        try:
            ERROR_SHAPES[api](response)
        except (AssertionError, ValueError) as exc:
            raise AssertionError(f"not the {api} error shape: {exc}\n{shown}") from None
    return response


def checked(served: Served, response: httpx.Response, api: str | None = None) -> httpx.Response:
    """:func:`check` plus: the server logged no error while answering."""
    check(response, api)
    served.assert_no_server_errors()
    return response


# -- raw sockets (what httpx refuses to send) --------------------------------------------------------


def raw_exchange(
    port: int, head: bytes, body_chunks: list[bytes] | None = None, timeout: float = TIMEOUT
) -> bytes:
    """Send ``head`` (request line and headers) and ``body_chunks`` on a fresh socket; the raw answer.

    Reads until the server closes or a whole response (by ``Content-Length``) has arrived.
    A server that resets the connection after answering is fine: what was read is returned.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head)
        for chunk in body_chunks or []:
            try:
                sock.sendall(chunk)
            except OSError:  # the server answered early and closed: read what it said
                break
        data = b""
        while True:
            try:
                part = sock.recv(65536)
            except ConnectionResetError:
                break
            if not part:
                break
            data += part
            head_end = data.find(b"\r\n\r\n")
            if head_end >= 0:
                match = re.search(rb"(?im)^content-length:\s*(\d+)", data[:head_end])
                if match and len(data) >= head_end + 4 + int(match.group(1)):
                    break
        return data


def parse_raw(data: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines and lines[0].startswith("HTTP/1.1 "), data[:200]
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body


# -- schemathesis -----------------------------------------------------------------------------------


@cache
def openapi_schema(spec: str) -> Any:
    return schemathesis.openapi.from_dict(copy.deepcopy(specs.load(spec)))


def openapi_operations(spec: str) -> dict[str, Any]:
    """``operationId`` -> schemathesis ``APIOperation`` of a bundled OpenAPI spec."""
    found = {}
    for result in openapi_schema(spec).get_all_operations():
        operation = result.ok()
        found[operation.definition.raw["operationId"]] = operation
    return found


_H11_VALUE = re.compile(r"^[\t\x20-\x7e\x80-\xff]*$")
_H11_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def send_case(
    client: httpx.Client, case: Any, base: str, headers: Mapping[str, str] | None = None
) -> httpx.Response:
    """Send a schemathesis case through ``client`` (so it gets the client's timeout)."""
    try:
        kwargs = case.as_transport_kwargs(base_url=base)
    except (TypeError, ValueError):  # a case schemathesis itself cannot serialise: not the mock's concern
        reject()
    sent: dict[str, str] = {}
    for name, value in {**(headers or {}), **dict(kwargs.get("headers") or {})}.items():
        text = str(value)
        if _H11_NAME.match(name) and _H11_VALUE.match(text) and text == text.strip():
            sent[name] = text  # what h11 would refuse to send cannot reach a server anyway
    extra: dict[str, Any] = {}
    if "json" in kwargs:
        extra["content"] = json.dumps(kwargs["json"]).encode()
        sent.setdefault("Content-Type", "application/json")
    elif "files" in kwargs:
        extra["files"] = [_file_part(name, value) for name, value in kwargs["files"] or []] or None
        if isinstance(kwargs.get("data"), Mapping):
            extra["data"] = kwargs["data"]
        sent = {k: v for k, v in sent.items() if k.lower() != "content-type"}
    elif isinstance(kwargs.get("data"), Mapping):
        extra["data"] = kwargs["data"]
    elif kwargs.get("data") is not None:
        data = kwargs["data"]
        extra["content"] = data if isinstance(data, bytes) else str(data).encode("utf-8", "surrogatepass")
    return client.request(
        kwargs["method"], kwargs["url"], params=kwargs.get("params") or None, headers=sent, **extra
    )


def _file_part(name: str, value: Any) -> tuple[str, tuple[str | None, bytes, str | None]]:
    """A requests-style ``files`` entry as httpx takes it (contents of any type become bytes)."""
    filename, content, kind = [*value, None, None][:3] if isinstance(value, tuple) else (None, value, None)
    if not isinstance(content, bytes):
        content = (content if isinstance(content, str) else json.dumps(content)).encode(
            "utf-8", "surrogatepass"
        )
    return str(name), (None if filename is None else str(filename), content, kind)


# -- strategies -------------------------------------------------------------------------------------

#: Strings that break naive parsers: numbers in odd spellings, control characters, markup, huge values.
TRICKY_TEXT = [
    "",
    " ",
    "0",
    "-1",
    "1.5",
    "1e309",
    "-0",
    "+1",
    "0x10",
    "99999999999999999999999999",
    "NaN",
    "Infinity",
    "null",
    "true",
    "[]",
    "{}",
    "１２",
    "٣",
    "1\n",
    "\x00",
    "%00",
    "../..",
    "..%2F..",
    "'",
    '"',
    "\\",
    "\r\n",
    "<script>",
    "$USER_ID",
    "\u202e",
    "\ufeff",
    "Ω",
    "a" * 3000,
    "🙂",
]


def text_values(max_size: int = 40) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(TRICKY_TEXT), st.text(max_size=max_size), st.integers(-(2**70), 2**70).map(str)
    )


def json_values(max_leaves: int = 12) -> st.SearchStrategy[Any]:
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        text_values(),
    )
    return st.recursive(
        leaves,
        lambda children: (
            st.lists(children, max_size=4) | st.dictionaries(text_values(12), children, max_size=4)
        ),
        max_leaves=max_leaves,
    )


def objects_with(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """JSON objects using the operation's own field names (plus strangers) with values of any type."""
    names = st.sampled_from(keys) | text_values(12) if keys else text_values(12)
    return st.dictionaries(names, json_values(6), max_size=8)


def nested(depth: int, closed: bool, kind: str) -> bytes:
    if kind == "array":
        return b"[" * depth + (b"]" * depth if closed else b"")
    if kind == "object":
        return b'{"a":' * depth + (b"1" + b"}" * depth if closed else b"")
    return b'{"query":' + b"[" * depth + (b"]" * depth + b"}" if closed else b"")


def _dumps(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


def json_bodies(keys: list[str] | None = None) -> st.SearchStrategy[bytes]:
    """Request bodies a JSON endpoint must refuse cleanly (or accept): wrong types, bad syntax, bad bytes."""
    keys = keys or []
    return st.one_of(
        json_values().map(_dumps),
        objects_with(keys).map(_dumps),
        # malformed: truncated JSON, random text, NaN tokens, a BOM, lone surrogates
        objects_with(keys)
        .map(_dumps)
        .flatmap(lambda raw: st.integers(0, max(0, len(raw) - 1)).map(lambda n: raw[:n])),
        st.text(max_size=60).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.sampled_from(
            [
                b"NaN",
                b'{"a": NaN}',
                b'{"a": Infinity}',
                b"\xef\xbb\xbf{}",
                b'{"a": "\\ud800"}',
                b'{"a": 1e999}',
                b'{"a": -1e999}',
                b"{" + b'"a":1,' * 2000 + b'"a":2}',
                b'{"a":1}{',
                b"\x00",
                b"{}" * 1000,
            ]
        ),
        # not UTF-8: random bytes, UTF-16, Latin-1
        st.binary(max_size=60),
        objects_with(keys).map(lambda value: json.dumps(value).encode("utf-16")),
        st.just('{"nome": "São Paulo ç"}'.encode("latin-1")),
        # deeply nested, closed or not, from a handful of levels to 100,000
        st.builds(
            nested,
            st.sampled_from([2, 50, 500, 990, 1500, 3000, 20_000, 100_000]),
            st.booleans(),
            st.sampled_from(["array", "object", "query"]),
        ),
    )


CONTENT_TYPES = [
    None,
    "application/json",
    "application/json; charset=utf-8",
    "application/hal+json",
    "application/problem+json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "multipart/form-data; boundary=x",
    "application/xml",
    "",
    "application/json; charset=latin-1",
    "*/*",
    "application/JSON",
    "application/json;;",
    "application/octet-stream",
    "application/json, text/plain",
    "image/png",
]


def content_types() -> st.SearchStrategy[str | None]:
    return st.sampled_from(CONTENT_TYPES) | st.text(
        st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30
    ).map(str.strip)


def header_values() -> st.SearchStrategy[bytes]:
    """Header values h11 will send (visible Latin-1, no CR/LF), including very long ones, as bytes."""
    return st.one_of(
        st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=60).map(str.strip),
        st.sampled_from(
            [
                "a" * 8000,
                "Bearer",
                "Bearer ",
                "bearer x",
                "Basic",
                "Basic ===",
                "Basic Og==",
                "Bearer eyJhbGciOiJub25lIn0.eyJqdGkiOiJ4In0.",
                "Bearer a.b.c",
                "Bearer " + "A" * 5000,
                "Basic " + "QQ==" * 1000,
                "Bearer \xff\xfe",
                "Negotiate abc",
                "Bearer x y",
            ]
        ),
    ).map(sendable_header)


def sendable_header(value: str) -> bytes:
    """``value`` as h11 will send it: visible Latin-1 inside, no CR/LF/NUL, no whitespace at the ends."""
    kept = "".join(c for c in value if c == "\t" or "\x20" <= c <= "\x7e" or "\x80" <= c <= "\xff")
    return kept.strip(" \t").encode("latin-1")
