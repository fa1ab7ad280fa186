"""The bench harness's own logic: parsing, scripts, schedules, verdicts. No timing is asserted here."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import httpx
import pytest

from bench.bare_app import load_bodies, make_app
from bench.load import LoadResult, Request, encode_request, lua_script, parse_wrk, response_length
from bench.procs import cpu_seconds, parse_cpu_ticks, parse_vmrss_kib, process_tree, rss_kib
from bench.profile import area_of, fold, short
from bench.report import (
    BARE,
    MOCK,
    PRISM,
    Figures,
    Target,
    interleaved,
    ratio,
    render_markdown,
    table_rows,
    targets,
)
from bench.scenarios import Prepared, Scenario, bare_path
from bench.soak import growth, mix_for

WRK_REPORT = """\
Running 3s test @ http://127.0.0.1:40123/banqer/demo/v1/fichas?pageSize=20
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   762.10us  120.33us   4.01ms   91.20%
    Req/Sec    20.91k     1.02k   22.10k    80.00%
  Latency Distribution
     50%  740.00us
     75%  801.00us
     90%  870.00us
     99%    1.42ms
  62412 requests in 3.00s, 290.10MB read
Requests/sec:  20803.75
Transfer/sec:     96.70MB
"""


def test_parse_wrk_reads_rate_percentiles_in_ms_and_no_errors() -> None:
    result = parse_wrk(WRK_REPORT)
    assert result.rps == pytest.approx(20803.75)
    assert result.p50_ms == pytest.approx(0.74)
    assert result.p99_ms == pytest.approx(1.42)
    assert result.requests == 62412
    assert result.errors == 0 and result.valid


def test_parse_wrk_counts_error_answers_and_socket_errors() -> None:
    text = WRK_REPORT.replace(
        "Requests/sec:",
        "  Socket errors: connect 0, read 2, write 0, timeout 1\n"
        "  Non-2xx or 3xx responses: 40\nRequests/sec:",
    )
    result = parse_wrk(text)
    assert result.errors == 43
    assert not result.valid


def test_parse_wrk_units_seconds() -> None:
    text = WRK_REPORT.replace("1.42ms", "1.50s")
    assert parse_wrk(text).p99_ms == pytest.approx(1500.0)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "wrk: connection refused",
        WRK_REPORT.replace("  Latency Distribution", "")
        .replace("     50%  740.00us\n", "")
        .replace("     99%    1.42ms\n", ""),
    ],
)
def test_parse_wrk_rejects_what_is_not_a_latency_report(text: str) -> None:
    with pytest.raises(ValueError):
        parse_wrk(text)


def test_lua_script_sets_method_headers_and_body_with_escapes() -> None:
    body = b'{"query": "mutation {\\n createToken(login: \\"u\\")}"}\n\xc3\xa9'
    script = lua_script(
        Request(
            "POST",
            "/pbm/graphql",
            {"Content-Type": "application/json", "Authorization": "Bearer a.b.c"},
            body,
        )
    )
    assert 'wrk.method = "POST"' in script
    assert 'wrk.headers["Content-Type"] = "application/json"' in script
    assert 'wrk.headers["Authorization"] = "Bearer a.b.c"' in script
    line = next(x for x in script.splitlines() if x.startswith("wrk.body = "))
    assert _lua_unescape(line[len("wrk.body = ") :]) == body


def test_lua_script_for_a_get_has_no_body() -> None:
    assert "wrk.body" not in lua_script(Request("GET", "/x", {"Authorization": "Bearer t"}))


def _lua_unescape(literal: str) -> bytes:
    """Decode the subset of Lua string escapes the bench writes."""
    assert literal[0] == literal[-1] == '"'
    out, i, text = bytearray(), 0, literal[1:-1]
    while i < len(text):
        if text[i] == "\\":
            if text[i + 1].isdigit():
                out.append(int(text[i + 1 : i + 4]))
                i += 4
            else:
                out.append(ord(text[i + 1]))
                i += 2
        else:
            out.append(ord(text[i]))
            i += 1
    return bytes(out)


def test_encode_request_and_response_length_round_trip() -> None:
    raw = encode_request(
        Request("POST", "/t", {"Content-Type": "application/x-www-form-urlencoded"}, b"a=1"), 8080
    )
    assert raw.startswith(b"POST /t HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n")
    assert b"\r\nContent-Length: 3\r\n\r\na=1" in raw
    response = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello"
    assert response_length(response[:-1]) is None
    assert response_length(response + b"HTTP/1.1") == len(response)
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
    assert response_length(chunked) == len(chunked)
    assert response_length(chunked[:-2]) is None


def test_interleaved_order_is_abc_abc() -> None:
    assert [t for _, t in interleaved(3, ["A", "B", "C"])] == ["A", "B", "C"] * 3
    assert [r for r, _ in interleaved(2, ["A", "B"])] == [0, 0, 1, 1]


def test_figures_take_medians_and_leave_runs_with_errors_out() -> None:
    runs = [
        LoadResult(100, 1.0, 5.0, 1000, cpu_us=90.0),
        LoadResult(300, 3.0, 9.0, 3000, cpu_us=70.0),
        LoadResult(200, 2.0, 7.0, 2000, cpu_us=None),
        LoadResult(9999, 0.1, 0.2, 5000, errors=5, cpu_us=1.0),
    ]
    figures = Figures.of(runs)
    assert (figures.rps, figures.p50_ms, figures.p99_ms) == (200, 2.0, 7.0)
    assert figures.cpu_us == 80.0  # runs without a CPU reading are left out of that median only
    assert figures.runs == 3 and figures.invalid == 1


def test_ratio_handles_missing_baselines() -> None:
    assert ratio(6.0, 2.0) == 3.0
    assert ratio(6.0, None) is None and ratio(None, 2.0) is None and ratio(1.0, 0.0) is None


def _figures(
    mock_rps: float, bare_rps: float, prism_rps: float | None, p99: float
) -> dict[str, dict[str, Figures]]:
    listing = {
        MOCK: Figures(mock_rps, 1.0, p99, 3, cpu_us=90.0),
        BARE: Figures(bare_rps, 0.5, 1.0, 3, cpu_us=45.0),
    }
    if prism_rps is not None:
        listing[PRISM] = Figures(prism_rps, 5.0, 8.0, 3, cpu_us=300.0)
    return {"banqer-list": listing}


def test_targets_pass_and_miss() -> None:
    verdicts = targets(_figures(11_000, 21_000, 3_100, 4.0), {MOCK: 0.3}, {MOCK: 60.0}, 150.0)
    assert [t.verdict for t in verdicts] == ["PASS"] * 6
    verdicts = targets(_figures(9_000, 21_000, 3_100, 6.0), {MOCK: 0.7}, {MOCK: 90.0}, 1500.0)
    assert [t.verdict for t in verdicts] == ["MISS", "MISS", "MISS", "MISS", "MISS", "MISS"]


def test_target_without_prism_is_skipped_not_passed() -> None:
    verdicts = targets(_figures(10_000, 21_000, None, 4.0), {MOCK: 0.3}, {MOCK: 60.0}, None)
    by_name = {t.name: t.verdict for t in verdicts}
    assert by_name["Banqer list req/s vs Prism"] == "SKIP"
    assert by_name["per-test reset (MockState.reset)"] == "SKIP"
    assert "SKIP" in Target("x", None, 1.0, True).line()


def test_table_has_ratios_to_both_baselines() -> None:
    rows = table_rows(
        {"banqer-list": "Banqer list"},
        _figures(9_300, 18_600, 3_100, 4.0),
        {MOCK: 0.4, BARE: 0.2, PRISM: 1.6},
        {MOCK: 60.0, BARE: 30.0, PRISM: 160.0},
        [("reset", MOCK, 150.0, None)],
        rss_all_mib={MOCK: 90.0, BARE: 30.0},
    )
    mock_row = rows[0]
    assert mock_row[0] == "Banqer list" and mock_row[1] == MOCK
    assert mock_row[3] == "0.50x" and mock_row[4] == "3.00x"
    assert mock_row[11:14] == ("90.0", "2.00x", "0.30x")
    assert all(len(row) == len(rows[0]) for row in rows)
    startup = next(r for r in rows if r[0] == "start to first 200")
    assert startup[3] == "2.00x" and startup[4] == "0.25x"
    after_all = next(r for r in rows if r[0] == "RSS after every scenario")
    assert after_all[2] == "90.0 MiB" and after_all[3] == "3.00x" and after_all[4] == "—"
    assert render_markdown(rows).count("\n") == len(rows) + 1


def test_vmrss_and_process_tree_from_a_proc_like_folder(tmp_path: Path) -> None:
    def proc(pid: int, ppid: int, rss_kib: int | None, comm: str = "python") -> None:
        folder = tmp_path / str(pid)
        folder.mkdir()
        # fields 14 and 15 (utime, stime) are pid * 10 and 5 ticks
        (folder / "stat").write_text(f"{pid} ({comm}) S {ppid} 1 1 0 -1 0 0 0 0 0 {pid * 10} 5 0 0")
        status = "Name:\tpython\n" + (f"VmRSS:\t  {rss_kib} kB\n" if rss_kib is not None else "")
        (folder / "status").write_text(status)

    proc(10, 1, 1000)
    proc(11, 10, 200, comm="node (worker) x")  # a name with spaces and parentheses
    proc(12, 11, 30)
    proc(13, 1, 5000)  # not in the tree
    proc(14, 10, None)  # a zombie has no VmRSS
    (tmp_path / "self").mkdir()
    assert sorted(process_tree(10, tmp_path)) == [10, 11, 12, 14]
    assert rss_kib(10, tmp_path) == 1230
    assert parse_vmrss_kib("VmPeak:\t 9 kB\nVmRSS:\t 42 kB\n") == 42
    assert parse_vmrss_kib("") == 0
    assert parse_cpu_ticks((tmp_path / "11" / "stat").read_text()) == 115
    ticks = (100 + 5) + (110 + 5) + (120 + 5) + (140 + 5)
    assert cpu_seconds(10, tmp_path) == ticks / os.sysconf("SC_CLK_TCK")


def test_bare_app_answers_the_captured_bytes(tmp_path: Path) -> None:
    body = json.dumps({"fichas": [{"id": 1}]}).encode()
    spec = {
        "status": 200,
        "content_type": "application/json; charset=utf-8",
        "body": base64.b64encode(body).decode(),
    }
    other = {"status": 200, "content_type": "application/json", "body": base64.b64encode(b"{}").decode()}
    file = tmp_path / "bodies.json"
    file.write_text(json.dumps({bare_path("banqer-list"): spec, bare_path("pbm-token"): other}))
    app = make_app(load_bodies(file))

    async def call() -> list[httpx.Response]:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bare"
        ) as client:
            return [
                await client.get("/banqer-list?pageSize=20"),
                await client.post("/pbm-token", content=b"{}"),
                await client.get("/anything"),
            ]

    import asyncio

    listed, token, fallback = asyncio.run(call())
    assert listed.content == body and listed.headers["content-type"] == "application/json; charset=utf-8"
    assert listed.headers["content-length"] == str(len(body))
    assert token.content == b"{}"
    assert fallback.content == body


def test_bare_request_keeps_method_query_headers_and_body() -> None:
    prepared = Prepared()
    prepared.mock["assine-users"] = Request(
        "GET", "/assine/v1/user?filter%5B0%5D=1", {"Authorization": "Bearer t"}
    )
    bare = prepared.bare_request("assine-users")
    assert bare.path == "/assine-users?filter%5B0%5D=1"
    assert bare.headers == {"Authorization": "Bearer t"} and bare.method == "GET"
    assert Scenario("k", "t", "banqer").prism is False


def test_soak_mix_leaves_out_apis_not_hosted_and_growth_over_the_second_half() -> None:
    assert set(mix_for({"banqer", "banqer-auth"})) == {"banqer_token", "banqer_list", "banqer_get"}
    assert mix_for({"banqer"}) == []  # no realm, no Banqer token
    assert "pbm_medicines" in mix_for({"pbm"})
    assert growth([(0, 40.0), (10_000, 60.0), (20_000, 61.0), (30_000, 62.5), (40_000, 62.0)]) == (22.0, 1.0)
    assert growth([]) == (0.0, 0.0)


def test_profile_folding_and_areas() -> None:
    raw = [
        "<module> (specmock/__main__.py:5);run (uvicorn/server.py:1);"
        "dumps (/usr/lib/python3.11/json/__init__.py:238) 3",
        "<module> (specmock/__main__.py:5);ControlLayer.__call__ (/srv/app/mocks/core/middleware.py:80) 1",
        "render (mocks/banqer/errors.py:70);encode (/usr/lib/python3.11/json/encoder.py:200) 2",
        "garbage line",
    ]
    inclusive, own, areas, total = fold(raw)
    assert total == 6
    assert inclusive["<module> (specmock/__main__.py:5)"] == 4
    assert own["ControlLayer.__call__ (/srv/app/mocks/core/middleware.py:80)"] == 1
    assert areas["JSON encode/decode"] == 5 and areas["control layer (rest)"] == 1
    assert area_of(["x (somewhere.py:1)"]) == "other"
    assert short("f (/x/lib/python3.11/site-packages/starlette/routing.py:3)") == "f (starlette/routing.py:3)"


def test_the_first_list_is_reached_through_a_real_token_and_the_server_is_stopped_after() -> None:
    from bench.__main__ import mock_server
    from bench.startup import first_list_seconds

    server = mock_server({})
    seconds = first_list_seconds(server)
    assert seconds >= server.startup_s > 0  # the list comes after the first 200 on the admin API
    assert server.proc is None


def test_the_consumer_command_takes_a_number_of_runs() -> None:
    from bench.__main__ import build_parser

    args = build_parser().parse_args(["consumer", "--runs", "2"])
    assert (args.command, args.runs) == ("consumer", 2)
    assert build_parser().parse_args(["consumer"]).runs == 3
