"""Recorded EC2 responses (tests/recorded/, provenance in SOURCES.md) against botocore.

Every success body must read to the same boto3 dict and request id as botocore's
EC2QueryParser gives; every error body must raise a ServiceError carrying what botocore
reads from it. Where we differ from botocore on purpose, the test says so:

- A newline before the XML declaration: expat (and so botocore) refuses the body; we strip
  leading whitespace, so those bodies are compared with botocore on the stripped bytes.
- Error messages: we strip surrounding whitespace (a pretty-printed <Message>); botocore
  keeps it. Newlines inside a message are kept by both.
- An empty number, boolean or timestamp element (<toPort />, only in the non-AWS body)
  reads as absent; botocore's int('') raises ValueError on it.
- A 2xx response whose body is an error envelope raises ServiceError; botocore returns an
  empty result for it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import botocore.parsers
import botocore.session
import pytest

from ec2revoke import ServiceError, codec, shapes

RECORDED = Path(__file__).parent / "recorded"
SUCCESS = sorted(p for p in RECORDED.glob("*.xml") if not p.name.startswith(("error_", "nonaws_")))
ERRORS = sorted(RECORDED.glob("error_*.xml"))
NONAWS = RECORDED / "nonaws_describe_security_groups_2010-08-31_jclouds_nova_style.xml"

# The status each error was (or, for DryRunOperation, always is) sent with; 400 otherwise.
# SOURCES.md: 412 for DryRunOperation, 503 for RequestLimitExceeded and Unavailable.
ERROR_STATUS = {"DryRunOperation": 412, "RequestLimitExceeded": 503, "Unavailable": 503}
# The error envelope is the same for every operation; the recordings come from several.
ERROR_OPERATION = "RevokeSecurityGroupIngress"

_ROOT = re.compile(rb"<(?:[A-Za-z][\w.-]*:)?([A-Za-z]\w*)Response[\s/>]")
_NAMESPACE = re.compile(rb'xmlns(?::\w+)?="(http://ec2\.amazonaws\.com/doc/[^"]*)"')
_EC2_MODEL = botocore.session.get_session().get_service_model("ec2")


def operation_of(body: bytes) -> str:
    """The operation a success body answers, from its root element <XResponse>."""
    match = _ROOT.search(body)
    assert match, body[:200]
    return match.group(1).decode()


def expat_rejects(body: bytes) -> bool:
    """Whitespace before the XML declaration, which expat refuses."""
    return body[:1].isspace() and body.lstrip().startswith(b"<?xml")


def botocore_parse(operation: str, status: int, body: bytes) -> dict[str, Any]:
    op_model = _EC2_MODEL.operation_model(operation)
    response = {"body": body, "headers": {}, "status_code": status}
    parsed: dict[str, Any] = botocore.parsers.EC2QueryParser().parse(
        response, op_model.output_shape
    )
    return parsed


def botocore_result(operation: str, body: bytes) -> tuple[dict[str, Any], str | None]:
    """botocore's parse of a 200 response: the result dict and its request id."""
    parsed = botocore_parse(operation, 200, body)
    metadata = parsed.pop("ResponseMetadata")
    return parsed, metadata.get("RequestId")


def error_code_of(path: Path) -> str:
    return path.name.split("_")[1]


# --- the corpus itself ---------------------------------------------------------------


def test_corpus_is_complete() -> None:
    """Every vendored file is described in SOURCES.md and every described file is here."""
    sources = (RECORDED / "SOURCES.md").read_text(encoding="utf-8")
    described = set(re.findall(r"^### `([^`]+)`", sources, flags=re.MULTILINE))
    present = {p.name for p in RECORDED.iterdir() if p.name != "SOURCES.md"}
    assert described == present
    assert len(SUCCESS) >= 20
    assert len(ERRORS) >= 10


def test_expat_rejects_exactly_the_two_goamz_bodies_with_a_leading_newline() -> None:
    rejected = {p.name for p in [*SUCCESS, *ERRORS] if expat_rejects(p.read_bytes())}
    assert rejected == {
        "describe_security_groups_2011-12-15_goamz_dump.xml",
        "error_UnsupportedOperation_goamz_linebroken.xml",
    }
    for name in rejected:
        body = (RECORDED / name).read_bytes()
        with pytest.raises(botocore.parsers.ResponseParserError, match="declaration"):
            botocore_parse("DescribeSecurityGroups", 200, body)


# --- success bodies -------------------------------------------------------------------


