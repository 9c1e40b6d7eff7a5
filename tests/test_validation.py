"""Local checks: what the EC2 documentation rules out is refused before anything is sent.

Each refusal is a ParamValidationError whose text names the field and says what to
change, and the HTTP edge (``responses`` with nothing registered) sees no request.
The property tests go the other way: whatever the documentation allows is sent.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import responses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ec2revoke import (
    EC2Client,
    HttpRequest,
    HttpResponse,
    ParamValidationError,
    Rule,
    StaticCredentials,
    codec,
    shapes,
)

CREDENTIALS = StaticCredentials("AKIAEXAMPLE", "secret")

# The documented description alphabets (boto3 / AWS CLI "Constraints"): '&' only for
# IP-range descriptions, not for prefix-list or security-group-pair descriptions.
RANGE_ALPHABET = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ._-:/()#,@[]+=&;{}!$*"
)
OTHER_ALPHABET = RANGE_ALPHABET.replace("&", "")


@pytest.fixture
def edge() -> Iterator[responses.RequestsMock]:
    """The network: nothing registered, so any request that gets out is recorded."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def client(edge: responses.RequestsMock) -> Iterator[EC2Client]:
    with EC2Client(region="us-east-1", credentials=CREDENTIALS) as c:
        yield c


def refused(
    edge: responses.RequestsMock, call: Callable[..., Any], *args: Any, **params: Any
) -> str:
    """Call, expect a ParamValidationError with nothing sent, return its message."""
    with pytest.raises(ParamValidationError) as caught:
        call(*args, **params)
    assert len(edge.calls) == 0, "a refused request reached the network"
    error = caught.value
    assert isinstance(error, ValueError)
    assert error.code == "ParamValidation"
    assert error.status is None
    assert error.request_id is None
    return str(error)


def tcp(**fields: Any) -> shapes.IpPermission:
    fields.setdefault("ip_protocol", "tcp")
    fields.setdefault("from_port", 22)
    fields.setdefault("to_port", 22)
    return shapes.IpPermission(**fields)


def v4(cidr: str, description: str | None = None) -> shapes.IpRange:
    return shapes.IpRange(cidr_ip=cidr, description=description)


def v6(cidr: str, description: str | None = None) -> shapes.Ipv6Range:
    return shapes.Ipv6Range(cidr_ipv6=cidr, description=description)


INGRESS = ["revoke_security_group_ingress", "authorize_security_group_ingress"]
EGRESS = ["revoke_security_group_egress", "authorize_security_group_egress"]
BOTH = INGRESS + EGRESS


def operation_of(method: str) -> str:
    return "".join(part.title() for part in method.split("_"))


# --- which group -------------------------------------------------------------------


@pytest.mark.parametrize("method", INGRESS)
def test_ingress_needs_group_id_or_name(
    client: EC2Client, edge: responses.RequestsMock, method: str
) -> None:
    message = refused(
        edge, getattr(client, method), ip_permissions=[tcp(ip_ranges=[v4("10.0.0.0/8")])]
    )
    assert message.startswith(f"{operation_of(method)}: group_id/group_name: ")
    assert "group_id='sg-...'" in message
    assert "default VPC" in message


@pytest.mark.parametrize("method", [*INGRESS, "delete_security_group"])
def test_group_id_and_group_name_together_are_refused(
    client: EC2Client, edge: responses.RequestsMock, method: str
) -> None:
    # EC2 takes one or the other; with both, which group is meant is anyone's guess.
    extra = {} if method == "delete_security_group" else {"ip_permissions": [tcp()]}
    message = refused(edge, getattr(client, method), group_id="sg-1", group_name="web", **extra)
    assert message.startswith(f"{operation_of(method)}: group_id, group_name: ")
    assert "not both" in message
    assert "group_id='sg-...'" in message


def test_the_builder_sends_one_group_only() -> None:
    client, recorder = recording_client()
    client.revoke_ingress("web", Rule.SSH.from_any_ipv4())
    (sent,) = recorder.requests
    body = sent.body.decode()
    assert "GroupName=web" in body
    assert "GroupId" not in body


def test_ingress_rule_ids_alone_still_need_the_group(
    client: EC2Client, edge: responses.RequestsMock
) -> None:
    message = refused(
        edge, client.revoke_security_group_ingress, security_group_rule_ids=["sgr-0123"]
    )
    assert "group_id" in message


