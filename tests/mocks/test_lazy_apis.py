"""APIs built on first use: the default mock answers before importing any API module, and behaves
exactly as if every API had been built at once."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import signal
import subprocess
import sys
import threading
import time
from importlib import import_module
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specmock.mocks.app import create_app, create_state, warm_up
from specmock.mocks.core.state import ApiLoadError, MockApi, MockState
from specmock.mocks.registry import mounts
from specmock.mocks.server import ServerThread
from specmock.mocks.transport import async_transport, sync_transport
from tests.mocks.toy_api import ToyApi

BASE = "http://mock.test"


class CountingToy(ToyApi):
    """The toy API, counting its resets."""

    def __init__(self, state: MockState) -> None:
        super().__init__(state)
        self.resets = 0

    def reset(self) -> None:
        self.resets += 1

    def info(self, base_url: str) -> dict[str, Any]:
        return {"mount": self.mount_path, "resets": self.resets}


class GoodToy(CountingToy):
    name = "good"
    mount_path = "/good"


class Builds:
    """A factory for the toy API that records every build; it can be slow, or fail."""

    def __init__(self, delay: float = 0.0, error: Exception | None = None) -> None:
        self.delay = delay
        self.error = error
        self.built: list[CountingToy] = []
        self._lock = threading.Lock()

    def __call__(self, state: MockState) -> MockApi:
        time.sleep(self.delay)
        if self.error is not None:
            raise self.error
        api = CountingToy(state)
        with self._lock:
            self.built.append(api)
        return api


def toy_state(builds: Builds, name: str = "toy", mount: str = "/toy") -> MockState:
    state = MockState()
    state.add_api_on_first_use(name, mount, builds)
    return state


def api_classes() -> list[type[MockApi]]:
    targets = (mount.target.partition(":") for mount in mounts())
    return [getattr(import_module(module), name) for module, _, name in targets]


def client_for(app: Any) -> httpx.Client:
    return httpx.Client(transport=sync_transport(app), base_url=BASE, timeout=10)


# -- what the app knows without importing an API ------------------------------------------------------


def test_every_mount_names_its_class_and_mount_path() -> None:
    for mount, cls in zip(mounts(), api_classes(), strict=True):
        assert (cls.name, cls.mount_path) == (mount.name, mount.path)


ANSWERS_BEFORE_IMPORTING = """
import json, sys
import httpx
from specmock.mocks.app import create_app, create_state
from specmock.mocks.transport import sync_transport

HEAVY = ("graphql", "faker", "jsonschema", "yaml", "jwt", "specmock.mocks.banqer.realm",
         "specmock.mocks.banqer.api", "specmock.mocks.pbm.api", "specmock.mocks.assine.api")
state = create_state()
app = create_app(state)
out = {"after_create": [m for m in HEAVY if m in sys.modules]}
with httpx.Client(transport=sync_transport(app), base_url="http://mock.test") as client:
    out["index"] = client.get("/__mock__/").json()["apis"]
    out["reset"] = client.post("/__mock__/reset").status_code
    out["expire"] = client.post("/__mock__/tokens/expire").json()
    out["after_admin"] = [m for m in HEAVY if m in sys.modules]
    out["fault"] = client.post("/__mock__/faults", json={"api": "assine", "status": 503}).status_code
    out["built"] = [h.name for h in state.apis.hosted() if h.api is not None]
