"""Rule: the fluent builder for one security-group rule.

    Rule.tcp(22).from_cidr("203.0.113.0/24")
    Rule.SSH.from_any_ipv4().describe("bastion")
    Rule.icmp(3, 4).from_any_ipv4()
    Rule.all_traffic().to_group("sg-0123456789abcdef0")

Every step returns a new frozen Rule and checks its input at once, with a message
that says what to write instead. ``to_ip_permission()`` gives the EC2 shape;
``Rule.from_ip_permission()`` and ``Rule.from_security_group_rule()`` read EC2's
shapes back, normalised but never refused: what EC2 lists is data, whatever it holds
(a description from before today's character rules, say).
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from ec2revoke._errors import ParamValidationError
from ec2revoke._generated import shapes
from ec2revoke._rules.ports_peers import ANY_IPV4, ANY_IPV6, Peer, Port
from ec2revoke._wire.compiler import describe
from ec2revoke._wire.validate import ICMP, check_description, protocol_number


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: a Port, a Peer and an optional description."""

    port: Port
    peer: Peer | None = None
    description: str | None = None
    # Only how str() words it ("to" for egress spellings); not part of the rule.
    egress: bool = field(default=False, compare=False, repr=False)

    SSH: ClassVar[Rule]
    HTTP: ClassVar[Rule]
    HTTPS: ClassVar[Rule]
    RDP: ClassVar[Rule]
    POSTGRES: ClassVar[Rule]
    MYSQL: ClassVar[Rule]
    MSSQL: ClassVar[Rule]
    REDIS: ClassVar[Rule]
    MONGODB: ClassVar[Rule]
    SMTP: ClassVar[Rule]
    DNS_UDP: ClassVar[Rule]
    DNS_TCP: ClassVar[Rule]
    NTP: ClassVar[Rule]

    def __post_init__(self) -> None:
        if not isinstance(self.port, Port):
            raise ParamValidationError(f"Rule.port must be a Port, got {type(self.port).__name__}")
        if self.description is not None:
            if not isinstance(self.description, str):
                raise ParamValidationError("a rule description is text")
            # EC2 allows '&' only in the descriptions of CIDR ranges.
            problem = check_description(
                self.description, ranges=self.peer is None or self.peer.cidr is not None
            )
            if problem:
                raise ParamValidationError(f"description {problem}")

    # -- what traffic ---------------------------------------------------------------

    @staticmethod
    def port_(port: Port) -> Rule:
        """A rule for a Port, e.g. ``Rule.port_(Port.HTTPS)``."""
        return Rule(port)

    @staticmethod
    def tcp(port: int, to_port: int | None = None) -> Rule:
        """TCP ``port``, or the range ``port``-``to_port``."""
        return Rule(Port.tcp(port, to_port))

    @staticmethod
    def tcp_range(from_port: int, to_port: int) -> Rule:
        """TCP ports ``from_port`` to ``to_port``, inclusive."""
        return Rule(Port.tcp(from_port, to_port))

    @staticmethod
    def all_tcp() -> Rule:
        """Every TCP port."""
        return Rule(Port.tcp(0, 65535))

    @staticmethod
    def udp(port: int, to_port: int | None = None) -> Rule:
        """UDP ``port``, or the range ``port``-``to_port``."""
        return Rule(Port.udp(port, to_port))

    @staticmethod
    def udp_range(from_port: int, to_port: int) -> Rule:
        """UDP ports ``from_port`` to ``to_port``, inclusive."""
        return Rule(Port.udp(from_port, to_port))

    @staticmethod
    def all_udp() -> Rule:
        """Every UDP port."""
        return Rule(Port.udp(0, 65535))

    @staticmethod
    def icmp(type_: int, code: int = -1) -> Rule:
        """ICMP ``type_`` and ``code`` (-1: every code)."""
        return Rule(Port.icmp(type_, code))

    @staticmethod
    def icmp_type(type_: int) -> Rule:
        """ICMP ``type_``, every code."""
        return Rule(Port.icmp(type_, -1))

    @staticmethod
    def all_icmp() -> Rule:
        """Every ICMP type and code."""
        return Rule(Port.icmp(-1, -1))

    @staticmethod
    def icmpv6(type_: int, code: int = -1) -> Rule:
        """ICMPv6 ``type_`` and ``code`` (-1: every code)."""
        return Rule(Port.icmpv6(type_, code))

    @staticmethod
    def icmpv6_type(type_: int) -> Rule:
        """ICMPv6 ``type_``, every code."""
        return Rule(Port.icmpv6(type_, -1))

    @staticmethod
    def all_icmpv6() -> Rule:
        """Every ICMPv6 type and code."""
        return Rule(Port.icmpv6(-1, -1))

    @staticmethod
    def all_traffic() -> Rule:
        """Every protocol and port."""
        return Rule(Port.all_traffic())

    @staticmethod
    def protocol(
        protocol: str | int, from_port: int | None = None, to_port: int | None = None
    ) -> Rule:
        """Any protocol by name (tcp, udp, icmp, icmpv6, all) or number, with ports where it has them."""
        if (
            isinstance(protocol, int)
            and not isinstance(protocol, bool)
            and protocol.bit_length() < 64
        ):
            protocol = str(protocol)  # Port says what is wrong with one out of range
        if not isinstance(protocol, str):
            raise ParamValidationError(
                f"a protocol is a name (tcp, udp, icmp, icmpv6, all) or a number 0-255, "
                f"got {describe(protocol)}"
            )
        if to_port is None and from_port is not None:
            # One number: a single port, or for ICMP a type with all its codes.
            to_port = -1 if protocol_number(protocol) in ICMP else from_port
        return Rule(Port(protocol, from_port, to_port))

    # -- from or to where ------------------------------------------------------------

    def _with(self, peer: Peer) -> Rule:
        if self.peer is not None:
            raise ParamValidationError(
                f"{self} already has a peer; build one rule per peer "
                "(revoke_ingress takes several rules and merges them)"
            )
        return replace(self, peer=peer)

    def from_cidr(self, cidr: str) -> Rule:
        """From an IPv4 or IPv6 CIDR block (told apart by the address)."""
        return self._with(Peer(cidr=cidr))

    def from_any_ipv4(self) -> Rule:
        """From anywhere on IPv4 (0.0.0.0/0)."""
        return self.from_cidr(ANY_IPV4)

    def from_any_ipv6(self) -> Rule:
        """From anywhere on IPv6 (::/0)."""
        return self.from_cidr(ANY_IPV6)

    def from_group(
        self,
        group_id: str,
        *,
        user_id: str | None = None,
        vpc_id: str | None = None,
        peering_connection_id: str | None = None,
    ) -> Rule:
        """From the members of a security group (another account's with ``user_id``)."""
        peer = Peer(
            group_id=group_id,
            user_id=user_id,
            vpc_id=vpc_id,
            peering_connection_id=peering_connection_id,
        )
        return self._with(peer)

    def from_prefix_list(self, prefix_list_id: str) -> Rule:
        """From the CIDR blocks of a managed prefix list."""
        return self._with(Peer(prefix_list_id=prefix_list_id))

    # The egress spellings: the same rules, worded "to" when shown.

    def to_cidr(self, cidr: str) -> Rule:
        """To an IPv4 or IPv6 CIDR block (for egress rules)."""
        return replace(self.from_cidr(cidr), egress=True)

    def to_any_ipv4(self) -> Rule:
        """To anywhere on IPv4 (0.0.0.0/0)."""
        return self.to_cidr(ANY_IPV4)

    def to_any_ipv6(self) -> Rule:
        """To anywhere on IPv6 (::/0)."""
        return self.to_cidr(ANY_IPV6)

    def to_group(
        self,
        group_id: str,
        *,
        user_id: str | None = None,
        vpc_id: str | None = None,
        peering_connection_id: str | None = None,
    ) -> Rule:
        """To the members of a security group."""
        rule = self.from_group(
            group_id, user_id=user_id, vpc_id=vpc_id, peering_connection_id=peering_connection_id
        )
        return replace(rule, egress=True)

    def to_prefix_list(self, prefix_list_id: str) -> Rule:
        """To the CIDR blocks of a managed prefix list."""
        return replace(self.from_prefix_list(prefix_list_id), egress=True)

    def describe(self, description: str) -> Rule:
        """The same rule with a description (EC2 keeps up to 255 characters)."""
        return replace(self, description=description)

    # -- EC2 shapes --------------------------------------------------------------------

    def to_ip_permission(self) -> shapes.IpPermission:
        """The rule as EC2's IpPermission."""
        return merge([self])[0]

    @staticmethod
    def from_ip_permission(
        permission: shapes.IpPermission, *, egress: bool = False
    ) -> tuple[Rule, ...]:
        """The rules an IpPermission holds, one per peer, as EC2 stores them."""
        port = Port.listed(permission.ip_protocol, permission.from_port, permission.to_port)
        rules: list[Rule] = []
        for r in permission.ip_ranges or ():
            rules.append(_listed(port, Peer.listed(cidr=r.cidr_ip), r.description, egress))
        for r6 in permission.ipv6_ranges or ():
            rules.append(_listed(port, Peer.listed(cidr=r6.cidr_ipv6), r6.description, egress))
        for pl in permission.prefix_list_ids or ():
            peer = Peer.listed(prefix_list_id=pl.prefix_list_id)
            rules.append(_listed(port, peer, pl.description, egress))
        for g in permission.user_id_group_pairs or ():
            peer = Peer.listed(
                group_id=g.group_id,
                user_id=g.user_id,
                vpc_id=g.vpc_id,
                peering_connection_id=g.vpc_peering_connection_id,
            )
            rules.append(_listed(port, peer, g.description, egress))
        if not rules:
            rules.append(_listed(port, None, None, egress))
        return tuple(rules)

    @staticmethod
    def from_security_group_rule(rule: shapes.SecurityGroupRule) -> Rule:
        """A rule as DescribeSecurityGroupRules reports it."""
        port = Port.listed(rule.ip_protocol, rule.from_port, rule.to_port)
        ref = rule.referenced_group_info or shapes.ReferencedSecurityGroup()
        peer = _listed_peer(
            cidr=rule.cidr_ipv4 or rule.cidr_ipv6,
            prefix_list_id=rule.prefix_list_id,
            group_id=ref.group_id,
            user_id=ref.user_id,
            vpc_id=ref.vpc_id,
            peering_connection_id=ref.vpc_peering_connection_id,
        )
        return _listed(port, peer, rule.description, bool(rule.is_egress))

    @staticmethod
    def from_revoked_rule(rule: shapes.RevokedSecurityGroupRule) -> Rule:
        """A rule as a revoke's RevokedSecurityGroupRules names it."""
        port = Port.listed(rule.ip_protocol, rule.from_port, rule.to_port)
        peer = _listed_peer(
            cidr=rule.cidr_ipv4 or rule.cidr_ipv6,
            prefix_list_id=rule.prefix_list_id,
            group_id=rule.referenced_group_id,
        )
        return _listed(port, peer, rule.description, bool(rule.is_egress))

    def allows(self, pattern: Rule) -> bool:
        """Whether this rule lets through all the traffic ``pattern`` describes.

        ``Rule.tcp(22).from_any_ipv4()`` is allowed by a rule for TCP 22 from
        0.0.0.0/0, and by wider ones (TCP 0-65535, or all traffic, from 0.0.0.0/0);
        a pattern without a peer stands for any peer.
        """
        if not self.port.covers(pattern.port):
            return False
        if pattern.peer is None:
            return True
        return self.peer is not None and self.peer.covers(pattern.peer)

    def same_rule(self, other: Rule) -> bool:
        """The same rule as EC2 identifies it: protocol, ports and peer (not the description)."""
        return identity(self) == identity(other)

    # -- showing it --------------------------------------------------------------------

    def __str__(self) -> str:
        text = str(self.port)
        if self.peer is not None:
            text += f" {'to' if self.egress else 'from'} {self.peer}"
        if self.description:
            text += f" ({self.description})"
        return text

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(f"Rule: {self}")

    def _repr_html_(self) -> str:
        return f"<code>Rule</code> {html.escape(str(self))}"