@pytest.mark.parametrize("method", EGRESS)
def test_egress_needs_group_id(
    client: EC2Client, edge: responses.RequestsMock, method: str
) -> None:
    message = refused(
        edge, getattr(client, method), ip_permissions=[tcp(ip_ranges=[v4("10.0.0.0/8")])]
    )
    assert "group_id" in message
    assert operation_of(method) in message


def test_egress_group_id_of_none_in_a_request_object(
    client: EC2Client, edge: responses.RequestsMock
) -> None:
    request = shapes.RevokeSecurityGroupEgressRequest(group_id=None)  # type: ignore[arg-type]
    message = refused(edge, client.revoke_security_group_egress, request)
    assert "group_id" in message
    assert "required" in message


# --- "all" is the AWS CLI's spelling, not EC2's ---------------------------------------


@pytest.mark.parametrize("method", BOTH)
@pytest.mark.parametrize("spelling", ["all", "ALL", " all "])
def test_all_in_an_ip_permission_is_refused_with_the_ec2_spelling(
    client: EC2Client, edge: responses.RequestsMock, method: str, spelling: str
) -> None:
    permission = shapes.IpPermission(ip_protocol=spelling, ip_ranges=[v4("10.0.0.0/8")])
    message = refused(edge, getattr(client, method), group_id="sg-1", ip_permissions=[permission])
    assert message.startswith(f"{operation_of(method)}: ip_permissions[0].ip_protocol: ")
    assert "ip_protocol='-1'" in message


@pytest.mark.parametrize("method", INGRESS)
def test_all_as_the_flat_protocol_is_refused(
    client: EC2Client, edge: responses.RequestsMock, method: str
) -> None:
    message = refused(
        edge, getattr(client, method), group_id="sg-1", ip_protocol="all", cidr_ip="10.0.0.0/8"
    )
    assert message.startswith(f"{operation_of(method)}: ip_protocol: ")
    assert "ip_protocol='-1'" in message


def test_the_builder_still_takes_all_and_sends_minus_one() -> None:
    client, recorder = recording_client()
    client.revoke_ingress("sg-1", Rule.protocol("all").from_any_ipv4())
    client.revoke_egress("sg-1", Rule.all_traffic().to_any_ipv4())
    assert [r.operation for r in recorder.requests] == [
        "RevokeSecurityGroupIngress",
        "RevokeSecurityGroupEgress",
    ]
    assert all("IpPermissions.1.IpProtocol=-1" in r.body.decode() for r in recorder.requests)


# --- egress flat parameters ------------------------------------------------------


@pytest.mark.parametrize("method", EGRESS)
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("cidr_ip", "10.0.0.0/16"),
        ("from_port", 80),
        ("to_port", 80),
        ("ip_protocol", "tcp"),
        ("source_security_group_name", "web"),
        ("source_security_group_owner_id", "123456789012"),
    ],
)
def test_egress_flat_parameters_are_refused(
    client: EC2Client, edge: responses.RequestsMock, method: str, field: str, value: Any
) -> None:
    message = refused(edge, getattr(client, method), group_id="sg-1", **{field: value})
    assert message == (
        f"{operation_of(method)}: {field}: not supported for egress rules; "
        "describe the rule in ip_permissions instead"
    )


def test_egress_flat_parameters_are_all_named(
    client: EC2Client, edge: responses.RequestsMock
) -> None:
    message = refused(
        edge,
        client.revoke_security_group_egress,
        group_id="sg-1",
        ip_protocol="tcp",
        from_port=80,
        to_port=80,
        cidr_ip="10.0.0.0/16",
    )
    assert "cidr_ip, from_port, to_port, ip_protocol: not supported for egress" in message


# --- CIDR and source group together ------------------------------------------------


@pytest.mark.parametrize("method", BOTH)
@pytest.mark.parametrize(
    "ranges",
    [
        {"ip_ranges": [v4("10.0.0.0/8")]},
        {"ipv6_ranges": [v6("2001:db8::/32")]},
    ],
)
def test_cidr_and_source_group_in_one_permission(
    client: EC2Client, edge: responses.RequestsMock, method: str, ranges: dict[str, Any]
) -> None:
    permission = tcp(user_id_group_pairs=[shapes.UserIdGroupPair(group_id="sg-2")], **ranges)
    message = refused(
        edge, getattr(client, method), group_id="sg-1", ip_permissions=[tcp(), permission]
    )
    assert f"{operation_of(method)}: ip_permissions[1]: " in message
    assert "cannot share one permission" in message
    assert "split them into two IpPermission entries" in message