@pytest.mark.parametrize("path", SUCCESS, ids=lambda p: p.name)
def test_success_body_reads_as_botocore_does(path: Path) -> None:
    body = path.read_bytes()
    operation = operation_of(body)
    result, request_id = codec.read_response(operation, 200, body)

    assert type(result) is getattr(shapes, f"{operation}Result")
    assert codec.parse_response(operation, 200, body) == result
    # botocore cannot read a body with a newline before the XML declaration (expat refuses
    # it); we strip leading whitespace on purpose, so compare with botocore on the
    # stripped body.
    expected, expected_id = botocore_result(
        operation, body.lstrip() if expat_rejects(body) else body
    )
    assert expected, "botocore read nothing: the comparison would prove nothing"
    assert codec.to_dict(result) == expected
    assert request_id == expected_id


def test_body_without_request_id_reads_as_none() -> None:
    body = (
        RECORDED / "describe_security_groups_2009-11-30_jclouds_docs_no_requestid.xml"
    ).read_bytes()
    result, request_id = codec.read_response("DescribeSecurityGroups", 200, body)
    assert request_id is None
    assert [g.group_name for g in result.security_groups] == ["WebServers", "RangedPortsBySource"]


def test_expected_json_of_the_botocore_describe_body() -> None:
    body = (RECORDED / "describe_security_groups_2014-06-15_botocore.xml").read_bytes()
    expected = json.loads(
        (RECORDED / "describe_security_groups_2014-06-15_botocore.expected.json").read_text()
    )
    result, request_id = codec.read_response("DescribeSecurityGroups", 200, body)
    assert request_id == expected.pop("ResponseMetadata")["RequestId"]
    assert codec.to_dict(result) == expected


# --- the non-AWS body -----------------------------------------------------------------


def test_nonaws_empty_numbers_read_as_absent() -> None:
    """Deliberate divergence: an empty <toPort /> / <fromPort /> is absent (None).

    botocore calls int('') on it and raises ValueError, losing the whole response.
    EC2 itself leaves the element out when there is no port, so absent is what an empty
    element means. An empty string element (<ipProtocol />) stays "" as in botocore.
    """
    body = NONAWS.read_bytes()
    result, request_id = codec.read_response("DescribeSecurityGroups", 200, body)
    assert request_id == "L6EFIZVPJS76T3K5-0UV"
    assert result == shapes.DescribeSecurityGroupsResult(
        security_groups=[
            shapes.SecurityGroup(
                group_id="sg-3c6ef654",
                group_name="jclouds#cluster#world",
                description="Cluster",
                owner_id="UYY3TLBUXIEON5NQVUUX6OMPWBZIQNFM",
                ip_permissions=[
                    shapes.IpPermission(
                        ip_protocol="tcp",
                        from_port=22,
                        to_port=22,
                        ip_ranges=[shapes.IpRange(cidr_ip="0.0.0.0/0")],
                        user_id_group_pairs=[],
                    ),
                    shapes.IpPermission(
                        ip_protocol="",
                        from_port=None,
                        to_port=None,
                        ip_ranges=[],
                        user_id_group_pairs=[
                            shapes.UserIdGroupPair(
                                group_id="sg-3c6ef654",
                                group_name="jclouds#cluster#world",
                                user_id="UYY3TLBUXIEON5NQVUUX6OMPWBZIQNFM",
                            )
                        ],
                    ),
                ],
            )
        ]
    )
    # That is the only difference: without the empty numbers botocore reads the same.
    cleaned, removed = re.subn(rb"<(fromPort|toPort) */>", b"", body)
    assert removed == 2
    expected, expected_id = botocore_result("DescribeSecurityGroups", cleaned)
    assert codec.to_dict(result) == expected
    assert request_id == expected_id


# --- error bodies ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ERRORS, ids=lambda p: p.name)
def test_error_body_raises_what_botocore_reads(path: Path) -> None:
    body = path.read_bytes()
    code = error_code_of(path)
    status = ERROR_STATUS.get(code, 400)
    with pytest.raises(ServiceError) as info:
        codec.parse_response(ERROR_OPERATION, status, body)
    error = info.value

    # Stripped for botocore only where expat refuses the body (see the module docstring).
    parsed = botocore_parse(ERROR_OPERATION, status, body.lstrip() if expat_rejects(body) else body)
    assert error.code == parsed["Error"]["Code"] == code
    # Deliberate divergence: we strip the whitespace around a message; botocore keeps it.
    assert error.message == parsed["Error"]["Message"].strip()
    assert error.message
    assert error.request_id == parsed["ResponseMetadata"]["RequestId"]
    assert error.status == parsed["ResponseMetadata"]["HTTPStatusCode"] == status
    assert error.operation == ERROR_OPERATION
    assert str(error) == (
        f"An error occurred ({code}) when calling the {ERROR_OPERATION} operation: {error.message}"
    )

    expected_json = path.with_name(path.name.replace(".xml", ".expected.json"))
    if expected_json.exists():
        expected = json.loads(expected_json.read_text())
        assert error.code == expected["Error"]["Code"]
        assert error.message == expected["Error"]["Message"]
        assert error.request_id == expected["ResponseMetadata"]["RequestId"]


