"""Bad arguments to a public call raise a typed error that says what to pass instead.

ParamValidationError for an argument that cannot be right, ConfigurationError for a
set-up that cannot work; never a bare TypeError, ValueError, LookupError or
AttributeError. Both are ValueErrors, so ``except ValueError`` keeps working.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ec2revoke import (
    ConfigurationError,
    EC2Client,
    EC2Error,
    HttpRequest,
    HttpResponse,
    ParamValidationError,
    StaticCredentials,
    codec,
    shapes,
)
from ec2revoke.testing import Cassette, Stubber, replay

CREDENTIALS = StaticCredentials("AKIDEXAMPLE", "typed-errors-secret")
OP = "RevokeSecurityGroupIngress"
REQUEST = shapes.RevokeSecurityGroupIngressRequest(group_id="sg-1")
RESULT = shapes.RevokeSecurityGroupIngressResult(return_=True)
BODY = codec.to_xml(RESULT)


class Recorder:
    def __init__(self) -> None:
        self.requests: list[HttpRequest] = []

    def send(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        return HttpResponse(200, {}, BODY)


def typed(call: Callable[[], Any], kind: type[EC2Error] = ParamValidationError, *words: str) -> str:
    """Call, expect exactly ``kind`` (the class or a subclass), return the message."""
    with pytest.raises(EC2Error) as caught:
        call()
    assert isinstance(caught.value, kind), repr(caught.value)
    assert isinstance(caught.value, ValueError)
    message = str(caught.value)
    for word in words:
        assert word in message, message
    return message


# -- the client ----------------------------------------------------------------------------


def test_a_request_object_with_keywords_is_a_parameter_error() -> None:
    recorder = Recorder()
    client = EC2Client(region="us-east-1", credentials=CREDENTIALS, transport=recorder)
    typed(
        lambda: client.revoke_security_group_ingress(REQUEST, group_id="sg-2"),
        ParamValidationError,
        "not both",
    )  # type: ignore[call-overload]
    typed(
        lambda: client.revoke_security_group_ingress(REQUEST, dry_run=True),
        ParamValidationError,
        "dry_run",
    )  # type: ignore[call-overload]
    assert recorder.requests == []


@pytest.mark.parametrize(
    "wrong",
    [
        shapes.RevokeSecurityGroupEgressRequest(group_id="sg-1"),
        {"GroupId": "sg-1"},
        "sg-1",
        42,
    ],
)
def test_the_wrong_request_class_is_a_parameter_error(wrong: Any) -> None:
    recorder = Recorder()
    client = EC2Client(region="us-east-1", credentials=CREDENTIALS, transport=recorder)
    typed(
        lambda: client.revoke_security_group_ingress(wrong),
        ParamValidationError,
        "RevokeSecurityGroupIngressRequest",
    )
    assert recorder.requests == []


# -- codec ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: codec.from_dict(None, {}), ["from_dict", "ec2revoke.shapes"]),  # type: ignore[arg-type]
        (lambda: codec.from_dict(dict, {}), ["dict", "ec2revoke.shapes"]),
        (lambda: codec.from_dict(shapes.IpRange, None), ["dict of IpRange parameters", "None"]),  # type: ignore[arg-type]
        (lambda: codec.from_dict(shapes.IpRange, [("CidrIp", "x")]), ["dict of IpRange"]),  # type: ignore[arg-type]
        (lambda: codec.to_dict(None), ["to_dict", "ec2revoke.shapes"]),
        (lambda: codec.to_dict({"GroupId": "sg-1"}), ["to_dict", "dict"]),
        (lambda: codec.to_query(None), ["operation"]),
        (lambda: codec.to_query(None, operation="RevokeSecurityGroupIngress"), ["operation without input"]),
        (lambda: codec.to_query("GroupId=sg-1"), ["to_query", "str"]),
        (lambda: codec.to_query(shapes.IpPermission()), ["IpPermission", "request"]),
        (lambda: codec.to_query(REQUEST, operation="Nope"), ["'Nope'", "RevokeSecurityGroupIngress"]),
        (lambda: codec.to_query(REQUEST, operation="RevokeSecurityGroupEgress"), ["RevokeSecurityGroupEgressRequest"]),
        (lambda: codec.from_query(None), ["from_query", "pairs"]),  # type: ignore[arg-type]
        (lambda: codec.from_query([("Action",)]), ["(key, value)"]),  # type: ignore[list-item]
        (lambda: codec.from_query([("Action", OP), (1, "x")]), ["(key, value)", "text"]),  # type: ignore[list-item]
        (lambda: codec.from_query([("Action", OP), ("Version", "2016-11-15"), ("GroupId", 1)]), ["text"]),  # type: ignore[list-item]
        (lambda: codec.from_query("Action=RevokeSecurityGroupIngress"), ["pairs"]),  # type: ignore[arg-type]
        (lambda: codec.parse_response("Nope", 200, BODY), ["'Nope'", "RevokeSecurityGroupIngress"]),
        (lambda: codec.parse_response(OP, "200", BODY), ["status", "int"]),  # type: ignore[arg-type]
        (lambda: codec.parse_response(OP, 200, BODY.decode()), ["bytes", "encode"]),  # type: ignore[arg-type]
        (lambda: codec.parse_response(OP, 200, None), ["bytes"]),  # type: ignore[arg-type]
        (lambda: codec.parse_response(None, 200, BODY), ["operation"]),  # type: ignore[arg-type]
        (lambda: codec.to_xml(None), ["to_xml", "result"]),
        (lambda: codec.to_xml(REQUEST), ["RevokeSecurityGroupIngressRequest", "result"]),
        (lambda: codec.to_xml(RESULT, operation="Nope"), ["'Nope'"]),
        (lambda: codec.to_xml(RESULT, operation="RevokeSecurityGroupEgress"), ["RevokeSecurityGroupEgressResult"]),
        (lambda: codec.to_xml(RESULT, request_id=7), ["request_id", "text"]),  # type: ignore[arg-type]
        (lambda: codec.error_xml(None, "m", request_id="r"), ["code", "text"]),  # type: ignore[arg-type]
        (lambda: codec.error_xml("Code", b"m", request_id="r"), ["message", "text"]),  # type: ignore[arg-type]
    ],
)  # fmt: skip
def test_codec_arguments_that_cannot_be_right(call: Callable[[], Any], words: list[str]) -> None:
    typed(call, ParamValidationError, *words)


# -- the testing kit -----------------------------------------------------------------------


@pytest.fixture
def stub() -> Stubber:
    return Stubber(EC2Client(region="us-east-1", credentials=CREDENTIALS))


def test_stubber_arguments_that_cannot_be_right(stub: Stubber) -> None:
    typed(
        lambda: stub.add_response("RevokeSecurityGroupIngres", RESULT),
        ParamValidationError,
        "did you mean",
    )
    typed(
        lambda: stub.add_response(OP, shapes.RevokeSecurityGroupEgressResult()),
        ParamValidationError,
        "RevokeSecurityGroupIngressResult",
    )
    typed(
        lambda: stub.add_response(OP, "true"),
        ParamValidationError,
        "RevokeSecurityGroupIngressResult",
    )
    typed(
        lambda: stub.add_response(OP, RESULT, {"GroupID": "sg-1"}),
        ParamValidationError,
        "did you mean 'GroupId'",
    )
    typed(
        lambda: stub.add_response(OP, RESULT, {"IpPermissions": "tcp"}),
        ParamValidationError,
        "expected a list",
    )
    typed(
        lambda: stub.add_response(OP, RESULT, {"GroupId": ["sg-1"]}),
        ParamValidationError,
        "expected a string",
    )
    typed(
        lambda: stub.add_response(OP, RESULT, {"GroupId": "a", "group_id": "b"}),
        ParamValidationError,
        "second time",
    )
    typed(
        lambda: stub.add_response(
            OP, RESULT, shapes.RevokeSecurityGroupEgressRequest(group_id="sg-1")
        ),
        ParamValidationError,
        "RevokeSecurityGroupIngressRequest",
    )
    typed(
        lambda: stub.add_response(OP, RESULT, 42),
        ParamValidationError,
        "RevokeSecurityGroupIngressRequest",
    )
    typed(lambda: stub.add_response(None, RESULT), ParamValidationError, "unknown operation")  # type: ignore[arg-type]
    typed(
        lambda: stub.add_client_error("Nope", "InvalidGroup.NotFound"),
        ParamValidationError,
        "unknown operation",
    )
    typed(
        lambda: stub.add_client_error(OP, "InvalidGroup.NotFound", http_status="400"),
        ParamValidationError,
        "http_status",
    )  # type: ignore[arg-type]
    typed(
        lambda: stub.add_client_error(OP, "InvalidGroup.NotFound", http_status=99),
        ParamValidationError,
        "http_status",
    )
    typed(lambda: stub.add_client_error(OP, None), ParamValidationError, "code")  # type: ignore[arg-type]
    typed(
        lambda: stub.add_dry_run(OP, expected_params={"DryRun": False}),
        ParamValidationError,
        "dry_run",
    )
    typed(lambda: stub.add_dry_run("Nope"), ParamValidationError, "unknown operation")
    typed(lambda: stub.add_response(OP, RESULT, request_id=5), ParamValidationError, "request_id")  # type: ignore[arg-type]
    assert stub.pending == []


def test_stubber_set_ups_that_cannot_work() -> None:
    class Canned:
        def send(self, request: object) -> object:
            raise AssertionError("never called")

    custom = EC2Client(region="us-east-1", credentials=CREDENTIALS, transport=Canned())  # type: ignore[arg-type]
    typed(lambda: Stubber(custom), ConfigurationError, "build the client without transport=")
    typed(lambda: Stubber(None), ConfigurationError, "EC2Client")  # type: ignore[arg-type]
    typed(
        lambda: Stubber("https://ec2.us-east-1.amazonaws.com"),
        ConfigurationError,
        "Stubber.for_endpoint",
    )  # type: ignore[arg-type]
    typed(
        lambda: Stubber.for_endpoint("ec2.us-east-1.amazonaws.com"),
        ConfigurationError,
        "https://host[:port]",
    )
    typed(lambda: Stubber.for_endpoint(None), ConfigurationError, "endpoint_url")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("responses: []\n", ["not an ec2revoke cassette"]),
        ("ec2revoke: {cassette: 2}\n", ["cassette format 2"]),
        ("ec2revoke: [\n", ["not YAML"]),
        ("ec2revoke: {cassette: 1}\nresponses:\n- response: {status: 200}\n", ["entry 1"]),
        ("ec2revoke: {cassette: 1}\nresponses:\n- request: {operation: Nope}\n  response: {status: 200, url: 'https://x/'}\n",
         ["entry 1", "unknown operation"]),
        ("ec2revoke: {cassette: 1}\nresponses:\n- request: {operation: DescribeSecurityGroups, params: {Bogus: 1}}\n  response: {status: 200, url: 'https://x/'}\n",
         ["entry 1", "Bogus"]),
        ("ec2revoke: {cassette: 1}\nresponses:\n- request: {operation: DescribeSecurityGroups}\n  response: {status: '\U0001d7da00', url: 'https://x/'}\n",
         ["entry 1", "status"]),
        ("ec2revoke: {cassette: 1}\nresponses: 7\n", ["responses"]),
    ],
)  # fmt: skip
def test_a_cassette_that_cannot_be_replayed(tmp_path: Path, text: str, words: list[str]) -> None:
    path = tmp_path / "cassette.yaml"
    path.write_text(text, encoding="utf-8")
    typed(lambda: replay(path), ConfigurationError, *words)
    typed(lambda: replay(Cassette.from_yaml(text)), ConfigurationError, *words)


def test_replay_of_something_that_is_no_cassette() -> None:
    typed(lambda: replay(42), ParamValidationError, "Cassette or the path")  # type: ignore[arg-type]
    typed(lambda: replay(None), ParamValidationError, "Cassette or the path")  # type: ignore[arg-type]


def test_a_cassette_path_that_is_not_there_says_so(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    message = typed(lambda: replay(missing), ConfigurationError, str(missing))
    assert "record" in message  # how to get one


# -- numbers too long to write (found by tests/test_fuzz_typed_errors.py) -------------------

HUGE = 10**5000  # more digits than int -> str converts (sys.get_int_max_str_digits())


def test_a_huge_port_in_the_builder_is_a_parameter_error() -> None:
    from ec2revoke import Rule

    typed(lambda: Rule.tcp(HUGE), ParamValidationError, "from_port", "outside 0-65535", "digits")
    typed(lambda: Rule.tcp(1, HUGE), ParamValidationError, "to_port", "outside 0-65535")
    typed(lambda: Rule.icmp(HUGE), ParamValidationError, "outside -1-255")


def test_a_huge_number_where_text_belongs_is_a_parameter_error() -> None:
    typed(
        lambda: codec.from_dict(shapes.IpRange, {"CidrIp": HUGE}),
        ParamValidationError,
        "CidrIp: expected str, got int",
        "digits",
    )


def test_a_huge_port_in_a_typed_request_is_not_sent() -> None:
    recorder = Recorder()
    client = EC2Client(region="us-east-1", credentials=CREDENTIALS, transport=recorder)
    permission = shapes.IpPermission(ip_protocol="tcp", from_port=HUGE, to_port=22)
    typed(
        lambda: client.revoke_security_group_ingress(group_id="sg-1", ip_permissions=[permission]),
        ParamValidationError,
        "ip_permissions[0].from_port",
    )
    typed(
        lambda: codec.to_query(
            shapes.RevokeSecurityGroupIngressRequest(group_id="sg-1", ip_permissions=[permission])
        ),
        ParamValidationError,
        "ip_permissions[0].from_port",
    )
    assert recorder.requests == []


def test_a_huge_number_in_a_result_is_a_parameter_error() -> None:
    result = shapes.RevokeSecurityGroupIngressResult(
        return_=True, unknown_ip_permissions=[shapes.IpPermission(from_port=HUGE)]
    )
    typed(lambda: codec.to_xml(result), ParamValidationError, "to_xml", "cannot be written")


def test_a_huge_number_inside_junk_is_described_not_raised() -> None:
    typed(lambda: codec.from_dict(shapes.IpRange, (None, HUGE)), ParamValidationError, "tuple")  # type: ignore[arg-type]
    typed(lambda: codec.from_query([("Action", "x"), (None, HUGE)]), ParamValidationError, "item")  # type: ignore[list-item]
    typed(lambda: codec.parse_response(OP, HUGE, BODY), ParamValidationError, "status", "digits")


def test_a_list_index_of_any_length_is_read_in_order() -> None:
    # The indices used to be sorted with int(), which refuses 5000 digits (ValueError).
    base = [("Action", "RevokeSecurityGroupEgress"), ("Version", "2016-11-15"), ("GroupId", "sg-1")]
    pairs = [
        *base,
        ("IpPermissions." + "9" * 5000 + ".IpProtocol", "udp"),
        ("IpPermissions.10.IpProtocol", "icmp"),
        ("IpPermissions.2.IpProtocol", "tcp"),
    ]
    request = codec.from_query(pairs)
    assert [p.ip_protocol for p in request.ip_permissions] == ["tcp", "icmp", "udp"]
