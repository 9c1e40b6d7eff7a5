"""The two halves of a rule: Port (what traffic) and Peer (from or to where).

Both are frozen, checked when made, and normalised the way EC2 stores them (F15):
``all`` is ``-1``, protocol numbers 6/17/1/58 are tcp/udp/icmp/icmpv6, protocols without
ports (``-1``, or a number other than those four) carry none, ICMPv6 without a range is
every type and code (-1/-1), and a CIDR block is its network address. So two spellings
of one EC2 rule are equal. ``covers`` answers "does this allow everything that allows?".

``Port.listed``/``Peer.listed`` read what EC2 returns: normalised the same way, never
checked, since what EC2 lists is data to read, whatever it holds.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, ClassVar

from ec2revoke._errors import ParamValidationError
from ec2revoke._wire.compiler import describe
from ec2revoke._wire.validate import (
    ICMP,
    PORTED,
    PROTOCOL_NAMES,
    check_cidr,
    check_ports,
    protocol_number,
)

_PORTED = frozenset(PROTOCOL_NAMES[n] for n in PORTED)
_ICMP = frozenset(PROTOCOL_NAMES[n] for n in ICMP)
_LABELS = {"tcp": "TCP", "udp": "UDP", "icmp": "ICMP", "icmpv6": "ICMPv6", "-1": "all traffic"}


def _shown(value: object) -> str:
    """A value for a message, as repr() writes it (a number too long for that, described)."""
    try:
        return repr(value)
    except ValueError:
        return describe(value)


def _invalid(message: str) -> ParamValidationError:
    return ParamValidationError(message)


def _port_number(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(f"{what} must be an int, got {describe(value)}")
    return value


def _normal_port(
    protocol: str, from_port: int | None, to_port: int | None
) -> tuple[str, int | None, int | None]:
    """A protocol and range as EC2 stores them; text EC2 would not take is kept as given."""
    number = protocol_number(protocol) if isinstance(protocol, str) else None
    if number is None:
        return str(protocol).strip().lower(), from_port, to_port
    name = PROTOCOL_NAMES.get(number, str(number))
    if name not in _PORTED and name not in _ICMP:
        # EC2 ignores ports for these protocols; keeping none makes equal rules equal.
        return name, None, None
    if name == "icmpv6" and from_port is None and to_port is None:
        # EC2 lets ICMPv6 leave the range out and stores that as every type and code.
        return name, -1, -1
    return name, from_port, to_port


@dataclass(frozen=True, slots=True)
class Port:
    """A protocol and its port range (for ICMP: type in from_port, code in to_port)."""

    protocol: str
    from_port: int | None = None
    to_port: int | None = None

    SSH: ClassVar[Port]
    HTTP: ClassVar[Port]
    HTTPS: ClassVar[Port]
    RDP: ClassVar[Port]
    POSTGRES: ClassVar[Port]
    MYSQL: ClassVar[Port]
    MSSQL: ClassVar[Port]
    REDIS: ClassVar[Port]
    MONGODB: ClassVar[Port]
    SMTP: ClassVar[Port]
    DNS_UDP: ClassVar[Port]
    DNS_TCP: ClassVar[Port]
    NTP: ClassVar[Port]
    WINRM_HTTP: ClassVar[Port]
    WINRM_HTTPS: ClassVar[Port]

    def __post_init__(self) -> None:
        if not isinstance(self.protocol, str) or protocol_number(self.protocol) is None:
            raise _invalid(
                f"unknown protocol {_shown(self.protocol)}: use tcp, udp, icmp, icmpv6, all (-1) "
                "or a protocol number 0-255"
            )
        name, from_port, to_port = _normal_port(self.protocol, self.from_port, self.to_port)
        for what, value in (("from_port", from_port), ("to_port", to_port)):
            if value is not None:
                _port_number(value, what)
        if name in _PORTED and (from_port is None or to_port is None):
            raise _invalid(f"{name.upper()} needs a port or port range, e.g. Rule.{name}(22)")
        if name == "icmp" and (from_port is None or to_port is None):
            # EC2 requires a type and code for ICMP (ICMPv6 may leave both out: all).
            raise _invalid(
                "ICMP needs a type and a code (-1 for all), e.g. Rule.icmp(3, 4) or Rule.all_icmp()"
            )
        if name == "icmpv6" and (from_port is None or to_port is None):
            raise _invalid("ICMPv6 needs both a type and a code (-1 for all), or neither")
        problem = check_ports(name, from_port, to_port)
        if problem:
            raise _invalid(problem)
        object.__setattr__(self, "protocol", name)
        object.__setattr__(self, "from_port", from_port)
        object.__setattr__(self, "to_port", to_port)

    @classmethod
    def listed(cls, protocol: str | None, from_port: int | None, to_port: int | None) -> Port:
        """A port as EC2 lists it: normalised, never refused."""
        port = object.__new__(cls)
        name, low, high = _normal_port(protocol or "-1", from_port, to_port)
        object.__setattr__(port, "protocol", name)
        object.__setattr__(port, "from_port", low)
        object.__setattr__(port, "to_port", high)
        return port

    @staticmethod
    def tcp(port: int, to_port: int | None = None) -> Port:
        """TCP ``port``, or the range ``port``-``to_port``."""
        return Port("tcp", port, port if to_port is None else to_port)

    @staticmethod
    def udp(port: int, to_port: int | None = None) -> Port:
        """UDP ``port``, or the range ``port``-``to_port``."""
        return Port("udp", port, port if to_port is None else to_port)

    @staticmethod
    def icmp(type_: int, code: int) -> Port:
        """ICMP type and code (-1 for all)."""
        return Port("icmp", type_, code)

    @staticmethod
    def icmpv6(type_: int, code: int) -> Port:
        """ICMPv6 type and code (-1 for all)."""
        return Port("icmpv6", type_, code)

    @staticmethod
    def all_traffic() -> Port:
        """Every protocol and port."""
        return Port("-1")

    @property
    def is_all(self) -> bool:
        """Whether this is every protocol (-1)."""
        return self.protocol == "-1"

    def covers(self, other: Port) -> bool:
        """Whether every packet ``other`` allows, this allows too."""
        if self.is_all:
            return True
        if self.protocol != other.protocol:
            return False
        if self.protocol in _ICMP:
            # No range (EC2 lets ICMPv6 omit it) is every type and code, as type -1 is.
            mine = -1 if self.from_port is None else self.from_port
            theirs = -1 if other.from_port is None else other.from_port
            return _icmp_covers(mine, self.to_port, theirs, other.to_port)
        if self.from_port is None or other.from_port is None:
            # No ports: the whole protocol.
            return self.from_port is None
        # A listed rule may lack its upper bound; it then stands for its one port.
        high = self.from_port if self.to_port is None else self.to_port
        other_high = other.from_port if other.to_port is None else other.to_port
        return self.from_port <= other.from_port and other_high <= high

    def __str__(self) -> str:
        label = _LABELS.get(self.protocol, f"protocol {self.protocol}")
        if self.from_port is None:
            return label
        if self.protocol in _ICMP:
            if self.from_port == -1:
                return f"all {label}"
            code = "all codes" if self.to_port == -1 else f"code {self.to_port}"
            return f"{label} type {self.from_port} {code}"
        if self.from_port == self.to_port:
            return f"{label} {self.from_port}"
        if (self.from_port, self.to_port) == (0, 65535):
            return f"all {label}"
        return f"{label} {self.from_port}-{self.to_port}"


def _pretty(obj: object, printer: Any, cycle: bool) -> None:
    printer.text(f"{type(obj).__name__}({obj})")


Port._repr_pretty_ = _pretty  # type: ignore[attr-defined]


def _icmp_covers(t1: int, c1: int | None, t2: int, c2: int | None) -> bool:
    if t1 == -1:
        return True
    return t1 == t2 and (c1 == -1 or c1 == c2)


Port.SSH = Port.tcp(22)
Port.HTTP = Port.tcp(80)
Port.HTTPS = Port.tcp(443)
Port.RDP = Port.tcp(3389)
Port.POSTGRES = Port.tcp(5432)
Port.MYSQL = Port.tcp(3306)
Port.MSSQL = Port.tcp(1433)
Port.REDIS = Port.tcp(6379)
Port.MONGODB = Port.tcp(27017)
Port.SMTP = Port.tcp(25)
Port.DNS_UDP = Port.udp(53)
Port.DNS_TCP = Port.tcp(53)
Port.NTP = Port.udp(123)
Port.WINRM_HTTP = Port.tcp(5985)
Port.WINRM_HTTPS = Port.tcp(5986)


@dataclass(frozen=True, slots=True)
class Peer:
    """The other end of a rule: exactly one of a CIDR block, a security group or a prefix list."""

    cidr: str | None = None
    group_id: str | None = None
    user_id: str | None = None
    vpc_id: str | None = None
    peering_connection_id: str | None = None
    prefix_list_id: str | None = None

    def __post_init__(self) -> None:
        kinds = [k for k in (self.cidr, self.group_id, self.prefix_list_id) if k is not None]
        if len(kinds) != 1:
            raise _invalid(
                "a peer is exactly one of a CIDR block, a security group or a prefix list"
            )
        if self.cidr is not None:
            if not isinstance(self.cidr, str):
                raise _invalid(f"a CIDR block is text like '10.0.0.0/16', got {_shown(self.cidr)}")
            problem = check_cidr(self.cidr, version=6 if ":" in self.cidr else 4)
            if problem:
                raise _invalid(problem)
            object.__setattr__(self, "cidr", _network(self.cidr))
        if self.group_id is not None and not (
            isinstance(self.group_id, str) and self.group_id.startswith("sg-")
        ):
            raise _invalid(f"{_shown(self.group_id)} is not a security group ID (sg-...)")
        for name in ("user_id", "vpc_id", "peering_connection_id"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise _invalid(
                    f"{name} is text (an account, VPC or peering ID), got {_shown(value)}"
                )
        if self.prefix_list_id is not None and not (
            isinstance(self.prefix_list_id, str) and self.prefix_list_id.startswith("pl-")
        ):
            raise _invalid(f"{_shown(self.prefix_list_id)} is not a prefix list ID (pl-...)")

    @classmethod
    def listed(
        cls,
        *,
        cidr: str | None = None,
        group_id: str | None = None,
        user_id: str | None = None,
        vpc_id: str | None = None,
        peering_connection_id: str | None = None,
        prefix_list_id: str | None = None,
    ) -> Peer:
        """A peer as EC2 lists it: the first of CIDR, prefix list or group it names,
        normalised where it can be, never refused."""
        peer = object.__new__(cls)
        values = dict.fromkeys(
            ("cidr", "group_id", "user_id", "vpc_id", "peering_connection_id", "prefix_list_id")
        )
        if cidr is not None:
            values["cidr"] = _network(cidr)
        elif prefix_list_id is not None:
            values["prefix_list_id"] = prefix_list_id
        elif group_id is not None:
            values.update(
                group_id=group_id,
                user_id=user_id,
                vpc_id=vpc_id,
                peering_connection_id=peering_connection_id,
            )
        for name, value in values.items():
            object.__setattr__(peer, name, value)
        return peer

    @property
    def ip_version(self) -> int | None:
        """4 or 6 for a CIDR block, None otherwise."""
        if self.cidr is None:
            return None
        return 6 if ":" in self.cidr else 4

    def covers(self, other: Peer) -> bool:
        """Whether this peer includes every address ``other`` stands for."""
        if self.cidr is not None and other.cidr is not None:
            try:
                mine, theirs = ipaddress.ip_network(self.cidr), ipaddress.ip_network(other.cidr)
            except ValueError:  # a block EC2 listed that is not one: it covers only itself
                return self.cidr == other.cidr
            return mine.version == theirs.version and theirs.subnet_of(mine)  # type: ignore[arg-type]
        if self.group_id is not None:
            # Group IDs are unique across accounts, so an owner left out (as in a pattern;
            # EC2 always reports one) matches any; two different owners never match.
            return self.group_id == other.group_id and (
                self.user_id is None or other.user_id in (None, self.user_id)
            )
        return self.prefix_list_id is not None and self.prefix_list_id == other.prefix_list_id

    def __str__(self) -> str:
        if self.cidr is not None:
            return self.cidr
        if self.group_id is not None:
            owner = f" (account {self.user_id})" if self.user_id else ""
            return f"{self.group_id}{owner}"
        return f"prefix list {self.prefix_list_id}"


def _network(cidr: str) -> str:
    """The block as EC2 stores it (10.0.0.1/8 is 10.0.0.0/8); text that is none, as given."""
    try:
        return str(ipaddress.ip_network(cidr.strip(), strict=False))
    except ValueError:
        return cidr


ANY_IPV4 = "0.0.0.0/0"
ANY_IPV6 = "::/0"