def test_error_statuses_follow_sources() -> None:
    """The 412/503 statuses the tests use are the ones SOURCES.md records."""
    sources = (RECORDED / "SOURCES.md").read_text(encoding="utf-8")
    assert "**412 for DryRunOperation**" in sources
    assert "503 for RequestLimitExceeded and Unavailable" in sources
    assert {error_code_of(p) for p in ERRORS} >= set(ERROR_STATUS)


def test_padded_error_message_is_stripped() -> None:
    body = (RECORDED / "error_IdempotentParameterMismatch_libcloud_reformatted.xml").read_bytes()
    with pytest.raises(ServiceError) as info:
        codec.parse_response(ERROR_OPERATION, 400, body)
    message = (
        "Arguments on this idempotent request are inconsistent with arguments used in "
        "previous request(s)."
    )
    assert info.value.message == message
    # botocore keeps the padding the project added around the message.
    assert botocore_parse(ERROR_OPERATION, 400, body)["Error"]["Message"] != message


def test_error_message_keeps_its_internal_newlines() -> None:
    message = (
        "You are not authorized to perform this operation.\n"
        "Encoded authorization failure message: AbC-123_xyz"
    )
    body = (
        "<Response><Errors><Error><Code>UnauthorizedOperation</Code>"
        f"<Message>\n    {message}\n  </Message></Error></Errors>"
        "<RequestID>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestID></Response>"
    ).encode()
    with pytest.raises(ServiceError) as info:
        codec.parse_response(ERROR_OPERATION, 403, body)
    assert info.value.message == message
    assert "\n" in info.value.message
    assert info.value.code == "UnauthorizedOperation"
    assert info.value.status == 403
    assert botocore_parse(ERROR_OPERATION, 403, body)["Error"]["Message"].strip() == message


@pytest.mark.parametrize("path", ERRORS, ids=lambda p: p.name)
@pytest.mark.parametrize("status", [200, 201, 204])
def test_error_envelope_with_a_2xx_status_raises(path: Path, status: int) -> None:
    """Deliberate divergence: botocore returns an empty result for this; we raise."""
    body = path.read_bytes()
    for operation in ("RevokeSecurityGroupIngress", "DescribeSecurityGroups"):
        with pytest.raises(ServiceError) as info:
            codec.read_response(operation, status, body)
        assert info.value.code == error_code_of(path)
        assert info.value.status == status
        assert info.value.request_id


def test_error_response_envelope_with_a_2xx_status_raises() -> None:
    """The <ErrorResponse><Error> form some Query services use is read too."""
    body = (
        b"<ErrorResponse><Error><Type>Sender</Type><Code>InvalidGroup.NotFound</Code>"
        b"<Message>The security group 'sg-1' does not exist</Message></Error>"
        b"<RequestId>r-1</RequestId></ErrorResponse>"
    )
    with pytest.raises(ServiceError) as info:
        codec.parse_response("RevokeSecurityGroupIngress", 200, body)
    assert (info.value.code, info.value.request_id, info.value.status) == (
        "InvalidGroup.NotFound",
        "r-1",
        200,
    )


# --- namespaces -----------------------------------------------------------------------

NAMESPACES = sorted(
    {m.decode() for p in RECORDED.glob("*.xml") for m in _NAMESPACE.findall(p.read_bytes())}
)
BASE = RECORDED / "describe_security_groups_2016-11-15_manageiq_vpc_single.xml"
BASE_NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/"


def test_corpus_has_the_namespaces_from_2009_to_2016() -> None:
    versions = [ns.rsplit("/", 2)[1] for ns in NAMESPACES]
    assert versions[0] == "2009-11-30"
    assert versions[-1] == "2016-11-15"
    assert len(versions) == 12


def _base() -> tuple[bytes, Any]:
    body = BASE.read_bytes()
    assert body.count(BASE_NAMESPACE.encode()) == 1
    return body, codec.parse_response("DescribeSecurityGroups", 200, body)


