"""The fluent builder: every factory, every peer, what str() says, every refusal.

Rule, Port and Peer are frozen; each step returns a new object; input is checked
when the step is taken, with a message that says what to write instead.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Callable
from typing import Any

import pytest

import ec2revoke
from ec2revoke import ParamValidationError, Peer, Port, Rule, shapes

ACCOUNT = "123456789012"
SG = "sg-0123456789abcdef0"
PL = "pl-0123456789abcdef0"
VPC = "vpc-0123456789abcdef0"
PCX = "pcx-0123456789abcdef0"
RANGE_ALLOWED = "a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$*"
OTHER_ALLOWED = "a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=;{}!$*"


def refusal(build: Callable[[], object]) -> str:
    """Build, expect ec2revoke.ParamValidationError, return its message."""
    with pytest.raises(ParamValidationError) as caught:
        build()
    assert type(caught.value) is ec2revoke.ParamValidationError
    return str(caught.value)


def port(rule: Rule) -> tuple[str, int | None, int | None]:
    return (rule.port.protocol, rule.port.from_port, rule.port.to_port)


# --- factories: what traffic ---------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "expected", "text"),
    [
        (Rule.tcp(22), ("tcp", 22, 22), "TCP 22"),
        (Rule.tcp(8000, 8080), ("tcp", 8000, 8080), "TCP 8000-8080"),
        (Rule.tcp_range(8000, 8080), ("tcp", 8000, 8080), "TCP 8000-8080"),
        (Rule.tcp_range(0, 0), ("tcp", 0, 0), "TCP 0"),
        (Rule.all_tcp(), ("tcp", 0, 65535), "all TCP"),
        (Rule.udp(53), ("udp", 53, 53), "UDP 53"),
        (Rule.udp(60000, 61000), ("udp", 60000, 61000), "UDP 60000-61000"),
        (Rule.udp_range(1, 65535), ("udp", 1, 65535), "UDP 1-65535"),
        (Rule.all_udp(), ("udp", 0, 65535), "all UDP"),
        (Rule.icmp(3, 4), ("icmp", 3, 4), "ICMP type 3 code 4"),
        (Rule.icmp(8), ("icmp", 8, -1), "ICMP type 8 all codes"),
        (Rule.icmp(0, 0), ("icmp", 0, 0), "ICMP type 0 code 0"),
        (Rule.icmp(255, 255), ("icmp", 255, 255), "ICMP type 255 code 255"),
        (Rule.icmp_type(3), ("icmp", 3, -1), "ICMP type 3 all codes"),
        (Rule.all_icmp(), ("icmp", -1, -1), "all ICMP"),
        (Rule.icmp(-1, -1), ("icmp", -1, -1), "all ICMP"),
        (Rule.icmpv6(128, 0), ("icmpv6", 128, 0), "ICMPv6 type 128 code 0"),
        (Rule.icmpv6(135), ("icmpv6", 135, -1), "ICMPv6 type 135 all codes"),
        (Rule.icmpv6_type(1), ("icmpv6", 1, -1), "ICMPv6 type 1 all codes"),
        (Rule.all_icmpv6(), ("icmpv6", -1, -1), "all ICMPv6"),
        (Rule.all_traffic(), ("-1", None, None), "all traffic"),
        (Rule.port_(Port.HTTPS), ("tcp", 443, 443), "TCP 443"),
        (Rule.port_(Port.tcp(1, 2)), ("tcp", 1, 2), "TCP 1-2"),
        (Rule.port_(Port.udp(7)), ("udp", 7, 7), "UDP 7"),
        (Rule.port_(Port.icmp(3, 1)), ("icmp", 3, 1), "ICMP type 3 code 1"),
        (Rule.port_(Port.icmpv6(-1, -1)), ("icmpv6", -1, -1), "all ICMPv6"),
        (Rule.port_(Port.all_traffic()), ("-1", None, None), "all traffic"),
    ],
)
def test_factories(rule: Rule, expected: tuple[str, int | None, int | None], text: str) -> None:
    assert port(rule) == expected
    assert rule.peer is None
    assert rule.description is None
    assert str(rule) == text


@pytest.mark.parametrize(
    ("rule", "expected", "text"),
    [
        (Rule.protocol("tcp", 22), ("tcp", 22, 22), "TCP 22"),
        (Rule.protocol("tcp", 22, 23), ("tcp", 22, 23), "TCP 22-23"),
        (Rule.protocol("TCP", 80), ("tcp", 80, 80), "TCP 80"),
        (Rule.protocol(6, 443), ("tcp", 443, 443), "TCP 443"),
        (Rule.protocol("6", 443), ("tcp", 443, 443), "TCP 443"),
        (Rule.protocol("udp", 53), ("udp", 53, 53), "UDP 53"),
        (Rule.protocol(17, 53, 54), ("udp", 53, 54), "UDP 53-54"),
        (Rule.protocol("17", 0, 65535), ("udp", 0, 65535), "all UDP"),
        (Rule.protocol(1, 3, 4), ("icmp", 3, 4), "ICMP type 3 code 4"),
        (Rule.protocol("1", -1, -1), ("icmp", -1, -1), "all ICMP"),
        (Rule.protocol("icmp", 8, -1), ("icmp", 8, -1), "ICMP type 8 all codes"),
        (Rule.protocol(58, 128, 0), ("icmpv6", 128, 0), "ICMPv6 type 128 code 0"),
        (Rule.protocol("58", -1, -1), ("icmpv6", -1, -1), "all ICMPv6"),
        # EC2 documents the range as optional for ICMPv6, and stores it as -1/-1 (F15).
        (Rule.protocol("icmpv6"), ("icmpv6", -1, -1), "all ICMPv6"),
        (Rule.protocol("all"), ("-1", None, None), "all traffic"),
        (Rule.protocol("ALL"), ("-1", None, None), "all traffic"),
        (Rule.protocol("-1"), ("-1", None, None), "all traffic"),
        (Rule.protocol(-1), ("-1", None, None), "all traffic"),
        # Ports mean nothing for all traffic or for protocols other than the four.
        (Rule.protocol("-1", 22, 23), ("-1", None, None), "all traffic"),
        (Rule.protocol("all", 0, 65535), ("-1", None, None), "all traffic"),
        (Rule.protocol(47), ("47", None, None), "protocol 47"),
        (Rule.protocol("47", 1, 2), ("47", None, None), "protocol 47"),
        (Rule.protocol(50, 500), ("50", None, None), "protocol 50"),
        (Rule.protocol(0), ("0", None, None), "protocol 0"),
        (Rule.protocol("255"), ("255", None, None), "protocol 255"),
    ],
)
def test_protocol_factory_normalises(
    rule: Rule, expected: tuple[str, int | None, int | None], text: str
) -> None:
    assert port(rule) == expected
    assert str(rule) == text


def test_normalised_forms_are_equal() -> None:
    assert Rule.protocol(6, 22) == Rule.tcp(22) == Rule.SSH
    assert Rule.protocol("17", 53) == Rule.udp(53) == Rule.DNS_UDP
    assert Rule.protocol("1", 3, 4) == Rule.icmp(3, 4)
    assert Rule.protocol(58, -1, -1) == Rule.all_icmpv6()
    assert Rule.protocol("all") == Rule.protocol("ALL") == Rule.protocol(-1) == Rule.all_traffic()
    assert Rule.protocol("all", 1, 2) == Rule.all_traffic()
    assert Rule.protocol(47, 1, 2) == Rule.protocol(47) == Rule.protocol("47", 3, 4)
    assert Rule.tcp_range(0, 65535) == Rule.all_tcp() == Rule.tcp(0, 65535)
    assert Rule.icmp_type(3) == Rule.icmp(3) == Rule.icmp(3, -1)
    assert Rule.tcp(22) != Rule.udp(22)
    assert Port("ALL", 1, 2) == Port.all_traffic() == Port("-1")
    assert Port("6", 22, 22) == Port.tcp(22)
    assert Port(" Tcp ", 22, 22) == Port.tcp(22)
    assert hash(Rule.protocol(6, 22)) == hash(Rule.SSH)


@pytest.mark.parametrize(
    ("name", "protocol", "number"),
    [
        ("SSH", "tcp", 22),
        ("HTTP", "tcp", 80),
        ("HTTPS", "tcp", 443),
        ("RDP", "tcp", 3389),
        ("POSTGRES", "tcp", 5432),
        ("MYSQL", "tcp", 3306),
        ("MSSQL", "tcp", 1433),
        ("REDIS", "tcp", 6379),
        ("MONGODB", "tcp", 27017),
        ("SMTP", "tcp", 25),
        ("DNS_UDP", "udp", 53),
        ("DNS_TCP", "tcp", 53),
        ("NTP", "udp", 123),
    ],
)
def test_service_constants(name: str, protocol: str, number: int) -> None:
    rule = getattr(Rule, name)
    assert isinstance(rule, Rule)
    assert port(rule) == (protocol, number, number)
    assert rule.peer is None
    assert rule.port is getattr(Port, name)
    assert rule == Rule.port_(getattr(Port, name))
    assert str(rule) == f"{protocol.upper()} {number}"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("SSH", ("tcp", 22, 22)),
        ("HTTP", ("tcp", 80, 80)),
        ("HTTPS", ("tcp", 443, 443)),
        ("RDP", ("tcp", 3389, 3389)),
        ("POSTGRES", ("tcp", 5432, 5432)),
        ("MYSQL", ("tcp", 3306, 3306)),
        ("MSSQL", ("tcp", 1433, 1433)),
        ("REDIS", ("tcp", 6379, 6379)),
        ("MONGODB", ("tcp", 27017, 27017)),
        ("SMTP", ("tcp", 25, 25)),
        ("DNS_UDP", ("udp", 53, 53)),
        ("DNS_TCP", ("tcp", 53, 53)),
        ("NTP", ("udp", 123, 123)),
        ("WINRM_HTTP", ("tcp", 5985, 5985)),
        ("WINRM_HTTPS", ("tcp", 5986, 5986)),
    ],
)
def test_port_constants(name: str, expected: tuple[str, int, int]) -> None:
    constant = getattr(Port, name)
    assert isinstance(constant, Port)
    assert (constant.protocol, constant.from_port, constant.to_port) == expected


def test_port_factories() -> None:
    assert Port.tcp(22) == Port("tcp", 22, 22)
    assert Port.tcp(1, 9) == Port("tcp", 1, 9)
    assert Port.udp(53) == Port("udp", 53, 53)
    assert Port.icmp(3, 4) == Port("icmp", 3, 4)
    assert Port.icmpv6(-1, -1) == Port("icmpv6", -1, -1)
    assert Port.all_traffic() == Port("-1", None, None)
    assert Port.all_traffic().is_all
    assert not Port.tcp(0, 65535).is_all
    assert str(Port.tcp(0, 65535)) == "all TCP"
    assert str(Port.all_traffic()) == "all traffic"


# --- peers ---------------------------------------------------------------------------


def test_from_cidr_tells_ipv4_from_ipv6() -> None:
    v4 = Rule.tcp(22).from_cidr("203.0.113.0/24")
    assert v4.peer == Peer(cidr="203.0.113.0/24")
    assert v4.peer is not None
    assert v4.peer.ip_version == 4
    assert str(v4) == "TCP 22 from 203.0.113.0/24"
    v6 = Rule.tcp(22).from_cidr("2001:db8::/32")
    assert v6.peer is not None
    assert v6.peer.ip_version == 6
    assert v6.peer.cidr == "2001:db8::/32"
    assert str(v6) == "TCP 22 from 2001:db8::/32"
    # The shapes put them in different lists.
    p4, p6 = v4.to_ip_permission(), v6.to_ip_permission()
    assert p4.ip_ranges == (shapes.IpRange(cidr_ip="203.0.113.0/24"),)
    assert p4.ipv6_ranges is None
    assert p6.ipv6_ranges == (shapes.Ipv6Range(cidr_ipv6="2001:db8::/32"),)
    assert p6.ip_ranges is None


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("10.1.2.3/8", "10.0.0.0/8"),
        ("203.0.113.77/24", "203.0.113.0/24"),
        ("192.168.1.1/32", "192.168.1.1/32"),
        ("1.2.3.4/0", "0.0.0.0/0"),
        ("2001:db8::1/32", "2001:db8::/32"),
        ("2001:DB8:0:0:0:0:0:1/128", "2001:db8::1/128"),
        ("fe80::1234/10", "fe80::/10"),
        ("::1/0", "::/0"),
    ],
)
def test_cidr_host_bits_become_the_network_address(given: str, stored: str) -> None:
    rule = Rule.all_traffic().from_cidr(given)
    assert rule.peer is not None
    assert rule.peer.cidr == stored
    assert rule == Rule.all_traffic().from_cidr(stored)
    assert Peer(cidr=given) == Peer(cidr=stored)


def test_any_address() -> None:
    v4 = Rule.HTTPS.from_any_ipv4()
    v6 = Rule.HTTPS.from_any_ipv6()
    assert v4 == Rule.HTTPS.from_cidr("0.0.0.0/0")
    assert v6 == Rule.HTTPS.from_cidr("::/0")
    assert str(v4) == "TCP 443 from 0.0.0.0/0"
    assert str(v6) == "TCP 443 from ::/0"


def test_from_group() -> None:
    plain = Rule.POSTGRES.from_group(SG)
    assert plain.peer == Peer(group_id=SG)
    assert str(plain) == f"TCP 5432 from {SG}"
    full = Rule.POSTGRES.from_group(SG, user_id=ACCOUNT, vpc_id=VPC, peering_connection_id=PCX)
    assert full.peer == Peer(group_id=SG, user_id=ACCOUNT, vpc_id=VPC, peering_connection_id=PCX)
    assert str(full) == f"TCP 5432 from {SG} (account {ACCOUNT})"
    assert full.peer is not None
    assert full.peer.ip_version is None
    assert full.to_ip_permission() == shapes.IpPermission(
        ip_protocol="tcp",
        from_port=5432,
        to_port=5432,
        user_id_group_pairs=[
            shapes.UserIdGroupPair(
                group_id=SG, user_id=ACCOUNT, vpc_id=VPC, vpc_peering_connection_id=PCX
            )
        ],
    )


def test_from_prefix_list() -> None:
    rule = Rule.HTTP.from_prefix_list(PL)
    assert rule.peer == Peer(prefix_list_id=PL)
    assert str(rule) == f"TCP 80 from prefix list {PL}"
    assert rule.to_ip_permission() == shapes.IpPermission(
        ip_protocol="tcp",
        from_port=80,
        to_port=80,
        prefix_list_ids=[shapes.PrefixListId(prefix_list_id=PL)],
    )


@pytest.mark.parametrize(
    ("egress", "ingress", "text"),
    [
        (
            Rule.tcp(8000, 8080).to_group(SG, user_id=ACCOUNT),
            Rule.tcp(8000, 8080).from_group(SG, user_id=ACCOUNT),
            f"TCP 8000-8080 to {SG} (account {ACCOUNT})",
        ),
        (
            Rule.tcp(1).to_group(SG, vpc_id=VPC, peering_connection_id=PCX),
            Rule.tcp(1).from_group(SG, vpc_id=VPC, peering_connection_id=PCX),
            f"TCP 1 to {SG}",
        ),
        (
            Rule.HTTPS.to_cidr("10.0.0.0/8"),
            Rule.HTTPS.from_cidr("10.0.0.0/8"),
            "TCP 443 to 10.0.0.0/8",
        ),
        (
            Rule.all_traffic().to_any_ipv4(),
            Rule.all_traffic().from_any_ipv4(),
            "all traffic to 0.0.0.0/0",
        ),
        (Rule.all_icmpv6().to_any_ipv6(), Rule.all_icmpv6().from_any_ipv6(), "all ICMPv6 to ::/0"),
        (
            Rule.DNS_UDP.to_prefix_list(PL),
            Rule.DNS_UDP.from_prefix_list(PL),
            f"UDP 53 to prefix list {PL}",
        ),
    ],
)
def test_egress_spellings(egress: Rule, ingress: Rule, text: str) -> None:
    assert egress.egress
    assert not ingress.egress
    # The same rule; only the wording differs.
    assert egress == ingress
    assert egress.to_ip_permission() == ingress.to_ip_permission()
    assert str(egress) == text
    assert str(ingress) == text.replace(" to ", " from ", 1)


def test_describe() -> None:
    rule = Rule.SSH.from_cidr("203.0.113.0/24").describe("bastion")
    assert rule.description == "bastion"
    assert str(rule) == "TCP 22 from 203.0.113.0/24 (bastion)"
    assert rule.to_ip_permission().ip_ranges == (
        shapes.IpRange(cidr_ip="203.0.113.0/24", description="bastion"),
    )
    # Before or after the peer, the same rule.
    assert Rule.SSH.describe("bastion").from_cidr("203.0.113.0/24") == rule
    # Describing again replaces the description; a description is part of equality.
    assert rule.describe("other").description == "other"
    assert rule != rule.describe("other")
    assert rule.same_rule(rule.describe("other"))
    # The longest allowed, every allowed character, and the empty description.
    longest = "x" * 255
    assert Rule.SSH.from_any_ipv4().describe(longest).description == longest
    every = "azAZ09 ._-:/()#,@[]+=;{}!$*"
    assert Rule.SSH.from_group(SG).describe(every).description == every
    assert Rule.SSH.from_prefix_list(PL).describe(every).description == every
    assert Rule.SSH.from_any_ipv6().describe(every + "&").description == every + "&"
    assert str(Rule.SSH.from_any_ipv4().describe("")) == "TCP 22 from 0.0.0.0/0"


def test_group_descriptions() -> None:
    rule = Rule.tcp(8000, 8080).to_group(SG, user_id=ACCOUNT).describe("app tier")
    assert str(rule) == f"TCP 8000-8080 to {SG} (account {ACCOUNT}) (app tier)"
    pairs = rule.to_ip_permission().user_id_group_pairs
    assert pairs == (shapes.UserIdGroupPair(group_id=SG, user_id=ACCOUNT, description="app tier"),)


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        (Rule.tcp(22).from_cidr("203.0.113.0/24"), "TCP 22 from 203.0.113.0/24"),
        (Rule.all_icmp().from_any_ipv4(), "all ICMP from 0.0.0.0/0"),
        (Rule.icmp(3, 4).from_cidr("10.0.0.0/16"), "ICMP type 3 code 4 from 10.0.0.0/16"),
        (Rule.icmp_type(3).from_any_ipv4(), "ICMP type 3 all codes from 0.0.0.0/0"),
        (Rule.all_traffic().from_group(SG), f"all traffic from {SG}"),
        (Rule.protocol(47).from_cidr("10.0.0.0/8"), "protocol 47 from 10.0.0.0/8"),
        (Rule.all_tcp().from_any_ipv6(), "all TCP from ::/0"),
        (Rule.udp_range(1000, 2000).from_prefix_list(PL), f"UDP 1000-2000 from prefix list {PL}"),
        (
            Rule.tcp(8000, 8080).to_group(SG, user_id=ACCOUNT),
            f"TCP 8000-8080 to {SG} (account {ACCOUNT})",
        ),
    ],
)
def test_str_reads_like_a_sentence(rule: Rule, text: str) -> None:
    assert str(rule) == text


class _Printer:
    """The one method of IPython's pretty printer that _repr_pretty_ uses."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def text(self, text: str) -> None:
        self.parts.append(text)


