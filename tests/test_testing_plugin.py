"""The pytest plugin: loaded through its entry point, its fixtures used by a pytester run.

The test files run here have no conftest and no ``-p`` option: the fixtures can
only come from the installed ``pytest11`` entry point.
"""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import textwrap

import pytest

pytest_plugins = ["pytester"]


def test_the_plugin_is_registered_as_a_pytest11_entry_point() -> None:
    found = [e for e in importlib.metadata.entry_points(group="pytest11") if e.name == "ec2revoke"]
    assert [e.value for e in found] == ["ec2revoke.testing.plugin"]


def test_the_stubber_fixture(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_user=textwrap.dedent(
            """
            import contextlib

            from ec2revoke import Rule
            from ec2revoke.testing import ANY, Stubber


            def test_stubbed(ec2_stubber):
                assert isinstance(ec2_stubber, Stubber) and ec2_stubber.active
                ec2_stubber.add_response(
                    "RevokeSecurityGroupIngress",
                    {"Return": True},
                    expected_params={"GroupId": "sg-1", "IpPermissions": ANY},
                )
                report = ec2_stubber.client.revoke_ingress("sg-1", Rule.tcp(22).from_any_ipv4())
                assert report.complete


            def test_an_unused_answer(ec2_stubber):
                ec2_stubber.add_response("DescribeSecurityGroups", {})


            def test_a_swallowed_refusal(ec2_stubber):
                with contextlib.suppress(Exception):
                    ec2_stubber.client.describe_security_groups(group_ids=["sg-2"])


            def test_a_failing_test(ec2_stubber):
                ec2_stubber.add_response("DescribeSecurityGroups", {})
                assert 1 == 2, "the test's own failure"
            """
        )
    )

    result = pytester.runpytest("-W", "error", "-p", "no:cacheprovider")

    result.assert_outcomes(passed=3, failed=1, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_an_unused_answer*",
            "E*StubAssertionError: 1 stubbed response(s) never used: DescribeSecurityGroups",
            "*ERROR at teardown of test_a_swallowed_refusal*",
            "E*StubAssertionError: 1 call(s) were refused during the test *",
            "E*call 1: the code called DescribeSecurityGroups, but no stubbed response is left *",
        ]
    )
    # A failing test is reported for its own failure, without a teardown error on top.
    result.stdout.fnmatch_lines(["FAILED test_user.py::test_a_failing_test - AssertionError*"])
    result.stdout.no_fnmatch_line("*ERROR at teardown of test_a_failing_test*")


def test_the_embedded_endpoint_fixture(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_embedded=textwrap.dedent(
            """
            from ec2revoke import Rule
            from ec2revoke.testing import EmbeddedEndpoint


            def test_create_and_revoke(ec2_embedded):
                assert isinstance(ec2_embedded, EmbeddedEndpoint)
                assert ec2_embedded.url.startswith("http://127.0.0.1:")
                client = ec2_embedded.client()
                group = client.create_security_group(group_name="web", description="d")
                rule = Rule.tcp(22).from_any_ipv4()
                client.authorize_security_group_ingress(
                    group_id=group.group_id, ip_permissions=[rule.to_ip_permission()]
                )
                assert client.revoke_ingress(group.group_id, rule).complete


            def test_each_test_starts_empty(ec2_embedded):
                groups = ec2_embedded.client().describe_security_groups().security_groups
                assert [g.group_name for g in groups] == ["default"]
            """
        )
    )

    result = pytester.runpytest("-W", "error", "-p", "no:cacheprovider")

    result.assert_outcomes(passed=2)


def test_the_plugin_loads_without_the_testing_extra() -> None:
    # pytest imports the plugin in every run where ec2revoke is installed; without
    # responses and PyYAML that must still work, and using the kit must say what to install.
    script = textwrap.dedent(
        """
        import sys
        sys.modules["responses"] = None
        sys.modules["yaml"] = None
        import ec2revoke.testing.plugin
        import ec2revoke.testing
        try:
            ec2revoke.testing.Stubber
        except ImportError as e:
            print(e)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == (
        "ec2revoke.testing.Stubber needs responses: pip install 'ec2revoke[testing]'"
    )
