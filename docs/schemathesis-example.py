"""tests/test_banqer_schema.py: your own schemathesis tests of the Banqer API, here against the mock.

specmock.contracts.schema() loads the shipped spec with the shipped schemathesis.toml (the
documented exceptions to schemathesis's checks) and logs in through the API's own token endpoint,
renewing the token before it expires. For a sandbox, give it the BANQER_* variables
instead of the mock's URL.
"""

from hypothesis import HealthCheck, given, settings

from specmock import specs
from specmock.contracts import schema


def test_banqer_answers_as_its_spec_says(specmock):  # specmock: the pytest fixture, a mock on a free port
    banqer = schema("banqer", specmock.url)
    for result in banqer.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
        def check(case):
            case.call_and_validate()  # every check, with the exceptions of schemathesis.toml

        check()


def test_the_specs_ship_with_the_kit():
    assert specs.path("banqer").name == "banqer.openapi.yaml"
    assert specs.path("schemathesis.toml").is_file()  # what `schemathesis run --config-file` takes