def test_notebook_renderings() -> None:
    rule = Rule.SSH.from_any_ipv4().describe("R&D [bastion]")
    text = "TCP 22 from 0.0.0.0/0 (R&D [bastion])"
    assert str(rule) == text
    rendered = rule._repr_html_()
    assert html.escape(text) in rendered
    assert "R&amp;D" in rendered
    assert "R&D" not in rendered
    printer = _Printer()
    rule._repr_pretty_(printer, False)
    assert "".join(printer.parts) == f"Rule: {text}"


# --- immutability ----------------------------------------------------------------------


def test_every_step_returns_a_new_rule() -> None:
    base = Rule.tcp(22)
    steps: list[Callable[[Rule], Rule]] = [
        lambda r: r.from_cidr("10.0.0.0/8"),
        lambda r: r.from_any_ipv4(),
        lambda r: r.from_any_ipv6(),
        lambda r: r.from_group(SG, user_id=ACCOUNT),
        lambda r: r.from_prefix_list(PL),
        lambda r: r.to_cidr("10.0.0.0/8"),
        lambda r: r.to_any_ipv4(),
        lambda r: r.to_any_ipv6(),
        lambda r: r.to_group(SG),
        lambda r: r.to_prefix_list(PL),
        lambda r: r.describe("x"),
    ]
    for step in steps:
        new = step(base)
        assert new is not base
        assert new != base
        assert base == Rule(Port.tcp(22))
        assert base.peer is None
        assert base.description is None
        assert not base.egress
    with_peer = base.from_any_ipv4()
    described = with_peer.describe("a")
    assert with_peer.description is None
    assert described.describe("b").description == "b"
    assert described.description == "a"
    # The shared constants are never changed by building on them.
    Rule.SSH.from_any_ipv4().describe("x")
    Rule.SSH.to_group(SG)
    assert Rule(Port.tcp(22)) == Rule.SSH
    assert Rule.SSH.peer is None
    assert not Rule.SSH.egress