@pytest.mark.parametrize(
    "namespace",
    [
        *NAMESPACES,
        "http://ec2.amazonaws.com/doc/2007-03-01",
        "http://ec2.amazonaws.com/doc/2008-12-01",
    ],
)
def test_every_namespace_version_parses(namespace: str) -> None:
    body, base = _base()
    rewritten = body.replace(BASE_NAMESPACE.encode(), namespace.encode())
    result = codec.parse_response("DescribeSecurityGroups", 200, rewritten)
    assert result == base
    assert codec.to_dict(result) == botocore_result("DescribeSecurityGroups", rewritten)[0]


def _prefix_all(body: bytes, prefix: bytes) -> bytes:
    return re.sub(rb"<(/?)([A-Za-z]\w*)", rb"<\1" + prefix + rb":\2", body)


@pytest.mark.parametrize(
    "variant",
    ["prefixed-everywhere", "prefixed-root-only", "no-namespace", "other-prefix-name"],
)
def test_prefixed_and_missing_namespaces_parse(variant: str) -> None:
    body, base = _base()
    ns = BASE_NAMESPACE.encode()
    if variant == "prefixed-everywhere":
        rewritten = _prefix_all(body, b"ec2").replace(b'xmlns="', b'xmlns:ec2="')
        assert b"<ec2:DescribeSecurityGroupsResponse xmlns:ec2=" in rewritten
        assert b"</ec2:fromPort>" in rewritten
    elif variant == "prefixed-root-only":
        rewritten = body.replace(
            b"<DescribeSecurityGroupsResponse xmlns=",
            b"<ec2:DescribeSecurityGroupsResponse xmlns:ec2=",
        )
        rewritten = rewritten.replace(
            b"</DescribeSecurityGroupsResponse>", b"</ec2:DescribeSecurityGroupsResponse>"
        )
    elif variant == "no-namespace":
        rewritten = body.replace(b' xmlns="' + ns + b'"', b"")
    else:
        rewritten = _prefix_all(body, b"x").replace(b'xmlns="', b'xmlns:x="')
    assert rewritten != body
    result = codec.parse_response("DescribeSecurityGroups", 200, rewritten)
    assert result == base
    assert codec.to_dict(result) == botocore_result("DescribeSecurityGroups", rewritten)[0]


def test_prefixed_revoke_response() -> None:
    body = (
        b'<ec2:RevokeSecurityGroupIngressResponse xmlns:ec2="http://ec2.amazonaws.com/doc/2016-11-15/">'
        b"<ec2:requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</ec2:requestId>"
        b"<ec2:return>true</ec2:return></ec2:RevokeSecurityGroupIngressResponse>"
    )
    result, request_id = codec.read_response("RevokeSecurityGroupIngress", 200, body)
    assert result.return_ is True
    assert request_id == "59dbff89-35bd-4eac-99ed-be587EXAMPLE"
    assert (codec.to_dict(result), request_id) == botocore_result(
        "RevokeSecurityGroupIngress", body
    )


# --- lists, unknown elements, order, ids ----------------------------------------------

REVOKE_WITH_SETS = b"""<?xml version="1.0" encoding="UTF-8"?>
<RevokeSecurityGroupIngressResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>0123456789</requestId>
  <return>true</return>
  <unknownIpPermissionSet>
    <item>
      <ipProtocol>tcp</ipProtocol><fromPort>22</fromPort><toPort>22</toPort>
      <groups/>
      <ipRanges><item><cidrIp>203.0.113.0/24</cidrIp></item></ipRanges>
    </item>
  </unknownIpPermissionSet>
  <revokedSecurityGroupRuleSet>
    <item>
      <securityGroupRuleId>sgr-0123456789abcdef0</securityGroupRuleId>
      <groupId>sg-0123456789abcdef0</groupId>
      <isEgress>false</isEgress>
      <ipProtocol>tcp</ipProtocol>
      <fromPort>443</fromPort>
      <toPort>443</toPort>
      <cidrIpv4>198.51.100.0/24</cidrIpv4>
    </item>
  </revokedSecurityGroupRuleSet>
</RevokeSecurityGroupIngressResponse>
"""


def test_revoke_result_lists_match_botocore() -> None:
    result, request_id = codec.read_response("RevokeSecurityGroupIngress", 200, REVOKE_WITH_SETS)
    assert request_id == "0123456789"  # an all-digit id stays a string
    assert result.return_ is True
    assert result.unknown_ip_permissions == (
        shapes.IpPermission(
            ip_protocol="tcp",
            from_port=22,
            to_port=22,
            user_id_group_pairs=(),
            ip_ranges=(shapes.IpRange(cidr_ip="203.0.113.0/24"),),
        ),
    )
    (rule,) = result.revoked_security_group_rules
    assert (rule.is_egress, rule.from_port, rule.cidr_ipv4) == (False, 443, "198.51.100.0/24")
    assert (codec.to_dict(result), request_id) == botocore_result(
        "RevokeSecurityGroupIngress", REVOKE_WITH_SETS
    )


