"""The reference hop: a bare TCP relay, what "one loopback hop" costs with no HTTP work at all.

``python -m bench.relay --port P --upstream-port U`` accepts connections on loopback and pipes each,
byte for byte, to its own connection to ``127.0.0.1:U`` (and back), on the event loop the proxy
runs on (uvloop when installed). Whatever the validating proxy costs beyond this relay is its own
work: parsing HTTP twice, choosing the upstream, checking the exchange.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from typing import cast

__all__ = ["main", "serve"]


class _Side(asyncio.Protocol):
    """One end of a relayed pair: what it reads goes out on ``peer``; back-pressure is passed on."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.peer: _Side | None = None
        self.pending: list[bytes] = []  # read before the peer was connected

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not derive from asyncio's classes: no isinstance check here.
        self.transport = cast(asyncio.Transport, transport)
        self.transport.set_write_buffer_limits(high=256 * 1024)

    def attach(self, peer: _Side) -> None:
        self.peer = peer
        for data in self.pending:
            self._out(data)
        self.pending.clear()

    def data_received(self, data: bytes) -> None:
        if self.peer is None:
            self.pending.append(data)
        else:
            self._out(data)

    def _out(self, data: bytes) -> None:
        assert self.peer is not None and self.peer.transport is not None
        self.peer.transport.write(data)

    def pause_writing(self) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.close()


async def serve(port: int, upstream_port: int, stop: asyncio.Event, host: str = "127.0.0.1") -> None:
    """Relay ``host:port`` to ``host:upstream_port`` until ``stop`` is set."""
    loop = asyncio.get_running_loop()
    connecting: set[asyncio.Task[None]] = set()

    def accepted() -> _Side:
        client = _Side()

        async def connect() -> None:
            try:
                _, upstream = await loop.create_connection(_Side, host, upstream_port)
            except OSError:
                if client.transport is not None:
                    client.transport.close()
                return
            upstream.attach(client)
            client.attach(upstream)

        task = loop.create_task(connect())
        connecting.add(task)
        task.add_done_callback(connecting.discard)
        return client

    server = await loop.create_server(accepted, host, port, reuse_address=True)
    async with server:
        await stop.wait()


async def _until_signalled(port: int, upstream_port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await serve(port, upstream_port, stop)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.relay", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream-port", type=int, required=True)
    args = parser.parse_args(argv)
    try:
        import uvloop
    except ImportError:
        runner = asyncio.run
    else:
        runner = uvloop.run
    with contextlib.suppress(KeyboardInterrupt):
        runner(_until_signalled(args.port, args.upstream_port))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
