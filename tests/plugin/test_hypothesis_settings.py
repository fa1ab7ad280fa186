"""Hypothesis settings of the consumer suites in a user's repository: the ``specmock`` profiles,
``HYPOTHESIS_PROFILE`` and ``--specmock-examples``; failing examples named by their script."""

from __future__ import annotations

import pytest

from tests.plugin.project import Project

pytest_plugins = ["pytester"]

#: A test module counting the examples one property runs (one client per example).
COUNTING = '''
from pathlib import Path

from specmock.contracts.consumer import BanqerConsumerContract
from specmock.contracts.consumer.reference import ReferenceBanqerAdapter


class Counting(ReferenceBanqerAdapter):
    def make_client(self, **keywords):
        with open(Path(__file__).with_name("examples.txt"), "a") as out:
            out.write("x")
        return super().make_client(**keywords)


def test_error_bodies(specmock_consumer_contract):
    specmock_consumer_contract(Counting(), only=["error_bodies"])
'''


def examples(project: Project, *args: str, env: dict[str, str] | None = None) -> int:
    counter = project.path / "examples.txt"
    counter.unlink(missing_ok=True)
    project.write("test_count.py", COUNTING)
    result = project.run("-p", "no:cacheprovider", *args, env=env)
    result.assert_outcomes(passed=1)
    return len(counter.read_text())


def test_the_specmock_profile_is_the_default_and_the_option_overrides_it(project: Project) -> None:
    assert examples(project, "--specmock-examples", "3") == 3
    assert examples(project, env={"HYPOTHESIS_PROFILE": "specmock-quick"}) == 5
    assert 5 < examples(project) <= 25  # profile specmock: 25 examples (fewer when drawn twice)


def test_an_unknown_hypothesis_profile_is_one_line(project: Project) -> None:
    project.write("test_nothing.py", "def test_nothing(): pass\n")
    result = project.run(env={"HYPOTHESIS_PROFILE": "nightly"}, subprocess=False)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*specmock: HYPOTHESIS_PROFILE='nightly' is not a registered profile; "
                                 "registered: *specmock*"])


def test_help_lists_the_examples_option(project: Project) -> None:
    result = project.run("--help", subprocess=False)
    result.stdout.re_match_lines([r"\s+--specmock-examples=N", r"\s+examples per consumer contract property"])


BROKEN = '''
from specmock.contracts.clients import RetryPolicy
from specmock.contracts.consumer import BanqerConsumerContract
from specmock.contracts.consumer.reference import ReferenceBanqerAdapter


class NoDefaultWait(RetryPolicy):
    """Planted bug: a 429 without Retry-After is retried at once."""

    def retry_after(self, value):
        return 0.0 if value is None else super().retry_after(value)


class TestBroken(BanqerConsumerContract):
    adapter = ReferenceBanqerAdapter(retry_policy=NoDefaultWait)
'''


def test_a_failing_explicit_example_is_shown_as_its_script(project: Project) -> None:
    project.write("test_broken.py", BROKEN)
    result = project.run("-p", "no:cacheprovider", "-k", "test_retries")
    result.assert_outcomes(failed=1)
    result.stdout.re_match_lines([
        r".*Banqer contract: did not wait the default 5 s after a 429 without a usable Retry-After",
        r".*Failing explicit example: retries\(",
        r".*script=\[429 \{'message': 'Limite', 'details': \[\{'reason': 'RATE_LIMITED'\}\]\} "
        r"\(no Retry-After\),",
        r".*200 0 credores\],",
    ], consecutive=False)
