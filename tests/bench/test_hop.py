"""``python -m bench proxy``: the relay moves bytes unchanged; the table's ratios are to the right rows."""

from __future__ import annotations

import asyncio

from bench.hop import DIRECT, HOP, PROXY_PATH, Row, render
from bench.load import LoadResult
from bench.relay import serve


def _row(rps: float, p50: float, hop_cpu: float) -> Row:
    return Row([LoadResult(rps, p50, p50 * 3, 1000)], [hop_cpu], [hop_cpu + 50])


def test_ratios_are_to_direct_and_for_the_proxy_to_the_bare_hop() -> None:
    table = {
        (DIRECT, 1): _row(10_000, 0.1, 0),
        (HOP, 1): _row(5_000, 0.2, 40),
        (PROXY_PATH, 1): _row(2_500, 0.4, 160),
    }
    lines = render(table, [DIRECT, HOP, PROXY_PATH], [1], 1).splitlines()
    proxy = next(line for line in lines if f"| {PROXY_PATH} |" in line)
    cells = [c.strip() for c in proxy.strip("|").split("|")]
    # req/s vs direct, p50 vs direct, req/s vs bare hop, p50 vs bare hop, CPU vs bare hop
    assert cells[-5:] == ["0.25x", "4.00x", "0.50x", "2.00x", "4.00x"]
    hop = next(line for line in lines if f"| {HOP} |" in line)
    assert hop.rstrip(" |").endswith("— | — | —")  # the hop is not compared with itself


def test_the_relay_passes_bytes_unchanged_both_ways() -> None:
    messages = [b"x", bytes(range(256)) * 1024, b"GET / HTTP/1.1\r\n\r\n"]  # the middle one: 256 KiB
    async def scenario() -> None:
        async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while data := await reader.read(65536):
                writer.write(data[::-1])
                await writer.drain()
            writer.close()

        upstream = await asyncio.start_server(echo, "127.0.0.1", 0)
        upstream_port = upstream.sockets[0].getsockname()[1]
        probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = probe.sockets[0].getsockname()[1]
        probe.close()
        await probe.wait_closed()
        stop = asyncio.Event()
        relay = asyncio.create_task(serve(port, upstream_port, stop))
        for _ in range(100):
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.01)
        for message in messages:
            writer.write(message)
            await writer.drain()
            assert await reader.readexactly(len(message)) == message[::-1]
        writer.close()
        await writer.wait_closed()
        await asyncio.sleep(0.1)  # the relay closes its side, then its upstream connection
        stop.set()
        await relay
        upstream.close()
        await upstream.wait_closed()

    asyncio.run(asyncio.wait_for(scenario(), 20))