@pytest.mark.parametrize("method", INGRESS)
@pytest.mark.parametrize(
    ("other", "value"),
    [("source_security_group_name", "web"), ("source_security_group_owner_id", "123456789012")],
)
def test_flat_cidr_ip_with_a_source_group(
    client: EC2Client, edge: responses.RequestsMock, method: str, other: str, value: str
) -> None:
    message = refused(
        edge, getattr(client, method), group_id="sg-1", cidr_ip="10.0.0.0/8", **{other: value}
    )
    assert message == (
        f"{operation_of(method)}: cidr_ip: cannot be combined with {other}; "
        "use two requests or ip_permissions"
    )


# --- ports and ICMP ----------------------------------------------------------------


@pytest.mark.parametrize("protocol", ["tcp", "udp", "TCP", "6", "17"])
@pytest.mark.parametrize(
    ("from_port", "to_port", "problem"),
    [
        (-1, 22, "from_port -1 is outside 0-65535"),
        (22, 65536, "to_port 65536 is outside 0-65535"),
        (70000, 70000, "from_port 70000 is outside 0-65535"),
        (443, 80, "from_port 443 is above to_port 80; swap them"),
    ],
)
def test_port_ranges(
    client: EC2Client,
    edge: responses.RequestsMock,
    protocol: str,
    from_port: int,
    to_port: int,
    problem: str,
) -> None:
    permission = tcp(
        ip_protocol=protocol, from_port=from_port, to_port=to_port, ip_ranges=[v4("0.0.0.0/0")]
    )
    message = refused(
        edge, client.revoke_security_group_ingress, group_id="sg-1", ip_permissions=[permission]
    )
    assert message == f"RevokeSecurityGroupIngress: ip_permissions[0]: {problem}"


def test_flat_ingress_ports(client: EC2Client, edge: responses.RequestsMock) -> None:
    message = refused(
        edge,
        client.revoke_security_group_ingress,
        group_name="default",
        ip_protocol="tcp",
        from_port=8080,
        to_port=80,
        cidr_ip="10.0.0.0/8",
    )
    assert message == (
        "RevokeSecurityGroupIngress: ip_protocol/from_port/to_port: "
        "from_port 8080 is above to_port 80; swap them"
    )


@pytest.mark.parametrize("protocol", ["icmp", "icmpv6", "1", "58"])
@pytest.mark.parametrize(
    ("icmp_type", "code", "problem"),
    [
        (256, 0, "ICMP type (from_port) 256 is outside -1-255 (-1 means all)"),
        (-2, 0, "ICMP type (from_port) -2 is outside -1-255 (-1 means all)"),
        (3, 256, "ICMP code (to_port) 256 is outside -1-255 (-1 means all)"),
        (3, -5, "ICMP code (to_port) -5 is outside -1-255 (-1 means all)"),
        (-1, 4, "with ICMP type -1 (all types) the code (to_port) must be -1 too"),
        (-1, 0, "with ICMP type -1 (all types) the code (to_port) must be -1 too"),
    ],
)
def test_icmp_type_and_code(
    client: EC2Client,
    edge: responses.RequestsMock,
    protocol: str,
    icmp_type: int,
    code: int,
    problem: str,
) -> None:
    permission = shapes.IpPermission(
        ip_protocol=protocol, from_port=icmp_type, to_port=code, ip_ranges=[v4("0.0.0.0/0")]
    )
    message = refused(
        edge, client.revoke_security_group_egress, group_id="sg-1", ip_permissions=[permission]
    )
    assert message == f"RevokeSecurityGroupEgress: ip_permissions[0]: {problem}"


@pytest.mark.parametrize("protocol", ["tcpp", "http", "ssh", "256", "", "icmp6", "6.0", "-2"])
def test_unknown_protocol(client: EC2Client, edge: responses.RequestsMock, protocol: str) -> None:
    permission = shapes.IpPermission(ip_protocol=protocol, ip_ranges=[v4("0.0.0.0/0")])
    message = refused(
        edge, client.revoke_security_group_ingress, group_id="sg-1", ip_permissions=[permission]
    )
    assert message == (
        f"RevokeSecurityGroupIngress: ip_permissions[0]: ip_protocol {protocol!r} is not a "
        "protocol EC2 knows; use tcp, udp, icmp, icmpv6, -1 (all) or a protocol number 0-255"
    )


def test_unknown_flat_protocol(client: EC2Client, edge: responses.RequestsMock) -> None:
    message = refused(
        edge, client.authorize_security_group_ingress, group_id="sg-1", ip_protocol="tpc"
    )
    assert "ip_protocol/from_port/to_port: ip_protocol 'tpc' is not a protocol" in message