@pytest.mark.parametrize(
    ("obj", "attribute", "value"),
    [
        (Rule.SSH, "port", Port.HTTP),
        (Rule.SSH, "peer", Peer(cidr="10.0.0.0/8")),
        (Rule.SSH, "description", "x"),
        (Rule.SSH, "egress", True),
        (Port.SSH, "protocol", "udp"),
        (Port.SSH, "from_port", 23),
        (Port.SSH, "to_port", 23),
        (Peer(cidr="10.0.0.0/8"), "cidr", "0.0.0.0/0"),
        (Peer(group_id=SG), "group_id", "sg-1"),
        (Peer(group_id=SG), "user_id", ACCOUNT),
        (Peer(prefix_list_id=PL), "prefix_list_id", "pl-1"),
    ],
)
def test_frozen(obj: Any, attribute: str, value: Any) -> None:
    before = getattr(obj, attribute)
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(obj, attribute, value)
    assert getattr(obj, attribute) == before


def test_same_rule_is_protocol_ports_and_peer() -> None:
    rule = Rule.SSH.from_group(SG, user_id=ACCOUNT).describe("a")
    # Not the description, the VPC or the peering connection, nor the wording.
    assert rule.same_rule(Rule.SSH.to_group(SG, user_id=ACCOUNT, vpc_id=VPC))
    assert rule.same_rule(Rule.tcp(22).from_group(SG, user_id=ACCOUNT, peering_connection_id=PCX))
    # Group IDs are unique across accounts, and EC2 may leave the owner out.
    assert rule.same_rule(Rule.SSH.from_group(SG))
    assert not rule.same_rule(Rule.SSH.from_group("sg-1", user_id=ACCOUNT))
    assert not rule.same_rule(Rule.tcp(22, 23).from_group(SG, user_id=ACCOUNT))
    assert not rule.same_rule(Rule.SSH)
    cidr = Rule.SSH.from_cidr("10.0.0.0/8")
    assert cidr.same_rule(Rule.protocol(6, 22).from_cidr("10.1.2.3/8").describe("b"))
    assert not cidr.same_rule(Rule.SSH.from_cidr("10.0.0.0/9"))
    assert not cidr.same_rule(Rule.DNS_TCP.from_cidr("10.0.0.0/8"))
    assert not Rule.SSH.from_prefix_list(PL).same_rule(Rule.SSH.from_prefix_list("pl-1"))


