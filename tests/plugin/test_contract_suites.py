"""The README's examples run as written in a throwaway project; a broken client fails the contract."""

from __future__ import annotations

from pathlib import Path

from tests.plugin.project import QUICK_PROFILE, Project

pytest_plugins = ["pytester"]

DOCS = Path(__file__).resolve().parents[2] / "docs"

#: The project's own Banqer client. Teams are told to start from the kit's reference client.
CLIENT = '''
"""mycompany's Banqer client."""

from specmock.contracts.clients import BanqerClient, ClientError

BanqerFailure = ClientError


class Banqer(BanqerClient):
    """Our client: the reference one, plus what mycompany needs."""
'''

#: The same client with one planted defect: the filters are only sent with the first page.
BROKEN_CLIENT = '''
"""mycompany's Banqer client, with a planted bug (on purpose: the contract must catch it)."""

from specmock.contracts.clients import BanqerClient, ClientError

BanqerFailure = ClientError


class Banqer(BanqerClient):
    def paginate(self, path, params=None, page_size=200, key=None):
        token, sent, filters = "", set(), dict(params or {})
        while True:
            sent.add(token)
            body = self.get(path, {**filters, "pageSize": page_size, "pageToken": token})
            filters = {}  # PLANTED BUG: later pages lose the filters
            yield from body["fichas"]
            token = body.get("nextPageToken") or ""
            if not token:
                return
            if token in sent:
                raise ClientError("the server repeated a page token")
'''


def example(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def test_the_readme_examples_run_as_written(project: Project) -> None:
    project.write("conftest.py", QUICK_PROFILE)
    project.write("mycompany/__init__.py", "")
    project.write("mycompany/banqer.py", CLIENT)
    project.write("test_with_specmock.py", example("plugin-example.py"))
    project.write("test_banqer_contract.py", example("consumer-example.py"))
    project.write("test_provider_contract.py", example("provider-example.py"))
    project.write("test_banqer_schema.py", example("schemathesis-example.py"))
    project.monkeypatch.delenv("PBM_GRAPHQL_URL", raising=False)
    result = project.run("-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=6 + 9 + 1 + 2, skipped=1)
    result.stdout.fnmatch_lines(["*TestMyBanqerClient::test_retries PASSED*",
                                 "*TestMyBanqerClient::test_pagination PASSED*"], consecutive=False)


def test_a_broken_client_fails_the_consumer_contract_and_says_why(project: Project) -> None:
    project.write("conftest.py", QUICK_PROFILE)
    project.write("mycompany/__init__.py", "")
    project.write("mycompany/banqer.py", BROKEN_CLIENT)
    project.write("test_banqer_contract.py", example("consumer-example.py").replace(
        '["retries", "token_renewal"]', '["retries", "pagination"]'))
    result = project.run("-p", "no:cacheprovider", "-v", "-k", "pagination or only")
    result.assert_outcomes(passed=1, failed=2)  # test_pagination_loop passes: the bug is elsewhere
    result.stdout.fnmatch_lines(["*TestMyBanqerClient::test_pagination FAILED*"], consecutive=False)
    result.stdout.fnmatch_lines(["*test_only_the_retry_rules FAILED*"], consecutive=False)
    result.stdout.re_match_lines([r"E\s+.*ContractViolation: Banqer contract: dropped the filters on page 2",
                                  r"E\s+property: pagination"], consecutive=False)