# --- CIDR blocks -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "cidr", "problem"),
    [
        ("ip_ranges", "10.0.0.1", "CIDR mask is missing: did you mean 10.0.0.1/32?"),
        ("ipv6_ranges", "2001:db8::1", "CIDR mask is missing: did you mean 2001:db8::1/128?"),
        ("ip_ranges", "203.0.113.0/33", "'203.0.113.0/33' is not a valid CIDR block"),
        ("ip_ranges", "10.0.0/8", "'10.0.0/8' is not a valid CIDR block"),
        ("ip_ranges", "anywhere", "'anywhere' is not a CIDR block; write it as address/prefix"),
        (
            "ip_ranges",
            "2001:db8::/32",
            "'2001:db8::/32' is an IPv6 block; put it in ipv6_ranges (cidr_ipv6)",
        ),
        (
            "ipv6_ranges",
            "10.0.0.0/8",
            "'10.0.0.0/8' is an IPv4 block; put it in ip_ranges (cidr_ip)",
        ),
        ("ipv6_ranges", "2001:db8::/129", "'2001:db8::/129' is not a valid CIDR block"),
    ],
)
def test_cidr_blocks(
    client: EC2Client, edge: responses.RequestsMock, field: str, cidr: str, problem: str
) -> None:
    entry = v4(cidr) if field == "ip_ranges" else v6(cidr)
    ok = v4("10.0.0.0/8") if field == "ip_ranges" else v6("2001:db8::/32")
    inner = "cidr_ip" if field == "ip_ranges" else "cidr_ipv6"
    permission = tcp(**{field: [ok, entry]})
    message = refused(
        edge, client.revoke_security_group_ingress, group_id="sg-1", ip_permissions=[permission]
    )
    assert message == f"RevokeSecurityGroupIngress: ip_permissions[0].{field}[1].{inner}: {problem}"


@pytest.mark.parametrize(
    ("cidr", "problem"),
    [
        ("192.0.2.7", "CIDR mask is missing: did you mean 192.0.2.7/32?"),
        ("2001:db8::/64", "'2001:db8::/64' is an IPv6 block; put it in ipv6_ranges (cidr_ipv6)"),
    ],
)
def test_flat_cidr_ip(
    client: EC2Client, edge: responses.RequestsMock, cidr: str, problem: str
) -> None:
    message = refused(
        edge,
        client.revoke_security_group_ingress,
        group_name="default",
        ip_protocol="tcp",
        from_port=22,
        to_port=22,
        cidr_ip=cidr,
    )
    assert message == f"RevokeSecurityGroupIngress: cidr_ip: {problem}"


# --- descriptions ------------------------------------------------------------------

RANGE_ALLOWED = "a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$*"
OTHER_ALLOWED = "a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=;{}!$*"


def _with_description(where: str, description: str) -> shapes.IpPermission:
    if where == "ip_ranges":
        return tcp(ip_ranges=[v4("10.0.0.0/8", description)])
    if where == "ipv6_ranges":
        return tcp(ipv6_ranges=[v6("2001:db8::/32", description)])
    if where == "prefix_list_ids":
        return tcp(
            prefix_list_ids=[shapes.PrefixListId(prefix_list_id="pl-1", description=description)]
        )
    return tcp(
        user_id_group_pairs=[shapes.UserIdGroupPair(group_id="sg-2", description=description)]
    )


WHERE = ["ip_ranges", "ipv6_ranges", "prefix_list_ids", "user_id_group_pairs"]


@pytest.mark.parametrize("method", BOTH)
@pytest.mark.parametrize("where", WHERE)
def test_description_too_long(
    client: EC2Client, edge: responses.RequestsMock, method: str, where: str
) -> None:
    message = refused(
        edge,
        getattr(client, method),
        group_id="sg-1",
        ip_permissions=[_with_description(where, "x" * 256)],
    )
    assert message == (
        f"{operation_of(method)}: ip_permissions[0].{where}[0].description: "
        "is 256 characters long; EC2 allows at most 255"
    )