def test_rules_are_hashable_values() -> None:
    rules = {Rule.SSH.from_any_ipv4(), Rule.tcp(22).from_cidr("0.0.0.0/0"), Rule.HTTP}
    assert len(rules) == 2


# --- conversion to and from IpPermission ---------------------------------------------


def test_to_ip_permission_and_back() -> None:
    rule = Rule.icmp(3, 4).from_cidr("10.0.0.0/16").describe("pmtu")
    permission = rule.to_ip_permission()
    assert permission == shapes.IpPermission(
        ip_protocol="icmp",
        from_port=3,
        to_port=4,
        ip_ranges=[shapes.IpRange(cidr_ip="10.0.0.0/16", description="pmtu")],
    )
    assert Rule.from_ip_permission(permission) == (rule,)
    everything = Rule.all_traffic().from_any_ipv6().to_ip_permission()
    assert everything == shapes.IpPermission(
        ip_protocol="-1", ipv6_ranges=[shapes.Ipv6Range(cidr_ipv6="::/0")]
    )


def test_from_ip_permission_normalises_what_ec2_normalises() -> None:
    permission = shapes.IpPermission(
        ip_protocol="6",
        from_port=22,
        to_port=22,
        ip_ranges=[shapes.IpRange(cidr_ip="10.9.8.7/8")],
    )
    assert Rule.from_ip_permission(permission) == (Rule.SSH.from_cidr("10.0.0.0/8"),)
    every = shapes.IpPermission(
        ip_protocol="all",
        from_port=0,
        to_port=65535,
        prefix_list_ids=[shapes.PrefixListId(prefix_list_id=PL)],
    )
    (rule,) = Rule.from_ip_permission(every, egress=True)
    assert rule == Rule.all_traffic().to_prefix_list(PL)
    assert rule.egress
    assert str(rule) == f"all traffic to prefix list {PL}"


