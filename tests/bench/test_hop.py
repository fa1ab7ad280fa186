"""``python -m bench proxy``: the relay moves bytes unchanged; the table's ratios are to the right rows."""

from __future__ import annotations

import asyncio

from bench.hop import DIRECT, HOP, OTHER, PRISM_PROXY, PROXY_PATH, Row, render
from bench.load import LoadResult
from bench.relay import serve


def _row(rps: float, p50: float, hop_cpu: float) -> Row:
    return Row([LoadResult(rps, p50, p50 * 3, 1000)], [hop_cpu], [hop_cpu + 50])


def _cells(text: str, name: str) -> dict[str, str]:
    """Row ``name`` of a rendered table, by column heading."""
    lines = text.splitlines()
    heading = next(line for line in lines if line.startswith("| conns |"))
    row = next(line for line in lines if f"| {name} |" in line)
    split = lambda line: [c.strip() for c in line.strip().strip("|").split("|")]  # noqa: E731
    return dict(zip(split(heading), split(row), strict=True))


TABLE = {
    (DIRECT, 1): _row(10_000, 0.1, 0),
    (HOP, 1): _row(5_000, 0.2, 40),
    (PROXY_PATH, 1): _row(2_500, 0.4, 160),
    (PRISM_PROXY, 1): _row(250, 4.0, 1600),
}


def test_ratios_are_to_direct_and_for_the_proxy_to_the_bare_hop() -> None:
    proxy = _cells(render(TABLE, [DIRECT, HOP, PROXY_PATH, PRISM_PROXY], [1], 1), PROXY_PATH)
    assert (proxy["req/s vs direct"], proxy["p50 vs direct"]) == ("0.25x", "4.00x")
    assert (proxy["req/s vs bare hop"], proxy["p50 vs bare hop"], proxy["CPU hop vs bare hop"]) == (
        "0.50x", "2.00x", "4.00x")
    assert {proxy[k] for k in ("req/s vs specmock proxy", "p50 vs specmock proxy")} == {"—"}  # not to itself
    hop = _cells(render(TABLE, [DIRECT, HOP, PROXY_PATH], [1], 1), HOP)
    assert hop["req/s vs direct"] == "0.50x"
    assert {hop[k] for k in ("req/s vs bare hop", "p50 vs bare hop", "CPU hop vs bare hop")} == {"—"}


def test_prism_proxy_is_compared_with_the_bare_hop_and_with_specmock_proxy() -> None:
    prism = _cells(render(TABLE, [DIRECT, HOP, PROXY_PATH, PRISM_PROXY], [1], 1), PRISM_PROXY)
    assert (prism["req/s"], prism["CPU hop"]) == ("250", "1600")
    assert (prism["req/s vs bare hop"], prism["CPU hop vs bare hop"]) == ("0.05x", "40.00x")
    assert (prism["req/s vs specmock proxy"], prism["p50 vs specmock proxy"],
            prism["CPU hop vs specmock proxy"]) == ("0.10x", "10.00x", "10.00x")


def test_a_missing_base_row_leaves_its_ratios_empty() -> None:
    table = {key: row for key, row in TABLE.items() if key[0] != PROXY_PATH}
    table[(OTHER, 1)] = _row(1_000, 1.0, 500)
    text = render(table, [DIRECT, HOP, PRISM_PROXY, OTHER], [1], 1)
    assert _cells(text, PRISM_PROXY)["req/s vs specmock proxy"] == "—"
    assert _cells(text, OTHER)["req/s vs bare hop"] == "0.20x"


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
