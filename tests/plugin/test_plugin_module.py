"""The plugin module stays light, and the per-test reset stays cheap."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from tests.plugin.project import Project

pytest_plugins = ["pytester"]

HEAVY = ("uvicorn", "starlette", "schemathesis", "graphql")


def test_importing_the_plugin_imports_no_server_or_contract_machinery() -> None:
    code = ("import sys, specmock.contracts.plugin; "
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"


def test_a_session_that_uses_no_fixture_does_not_pay_for_the_mocks(project: Project) -> None:
    project.write("test_plain.py", f'''
        import sys

        def test_nothing_heavy_was_imported():
            assert not {{m.split(".")[0] for m in sys.modules}} & {set(HEAVY)!r}
    ''')
    project.run().assert_outcomes(passed=1)


def test_reset_between_tests_is_cheap() -> None:
    """The fixtures reset the whole state before every test; the target is at most 1 ms."""
    import httpx

    from specmock.contracts.fixtures import MockServer

    with MockServer() as server:
        with httpx.Client(transport=server.transport, base_url=server.url) as client:
            answer = client.post("/banqer-auth/realms/demo/protocol/openid-connect/token",
                                 data={"grant_type": "client_credentials", "client_id": "demo-client",
                                       "client_secret": "demo-secret"})
            headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
            for _ in range(20):
                client.get("/banqer/demo/v1/fichas", headers=headers)
        samples = []
        for _ in range(200):
            started = time.perf_counter()
            server.reset()
            samples.append(time.perf_counter() - started)
    assert statistics.median(samples) < 0.005  # generous for loaded CI machines; typically well under 1 ms
