"""The floor: a bare ASGI app answering fixed bytes, served exactly as ``specmock serve`` serves the mock.

The bodies are the mock's own responses, captured by the bench before the baseline starts, so the
two servers put the same bytes on the wire. ``python -m bench.bare_app --port P --bodies FILE``;
the file maps a request path to ``{"status", "content_type", "body"}`` (body in base64). A path not
in the file gets the first body.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

Reply = tuple[dict[str, Any], dict[str, Any]]


def load_bodies(path: str | Path) -> dict[str, Reply]:
    raw: Mapping[str, Mapping[str, Any]] = json.loads(Path(path).read_text(encoding="utf-8"))
    return {route: _reply(spec) for route, spec in raw.items()}


def _reply(spec: Mapping[str, Any]) -> Reply:
    body = base64.b64decode(spec["body"])
    start = {
        "type": "http.response.start",
        "status": int(spec.get("status", 200)),
        "headers": [
            (b"content-type", str(spec.get("content_type", "application/json")).encode("latin-1")),
            (b"content-length", str(len(body)).encode("ascii")),
        ],
    }
    return start, {"type": "http.response.body", "body": body}


def make_app(bodies: Mapping[str, Reply]) -> Any:
    """An ASGI app answering each path's fixed reply (the first one for any other path)."""
    if not bodies:
        raise ValueError("the bare app needs at least one body")
    default = next(iter(bodies.values()))

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        if scope["method"] != "GET":  # drain a request body, as any real handler would
            more = True
            while more:
                message = await receive()
                more = message.get("more_body", False)
        start, body = bodies.get(scope["path"], default)
        await send(start)
        await send(body)

    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bare_app", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bodies", required=True, help="JSON file of path -> captured response")
    args = parser.parse_args(argv)
    # The very same socket set-up and uvicorn flags as ``specmock serve``.
    from specmock.mocks.server import bind_socket, run_server

    app = make_app(load_bodies(args.bodies))
    sock = bind_socket(args.host, args.port)
    with contextlib.suppress(KeyboardInterrupt):
        run_server(app, sock)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