RuleKey = tuple[Port, str | None, str | None, str | None]


def identity(rule: Rule) -> RuleKey:
    """What EC2 tells one rule of a group apart by (F4): protocol, ports and peer.

    Not the description, and for a group peer only the group: group IDs are unique
    across accounts, and EC2 may leave the owner out of what it reports.
    """
    peer = rule.peer
    if peer is None:
        return (rule.port, None, None, None)
    return (rule.port, peer.cidr, peer.prefix_list_id, peer.group_id)


def _listed(port: Port, peer: Peer | None, description: str | None, egress: bool) -> Rule:
    # EC2's own data: built without the checks a request gets.
    rule = object.__new__(Rule)
    for name, value in (
        ("port", port),
        ("peer", peer),
        ("description", description),
        ("egress", egress),
    ):
        object.__setattr__(rule, name, value)
    return rule


def _listed_peer(**names: str | None) -> Peer | None:
    """The peer EC2 names, or None when it names none."""
    if all(names.get(k) is None for k in ("cidr", "prefix_list_id", "group_id")):
        return None
    return Peer.listed(**names)


def merge(rules: Iterable[Rule], *, descriptions: bool = True) -> list[shapes.IpPermission]:
    """As few IpPermissions as hold all the rules.

    Rules with the same port share one permission; a security-group peer never shares
    one with a CIDR range, because EC2 refuses that mix. ``descriptions=False`` leaves
    descriptions out, as a revoke may (EC2 matches a rule without its description).
    """
    groups: dict[tuple[Port, bool], list[Rule]] = {}
    for rule in rules:
        if rule.peer is None:
            raise ParamValidationError(
                f"{rule} has no peer: add one, e.g. .from_cidr('203.0.113.0/24') or .from_group('sg-...')"
            )
        groups.setdefault((rule.port, rule.peer.group_id is not None), []).append(rule)
    permissions = []
    for (port, _), members in groups.items():
        if not descriptions:
            members = [_listed(r.port, r.peer, None, r.egress) for r in members]
        ip_ranges = [
            shapes.IpRange(cidr_ip=r.peer.cidr, description=r.description)
            for r in members
            if r.peer and r.peer.ip_version == 4
        ]
        ipv6_ranges = [
            shapes.Ipv6Range(cidr_ipv6=r.peer.cidr, description=r.description)
            for r in members
            if r.peer and r.peer.ip_version == 6
        ]
        prefix_lists = [
            shapes.PrefixListId(prefix_list_id=r.peer.prefix_list_id, description=r.description)
            for r in members
            if r.peer and r.peer.prefix_list_id is not None
        ]
        pairs = [
            shapes.UserIdGroupPair(
                group_id=r.peer.group_id,
                user_id=r.peer.user_id,
                vpc_id=r.peer.vpc_id,
                vpc_peering_connection_id=r.peer.peering_connection_id,
                description=r.description,
            )
            for r in members
            if r.peer and r.peer.group_id is not None
        ]
        permissions.append(
            shapes.IpPermission(
                ip_protocol=port.protocol,
                from_port=port.from_port,
                to_port=port.to_port,
                ip_ranges=ip_ranges or None,
                ipv6_ranges=ipv6_ranges or None,
                prefix_list_ids=prefix_lists or None,
                user_id_group_pairs=pairs or None,
            )
        )
    return permissions


for _name in (
    "SSH",
    "HTTP",
    "HTTPS",
    "RDP",
    "POSTGRES",
    "MYSQL",
    "MSSQL",
    "REDIS",
    "MONGODB",
    "SMTP",
    "DNS_UDP",
    "DNS_TCP",
    "NTP",
):
    setattr(Rule, _name, Rule(getattr(Port, _name)))