print(json.dumps(out))
"""


def test_the_default_mock_answers_the_admin_api_before_importing_any_api() -> None:
    done = subprocess.run([sys.executable, "-c", ANSWERS_BEFORE_IMPORTING], capture_output=True, text=True,
                          timeout=60, check=True)
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["after_create"] == [] and out["after_admin"] == []
    assert out["index"] == {mount.name: {"mount": mount.path, "loaded": False} for mount in mounts()}
    assert (out["reset"], out["expire"], out["fault"]) == (200, {"expired": 0}, 201)
    assert out["built"] == []


def test_explicit_classes_are_built_at_once() -> None:
    state = create_state(apis=[CountingToy])
    (hosted,) = state.apis.hosted()
    assert isinstance(hosted.api, CountingToy)
    assert list(state.apis) == ["toy"] and len(state.apis) == 1 and "toy" in state.apis
    assert state.apis["toy"] is hosted.api and list(state.apis.values()) == [hosted.api]
    with client_for(create_app(state)) as client:
        index = client.get("/__mock__/").json()["apis"]
        assert index == {"toy": {"mount": "/toy", "resets": 0, "loaded": True}}
        assert client.get("/toy/items").status_code == 200


# -- the first request --------------------------------------------------------------------------------


def _token(client: httpx.Client, api: str) -> str:
    if api == "banqer":
        answer = client.post("/banqer-auth/realms/demo/protocol/openid-connect/token",
                             data={"grant_type": "client_credentials", "client_id": "demo-client",
                                   "client_secret": "demo-secret"})
        return str(answer.json()["access_token"])
    if api == "pbm":
        query = 'mutation { createToken(login: "usuario_exemplo", password: "senha_exemplo") { token } }'
        return str(client.post("/pbm/graphql", json={"query": query}).json()["data"]["createToken"]["token"])
    answer = client.post("/assine/oauth", json={"grant_type": "password", "client_id": "app",
                                                "client_secret": "app", "username": "demo@empresa.example",
                                                "password": "demo-password"})
    return str(answer.json()["access_token"])


FIRST_REQUESTS: list[tuple[str, str, str, dict[str, Any] | None]] = [
    ("banqer", "GET", "/banqer/demo/v1/fichas?atrasoMin=90&pageSize=5", None),
    ("pbm", "POST", "/pbm/graphql",
     {"query": "{ WsAcesso_consultProgramForm(args: {programCode: 126, originCode: 37}) { code } }"}),
    ("assine", "GET", "/assine/v1/user?filter[0][field]=email&filter[0][type]=eq"
                      "&filter[0][value]=pf@pessoa.example", None),
]


def _answers(app: Any) -> list[tuple[int, Any]]:
    answers = []
    with client_for(app) as client:
        for api, method, path, body in FIRST_REQUESTS:
            headers = {"Authorization": f"Bearer {_token(client, api)}"}
            answer = client.request(method, path, json=body, headers=headers)
            answers.append((answer.status_code, answer.json()))
    return answers


def test_first_requests_answer_exactly_as_with_every_api_built_at_once() -> None:
    lazy = create_state()
    lazy_answers = _answers(create_app(lazy))
    eager_answers = _answers(create_app(create_state(apis=api_classes())))
    assert [status for status, _ in lazy_answers] == [200, 200, 200]
    assert lazy_answers == eager_answers
    assert all(hosted.api is not None for hosted in lazy.apis.hosted())


def test_a_fault_queued_before_the_api_is_built_answers_in_its_own_shape() -> None:
    expected = None
    pbm = next(cls for cls in api_classes() if cls.name == "pbm")
    for state in (create_state(), create_state(apis=[pbm])):
        with client_for(create_app(state)) as client:
            assert client.post("/__mock__/faults", json={"api": "pbm", "status": 503}).status_code == 201
            answer = client.post("/pbm/graphql", json={"query": "{ __typename }"})
            assert answer.status_code == 503 and answer.headers["retry-after"] == "1"
            assert expected in (None, answer.json())
            expected = answer.json()
    assert expected is not None and expected["data"] is None and expected["errors"]


def test_a_path_under_an_unbuilt_api_gets_its_own_404() -> None:
    builds = Builds()
    with client_for(create_app(toy_state(builds))) as client:
        answer = client.get("/toy")  # matched by no mount: the app's 404 handler, in the toy's shape
    assert answer.status_code == 404 and answer.json()["toyError"] == 404
    assert len(builds.built) == 1


# -- concurrent first requests ------------------------------------------------------------------------


@settings(max_examples=12)
@given(requests=st.integers(2, 24), warming=st.booleans(), direct=st.booleans())
def test_concurrent_first_requests_all_wait_for_one_build(requests: int, warming: bool, direct: bool) -> None:
    builds = Builds(delay=0.02)
    state = toy_state(builds)
    app = create_app(state)
    others = [threading.Thread(target=warm_up, args=(app,))] if warming else []
    if direct:
        others.append(threading.Thread(target=lambda: state.apis["toy"]))

    async def first_requests() -> list[int]:
        async with httpx.AsyncClient(transport=async_transport(app), base_url=BASE) as client:
            for thread in others:
                thread.start()
            answers = await asyncio.gather(*(client.get(f"/toy/items/{i}") for i in range(requests)))
            return [answer.status_code for answer in answers]

    assert asyncio.run(first_requests()) == [200] * requests
    for thread in others:
        thread.join()
    assert len(builds.built) == 1
    assert state.apis["toy"] is builds.built[0]
    assert len(state.journal) == requests


def test_concurrent_first_requests_over_a_socket_build_once() -> None:
    builds = Builds(delay=0.05)
    state = toy_state(builds)
    statuses: list[int] = []
    with ServerThread(create_app(state)) as server:
        def get(i: int) -> None:
            statuses.append(httpx.get(f"{server.url}/toy/items/{i}", timeout=10).status_code)

        threads = [threading.Thread(target=get, args=(i,)) for i in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert statuses == [200] * 16
    assert len(builds.built) == 1


# -- the admin API before and after ------------------------------------------------------------------


def test_the_admin_api_works_before_and_after_the_api_is_built() -> None:
    builds = Builds()
    state = toy_state(builds)
    with client_for(create_app(state)) as client:
        assert client.get("/__mock__/").json()["apis"] == {"toy": {"mount": "/toy", "loaded": False}}
        assert client.post("/__mock__/reset").status_code == 200
        assert client.post("/__mock__/faults", json={"api": "toy", "status": 502}).status_code == 201
        assert client.post("/__mock__/rate-limit", json={"api": "toy", "limit": 5}).status_code == 200
        assert client.post("/__mock__/tokens/expire", json={"api": "toy"}).json() == {"expired": 0}
        unknown = client.post("/__mock__/faults", json={"api": "nope", "status": 500})
        assert unknown.status_code == 400 and "this mock hosts: toy" in unknown.json()["error"]
        assert client.get("/__mock__/requests").json()["requests"] == []
        assert builds.built == []

        faulted = client.get("/toy/items")
        assert (faulted.status_code, faulted.json()["toyError"]) == (502, 502)
        assert client.get("/toy/items").status_code == 200
        journal = client.get("/__mock__/requests").json()["requests"]
        assert [entry["status"] for entry in journal] == [502, 200]
        index = client.get("/__mock__/").json()["apis"]
        assert index == {"toy": {"mount": "/toy", "resets": 0, "loaded": True}}

        assert client.post("/__mock__/reset").status_code == 200
        assert builds.built[0].resets == 1
        assert client.get("/__mock__/requests").json()["requests"] == []
    assert len(builds.built) == 1


OPS = st.lists(
    st.one_of(
        st.tuples(st.just("get"), st.sampled_from(["/toy/items", "/toy/items/a", "/toy", "/toy/nope"])),
        st.tuples(st.just("fault"), st.sampled_from([429, 500, 503]), st.integers(1, 3)),
        st.tuples(st.just("limit"), st.integers(1, 3)),
        st.tuples(st.just("advance"), st.integers(0, 5)),
        st.tuples(st.just("reset")),
        st.tuples(st.just("expire")),
    ),
    max_size=12,
)


def _play(client: httpx.Client, ops: list[tuple[Any, ...]]) -> list[Any]:
    seen: list[Any] = []
    for op in ops:
        if op[0] == "get":
            answer = client.get(op[1], headers={"Authorization": "Bearer t"})
        elif op[0] == "fault":
            answer = client.post("/__mock__/faults", json={"api": "toy", "status": op[1], "times": op[2]})
        elif op[0] == "limit":
            rule = {"api": "toy", "limit": op[1], "per_seconds": 10}
            answer = client.post("/__mock__/rate-limit", json=rule)
        elif op[0] == "advance":
            answer = client.post("/__mock__/clock/advance", json={"seconds": op[1]})
        elif op[0] == "reset":
            answer = client.post("/__mock__/reset")
        else:
            answer = client.post("/__mock__/tokens/expire", json={"api": "toy"})
        body = answer.json() if answer.headers.get("content-type") == "application/json" else answer.text
        if isinstance(body, dict):
            body.pop("now", None)  # wall-clock time
        seen.append((answer.status_code, answer.headers.get("retry-after"), body))
    journal = client.get("/__mock__/requests").json()["requests"]
    seen.append([(e["api"], e["method"], e["path"], e["status"]) for e in journal])
    return seen


@settings(max_examples=10)
@given(ops=OPS)
def test_an_api_built_on_first_use_behaves_as_one_built_at_once(ops: list[tuple[Any, ...]]) -> None:
    lazy, eager = Builds(), Builds()
    eager_state = MockState()
    eager_state.add_api(eager(eager_state))
    with client_for(create_app(toy_state(lazy))) as on_first_use, \
            client_for(create_app(eager_state)) as at_once:
        assert _play(on_first_use, ops) == _play(at_once, ops)
    # Built by the first request under it (an API not built yet has nothing to reset), and only then.
    requested = any(op[0] == "get" for op in ops)
    assert len(lazy.built) == int(requested)


# -- a build that fails ------------------------------------------------------------------------------


def test_a_failed_build_is_a_clear_500_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    builds = Builds(error=ModuleNotFoundError("No module named 'graphql'"))
    state = toy_state(builds)
    app = create_app(state)
    message = "specmock: the toy mock could not be loaded: ModuleNotFoundError: No module named 'graphql'"
    with caplog.at_level(logging.ERROR, logger="specmock.mocks"), client_for(app) as client:
        warm_up(app)  # does not raise
        for path in ("/toy/items", "/toy/items", "/toy"):
            answer = client.get(path)
            assert (answer.status_code, answer.json()) == (500, {"error": message})
        index = client.get("/__mock__/").json()["apis"]["toy"]
        assert index == {"mount": "/toy", "loaded": False, "error": message.removeprefix("specmock: ")}
        assert client.post("/__mock__/reset").status_code == 200
        assert client.post("/__mock__/faults", json={"api": "toy", "status": 503}).status_code == 201
    with pytest.raises(ApiLoadError, match=re.escape(message.removeprefix("specmock: "))):
        state.apis["toy"]
    failures = [record for record in caplog.records
                if record.name == "specmock.mocks" and "could not be loaded" in record.getMessage()]
    assert len(failures) == 1 and failures[0].exc_info is not None


def test_a_failed_build_leaves_the_other_apis_working() -> None:
    state = MockState()
    state.add_api_on_first_use("toy", "/toy", Builds(error=RuntimeError("broken data")))
    state.add_api_on_first_use("good", "/good", GoodToy)
    with client_for(create_app(state)) as client:
        assert client.get("/toy/items").status_code == 500
        assert client.get("/good/items").json()["ok"] is True


class WarmingToy(CountingToy):
    """The toy API with something to build ahead; it fails when told to."""

    fail = False

    def __init__(self, state: MockState) -> None:
        super().__init__(state)
        self.warmed = 0

    def warm_up(self) -> None:
        if self.fail:
            raise OSError("disk full")
        self.warmed += 1


def test_the_warm_up_builds_each_api_and_what_it_builds_on_first_use() -> None:
    state = MockState()
    state.add_api_on_first_use("toy", "/toy", WarmingToy)
    app = create_app(state)
    warm_up(app)
    warm_up(app)  # an API is warmed once, when the warm-up builds it
    api = state.apis["toy"]
    assert isinstance(api, WarmingToy) and api.warmed == 1
    with client_for(app) as client:
        assert client.get("/toy/items").json()["ok"] is True


def test_a_failed_warm_up_is_logged_and_leaves_the_api_serving(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(WarmingToy, "fail", True)
    state = MockState()
    state.add_api_on_first_use("toy", "/toy", WarmingToy)
    app = create_app(state)
    with caplog.at_level(logging.WARNING, logger="specmock.mocks"):
        warm_up(app)
    assert any("warming up toy failed: OSError: disk full" in r.getMessage() for r in caplog.records)
    with client_for(app) as client:
        assert client.get("/toy/items").json()["ok"] is True


def test_the_warm_up_builds_the_banqer_tenants_data() -> None:
    state = create_state()
    app = create_app(state)
    warm_up(app)
    banqer = state.apis["banqer"]
    assert set(banqer._data) == set(state.config.banqer_tenants)  # type: ignore[attr-defined]


def test_an_api_announced_under_another_name_is_refused_clearly() -> None:
    state = MockState()
    state.add_api_on_first_use("other", "/other", Builds())
    with client_for(create_app(state)) as client:
        answer = client.get("/other/items")
    assert answer.status_code == 500
    assert answer.json()["error"] == (
        "specmock: the other mock could not be loaded: "
        "ValueError: CountingToy is 'toy' at '/toy', but was announced as 'other' at '/other'"
    )


# -- specmock serve ----------------------------------------------------------------------------------


def test_serve_warms_every_api_up_then_prints_the_banner() -> None:
    process = subprocess.Popen([sys.executable, "-m", "specmock", "serve", "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline()]
        url = re.search(r"serving on (http://\S+)", lines[0])
        assert url, lines[0]
        while "admin API" not in lines[-1]:
            lines.append(process.stdout.readline())
            assert lines[-1], "".join(lines)
        index = httpx.get(f"{url.group(1)}/__mock__/", timeout=10).json()["apis"]
        loaded = {name: info["loaded"] for name, info in index.items()}
        assert loaded == {mount.name: True for mount in mounts()}
        banner = "".join(lines)
        for needle in ("banqer API", "Funcional PBM", "assine API", "admin API"):
            assert needle in banner
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=15)
    assert process.returncode == 0 and out.strip().endswith("specmock: stopped"), err
    assert "Traceback" not in err


@pytest.mark.parametrize("attempt", range(4))
def test_serve_stops_cleanly_on_ctrl_c_at_any_point_of_its_start(attempt: int) -> None:
    process = subprocess.Popen([sys.executable, "-m", "specmock", "serve", "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    process.stdout.readline()
    time.sleep(attempt * 0.05)  # before uvicorn listens for Ctrl-C, while it starts, while warming up
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=15)
    assert process.returncode == 0 and out.strip().endswith("specmock: stopped"), err
    assert "Traceback" not in err
