"""The drift report and the proxy's journal hold no secret: the robustness suite's workload and grep.

The workload of ``tests/robustness/test_secrets.py`` (unusual secrets in bodies, Basic credentials,
GraphQL literals and variables, query strings, refresh and application tokens, failed logins) runs
through the proxy, then every secret and token it met is searched for, in every spelling, in the
report (as served and as written to disk) and in the journal.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from specmock.cli import write_drift_report
from tests.mocks.proxy.support import TIMEOUT, chain
from tests.robustness.test_secrets import CONFIG, Workload, leaks


class _ThroughProxy:
    """What the workload needs of a served mock, pointed at the proxy."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.clients: list[httpx.Client] = []

    def client(self, **kwargs: Any) -> httpx.Client:
        made = httpx.Client(base_url=self.url, timeout=TIMEOUT, **kwargs)
        self.clients.append(made)
        return made


def test_no_secret_reaches_the_report_or_the_journal(tmp_path: Path) -> None:
    with chain(CONFIG) as proxied:
        target = _ThroughProxy(proxied.url)
        workload = Workload(target)  # type: ignore[arg-type]
        try:
            workload.banqer()
            workload.pbm()
            workload.assine()
        finally:
            for client in target.clients:
                client.close()
        served = proxied.http.get("/__mock__/drift").text
        markdown = proxied.http.get("/__mock__/drift?format=markdown").text
        journal = proxied.http.get("/__mock__/requests").text
        written = write_drift_report(
            proxied.app.report.to_json(), proxied.app.report.to_markdown(), tmp_path / "drift.json"
        )
        report = proxied.app.report.to_dict()
    files = {path.name: path.read_text(encoding="utf-8") for path in written}
    assert set(files) == {"drift.json", "drift.md"}
    assert report["exchanges"] > 30
    assert report["drift"] > 0  # the workload's bad requests are drift: the report has content to search
    places = {"report (JSON)": served, "report (Markdown)": markdown, "journal": journal, **files}
    assert len(workload.secrets) >= 14
    found = leaks(places, workload.secrets)
    assert not found, found
    assert "***" in journal  # masked, not dropped
