"""Safe defaults: a signing key per run that never touches the disk, and a mock that writes no files.

(Binding loopback unless ``--host`` and ``--no-admin`` are covered by ``tests/cli/test_serve.py``.)
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest

from specmock.mocks.app import create_state
from specmock.mocks.core.state import MockState
from tests.robustness import support

ROOT = Path(__file__).resolve().parents[2]
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def test_every_state_signs_with_a_key_of_its_own() -> None:
    first, second = MockState(), MockState()
    assert first.keys.kid != second.keys.kid
    assert first.keys.jwk()["n"] != second.keys.jwk()["n"]


def test_a_token_from_another_run_is_refused() -> None:
    with support.serve() as one, support.serve() as other:
        token = support.banqer_token(one.client())
        client = other.client()
        response = support.checked(other, client.get("/banqer/demo/v1/fichas", headers=support.bearer(token)))
        assert response.status_code == 401
        jwks = client.get("/banqer-auth/realms/demo/protocol/openid-connect/certs").json()
        assert jwks["keys"][0]["kid"] == other.state.keys.kid != one.state.keys.kid


def _files(root: Path) -> set[str]:
    return {str(path.relative_to(root)) for path in root.rglob("*")}


def test_creating_a_state_and_serving_writes_no_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cwd, temp, home = tmp_path / "cwd", tmp_path / "tmp", tmp_path / "home"
    for folder in (cwd, temp, home):
        folder.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    before = {folder: _files(folder) for folder in (cwd, temp, home)}

    create_state()
    with support.serve() as mock:
        client = mock.client()
        banqer = support.banqer_token(client)
        assert client.get("/banqer/demo/v1/fichas", headers=support.bearer(banqer)).status_code == 200
        pbm = support.pbm_token(client)
        assert (
            client.post(
                "/pbm/graphql", json={"query": "{ __typename }"}, headers=support.bearer(pbm)
            ).status_code
            == 200
        )
        auth = support.bearer(support.assine_token(client))
        upload = client.post(
            "/assine/v1/file", files={"file": ("c.pdf", PDF * 8000, "application/pdf")}, headers=auth
        )
        assert upload.status_code == 201, upload.text
        assert client.get(f"/assine/v1/file/{upload.json()['id']}/download", headers=auth).status_code == 200
        assert client.get("/__mock__/requests").status_code == 200
        assert client.post("/__mock__/reset").status_code == 200

    after = {folder: _files(folder) for folder in (cwd, temp, home)}
    assert after == before


#: What writing key material (or anything) to disk would take in the mock's code.
WRITES = re.compile(
    r"""\bopen\([^)]*["'][rb]*[wax+]|write_bytes\(|write_text\(|private_bytes\(|mkstemp\(|"""
    r"""NamedTemporaryFile\(|TemporaryFile\(|\.dump\(|os\.open\(|shutil\.copy"""
)


def test_the_mock_code_has_no_way_to_write_files() -> None:
    sources = sorted((ROOT / "mocks").rglob("*.py"))
    assert len(sources) > 20
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sources
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if WRITES.search(line)
    ]
    assert not found, found
    tokens = (ROOT / "mocks" / "core" / "tokens.py").read_text(encoding="utf-8")
    assert "generate_private_key" in tokens and "private_bytes" not in tokens and "open(" not in tokens


def test_key_generation_is_not_seeded_from_the_config() -> None:
    from specmock.mocks.config import parse_config

    same = parse_config({"seed": 7})
    assert create_state(same, apis=[]).keys.kid != create_state(same, apis=[]).keys.kid