# --- every refusal, word for word ----------------------------------------------------


@pytest.mark.parametrize(
    ("build", "message"),
    [
        # CIDR blocks
        (
            lambda: Rule.SSH.from_cidr("10.0.0.1"),
            "CIDR mask is missing: did you mean 10.0.0.1/32?",
        ),
        (
            lambda: Rule.SSH.to_cidr("203.0.113.9"),
            "CIDR mask is missing: did you mean 203.0.113.9/32?",
        ),
        (
            lambda: Rule.SSH.from_cidr("2001:db8::1"),
            "CIDR mask is missing: did you mean 2001:db8::1/128?",
        ),
        (
            lambda: Rule.SSH.from_cidr("2001:DB8:0::1"),
            "CIDR mask is missing: did you mean 2001:db8::1/128?",
        ),
        (
            lambda: Rule.SSH.from_cidr("not-a-cidr"),
            "'not-a-cidr' is not a CIDR block; write it as address/prefix",
        ),
        (lambda: Rule.SSH.from_cidr(""), "'' is not a CIDR block; write it as address/prefix"),
        (lambda: Rule.SSH.from_cidr("10.0.0.0/33"), "'10.0.0.0/33' is not a valid CIDR block"),
        (lambda: Rule.SSH.from_cidr("10.0.0/8x"), "'10.0.0/8x' is not a valid CIDR block"),
        (lambda: Rule.SSH.from_cidr("300.0.0.0/8"), "'300.0.0.0/8' is not a valid CIDR block"),
        (
            lambda: Rule.SSH.from_cidr("2001:db8::/129"),
            "'2001:db8::/129' is not a valid CIDR block",
        ),
        (lambda: Rule.SSH.from_cidr("a::b::c/64"), "'a::b::c/64' is not a valid CIDR block"),
        (
            lambda: Rule.SSH.from_cidr(10),  # type: ignore[arg-type]
            "a CIDR block is text like '10.0.0.0/16', got 10",
        ),
        # protocols
        (
            lambda: Rule.protocol("gre"),
            "unknown protocol 'gre': use tcp, udp, icmp, icmpv6, all (-1) or a protocol number 0-255",
        ),
        (
            lambda: Rule.protocol(256),
            "unknown protocol '256': use tcp, udp, icmp, icmpv6, all (-1) or a protocol number 0-255",
        ),
        (
            lambda: Rule.protocol(-2),
            "unknown protocol '-2': use tcp, udp, icmp, icmpv6, all (-1) or a protocol number 0-255",
        ),
        (
            lambda: Rule.protocol(""),
            "unknown protocol '': use tcp, udp, icmp, icmpv6, all (-1) or a protocol number 0-255",
        ),
        (
            lambda: Port(6, 22, 22),  # type: ignore[arg-type]
            "unknown protocol 6: use tcp, udp, icmp, icmpv6, all (-1) or a protocol number 0-255",
        ),
        # ports
        (lambda: Rule.tcp(65536), "from_port 65536 is outside 0-65535"),
        (lambda: Rule.tcp(-1), "from_port -1 is outside 0-65535"),
        (lambda: Rule.tcp(22, 70000), "to_port 70000 is outside 0-65535"),
        (lambda: Rule.udp_range(0, 65536), "to_port 65536 is outside 0-65535"),
        (lambda: Rule.udp(-5), "from_port -5 is outside 0-65535"),
        (lambda: Rule.tcp(8080, 8000), "from_port 8080 is above to_port 8000; swap them"),
        (lambda: Rule.tcp_range(23, 22), "from_port 23 is above to_port 22; swap them"),
        (lambda: Rule.udp_range(2, 1), "from_port 2 is above to_port 1; swap them"),
        (lambda: Rule.protocol(6, 9, 8), "from_port 9 is above to_port 8; swap them"),
        (
            lambda: Rule.protocol("tcp"),
            "TCP needs a port or port range, e.g. Rule.tcp(22)",
        ),
        (lambda: Rule.protocol(6), "TCP needs a port or port range, e.g. Rule.tcp(22)"),
        (
            lambda: Rule.protocol("udp"),
            "UDP needs a port or port range, e.g. Rule.udp(22)",
        ),
        (lambda: Port("tcp", 22), "TCP needs a port or port range, e.g. Rule.tcp(22)"),
        (lambda: Rule.tcp(True), "from_port must be an int, got bool True"),
        (lambda: Rule.tcp(22, False), "to_port must be an int, got bool False"),
        (lambda: Rule.tcp("22"), "from_port must be an int, got str '22'"),  # type: ignore[arg-type]
        (lambda: Rule.udp(53, "54"), "to_port must be an int, got str '54'"),  # type: ignore[arg-type]
        (lambda: Rule.tcp(22.0), "from_port must be an int, got float 22.0"),  # type: ignore[arg-type]
        (lambda: Rule.icmp(True, 0), "from_port must be an int, got bool True"),
        (lambda: Rule.port_(Port.tcp("1")), "from_port must be an int, got str '1'"),  # type: ignore[arg-type]
        # ICMP types and codes
        (lambda: Rule.icmp(256), "ICMP type (from_port) 256 is outside -1-255 (-1 means all)"),
        (lambda: Rule.icmp(-2, -1), "ICMP type (from_port) -2 is outside -1-255 (-1 means all)"),
        (lambda: Rule.icmp(3, 256), "ICMP code (to_port) 256 is outside -1-255 (-1 means all)"),
        (lambda: Rule.icmp(3, -2), "ICMP code (to_port) -2 is outside -1-255 (-1 means all)"),
        (lambda: Rule.icmp_type(300), "ICMP type (from_port) 300 is outside -1-255 (-1 means all)"),
        (lambda: Rule.icmpv6(256, 0), "ICMP type (from_port) 256 is outside -1-255 (-1 means all)"),
        (lambda: Rule.icmpv6(1, 999), "ICMP code (to_port) 999 is outside -1-255 (-1 means all)"),
        (lambda: Rule.icmpv6_type(-7), "ICMP type (from_port) -7 is outside -1-255 (-1 means all)"),
        (
            lambda: Rule.icmp(-1, 4),
            "with ICMP type -1 (all types) the code (to_port) must be -1 too",
        ),
        (
            lambda: Rule.icmpv6(-1, 0),
            "with ICMP type -1 (all types) the code (to_port) must be -1 too",
        ),
        (
            lambda: Rule.protocol("icmp", -1, 0),
            "with ICMP type -1 (all types) the code (to_port) must be -1 too",
        ),
        # peers
        (
            lambda: Rule.SSH.from_any_ipv4().from_any_ipv6(),
            "TCP 22 from 0.0.0.0/0 already has a peer; build one rule per peer "
            "(revoke_ingress takes several rules and merges them)",
        ),
        (
            lambda: Rule.SSH.from_group(SG).from_cidr("10.0.0.0/8"),
            f"TCP 22 from {SG} already has a peer; build one rule per peer "
            "(revoke_ingress takes several rules and merges them)",
        ),
        (
            lambda: Rule.SSH.to_prefix_list(PL).to_group(SG),
            f"TCP 22 to prefix list {PL} already has a peer; build one rule per peer "
            "(revoke_ingress takes several rules and merges them)",
        ),
        (
            lambda: Rule.SSH.from_any_ipv4().describe("x").from_prefix_list(PL),
            "TCP 22 from 0.0.0.0/0 (x) already has a peer; build one rule per peer "
            "(revoke_ingress takes several rules and merges them)",
        ),
        (
            lambda: Rule.SSH.from_group("0123456789abcdef0"),
            "'0123456789abcdef0' is not a security group ID (sg-...)",
        ),
        (lambda: Rule.SSH.to_group(PL), f"'{PL}' is not a security group ID (sg-...)"),
        (lambda: Rule.SSH.from_group("my-group"), "'my-group' is not a security group ID (sg-...)"),
        (
            lambda: Rule.SSH.from_group(123),  # type: ignore[arg-type]
            "123 is not a security group ID (sg-...)",
        ),
        (lambda: Rule.SSH.from_prefix_list(SG), f"'{SG}' is not a prefix list ID (pl-...)"),
        (lambda: Rule.SSH.to_prefix_list("abc"), "'abc' is not a prefix list ID (pl-...)"),
        (
            lambda: Rule.SSH.from_prefix_list(None),  # type: ignore[arg-type]
            "a peer is exactly one of a CIDR block, a security group or a prefix list",
        ),
        (
            lambda: Peer(cidr="10.0.0.0/8", group_id=SG),
            "a peer is exactly one of a CIDR block, a security group or a prefix list",
        ),
        (
            lambda: Peer(),
            "a peer is exactly one of a CIDR block, a security group or a prefix list",
        ),
        (
            lambda: Rule("tcp"),  # type: ignore[arg-type]
            "Rule.port must be a Port, got str",
        ),
        # descriptions
        (
            lambda: Rule.SSH.from_any_ipv4().describe("x" * 256),
            "description is 256 characters long; EC2 allows at most 255",
        ),
        (
            lambda: Rule.SSH.from_group(SG).describe("y" * 300),
            "description is 300 characters long; EC2 allows at most 255",
        ),
        (
            lambda: Rule.SSH.describe("z" * 256),
            "description is 256 characters long; EC2 allows at most 255",
        ),
        (
            lambda: Rule.SSH.from_any_ipv4().describe("caf\u00e9"),
            f"description contains '\u00e9'; EC2 allows only {RANGE_ALLOWED}",
        ),
        (
            lambda: Rule.SSH.from_any_ipv6().describe("a<b>\"c'"),
            f"description contains '\"\\'<>'; EC2 allows only {RANGE_ALLOWED}",
        ),
        (
            lambda: Rule.SSH.from_cidr("10.0.0.0/8").describe("tab\there"),
            f"description contains '\\t'; EC2 allows only {RANGE_ALLOWED}",
        ),
        (
            lambda: Rule.SSH.from_group(SG).describe("R&D"),
            f"description contains '&'; EC2 allows only {OTHER_ALLOWED}",
        ),
        (
            lambda: Rule.SSH.to_group(SG, user_id=ACCOUNT).describe("R&D"),
            f"description contains '&'; EC2 allows only {OTHER_ALLOWED}",
        ),
        (
            lambda: Rule.SSH.from_prefix_list(PL).describe("R&D"),
            f"description contains '&'; EC2 allows only {OTHER_ALLOWED}",
        ),
        (
            # Checked again when the peer comes after the description.
            lambda: Rule.SSH.describe("R&D").from_group(SG),
            f"description contains '&'; EC2 allows only {OTHER_ALLOWED}",
        ),
        (
            lambda: Rule.SSH.describe("R&D").to_prefix_list(PL),
            f"description contains '&'; EC2 allows only {OTHER_ALLOWED}",
        ),
        (
            lambda: Rule.SSH.from_group(SG).describe("%&%"),
            f"description contains '%&'; EC2 allows only {OTHER_ALLOWED}",
        ),
        (lambda: Rule.SSH.describe(5), "a rule description is text"),  # type: ignore[arg-type]
        # conversion
        (
            lambda: Rule.SSH.to_ip_permission(),
            "TCP 22 has no peer: add one, e.g. .from_cidr('203.0.113.0/24') or .from_group('sg-...')",
        ),
        (
            lambda: Rule.all_traffic().describe("d").to_ip_permission(),
            "all traffic (d) has no peer: add one, e.g. .from_cidr('203.0.113.0/24') "
            "or .from_group('sg-...')",
        ),
    ],
)
def test_refusals(build: Callable[[], object], message: str) -> None:
    assert refusal(build) == message