@pytest.mark.parametrize("where", WHERE)
@pytest.mark.parametrize("bad", ["<", '"', "'", "%", "\t", "\n", "é", "~", "?", "|", "\\", "^"])
def test_description_forbidden_character(
    client: EC2Client, edge: responses.RequestsMock, where: str, bad: str
) -> None:
    message = refused(
        edge,
        client.revoke_security_group_ingress,
        group_id="sg-1",
        ip_permissions=[_with_description(where, f"ssh from office {bad} vpn")],
    )
    allowed = RANGE_ALLOWED if where in ("ip_ranges", "ipv6_ranges") else OTHER_ALLOWED
    assert message == (
        f"RevokeSecurityGroupIngress: ip_permissions[0].{where}[0].description: "
        f"contains {bad!r}; EC2 allows only {allowed}"
    )


def test_description_lists_each_forbidden_character_once(
    client: EC2Client, edge: responses.RequestsMock
) -> None:
    message = refused(
        edge,
        client.revoke_security_group_ingress,
        group_id="sg-1",
        ip_permissions=[_with_description("ip_ranges", "a<b>c<d")],
    )
    assert "contains '<>';" in message


@pytest.mark.parametrize("where", ["prefix_list_ids", "user_id_group_pairs"])
def test_ampersand_is_refused_outside_ip_ranges(
    client: EC2Client, edge: responses.RequestsMock, where: str
) -> None:
    message = refused(
        edge,
        client.revoke_security_group_egress,
        group_id="sg-1",
        ip_permissions=[_with_description(where, "web & api")],
    )
    assert f"ip_permissions[0].{where}[0].description: contains '&'" in message


@pytest.mark.parametrize("where", ["ip_ranges", "ipv6_ranges"])
def test_ampersand_is_allowed_in_ip_ranges(where: str) -> None:
    client, recorder = recording_client()
    client.revoke_security_group_egress(
        group_id="sg-1", ip_permissions=[_with_description(where, "web & api")]
    )
    assert len(recorder.requests) == 1


def test_description_of_255_characters_is_allowed() -> None:
    client, recorder = recording_client()
    client.revoke_security_group_ingress(
        group_id="sg-1",
        ip_permissions=[_with_description(w, "y" * 255) for w in WHERE],
    )
    assert len(recorder.requests) == 1


# --- type errors from the query codec ----------------------------------------------


@pytest.mark.parametrize(
    ("params", "where", "problem"),
    [
        (
            {"ip_permissions": [tcp(from_port="22")]},
            "ip_permissions[0].from_port",
            "expected int, got str '22'",
        ),
        (
            {"ip_permissions": [tcp(), tcp(to_port=22.0)]},
            "ip_permissions[1].to_port",
            "expected int, got float 22.0",
        ),
        (
            {"ip_permissions": [tcp(from_port=True)]},
            "ip_permissions[0].from_port",
            "expected int, got bool True",
        ),
        (
            {"ip_permissions": [tcp(ip_protocol=6)]},
            "ip_permissions[0].ip_protocol",
            "expected str, got int 6",
        ),
        (
            {"ip_permissions": [tcp(ip_ranges=[v4("10.0.0.0/8"), shapes.IpRange(cidr_ip=10)])]},  # type: ignore[arg-type]
            "ip_permissions[0].ip_ranges[1].cidr_ip",
            "expected str, got int 10",
        ),
        (
            {"ip_permissions": [tcp(ip_ranges=[v4("10.0.0.0/8", 5)])]},  # type: ignore[arg-type]
            "ip_permissions[0].ip_ranges[0].description",
            "expected str, got int 5",
        ),
        (
            {"ip_permissions": [{"IpProtocol": "tcp"}]},
            "ip_permissions[0]",
            "expected IpPermission, got dict {'IpProtocol': 'tcp'}",
        ),
        ({"ip_permissions": tcp()}, "ip_permissions", "wrap a single value in a list"),
        ({"ip_protocol": "tcp", "from_port": "22"}, "from_port", "expected int, got str '22'"),
    ],
)
def test_type_errors_name_the_path(
    client: EC2Client,
    edge: responses.RequestsMock,
    params: dict[str, Any],
    where: str,
    problem: str,
) -> None:
    message = refused(edge, client.revoke_security_group_ingress, group_id="sg-1", **params)
    # The full path, ending there (not a longer path that starts the same way).
    assert re.search(re.escape(f"RevokeSecurityGroupIngressRequest.{where}") + "[: ]", message)
    assert problem in message


