"""A mock served on a loopback port with the validating proxy in front of it, both in threads."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn

from specmock.mocks.app import create_app, create_state
from specmock.mocks.config import MockConfig
from specmock.mocks.proxy import PROXY_SERVER_OPTIONS, ProxyApp, create_proxy_app, parse_targets
from specmock.mocks.server import ServerThread

TIMEOUT = 10.0
APIS = ["banqer", "banqer-auth", "pbm", "assine"]


def upstreams(base: str) -> list[str]:
    """Each API's base on a server with the mock's layout."""
    return [f"{base}/banqer/{{tenant}}", f"{base}/banqer-auth", f"{base}/pbm", f"{base}/assine"]


@dataclass
class Chain:
    mock: ServerThread
    proxy: ServerThread
    app: ProxyApp
    http: httpx.Client  # on the proxy

    @property
    def url(self) -> str:
        return self.proxy.url

    def fault(self, **fault: Any) -> None:
        """Queue a fault on the upstream mock (its admin API, not through the proxy)."""
        answer = httpx.post(f"{self.mock.url}/__mock__/faults", json=fault, timeout=TIMEOUT)
        assert answer.status_code == 201, answer.text

    def drift(self) -> dict[str, Any]:
        answer = self.http.get("/__mock__/drift")
        assert answer.status_code == 200, answer.text
        data: dict[str, Any] = answer.json()
        return data

    def findings(self) -> list[dict[str, Any]]:
        return [
            dict(item, operation=op["operation"])
            for op in self.drift()["operations"]
            for item in op["findings"]
        ]

    def reset(self) -> None:
        assert httpx.post(f"{self.mock.url}/__mock__/reset", timeout=TIMEOUT).status_code in (200, 204)
        assert self.http.delete("/__mock__/drift").status_code == 204


class ProxyThread(ServerThread):
    """A served proxy whose lifespan runs, so its upstream connections are closed when it stops."""

    def __init__(self, app: ProxyApp) -> None:
        super().__init__(app)  # type: ignore[arg-type]
        self._server = uvicorn.Server(
            uvicorn.Config(
                app,
                log_level="warning",
                access_log=False,
                lifespan="on",
                timeout_graceful_shutdown=2,
                **PROXY_SERVER_OPTIONS,
            )
        )


@contextlib.contextmanager
def chain(config: MockConfig | None = None, **options: Any) -> Iterator[Chain]:
    mock = ServerThread(create_app(create_state(config))).start()  # type: ignore[arg-type]
    app = create_proxy_app(parse_targets(APIS, upstreams(mock.url)), **options)
    proxy = ProxyThread(app).start()
    http = httpx.Client(base_url=proxy.url, timeout=TIMEOUT)
    try:
        yield Chain(mock, proxy, app, http)
    finally:
        http.close()
        proxy.stop()
        mock.stop()