def test_ampersand_is_allowed_for_cidr_peers_only() -> None:
    for rule in (
        Rule.SSH.from_any_ipv4(),
        Rule.SSH.from_any_ipv6(),
        Rule.SSH.to_cidr("10.0.0.0/8"),
        Rule.SSH,
    ):
        assert rule.describe("R&D").description == "R&D"
    assert Rule.SSH.describe("R&D").from_cidr("10.0.0.0/8").description == "R&D"
    assert Rule.SSH.describe("R and D").from_group(SG).description == "R and D"


def test_refusal_is_a_value_error_and_an_ec2_error() -> None:
    with pytest.raises(ParamValidationError) as caught:
        Rule.SSH.from_cidr("10.0.0.1")
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, ec2revoke.EC2Error)
    assert caught.value.code == "ParamValidation"


def test_icmp_needs_a_type_and_a_code() -> None:
    with pytest.raises(ParamValidationError) as no_ports:
        Rule.protocol("icmp")
    assert str(no_ports.value) == (
        "ICMP needs a type and a code (-1 for all), e.g. Rule.icmp(3, 4) or Rule.all_icmp()"
    )
    with pytest.raises(ParamValidationError, match=r"^ICMPv6 needs both a type and a code"):
        Port("icmpv6", 3, None)
    # ICMPv6 may leave both out: all types and codes, which EC2 stores as -1/-1.
    assert Port("icmpv6") == Port.icmpv6(-1, -1)