@pytest.mark.parametrize(
    "empty",
    [
        b"<unknownIpPermissionSet/>",
        b"<unknownIpPermissionSet></unknownIpPermissionSet>",
        b"<unknownIpPermissionSet>\n  </unknownIpPermissionSet>",
    ],
)
def test_empty_list_is_an_empty_tuple_and_absent_list_is_none(empty: bytes) -> None:
    body = (
        b"<RevokeSecurityGroupIngressResponse><return>true</return>"
        + empty
        + b"</RevokeSecurityGroupIngressResponse>"
    )
    result = codec.parse_response("RevokeSecurityGroupIngress", 200, body)
    assert result.unknown_ip_permissions == ()
    assert result.revoked_security_group_rules is None
    assert codec.to_dict(result) == botocore_result("RevokeSecurityGroupIngress", body)[0]


def test_recorded_empty_lists_and_absent_lists() -> None:
    body = (RECORDED / "describe_security_groups_2016-11-15_libcloud_docs.xml").read_bytes()
    assert b"<ipPermissionsEgress/>" in body
    assert b"<ipv6Ranges" not in body
    first = codec.parse_response("DescribeSecurityGroups", 200, body).security_groups[0]
    assert first.ip_permissions_egress == ()
    assert first.tags == ()
    assert first.ip_permissions[0].user_id_group_pairs == ()
    assert first.ip_permissions[0].ipv6_ranges is None
    assert first.ip_permissions[0].prefix_list_ids is None
    assert first.vpc_id == ""  # an empty string element stays "", as in botocore


def test_unknown_elements_are_ignored() -> None:
    body, base = _base()
    extra = b"<futureField>x</futureField><futureList><item><a>1</a><b/></item></futureList>"
    rewritten = (
        body.replace(b"<requestId>", extra + b"<requestId>", 1)
        .replace(b"<ipProtocol>", extra + b"<ipProtocol>")
        .replace(b"<cidrIp>", b"<cidrIpv9>::/0</cidrIpv9>" + extra + b"<cidrIp>")
    )
    assert rewritten.count(b"futureField") > 4
    assert codec.parse_response("DescribeSecurityGroups", 200, rewritten) == base
    assert codec.to_dict(base) == botocore_result("DescribeSecurityGroups", rewritten)[0]


def test_child_order_does_not_matter() -> None:
    body = (RECORDED / "describe_security_groups_2014-06-15_botocore.xml").read_bytes()
    base = codec.parse_response("DescribeSecurityGroups", 200, body)
    leaf = rb"<(\w+)>[^<]*</\1>|<\w+/>"

    def reverse_run(run: re.Match[bytes]) -> bytes:
        return b"".join(reversed([m.group(0) for m in re.finditer(leaf, run.group(0))]))

    # Reverse every run of sibling leaf elements (ownerId, groupId, groupName...).
    shuffled = re.sub(rb"(?:\s*(?:" + leaf + rb"))+", reverse_run, body)
    assert b"<groupName>quicklaunch-0</groupName><groupId>sg-68d8a958</groupId>" in shuffled
    assert codec.parse_response("DescribeSecurityGroups", 200, shuffled) == base


def test_ids_stay_strings() -> None:
    body = (RECORDED / "describe_security_groups_2014-06-15_botocore.xml").read_bytes()
    groups = codec.parse_response("DescribeSecurityGroups", 200, body).security_groups
    assert {g.owner_id for g in groups} == {"123456789012"}
    old = (RECORDED / "describe_security_groups_2016-11-15_libcloud_docs.xml").read_bytes()
    result = codec.parse_response("DescribeSecurityGroups", 200, old)
    pairs = [
        p for g in result.security_groups for r in g.ip_permissions for p in r.user_id_group_pairs
    ]
    assert "sg-99gh4012" in {p.group_id for p in pairs}
    leading_zero = body.replace(b"123456789012", b"012345678901")
    groups = codec.parse_response("DescribeSecurityGroups", 200, leading_zero).security_groups
    assert {g.owner_id for g in groups} == {"012345678901"}
    _, request_id = codec.read_response(
        "DescribeSecurityGroups",
        200,
        (RECORDED / "describe_security_groups_2012-06-01_jclouds_vpc_redacted.xml").read_bytes(),
    )
    assert request_id == "xxxxxxxxxxxxxxxx"
