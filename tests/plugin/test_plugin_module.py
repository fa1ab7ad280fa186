"""The plugin module stays light, and the per-test reset stays cheap."""

from __future__ import annotations

import subprocess
import sys

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


def test_reset_between_tests_clears_what_a_test_changed_and_rebuilds_nothing() -> None:
    """The fixtures reset the whole state before every test, so it must not rebuild the seeded data
    (its cost is the "per-test MockState.reset()" row of ``make bench``)."""
    import httpx

    from specmock.contracts.fixtures import MockServer
    from specmock.mocks.banqer.api import BanqerApi

    with MockServer() as server, httpx.Client(transport=server.transport, base_url=server.url) as client:
        answer = client.post("/banqer-auth/realms/demo/protocol/openid-connect/token",
                             data={"grant_type": "client_credentials", "client_id": "demo-client",
                                   "client_secret": "demo-secret"})
        headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        assert client.get("/banqer/demo/v1/fichas", headers=headers).status_code == 200
        banqer = next(api for api in server.state.apis.built() if isinstance(api, BanqerApi))
        seeded = banqer.data("demo")
        assert server.control.requests()

        server.reset()

        assert server.control.requests() == []
        assert server.control.tokens()["banqer"]["issued"] == 0
        assert client.get("/banqer/demo/v1/fichas", headers=headers).status_code == 401
        assert banqer.data("demo") is seeded