# --- what the documentation allows is sent ------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.requests: list[HttpRequest] = []

    def send(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        result = getattr(shapes, f"{request.operation}Result")(return_=True)
        return HttpResponse(200, {}, codec.to_xml(result))


def recording_client() -> tuple[EC2Client, Recorder]:
    recorder = Recorder()
    return EC2Client(region="us-east-1", credentials=CREDENTIALS, transport=recorder), recorder


ipv4_cidrs = st.builds(
    lambda address, prefix: str(ipaddress.ip_network(f"{address}/{prefix}", strict=False)),
    st.ip_addresses(v=4),
    st.integers(0, 32),
)
ipv6_cidrs = st.builds(
    lambda address, prefix: str(ipaddress.ip_network(f"{address}/{prefix}", strict=False)),
    st.ip_addresses(v=6),
    st.integers(0, 128),
)
range_descriptions = st.none() | st.text(RANGE_ALPHABET, max_size=255)
other_descriptions = st.none() | st.text(OTHER_ALPHABET, max_size=255)


@st.composite
def port_fields(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["ported", "icmp", "any"]))
    if kind == "ported":
        protocol = draw(st.sampled_from(["tcp", "udp", "TCP", "Udp", "6", "17"]))
        low = draw(st.integers(0, 65535))
        high = draw(st.integers(low, 65535))
        return {"ip_protocol": protocol, "from_port": low, "to_port": high}
    if kind == "icmp":
        protocol = draw(st.sampled_from(["icmp", "icmpv6", "ICMP", "1", "58"]))
        icmp_type = draw(st.integers(-1, 255))
        code = -1 if icmp_type == -1 else draw(st.integers(-1, 255))
        return {"ip_protocol": protocol, "from_port": icmp_type, "to_port": code}
    # All protocols, or any other protocol number: EC2 ignores the ports.
    others = st.integers(0, 255).filter(lambda n: n not in (1, 6, 17, 58))
    protocol = draw(st.sampled_from(["-1"]) | others.map(str))
    ports = draw(st.sampled_from([{}, {"from_port": -1, "to_port": -1}]))
    return {"ip_protocol": protocol, **ports}


@st.composite
def permissions(draw: st.DrawFn) -> shapes.IpPermission:
    fields = draw(port_fields())
    if draw(st.booleans()):
        fields["user_id_group_pairs"] = draw(
            st.lists(
                st.builds(
                    shapes.UserIdGroupPair,
                    group_id=st.just("sg-0abc"),
                    description=other_descriptions,
                ),
                min_size=1,
                max_size=2,
            )
        )
    else:
        fields["ip_ranges"] = draw(
            st.lists(st.builds(v4, ipv4_cidrs, range_descriptions), max_size=2)
        )
        fields["ipv6_ranges"] = draw(
            st.lists(st.builds(v6, ipv6_cidrs, range_descriptions), max_size=2)
        )
    fields["prefix_list_ids"] = draw(
        st.lists(
            st.builds(
                shapes.PrefixListId, prefix_list_id=st.just("pl-1"), description=other_descriptions
            ),
            max_size=2,
        )
    )
    return shapes.IpPermission(**fields)


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(
    method=st.sampled_from(BOTH),
    perms=st.lists(permissions(), min_size=1, max_size=3),
)
def test_valid_permissions_are_never_refused(method: str, perms: list[shapes.IpPermission]) -> None:
    client, recorder = recording_client()
    getattr(client, method)(group_id="sg-1", ip_permissions=perms)
    assert len(recorder.requests) == 1


@PROPERTY
@given(
    cidr=ipv4_cidrs,
    low=st.integers(0, 65535),
    span=st.integers(0, 65535),
    protocol=st.sampled_from(["tcp", "udp"]),
    by_name=st.booleans(),
)
def test_valid_flat_ingress_is_never_refused(
    cidr: str, low: int, span: int, protocol: str, by_name: bool
) -> None:
    client, recorder = recording_client()
    group: dict[str, Any] = {"group_name": "default"} if by_name else {"group_id": "sg-1"}
    client.revoke_security_group_ingress(
        ip_protocol=protocol, from_port=low, to_port=min(low + span, 65535), cidr_ip=cidr, **group
    )
    assert len(recorder.requests) == 1


@PROPERTY
@given(address=st.ip_addresses())
def test_a_bare_address_gets_the_host_prefix_suggested(address: Any) -> None:
    client, recorder = recording_client()
    field, entry = (
        ("ip_ranges", v4(str(address)))
        if address.version == 4
        else ("ipv6_ranges", v6(str(address)))
    )
    with pytest.raises(ParamValidationError) as caught:
        client.revoke_security_group_ingress(
            group_id="sg-1", ip_permissions=[tcp(**{field: [entry]})]
        )
    assert f"did you mean {address}/{address.max_prefixlen}?" in str(caught.value)
    assert recorder.requests == []
