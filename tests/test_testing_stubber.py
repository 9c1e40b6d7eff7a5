"""ec2revoke.testing.Stubber: canned EC2 answers served as real XML at the HTTP edge.

Every test drives a real EC2Client (signer, transport, retries, parser); only the
answers are canned. Mismatch messages are asserted word for word, since saying
exactly what differed is the point of the kit.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from ec2revoke import (
    ConfigurationError,
    ConnectionFailed,
    DryRunResult,
    EC2Client,
    EC2Error,
    InvalidPermissionNotFound,
    ParamValidationError,
    RequestLimitExceeded,
    Rule,
    StaticCredentials,
    UnauthorizedOperation,
    shapes,
)
from ec2revoke._http.retry import DEFAULT_MAX_ATTEMPTS
from ec2revoke._rules.rule import merge
from ec2revoke.testing import (
    ANY,
    StubAssertionError,
    Stubber,
    StubResponseError,
    UnstubbedRequestError,
)
from ec2revoke.testing._embedded import free_port

GROUP = "sg-0123456789abcdef0"
SSH_ANY4 = Rule.tcp(22).from_any_ipv4()
REVOKED = shapes.RevokeSecurityGroupIngressResult(return_=True)
CREDENTIALS = StaticCredentials("AKIDEXAMPLE", "stubber-test-secret")


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(sleeps: list[float]) -> Iterator[EC2Client]:
    with EC2Client(region="us-east-1", credentials=CREDENTIALS, sleep=sleeps.append) as c:
        yield c


@pytest.fixture
def stubber(client: EC2Client) -> Stubber:
    # Not activated: each test shows the form it uses.
    return Stubber(client)


@pytest.fixture
def active(stubber: Stubber) -> Iterator[Stubber]:
    """Active without the exit check: for tests that provoke a refusal on purpose."""
    stubber.activate()
    yield stubber
    stubber.deactivate()


def ssh_request(*cidrs: str) -> shapes.RevokeSecurityGroupIngressRequest:
    return shapes.RevokeSecurityGroupIngressRequest(
        group_id=GROUP,
        ip_permissions=[
            shapes.IpPermission(
                ip_protocol="tcp",
                from_port=22,
                to_port=22,
                ip_ranges=[shapes.IpRange(cidr_ip=c) for c in cidrs],
            )
        ],
    )


# --- answers ----------------------------------------------------------------------------


def test_a_typed_result_goes_through_the_real_xml_parser(
    client: EC2Client, stubber: Stubber
) -> None:
    result = shapes.DescribeSecurityGroupsResult(
        security_groups=[
            shapes.SecurityGroup(
                group_id=GROUP,
                group_name="web & db",
                owner_id="123456789012",
                ip_permissions=[SSH_ANY4.to_ip_permission()],
            )
        ]
    )
    stubber.add_response("DescribeSecurityGroups", result, request_id="req-1")

    with stubber:
        got = client.describe_security_groups(group_ids=[GROUP])

    assert got == result
    (sent,) = stubber.sent
    assert sent == shapes.DescribeSecurityGroupsRequest(group_ids=[GROUP])


def test_a_boto3_dict_result_is_decoded_to_the_result_type(
    client: EC2Client, stubber: Stubber
) -> None:
    stubber.add_response(
        "describe_security_group_rules",  # the method name works too
        {
            "SecurityGroupRules": [
                {"SecurityGroupRuleId": "sgr-1", "GroupId": GROUP, "IsEgress": False}
            ],
            "NextToken": "page-2",
        },
    )

    with stubber:
        page = client.describe_security_group_rules()

    assert page == shapes.DescribeSecurityGroupRulesResult(
        security_group_rules=[
            shapes.SecurityGroupRule(
                security_group_rule_id="sgr-1", group_id=GROUP, is_egress=False
            )
        ],
        next_token="page-2",
    )


def test_answers_are_refused_when_added_if_they_cannot_be_right(stubber: Stubber) -> None:
    with pytest.raises(
        ParamValidationError, match=r"unknown operation 'RevokeSecurityGroupIngres' "
    ):
        stubber.add_response("RevokeSecurityGroupIngres", REVOKED)
    with pytest.raises(ParamValidationError) as wrong_type:
        stubber.add_response("RevokeSecurityGroupEgress", REVOKED)
    assert str(wrong_type.value) == (
        "RevokeSecurityGroupEgress answers with a RevokeSecurityGroupEgressResult "
        "(or its boto3 dict), got RevokeSecurityGroupIngressResult"
    )
    with pytest.raises(ParamValidationError, match="return_"):
        stubber.add_response(
            "RevokeSecurityGroupIngress",
            shapes.RevokeSecurityGroupIngressResult(return_="yes"),  # type: ignore[arg-type]
        )
    with pytest.raises(ParamValidationError) as unknown_field:
        stubber.add_response("RevokeSecurityGroupIngress", REVOKED, {"GroupID": GROUP})
    assert str(unknown_field.value).startswith(
        "expected_params: RevokeSecurityGroupIngressRequest has no field 'GroupID' "
        "(did you mean 'GroupId'?)"
    )
    assert stubber.pending == []


def test_client_errors_raise_the_typed_exception(client: EC2Client, stubber: Stubber) -> None:
    stubber.add_client_error(
        "RevokeSecurityGroupIngress",
        "InvalidPermission.NotFound",
        "The specified rule does not exist in this security group.",
        request_id="req-missing",
    )

    with stubber, pytest.raises(InvalidPermissionNotFound) as missing:
        client.revoke_security_group_ingress(
            group_id=GROUP, ip_permissions=[SSH_ANY4.to_ip_permission()]
        )

    assert missing.value.code == "InvalidPermission.NotFound"
    assert missing.value.message == "The specified rule does not exist in this security group."
    assert missing.value.request_id == "req-missing"
    assert missing.value.status == 400


def test_a_retryable_error_is_retried_by_the_client_using_the_next_answer(
    client: EC2Client, stubber: Stubber, sleeps: list[float]
) -> None:
    stubber.add_client_error("DescribeSecurityGroups", "RequestLimitExceeded", "Slow down", 503)
    stubber.add_client_error("DescribeSecurityGroups", "RequestLimitExceeded", "Slow down", 503)
    stubber.add_response("DescribeSecurityGroups", {"SecurityGroups": []})

    with stubber:
        assert client.describe_security_groups().security_groups == ()

    assert len(sleeps) == 2


def test_the_last_attempt_raises_when_every_answer_is_throttling(
    client: EC2Client, stubber: Stubber
) -> None:
    for _ in range(DEFAULT_MAX_ATTEMPTS):
        stubber.add_client_error("DescribeSecurityGroups", "RequestLimitExceeded", "", 503)

    with stubber, pytest.raises(RequestLimitExceeded) as throttled:
        client.describe_security_groups()

    assert throttled.value.attempts == DEFAULT_MAX_ATTEMPTS


def test_dry_run_both_ways(client: EC2Client, stubber: Stubber) -> None:
    stubber.add_dry_run("RevokeSecurityGroupIngress", request_id="req-dry")
    stubber.add_dry_run("RevokeSecurityGroupIngress", permitted=False)

    with stubber:
        outcome = client.revoke_security_group_ingress(group_id=GROUP, dry_run=True)
        assert outcome == DryRunResult(
            "RevokeSecurityGroupIngress",
            "req-dry",
            "Request would have succeeded, but DryRun flag is set.",
        )
        with pytest.raises(UnauthorizedOperation) as denied:
            client.revoke_security_group_ingress(group_id=GROUP, dry_run=True)

    assert denied.value.status == 403
    assert denied.value.request_id == "00000000-0000-4000-8000-000000000002"  # the default
    assert denied.value.message == "You are not authorized to perform this operation."


def test_a_dry_run_answer_refuses_a_call_that_is_not_a_dry_run(
    client: EC2Client, active: Stubber
) -> None:
    active.add_dry_run("RevokeSecurityGroupIngress", expected_params={"group_id": GROUP})

    with pytest.raises(StubResponseError) as refused:
        client.revoke_security_group_ingress(group_id=GROUP)
    assert isinstance(
        client.revoke_security_group_ingress(group_id=GROUP, dry_run=True), DryRunResult
    )

    assert str(refused.value) == (
        "call 1 (RevokeSecurityGroupIngress): parameters differ from expected_params:\n"
        "  dry_run: expected True, got None"
    )
    assert active.errors == [refused.value]


# --- matching ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expected",
    [
        ssh_request("0.0.0.0/0"),
        {"group_id": GROUP, "ip_permissions": [SSH_ANY4.to_ip_permission()]},
        {
            "GroupId": GROUP,
            "IpPermissions": [
                {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": ANY}]}
            ],
        },
        {"GroupId": ANY, "IpPermissions": ANY},
        {"group_id": GROUP, "ip_permissions": [ANY]},
        shapes.RevokeSecurityGroupIngressRequest(
            group_id=GROUP,
            ip_permissions=[
                shapes.IpPermission(ip_protocol="tcp", from_port=ANY, to_port=ANY, ip_ranges=[ANY])
            ],
        ),
        ANY,
        None,
    ],
    ids=[
        "dataclass",
        "fields",
        "boto3-dict",
        "any-list",
        "any-item",
        "any-in-dataclass",
        "any",
        "none",
    ],
)
def test_expected_params_forms_match_the_call(
    client: EC2Client, stubber: Stubber, expected: object
) -> None:
    stubber.add_response("RevokeSecurityGroupIngress", REVOKED, expected_params=expected)

    with stubber:
        report = client.revoke_ingress(GROUP, SSH_ANY4)

    assert report.complete


def test_a_different_parameter_is_named_with_its_path(client: EC2Client, active: Stubber) -> None:
    active.add_response("RevokeSecurityGroupIngress", REVOKED, ssh_request("0.0.0.0/0"))

    with pytest.raises(StubResponseError) as refused:
        client.revoke_ingress(GROUP, Rule.tcp(22).from_cidr("10.0.0.0/8"))

    assert str(refused.value) == (
        "call 1 (RevokeSecurityGroupIngress): parameters differ from expected_params:\n"
        "  ip_permissions[0].ip_ranges[0].cidr_ip: expected '0.0.0.0/0', got '10.0.0.0/8'"
    )
    assert not isinstance(refused.value, EC2Error)  # code handling EC2 errors cannot eat it
    assert active.pending == ["RevokeSecurityGroupIngress"]  # a refused call uses no answer
    assert active.errors == [refused.value]


def test_every_difference_is_listed(client: EC2Client, active: Stubber) -> None:
    active.add_response(
        "RevokeSecurityGroupIngress",
        REVOKED,
        {
            "group_id": "sg-0aaaaaaaaaaaaaaaa",
            "ip_permissions": [
                {"ip_protocol": "tcp", "from_port": 22, "to_port": 22, "ip_ranges": [ANY]}
            ],
        },
    )

    with pytest.raises(StubResponseError) as refused:
        client.revoke_security_group_ingress(
            group_id=GROUP,
            ip_permissions=merge(
                [
                    Rule.tcp(22).from_any_ipv4(),
                    Rule.tcp(22).from_cidr("10.0.0.0/8"),
                    Rule.tcp(22).from_any_ipv6(),
                ]
            ),
            dry_run=True,
        )

    assert str(refused.value).splitlines() == [
        "call 1 (RevokeSecurityGroupIngress): parameters differ from expected_params:",
        "  group_id: expected 'sg-0aaaaaaaaaaaaaaaa', got 'sg-0123456789abcdef0'",
        "  ip_permissions[0].ip_ranges[1]: expected no item, got IpRange(cidr_ip='10.0.0.0/8')",
        "  ip_permissions[0].ipv6_ranges: expected None, got [Ipv6Range(cidr_ipv6='::/0')]",
        "  dry_run: expected None, got True",
    ]


def test_another_operation_than_the_next_answer_is_refused(
    client: EC2Client, active: Stubber
) -> None:
    active.add_response("DescribeSecurityGroupRules", {"SecurityGroupRules": []})

    with pytest.raises(StubResponseError) as refused:
        client.revoke_ingress(GROUP, SSH_ANY4)

    assert str(refused.value) == (
        "call 1: expected a DescribeSecurityGroupRules call, "
        "but the code called RevokeSecurityGroupIngress"
    )
    assert active.pending == ["DescribeSecurityGroupRules"]


def test_answers_are_served_first_in_first_out(client: EC2Client, stubber: Stubber) -> None:
    stubber.add_response("CreateSecurityGroup", {"GroupId": "sg-0000000000000000a"})
    stubber.add_response("CreateSecurityGroup", {"GroupId": "sg-0000000000000000b"})
    stubber.add_response("DeleteSecurityGroup", {"Return": True}, {"group_id": ANY})

    with stubber:
        first = client.create_security_group(group_name="a", description="first")
        second = client.create_security_group(group_name="b", description="second")
        client.delete_security_group(group_id=first.group_id)

    assert [first.group_id, second.group_id] == ["sg-0000000000000000a", "sg-0000000000000000b"]
    assert [r.group_name for r in stubber.sent[:2]] == ["a", "b"]


# --- nothing left, nothing used ----------------------------------------------------------


def test_a_call_with_no_answer_left_says_so(client: EC2Client, active: Stubber) -> None:
    active.add_response("DescribeSecurityGroups", {})

    client.describe_security_groups()
    with pytest.raises(UnstubbedRequestError) as unstubbed:
        client.revoke_ingress(GROUP, SSH_ANY4)

    assert str(unstubbed.value) == (
        "call 2: the code called RevokeSecurityGroupIngress, but no stubbed response is left "
        "(1 used); add one with add_response(), add_client_error() or add_dry_run()"
    )
    assert not isinstance(unstubbed.value, ConnectionFailed)
    assert active.errors == [unstubbed.value]


def test_unused_answers_fail_the_assertion_and_the_with_block(
    client: EC2Client, stubber: Stubber
) -> None:
    stubber.add_response("DescribeSecurityGroups", {})
    stubber.add_response("RevokeSecurityGroupEgress", {"Return": True})

    with pytest.raises(StubAssertionError) as unused, stubber:
        pass
    assert str(unused.value) == (
        "2 stubbed response(s) never used: DescribeSecurityGroups, RevokeSecurityGroupEgress"
    )

    with stubber:
        client.describe_security_groups()
        client.revoke_security_group_egress(group_id=GROUP, security_group_rule_ids=["sgr-1"])
    stubber.assert_no_pending_responses()


def test_an_error_the_code_swallowed_still_fails_the_assertion(
    client: EC2Client, stubber: Stubber
) -> None:
    stubber.add_response("DescribeSecurityGroups", {}, {"group_ids": ["sg-1"]})

    def careless() -> None:
        with contextlib.suppress(Exception):  # the code under test hides every error
            client.describe_security_groups(group_ids=["sg-2"])

    stubber.activate()
    careless()
    stubber.deactivate()

    with pytest.raises(StubAssertionError) as failed:
        stubber.assert_no_pending_responses()
    assert str(failed.value) == (
        "1 call(s) were refused during the test (the code under test may have caught the error):\n"
        "call 1 (DescribeSecurityGroups): parameters differ from expected_params:\n"
        "  group_ids[0]: expected 'sg-1', got 'sg-2'"
    )


def test_a_request_to_another_endpoint_is_refused_by_name(active: Stubber) -> None:
    with (
        EC2Client(region="eu-west-1", credentials=CREDENTIALS) as other,
        pytest.raises(StubAssertionError) as refused,
    ):
        other.describe_security_groups()

    assert str(refused.value) == (
        "call 1: a request to https://ec2.eu-west-1.amazonaws.com/, but this Stubber answers "
        "https://ec2.us-east-1.amazonaws.com/ (the client it was given); stub that client instead"
    )
    assert active.errors == [refused.value]


# --- stubbing by endpoint ---------------------------------------------------------------


def remediate_in_region(region: str, group: str) -> bool:
    """Code under test that builds its own client, as a command line or handler does."""
    with EC2Client(region=region, credentials=CREDENTIALS, max_attempts=1) as own:
        return own.revoke_ingress(group, SSH_ANY4).complete


def test_for_endpoint_serves_the_clients_the_code_builds_itself() -> None:
    with Stubber.for_endpoint("https://ec2.eu-west-1.amazonaws.com") as stub:
        stub.add_response("RevokeSecurityGroupIngress", REVOKED, ssh_request("0.0.0.0/0"))
        stub.add_response(
            "RevokeSecurityGroupIngress",
            {"Return": True},
            {"group_id": "sg-2", "ip_permissions": ANY},
        )

        assert remediate_in_region("eu-west-1", GROUP) is True
        assert remediate_in_region("eu-west-1", "sg-2") is True  # a second client, same script

    assert [r.group_id for r in stub.sent] == [GROUP, "sg-2"]
    assert repr(stub) == "<Stubber for https://ec2.eu-west-1.amazonaws.com/: 0 pending>"


@pytest.mark.parametrize("path", ["", "/ec2"], ids=["host", "host-and-path"])
@pytest.mark.parametrize("suffix", ["", "/"], ids=["bare", "trailing-slash"])
def test_for_endpoint_takes_a_custom_endpoint_url_as_the_client_does(
    path: str, suffix: str
) -> None:
    # Nothing listens on this loopback port: a request that is not intercepted fails there.
    url = f"http://127.0.0.1:{free_port()}{path}"
    stub = Stubber.for_endpoint(url + suffix)
    stub.add_client_error("DescribeSecurityGroups", "InvalidGroup.NotFound", "No such group")

    own = EC2Client(endpoint_url=url, credentials=CREDENTIALS, max_attempts=1)
    with own, stub, pytest.raises(EC2Error) as missing:
        own.describe_security_groups(group_ids=[GROUP])

    assert missing.value.code == "InvalidGroup.NotFound"
    assert stub.url == url + "/"


def test_for_endpoint_refuses_what_no_client_could_send_to() -> None:
    with pytest.raises(
        ValueError,
        match=r"^endpoint_url 'ec2\.us-east-1\.amazonaws\.com' is not a valid http\(s\) URL",
    ):
        Stubber.for_endpoint("ec2.us-east-1.amazonaws.com")


def test_a_stubber_for_an_endpoint_has_no_client() -> None:
    stub = Stubber.for_endpoint("https://ec2.us-east-1.amazonaws.com")

    with pytest.raises(AttributeError) as no_client:
        stub.client  # noqa: B018

    assert str(no_client.value) == (
        "this Stubber was made with Stubber.for_endpoint('https://ec2.us-east-1.amazonaws.com/') "
        "and has no client; the code under test builds its own"
    )


def test_a_stubber_for_an_endpoint_refuses_another_endpoint_by_name() -> None:
    stub = Stubber.for_endpoint("https://ec2.us-east-1.amazonaws.com")
    stub.add_response("RevokeSecurityGroupIngress", REVOKED)

    stub.activate()  # not ``with``: leaving it would fail on the refusal provoked here
    try:
        with pytest.raises(StubAssertionError) as refused:
            remediate_in_region("eu-west-1", GROUP)
    finally:
        stub.deactivate()

    assert str(refused.value) == (
        "call 1: a request to https://ec2.eu-west-1.amazonaws.com/, but this Stubber answers "
        "https://ec2.us-east-1.amazonaws.com/ (the endpoint it was made for); make a Stubber "
        "for that endpoint as well"
    )
    assert stub.errors == [refused.value]
    assert stub.pending == ["RevokeSecurityGroupIngress"]


# --- forms ------------------------------------------------------------------------------


def test_the_decorator_form_is_active_only_while_the_function_runs(
    client: EC2Client, stubber: Stubber
) -> None:
    stubber.add_response("RevokeSecurityGroupIngress", REVOKED, ssh_request("0.0.0.0/0"))

    @stubber
    def remediate(group: str) -> bool:
        assert stubber.active
        return client.revoke_ingress(group, SSH_ANY4).complete

    assert not stubber.active
    assert remediate(GROUP) is True
    assert not stubber.active
    assert remediate.__name__ == "remediate"

    # Returning with an answer left over fails the decorated call.
    stubber.add_response("RevokeSecurityGroupIngress", REVOKED)
    stubber.add_response("DescribeSecurityGroups", {})
    with pytest.raises(StubAssertionError) as unused:
        remediate(GROUP)
    assert str(unused.value) == "1 stubbed response(s) never used: DescribeSecurityGroups"


def test_the_with_block_does_not_hide_the_tests_own_exception(stubber: Stubber) -> None:
    stubber.add_response("DescribeSecurityGroups", {})

    with pytest.raises(KeyError), stubber:
        raise KeyError("the test's own failure")

    assert stubber.pending == ["DescribeSecurityGroups"]
    assert not stubber.active


def test_activate_and_deactivate_switch_interception(sleeps: list[float]) -> None:
    # Nothing listens on this loopback port: a request that is not intercepted fails there.
    url = f"http://127.0.0.1:{free_port()}"
    with EC2Client(
        region="us-east-1", endpoint_url=url, credentials=CREDENTIALS, max_attempts=1
    ) as local:
        stubber = Stubber(local)
        stubber.add_response("DescribeSecurityGroups", {})
        stubber.activate()
        with pytest.raises(RuntimeError, match="already active"):
            stubber.activate()
        local.describe_security_groups()
        stubber.deactivate()
        with pytest.raises(ConnectionFailed):
            local.describe_security_groups()
    stubber.assert_no_pending_responses()


def test_a_client_with_its_own_transport_cannot_be_stubbed() -> None:
    class Canned:
        def send(self, request: object) -> object:
            raise AssertionError("never called")

    client = EC2Client(region="us-east-1", credentials=CREDENTIALS, transport=Canned())  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="build the client without transport="):
        Stubber(client)