def test_protocol_with_one_number_is_a_port_or_an_icmp_type_with_all_codes() -> None:
    assert Rule.protocol("icmp", 3) == Rule.icmp_type(3)
    assert Rule.protocol(58, 128) == Rule.icmpv6_type(128)
    assert Rule.protocol("tcp", 22) == Rule.tcp(22)


def test_ports_print_without_walking_their_constants() -> None:
    printed: list[str] = []

    class Printer:
        def text(self, value: str) -> None:
            printed.append(value)

    Port.SSH._repr_pretty_(Printer(), False)  # type: ignore[attr-defined]
    assert printed == ["Port(TCP 22)"]


def test_numbers_too_long_to_print_are_typed_errors() -> None:
    huge = 10**5000  # more digits than str() writes
    calls: list[Callable[[], object]] = [
        lambda: Rule.protocol(huge),
        lambda: Rule.SSH.from_cidr(huge),  # type: ignore[arg-type]
        lambda: Rule.SSH.from_group(huge),  # type: ignore[arg-type]
        lambda: Rule.SSH.from_prefix_list(huge),  # type: ignore[arg-type]
        lambda: Rule.SSH.from_group(SG, user_id=huge),  # type: ignore[arg-type]
        lambda: Rule.tcp(huge),
    ]
    for call in calls:
        with pytest.raises(ParamValidationError, match="digits"):
            call()
