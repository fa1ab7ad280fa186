"""The Prism proxy row measures a validating proxy: clean answers pass, a planted broken one is flagged.

Prism is installed as the bench installs it (npm, into the repository's git-ignored ``.bench/``);
the test skips, naming why, when node/npm are missing or the install fails. Everything else runs on
loopback: ``specmock serve`` as the upstream, Prism in front of it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bench.hop import BANQER_PREFIX
from bench.load import Request
from bench.prism import ensure_prism, planted_violation, prism_proxy_server
from bench.procs import Server
from bench.scenarios import prepare

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / ".bench"
SPEC = ROOT / "specs" / "banqer.openapi.yaml"


@pytest.fixture(scope="module")
def through_prism(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server, Request]]:
    """(the mock, Prism's proxy in front of its Banqer tenant, the Banqer list request for Prism)."""
    ok, why = ensure_prism(WORK, lambda line: None)
    if not ok:
        pytest.skip(why)
    logs = tmp_path_factory.mktemp("logs")
    serve = [sys.executable, "-m", "specmock", "serve", "--host", "127.0.0.1", "--port", "{port}"]
    mock = Server("mock", serve, health_path="/__mock__/", cwd=ROOT, log_dir=logs)
    with mock:
        request = prepare(mock.base_url, ("banqer-list",)).prism["banqer-list"]
        with prism_proxy_server(WORK, SPEC, mock.base_url + BANQER_PREFIX, request, ROOT, logs) as prism:
            yield mock, prism, request


def test_a_clean_upstream_answer_passes_unflagged(through_prism: tuple[Server, Server, Request]) -> None:
    _, prism, request = through_prism
    answer = httpx.get(prism.base_url + request.path, headers=dict(request.headers), timeout=10)
    assert answer.status_code == 200
    assert "sl-violations" not in answer.headers
    assert len(answer.json()["fichas"]) == 20


@pytest.mark.parametrize(
    ("body", "code", "mentions"),
    [
        ({"planted": True}, "required", "fichas"),  # the list's required array is missing
        ({"fichas": "not a list"}, "type", "array"),
    ],
)
def test_a_planted_broken_answer_comes_back_as_a_violation(
    through_prism: tuple[Server, Server, Request], body: dict[str, object], code: str, mentions: str
) -> None:
    mock, prism, request = through_prism
    status, violations = planted_violation(mock.base_url, prism.port, request, body)
    assert status == 500  # --errors: a response violation becomes Prism's own error answer
    assert [v["location"][:2] for v in violations] == [["response", "body"]]
    assert violations[0]["code"] == code and mentions in violations[0]["message"]
    # the fault fired once: the next answer is the mock's own again, and passes
    after = httpx.get(prism.base_url + request.path, headers=dict(request.headers), timeout=10)
    assert after.status_code == 200 and "sl-violations" not in after.headers


def test_without_node_prism_is_skipped_saying_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # neither node nor npm here
    said: list[str] = []
    ok, why = ensure_prism(tmp_path / "work", said.append)
    assert not ok and why.startswith("node/npm not found")
    assert said == [] and not (tmp_path / "work").exists()  # nothing attempted, nothing written
