"""Medians, ratios to the baselines, the targets, and the one table the bench prints."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bench.load import LoadResult

MOCK, BARE, PRISM = "specmock", "bare", "prism"
#: ``specmock proxy`` in front of the mock (``bench/proxy.py``): listed right after the direct mock.
PROXY = "specmock proxy"
TARGETS_ORDER = (MOCK, PROXY, BARE, PRISM)


def interleaved(rounds: int, targets: Sequence[str]) -> list[tuple[int, str]]:
    """The run order: every target once per round, rounds one after the other (A,B,C,A,B,C,...)."""
    return [(r, t) for r in range(rounds) for t in targets]


def median(values: Iterable[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return statistics.median(kept) if kept else None


@dataclass
class Figures:
    """Median of the rounds of one scenario on one server."""

    rps: float | None
    p50_ms: float | None
    p99_ms: float | None
    runs: int
    invalid: int = 0  # runs with error answers (left out of the medians)
    cpu_us: float | None = None

    @classmethod
    def of(cls, results: Sequence[LoadResult]) -> Figures:
        good = [r for r in results if r.valid]
        return cls(
            median(r.rps for r in good),
            median(r.p50_ms for r in good),
            median(r.p99_ms for r in good),
            len(good),
            len(results) - len(good),
            median(r.cpu_us for r in good),
        )


def ratio(value: float | None, baseline: float | None) -> float | None:
    if value is None or baseline is None or baseline == 0:
        return None
    return value / baseline


# -- targets -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    name: str
    measured: float | None
    limit: float
    higher_is_better: bool
    unit: str = ""

    @property
    def verdict(self) -> str:
        if self.measured is None:
            return "SKIP"
        ok = self.measured >= self.limit if self.higher_is_better else self.measured <= self.limit
        return "PASS" if ok else "MISS"

    def line(self) -> str:
        sign = ">=" if self.higher_is_better else "<="
        shown = "n/a" if self.measured is None else f"{_num(self.measured)}{self.unit}"
        return f"{self.verdict:4}  {self.name:46} {shown:>12}   (target {sign} {_num(self.limit)}{self.unit})"


def targets(
    figures: Mapping[str, Mapping[str, Figures]],
    startup_s: Mapping[str, float | None],
    rss_mib: Mapping[str, float | None],
    reset_us: float | None,
) -> list[Target]:
    listing = figures.get("banqer-list", {})
    mock = listing.get(MOCK)
    bare = listing.get(BARE)
    prism = listing.get(PRISM)
    rps = mock.rps if mock else None
    return [
        Target("Banqer list req/s vs Prism", ratio(rps, prism.rps if prism else None), 3.0, True, "x"),
        Target("Banqer list req/s vs bare ASGI app", ratio(rps, bare.rps if bare else None), 0.5, True, "x"),
        Target("Banqer list p99 at 16 connections", mock.p99_ms if mock else None, 5.0, False, " ms"),
        Target("start to first 200", startup_s.get(MOCK), 0.5, False, " s"),
        Target("RSS after the Banqer list load", rss_mib.get(MOCK), 80.0, False, " MiB"),
        Target(
            "per-test reset (MockState.reset)",
            reset_us / 1000 if reset_us is not None else None,
            1.0,
            False,
            " ms",
        ),
    ]


# -- the table ------------------------------------------------------------------------------------------


def _num(value: float | None, digits: int | None = None) -> str:
    if value is None:
        return "—"
    if digits is not None:
        return f"{value:,.{digits}f}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _x(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}x"


HEADER = (
    "scenario",
    "server",
    "req/s",
    "vs bare",
    "vs Prism",
    "p50 ms",
    "vs bare",
    "vs Prism",
    "p99 ms",
    "vs bare",
    "vs Prism",
    "CPU µs/req",
    "vs bare",
    "vs Prism",
)


def table_rows(
    titles: Mapping[str, str],
    figures: Mapping[str, Mapping[str, Figures]],
    startup_s: Mapping[str, float | None],
    rss_mib: Mapping[str, float | None],
    inproc_rows: Sequence[tuple[str, str, float | None, float | None]] = (),
    *,
    rss_all_mib: Mapping[str, float | None] | None = None,
) -> list[tuple[str, ...]]:
    """Rows of the table: per scenario and server, then start-up and memory per server, then in-process."""
    rows: list[tuple[str, ...]] = []
    for key, by_server in figures.items():
        bare, prism = by_server.get(BARE), by_server.get(PRISM)
        first = True
        for server in TARGETS_ORDER:
            fig = by_server.get(server)
            if fig is None:
                continue
            note = "" if not fig.invalid else f" ({fig.invalid} run(s) with errors left out)"
            rows.append(
                (
                    titles.get(key, key) if first else "",
                    server + note,
                    _num(fig.rps, 0),
                    _x(ratio(fig.rps, bare.rps if bare else None)),
                    _x(ratio(fig.rps, prism.rps if prism else None)),
                    _num(fig.p50_ms),
                    _x(ratio(fig.p50_ms, bare.p50_ms if bare else None)),
                    _x(ratio(fig.p50_ms, prism.p50_ms if prism else None)),
                    _num(fig.p99_ms),
                    _x(ratio(fig.p99_ms, bare.p99_ms if bare else None)),
                    _x(ratio(fig.p99_ms, prism.p99_ms if prism else None)),
                    _num(fig.cpu_us),
                    _x(ratio(fig.cpu_us, bare.cpu_us if bare else None)),
                    _x(ratio(fig.cpu_us, prism.cpu_us if prism else None)),
                )
            )
            first = False
    blocks = [("start to first 200", startup_s, "s"), ("RSS after the Banqer list load", rss_mib, "MiB")]
    if rss_all_mib:
        blocks.append(("RSS after every scenario", rss_all_mib, "MiB"))
    for label, values, unit in blocks:
        first = True
        for server in TARGETS_ORDER:
            if server not in values:
                continue
            value = values[server]
            rows.append(
                (
                    label if first else "",
                    server,
                    f"{_num(value)} {unit}",
                    _x(ratio(value, values.get(BARE))),
                    _x(ratio(value, values.get(PRISM))),
                    *[""] * (len(HEADER) - 5),
                )
            )
            first = False
    for label, server, value, baseline in inproc_rows:
        rows.append(
            (
                label,
                server,
                _num(value, 0) if value is not None and value >= 100 else _num(value),
                _x(ratio(value, baseline)),
                *[""] * (len(HEADER) - 4),
            )
        )
    return rows


def render_text(rows: Sequence[Sequence[str]], header: Sequence[str] = HEADER) -> str:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(
            str(cell).ljust(w) if i < 2 else str(cell).rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def render_markdown(rows: Sequence[Sequence[str]], header: Sequence[str] = HEADER) -> str:
    out = [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join(["---", "---"] + ["---:"] * (len(header) - 2)) + " |",
    ]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)
