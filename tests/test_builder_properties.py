"""Properties of the builder, for any rule the public factories can build.

- to_ip_permission and from_ip_permission are inverses;
- what the codec sends for a rule is what botocore sends for the same rule written
  by hand as a boto3 dict;
- merge() loses no rule, invents none, and groups them as EC2 requires;
- Port.covers, Peer.covers and Rule.allows agree with a brute-force check over the
  packets and addresses a pattern admits.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Callable
from typing import Any

import botocore.session
from botocore.serialize import EC2Serializer
from botocore.validate import validate_parameters
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ec2revoke import Peer, Port, Rule, codec, shapes
from ec2revoke._rules.rule import merge
from ec2revoke._wire.validate import validate

EC2_MODEL = botocore.session.get_session().get_service_model("ec2")
PROPERTY = settings(max_examples=200, deadline=None)
BRUTE_FORCE = settings(max_examples=600, deadline=None)

# The documented description alphabets: '&' only for IP-range descriptions.
RANGE_ALPHABET = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ._-:/()#,@[]+=&;{}!$*"
)
OTHER_ALPHABET = RANGE_ALPHABET.replace("&", "")
SERVICES = (
    *("SSH", "HTTP", "HTTPS", "RDP", "POSTGRES", "MYSQL", "MSSQL", "REDIS"),
    *("MONGODB", "SMTP", "DNS_UDP", "DNS_TCP", "NTP"),
)
PORT_CONSTANTS = (*SERVICES, "WINRM_HTTP", "WINRM_HTTPS")
NAMED = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58}

Step = Callable[[Rule], Rule]


# --- any valid rule, built through the public factories ---------------------------


def _hex_id(prefix: str) -> st.SearchStrategy[str]:
    return st.text("0123456789abcdef", min_size=8, max_size=17).map(prefix.__add__)


group_ids = _hex_id("sg-")
prefix_list_ids = _hex_id("pl-")
account_ids = st.text("0123456789", min_size=12, max_size=12)
tcp_udp_ports = st.integers(0, 65535)
icmp_codes = st.integers(-1, 255)


@st.composite
def port_ranges(draw: st.DrawFn) -> tuple[int, int]:
    a, b = draw(tcp_udp_ports), draw(tcp_udp_ports)
    return min(a, b), max(a, b)


@st.composite
def icmp_type_codes(draw: st.DrawFn) -> tuple[int, int]:
    type_ = draw(st.integers(-1, 255))
    return type_, -1 if type_ == -1 else draw(icmp_codes)


def _one_of(*spellings: str | int) -> st.SearchStrategy[str | int]:
    return st.sampled_from(spellings)


def _spellings(name: str) -> st.SearchStrategy[str | int]:
    number = NAMED[name]
    return _one_of(name, name.upper(), str(number), number)


@st.composite
def ported_rules(draw: st.DrawFn) -> Rule:
    """The rule for some traffic (no peer yet), by any factory."""
    kind = draw(st.integers(0, 16))
    lo, hi = draw(port_ranges())
    t, c = draw(icmp_type_codes())
    if kind == 0:
        return Rule.tcp(lo)
    if kind == 1:
        return draw(st.sampled_from([Rule.tcp(lo, hi), Rule.tcp_range(lo, hi)]))
    if kind == 2:
        return draw(st.sampled_from([Rule.all_tcp(), Rule.all_udp(), Rule.all_traffic()]))
    if kind == 3:
        return Rule.udp(lo)
    if kind == 4:
        return draw(st.sampled_from([Rule.udp(lo, hi), Rule.udp_range(lo, hi)]))
    if kind == 5:
        return draw(st.sampled_from([Rule.icmp(t, c), Rule.icmpv6(t, c)]))
    if kind == 6:
        return draw(st.sampled_from([Rule.icmp_type(t), Rule.icmpv6_type(t), Rule.icmp(t)]))
    if kind == 7:
        return draw(st.sampled_from([Rule.all_icmp(), Rule.all_icmpv6(), Rule.icmpv6(t)]))
    if kind == 8:
        name = draw(st.sampled_from(["tcp", "udp"]))
        return Rule.protocol(draw(_spellings(name)), lo, draw(st.sampled_from([hi, None])))
    if kind == 9:
        name = draw(st.sampled_from(["icmp", "icmpv6"]))
        return Rule.protocol(draw(_spellings(name)), t, c)
    if kind == 10:
        # EC2 documents the ICMPv6 range as optional: every type and code.
        return Rule.protocol(draw(_one_of("icmpv6", "ICMPV6", "58", 58)))
    if kind == 11:
        junk = st.none() | st.integers(-(2**20), 2**20)
        spelling = draw(_one_of("-1", "all", "ALL", "All", -1))
        return Rule.protocol(spelling, draw(junk), draw(junk))
    if kind == 12:
        number = draw(st.integers(0, 255).filter(lambda n: n not in NAMED.values()))
        junk = st.none() | st.integers(-(2**20), 2**20)
        return Rule.protocol(draw(_one_of(number, str(number))), draw(junk), draw(junk))
    if kind == 13:
        return Rule.port_(getattr(Port, draw(st.sampled_from(PORT_CONSTANTS))))
    if kind == 14:
        return Rule.port_(
            draw(
                st.sampled_from(
                    [Port.tcp(lo, hi), Port.udp(lo, hi), Port.icmp(t, c), Port.icmpv6(t, c)]
                )
            )
        )
    if kind == 15:
        return Rule.port_(Port.all_traffic())
    rule: Rule = getattr(Rule, draw(st.sampled_from(SERVICES)))
    return rule


@st.composite
def ipv4_cidrs(draw: st.DrawFn) -> str:
    address = draw(st.ip_addresses(v=4))
    return f"{address}/{draw(st.integers(0, 32))}"


@st.composite
def ipv6_cidrs(draw: st.DrawFn) -> str:
    address = draw(st.ip_addresses(v=6))
    return f"{address}/{draw(st.integers(0, 128))}"


@st.composite
def peer_steps(draw: st.DrawFn) -> tuple[Step, bool]:
    """A step adding a peer, and whether that peer takes '&' in its description."""
    egress = draw(st.booleans())
    kind = draw(st.sampled_from(["v4", "v6", "any4", "any6", "group", "prefix"]))
    if kind in ("v4", "v6"):
        cidr = draw(ipv4_cidrs() if kind == "v4" else ipv6_cidrs())
        return (lambda r: r.to_cidr(cidr)) if egress else (lambda r: r.from_cidr(cidr)), True
    if kind == "any4":
        return (lambda r: r.to_any_ipv4()) if egress else (lambda r: r.from_any_ipv4()), True
    if kind == "any6":
        return (lambda r: r.to_any_ipv6()) if egress else (lambda r: r.from_any_ipv6()), True
    if kind == "prefix":
        pl = draw(prefix_list_ids)
        return (
            (lambda r: r.to_prefix_list(pl)) if egress else (lambda r: r.from_prefix_list(pl))
        ), False
    group_id = draw(group_ids)
    options: dict[str, Any] = {}
    if draw(st.booleans()):
        options["user_id"] = draw(account_ids)
    if draw(st.booleans()):
        options["vpc_id"] = draw(_hex_id("vpc-"))
    if draw(st.booleans()):
        options["peering_connection_id"] = draw(_hex_id("pcx-"))
    if egress:
        return (lambda r: r.to_group(group_id, **options)), False
    return (lambda r: r.from_group(group_id, **options)), False


def descriptions(ranges: bool) -> st.SearchStrategy[str]:
    alphabet = RANGE_ALPHABET if ranges else OTHER_ALPHABET
    return st.text(alphabet, max_size=24) | st.text(alphabet, min_size=250, max_size=255)


@st.composite
def rules(draw: st.DrawFn, ports: st.SearchStrategy[Rule] | None = None) -> Rule:
    """Any valid rule with a peer, optionally described before or after the peer."""
    rule = draw(ported_rules() if ports is None else ports)
    add_peer, ranges = draw(peer_steps())
    description = draw(st.none() | descriptions(ranges))
    if description is not None and draw(st.booleans()):
        return add_peer(rule.describe(description))
    rule = add_peer(rule)
    return rule if description is None else rule.describe(description)


# --- round trip ---------------------------------------------------------------------


@PROPERTY
@given(rule=rules())
def test_ip_permission_round_trip(rule: Rule) -> None:
    back = Rule.from_ip_permission(rule.to_ip_permission(), egress=rule.egress)
    assert back == (rule,)
    assert back[0].egress == rule.egress
    assert str(back[0]) == str(rule)


@PROPERTY
@given(rule=rules())
def test_a_rule_allows_itself(rule: Rule) -> None:
    assert rule.allows(rule)
    assert rule.same_rule(rule)


# --- the codec sends what botocore sends ----------------------------------------------


def _version(cidr: str) -> int:
    return ipaddress.ip_network(cidr).version


def boto3_permission(rule: Rule) -> dict[str, Any]:
    """The rule as a boto3 user writes it by hand (keys in the documented order)."""
    port, peer = rule.port, rule.peer
    assert peer is not None
    permission: dict[str, Any] = {"IpProtocol": port.protocol}
    if port.from_port is not None:
        permission["FromPort"] = port.from_port
    if port.to_port is not None:
        permission["ToPort"] = port.to_port
    described = {} if rule.description is None else {"Description": rule.description}
    if peer.group_id is not None:
        pair: dict[str, Any] = dict(described)
        if peer.user_id is not None:
            pair["UserId"] = peer.user_id
        pair["GroupId"] = peer.group_id
        if peer.vpc_id is not None:
            pair["VpcId"] = peer.vpc_id
        if peer.peering_connection_id is not None:
            pair["VpcPeeringConnectionId"] = peer.peering_connection_id
        permission["UserIdGroupPairs"] = [pair]
    elif peer.cidr is not None and _version(peer.cidr) == 4:
        permission["IpRanges"] = [{**described, "CidrIp": peer.cidr}]
    elif peer.cidr is not None:
        permission["Ipv6Ranges"] = [{**described, "CidrIpv6": peer.cidr}]
    else:
        permission["PrefixListIds"] = [{**described, "PrefixListId": peer.prefix_list_id}]
    return permission


@PROPERTY
@given(
    group_id=group_ids,
    some=st.lists(rules(), min_size=1, max_size=3),
    egress=st.booleans(),
)
def test_query_matches_botocore_for_the_hand_written_dict(
    group_id: str, some: list[Rule], egress: bool
) -> None:
    operation = "RevokeSecurityGroupEgress" if egress else "RevokeSecurityGroupIngress"
    request_type = (
        shapes.RevokeSecurityGroupEgressRequest
        if egress
        else shapes.RevokeSecurityGroupIngressRequest
    )
    request = request_type(group_id=group_id, ip_permissions=[r.to_ip_permission() for r in some])
    params = {"GroupId": group_id, "IpPermissions": [boto3_permission(r) for r in some]}
    model = EC2_MODEL.operation_model(operation)
    validate_parameters(params, model.input_shape)  # botocore accepts the dict as written
    body = EC2Serializer().serialize_to_request(params, model)["body"]
    expected = [(k, v if isinstance(v, str) else str(v)) for k, v in body.items()]
    assert codec.to_query(request) == expected
    # And the library's own pre-send checks pass what the builder builds.
    validate(operation, request)


# --- merge --------------------------------------------------------------------------


def _kind(rule: Rule) -> str:
    assert rule.peer is not None
    return "group" if rule.peer.group_id is not None else "address"


@st.composite
def rule_batches(draw: st.DrawFn) -> list[Rule]:
    """Several rules, many sharing a port, with every kind of peer."""
    pool = draw(st.lists(ported_rules(), min_size=1, max_size=3))
    return draw(st.lists(rules(st.sampled_from(pool)), min_size=1, max_size=8))


@PROPERTY
@given(batch=rule_batches())
def test_merge_keeps_every_rule_and_groups_them_as_ec2_requires(batch: list[Rule]) -> None:
    permissions = merge(batch)
    held = [r for p in permissions for r in Rule.from_ip_permission(p)]
    assert Counter(held) == Counter(batch)
    seen: set[tuple[Port, str]] = set()
    for p in permissions:
        addresses = [*(p.ip_ranges or ()), *(p.ipv6_ranges or ()), *(p.prefix_list_ids or ())]
        # EC2 refuses a security group and a CIDR range in one permission.
        assert not (p.user_id_group_pairs and (p.ip_ranges or p.ipv6_ranges))
        assert p.user_id_group_pairs or addresses
        kinds = {_kind(r) for r in Rule.from_ip_permission(p)}
        assert len(kinds) == 1
        key = (Port(p.ip_protocol or "", p.from_port, p.to_port), kinds.pop())
        assert key not in seen, f"two permissions for {key}"
        seen.add(key)
    # As few as possible: one permission per port and kind of peer.
    assert seen == {(r.port, _kind(r)) for r in batch}
    validate(
        "RevokeSecurityGroupIngress",
        shapes.RevokeSecurityGroupIngressRequest(
            group_id="sg-12345678", ip_permissions=permissions
        ),
    )


# --- covers and allows against brute force --------------------------------------------

# ICMP types and codes are compared for equality only, so the values rules use
# (-1 aside) plus one no rule uses (3) stand for all 256. Likewise the protocols:
# the ones rules use plus one no rule uses (132).
SMALL_ICMP = (0, 1, 2)
ICMP_DOMAIN = (*SMALL_ICMP, 3)
OTHER_PROTOCOLS = (47, 50)
PROTOCOL_DOMAIN = (*NAMED.values(), *OTHER_PROTOCOLS, 132)
Packet = tuple[int, int | None, int | None]


@st.composite
def small_ports(draw: st.DrawFn) -> Port:
    """Ports with small ranges and ICMP values, so that they often hold one another."""
    kind = draw(st.integers(0, 6))
    if kind <= 1:
        lo = draw(st.integers(0, 12))
        hi = draw(st.integers(lo, 12))
        return Port.tcp(lo, hi) if kind == 0 else Port.udp(lo, hi)
    if kind == 2:
        return draw(st.sampled_from([Port.tcp(0, 65535), Port.udp(0, 65535), Port.SSH]))
    if kind <= 4:
        type_ = draw(st.sampled_from((-1, *SMALL_ICMP)))
        code = -1 if type_ == -1 else draw(st.sampled_from((-1, *SMALL_ICMP)))
        return Port.icmp(type_, code) if kind == 3 else Port.icmpv6(type_, code)
    if kind == 5:
        return Rule.protocol("icmpv6").port
    return Port(str(draw(st.sampled_from(("-1", *map(str, OTHER_PROTOCOLS))))))


@st.composite
def small_peers(draw: st.DrawFn) -> Peer:
    kind = draw(st.integers(0, 3))
    if kind == 0:
        # Networks around 10.0.0.0/22, so that they often hold one another.
        address = ipaddress.IPv4Address("10.0.0.0") + draw(st.integers(0, 1023))
        prefix = draw(st.integers(16, 32) | st.sampled_from([0, 8]))
        return Peer(cidr=f"{address}/{prefix}")
    if kind == 1:
        address6 = ipaddress.IPv6Address("2001:db8::") + draw(st.integers(0, 1023))
        prefix = draw(st.integers(112, 128) | st.sampled_from([0, 32, 64]))
        return Peer(cidr=f"{address6}/{prefix}")
    if kind == 2:
        return Peer(group_id=draw(st.sampled_from(["sg-11111111", "sg-22222222"])))
    return Peer(prefix_list_id=draw(st.sampled_from(["pl-11111111", "pl-22222222"])))


# Hypothesis prints a failing example's Port through its dataclass fields, which
# include the ClassVar constants (Port.SSH.SSH...) and never end; a Rule prints by its
# _repr_pretty_. So the brute-force tests draw a Port as the peerless Rule holding it.
small_traffic = small_ports().map(Rule)


def _number(protocol: str) -> int:
    return NAMED.get(protocol) or int(protocol)


def packets(port: Port, data: st.DataObject | None) -> set[Packet]:
    """Packets that stand for all those ``port`` admits, as far as any rule can tell."""
    if port.protocol == "-1":
        everything = [Port.tcp(0, 65535), Port.udp(0, 65535), Port.icmp(-1, -1)]
        everything += [Port.icmpv6(-1, -1), *(Port(str(n)) for n in PROTOCOL_DOMAIN[4:])]
        return set().union(*(packets(p, data) for p in everything))
    number = _number(port.protocol)
    lo, hi = port.from_port, port.to_port
    if port.protocol in ("tcp", "udp"):
        assert lo is not None
        assert hi is not None
        # A range holds another iff it holds both ends; the middle is a check on that.
        inside = lo if data is None else data.draw(st.integers(lo, hi), label="port inside")
        return {(number, p, None) for p in (lo, hi, (lo + hi) // 2, inside)}
    if port.protocol in ("icmp", "icmpv6"):
        types = ICMP_DOMAIN if lo in (None, -1) else (lo,)
        codes = ICMP_DOMAIN if lo in (None, -1) or hi == -1 else (hi,)
        return {(number, t, c) for t in types for c in codes}
    return {(number, None, None)}


def port_admits(port: Port, packet: Packet) -> bool:
    protocol, a, b = packet
    if port.protocol == "-1":
        return True
    if _number(port.protocol) != protocol:
        return False
    if port.protocol in ("tcp", "udp"):
        assert port.from_port is not None
        assert port.to_port is not None
        assert a is not None
        return port.from_port <= a <= port.to_port
    if port.protocol in ("icmp", "icmpv6"):
        if port.from_port in (None, -1):
            return True
        return a == port.from_port and port.to_port in (-1, b)
    return True


Source = ipaddress.IPv4Address | ipaddress.IPv6Address | tuple[str, str]


def sources(peer: Peer, data: st.DataObject | None) -> set[Source]:
    """Addresses that stand for all those ``peer`` stands for (groups and lists: by name)."""
    if peer.cidr is None:
        if peer.group_id is not None:
            return {("group", peer.group_id)}
        assert peer.prefix_list_id is not None
        return {("prefix list", peer.prefix_list_id)}
    network = ipaddress.ip_network(peer.cidr)
    # A CIDR block holds another iff it holds its first and last addresses.
    last = network.num_addresses - 1
    offset = last // 2 if data is None else data.draw(st.integers(0, last), label="inside")
    return {network.network_address, network.broadcast_address, network.network_address + offset}


def peer_admits(peer: Peer, source: Source) -> bool:
    if isinstance(source, tuple):
        kind, name = source
        return name == (peer.group_id if kind == "group" else peer.prefix_list_id)
    return peer.cidr is not None and source in ipaddress.ip_network(peer.cidr)


@BRUTE_FORCE
@given(rule=small_traffic, pattern=small_traffic, data=st.data())
@example(rule=Rule.all_icmpv6(), pattern=Rule.protocol("icmpv6"), data=None)
@example(rule=Rule.protocol("icmpv6"), pattern=Rule.all_icmpv6(), data=None)
@example(rule=Rule.icmpv6_type(0), pattern=Rule.protocol("icmpv6"), data=None)
@example(rule=Rule.all_traffic(), pattern=Rule.protocol(47), data=None)
def test_port_covers_matches_brute_force(
    rule: Rule, pattern: Rule, data: st.DataObject | None
) -> None:
    rule_port, pattern_port = rule.port, pattern.port
    expected = all(port_admits(rule_port, p) for p in packets(pattern_port, data))
    assert rule_port.covers(pattern_port) == expected


@BRUTE_FORCE
@given(rule_peer=small_peers(), pattern_peer=small_peers(), data=st.data())
def test_peer_covers_matches_brute_force(
    rule_peer: Peer, pattern_peer: Peer, data: st.DataObject | None
) -> None:
    expected = all(peer_admits(rule_peer, s) for s in sources(pattern_peer, data))
    assert rule_peer.covers(pattern_peer) == expected


ANY4 = Peer(cidr="0.0.0.0/0")


@BRUTE_FORCE
@given(
    traffic=small_traffic,
    rule_peer=small_peers(),
    pattern_traffic=small_traffic,
    pattern_peer=small_peers(),
    data=st.data(),
)
@example(Rule.all_traffic(), ANY4, Rule.SSH, ANY4, None)
@example(Rule.all_tcp(), ANY4, Rule.SSH, ANY4, None)
@example(Rule.SSH, Peer(cidr="10.0.0.0/8"), Rule.SSH, ANY4, None)
@example(Rule.all_traffic(), Peer(cidr="::/0"), Rule.SSH, ANY4, None)
@example(Rule.all_icmpv6(), Peer(cidr="::/0"), Rule.protocol("icmpv6"), Peer(cidr="::/0"), None)
def test_rule_allows_matches_brute_force(
    traffic: Rule,
    rule_peer: Peer,
    pattern_traffic: Rule,
    pattern_peer: Peer,
    data: st.DataObject | None,
) -> None:
    rule_port, pattern_port = traffic.port, pattern_traffic.port
    rule, pattern = Rule(rule_port, rule_peer), Rule(pattern_port, pattern_peer)
    expected = all(
        port_admits(rule_port, packet) and peer_admits(rule_peer, source)
        for packet in packets(pattern_port, data)
        for source in sources(pattern_peer, data)
    )
    assert rule.allows(pattern) == expected
    # A pattern without a peer stands for any peer.
    assert rule.allows(Rule(pattern_port)) == rule_port.covers(pattern_port)


@PROPERTY
@given(rule=rules(), pattern=rules())
def test_ipv6_rules_never_allow_ipv4_patterns(rule: Rule, pattern: Rule) -> None:
    assert rule.peer is not None
    assert pattern.peer is not None
    if rule.peer.cidr is None or pattern.peer.cidr is None:
        return
    if _version(rule.peer.cidr) != _version(pattern.peer.cidr):
        assert not rule.allows(pattern)
        assert not rule.peer.covers(pattern.peer)


def test_world_open_ssh_is_caught_by_wider_rules() -> None:
    ssh = Rule.SSH.from_any_ipv4()
    assert Rule.all_traffic().from_any_ipv4().allows(ssh)
    assert Rule.all_tcp().from_any_ipv4().allows(ssh)
    assert Rule.tcp(0, 1024).from_any_ipv4().allows(ssh)
    assert Rule.tcp(22).from_any_ipv4().describe("anything").allows(ssh)
    assert not Rule.tcp(22).from_cidr("10.0.0.0/8").allows(ssh)
    assert not Rule.tcp(23, 65535).from_any_ipv4().allows(ssh)
    assert not Rule.udp(22).from_any_ipv4().allows(ssh)
    assert not Rule.all_traffic().from_any_ipv6().allows(ssh)
    assert not Rule.all_traffic().from_cidr("::ffff:0:0/96").allows(ssh)
    assert not Rule.all_traffic().from_group("sg-11111111").allows(ssh)
    assert not Rule.all_traffic().from_prefix_list("pl-11111111").allows(ssh)
    assert Rule.all_traffic().from_any_ipv6().allows(Rule.SSH.from_any_ipv6())
    # A narrow rule does not allow the wide pattern.
    assert not ssh.allows(Rule.all_tcp().from_any_ipv4())


def test_icmpv6_without_a_range_is_every_type_and_code() -> None:
    # EC2: "For icmpv6, the port range is optional; if you omit the port range,
    # traffic for all types and codes is allowed."
    bare = Rule.protocol("icmpv6").from_any_ipv6()
    every = Rule.all_icmpv6().from_any_ipv6()
    assert bare.allows(every)
    assert every.allows(bare)
    assert bare.allows(Rule.icmpv6(128, 0).from_any_ipv6())
    assert not Rule.icmpv6_type(128).from_any_ipv6().allows(bare)
    assert not Rule.icmpv6(128, 0).from_any_ipv6().allows(bare)


def test_group_owner_is_optional_when_matching() -> None:
    sg, owner, other = "sg-0123456789abcdef0", "123456789012", "210987654321"
    # DescribeSecurityGroupRules always names the referenced group's owner.
    described = Rule.from_security_group_rule(
        shapes.SecurityGroupRule(
            security_group_rule_id="sgr-0123456789abcdef0",
            group_id="sg-0aaaaaaaaaaaaaaaa",
            is_egress=False,
            ip_protocol="tcp",
            from_port=22,
            to_port=22,
            referenced_group_info=shapes.ReferencedSecurityGroup(group_id=sg, user_id=owner),
        )
    )
    assert described == Rule.SSH.from_group(sg, user_id=owner)
    # So a pattern that leaves the owner out must still find it.
    assert described.allows(Rule.SSH.from_group(sg))
    assert described.allows(Rule.SSH.from_group(sg, user_id=owner))
    assert not described.allows(Rule.SSH.from_group(sg, user_id=other))
    assert not described.allows(Rule.SSH.from_group("sg-0bbbbbbbbbbbbbbbb"))
    assert Rule.SSH.from_group(sg).allows(Rule.SSH.from_group(sg, user_id=other))
    assert Rule.all_tcp().from_group(sg, vpc_id="vpc-12345678").allows(Rule.SSH.from_group(sg))
