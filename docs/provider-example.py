"""tests/test_provider_contract.py: does a server still answer as the specs say?

schemathesis generates requests from the bundled specs (positive, negative, boundary, stateful),
logs in through each API's own flow and checks every answer. Point it at a vendor sandbox, your
gateway or anything with the mock's layout.
"""

import os

import pytest

from specmock.contracts.provider import assert_provider_conforms


@pytest.mark.skipif(not os.environ.get("PBM_GRAPHQL_URL"),
                    reason="set PBM_GRAPHQL_URL, PBM_LOGIN and PBM_PASSWORD to check the PBM sandbox")
def test_the_pbm_sandbox_honours_the_contract():
    assert_provider_conforms("pbm", max_examples=10)  # URLs and credentials from the PBM_* variables


def test_a_server_with_the_mock_layout(specmock):
    # the root of a server laid out like the mock: /banqer/{tenant}, /banqer-auth, /pbm/graphql, /assine
    report = assert_provider_conforms("pbm", specmock.url, max_examples=2)
    assert report.ok  # on failure: ProviderContractError with every finding and a curl line to replay it
