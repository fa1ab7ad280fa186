"""A journal entry's curl line sends the same request again: split as a shell would, it gives back
the method, the URL (``-g`` exactly when curl would glob it), each header and the body."""

from __future__ import annotations

import json
import shlex
from typing import Any
from urllib.parse import unquote, urlsplit

from hypothesis import given
from hypothesis import strategies as st

from specmock.mocks.core.curl import curl_command

ORIGIN = "http://127.0.0.1:8080"
METHODS = st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"])
PATHS = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=30).map(
    lambda text: "/" + text)
QUERIES = st.text(st.sampled_from("abcXYZ019=&[]{}%*._-'\"$`!"), max_size=30)
HEADER_VALUES = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=10),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                    max_leaves=8)


def parsed(command: str) -> dict[str, Any]:
    words = shlex.split(command)
    assert words[0] == "curl"
    out: dict[str, Any] = {"glob_off": False, "method": "GET", "headers": {}, "data": None}
    index = 1
    while index < len(words):
        word = words[index]
        if word == "-g":
            out["glob_off"] = True
        elif word == "-I":
            out["method"] = "HEAD"
        elif word == "-X":
            index += 1
            out["method"] = words[index]
        elif word == "-H":
            index += 1
            name, _, value = words[index].partition(": ")
            out["headers"][name.lower()] = value
        elif word in ("--data-raw", "--data-binary"):
            index += 1
            out["data"] = words[index]
        else:
            assert "url" not in out, f"two URLs in {command!r}"
            out["url"] = word
        index += 1
    return out


@given(method=METHODS, path=PATHS, query=QUERIES, headers=st.dictionaries(
    st.sampled_from(["authorization", "content-type", "accept", "prefer", "user-agent"]), HEADER_VALUES),
    body=st.none() | JSON)
def test_the_curl_line_gives_back_the_request(method: str, path: str, query: str, headers: dict[str, str],
                                              body: Any) -> None:
    headers.pop("content-type", None)
    entry = {"method": method, "base": "/banqer/demo", "path": path, "query": query, "headers": headers,
             "body": body}
    got = parsed(curl_command(entry, ORIGIN))
    url = urlsplit(got["url"])
    assert f"{url.scheme}://{url.netloc}" == ORIGIN
    assert unquote(url.path) == "/banqer/demo" + path
    assert got["url"].partition("?")[2] == query.replace("%2A%2A%2A", "***")
    assert got["glob_off"] == any(c in got["url"] for c in "[]{}")
    assert got["headers"] == headers
    expected_method = method if method != "GET" or body is None else "GET"
    assert got["method"] == expected_method
    if body is None:
        assert got["data"] is None
    elif isinstance(body, str):
        assert got["data"] == body
    else:
        assert json.loads(got["data"]) == body


def test_masked_values_read_as_three_stars_and_a_form_body_is_sent_as_a_form() -> None:
    entry = {"method": "POST", "base": "/banqer-auth", "path": "/realms/demo/protocol/openid-connect/token",
             "query": "client_secret=%2A%2A%2A",
             "headers": {"content-type": "application/x-www-form-urlencoded"},
             "body": {"grant_type": "client_credentials", "client_secret": "***"}}
    got = parsed(curl_command(entry, ORIGIN))
    assert got["url"].endswith("?client_secret=***")
    assert got["data"] == "grant_type=client_credentials&client_secret=***"


def test_a_body_the_journal_only_described_is_read_from_a_file() -> None:
    entry = {"method": "POST", "base": "/assine", "path": "/v1/file", "query": "",
             "headers": {"content-type": "multipart/form-data; boundary=x"},
             "body": "<5000 bytes of multipart/form-data; boundary=x>"}
    assert parsed(curl_command(entry, ORIGIN))["data"] == "@request-body"
