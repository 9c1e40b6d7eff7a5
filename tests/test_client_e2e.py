"""EC2Client end to end, against moto's EC2 server with signature checking on.

The ``moto_ec2`` fixture (conftest.py) runs ``python -m moto.server`` with
``INITIAL_NO_AUTH_ACTION_COUNT`` set to the number of IAM set-up calls, so every call
these tests make is authenticated by moto: it looks the access key up among its IAM
users (or assumed-role sessions, whose session token it compares), recomputes the
SigV4 signature with botocore over the received method, path, signed headers and raw
body, and evaluates the principal's IAM policies (Action only; moto ignores Resource
and Condition). For EC2 a bad signature or unknown key is ``AuthFailure`` (HTTP 401);
an IAM denial is moto's generic ``AccessDenied`` (HTTP 403), not EC2's
``UnauthorizedOperation``, so that one is checked at the HTTP edge with ``responses``.

Nothing of ec2revoke is mocked. What crosses the wire is observed, and for one test
altered, by a ``requests`` adapter: the last hop after the client's own SigV4Auth
signed the request (a Transport wrapper sits before signing, so it could not).
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import responses
from requests.adapters import HTTPAdapter

from ec2revoke import (
    AuthError,
    AuthFailure,
    DryRunResult,
    EC2Client,
    EC2Error,
    InvalidGroupNotFound,
    NotFoundError,
    RequestsTransport,
    StaticCredentials,
    UnauthorizedOperation,
    shapes,
)
from tests.moto_server import MotoEC2

# (is_egress, protocol, from_port, to_port, IPv4 CIDR, referenced group id): one rule,
# the same whether read from DescribeSecurityGroupRules or DescribeSecurityGroups.
RuleKey = tuple[bool, str | None, int | None, int | None, str | None, str | None]


# --- seeing (and spoiling) what goes on the wire ---------------------------------------


class WireAdapter(HTTPAdapter):
    """Records each request as sent, after signing; optionally alters its body first."""

    def __init__(self, tamper: tuple[bytes, bytes] | None = None) -> None:
        super().__init__()
        self.sent: list[requests.PreparedRequest] = []
        self.tampered = 0
        self._tamper = tamper
        self._lock = threading.Lock()

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        body = request.body
        if self._tamper is not None and isinstance(body, bytes) and self._tamper[0] in body:
            request = request.copy()
            request.body = body.replace(*self._tamper)
            request.headers["Content-Length"] = str(len(request.body))
            with self._lock:
                self.tampered += 1
        with self._lock:
            self.sent.append(request.copy())
        return super().send(request, stream, timeout, verify, cert, proxies)

    def bodies(self, action: str) -> list[bytes]:
        """The bodies of the recorded requests for one EC2 action."""
        return [r.body for r in self.sent if isinstance(r.body, bytes) and action_of(r) == action]


def action_of(request: requests.PreparedRequest) -> str:
    """The EC2 action a recorded request calls (Action is always the first parameter)."""
    assert isinstance(request.body, bytes), request.body
    found = re.match(rb"Action=(\w+)&", request.body)
    assert found is not None, request.body[:80]
    return found[1].decode()


@contextlib.contextmanager
def wired_client(
    moto: MotoEC2,
    credentials: StaticCredentials,
    tamper: tuple[bytes, bytes] | None = None,
) -> Iterator[tuple[EC2Client, WireAdapter]]:
    """A client built the ordinary way, whose requests session goes through a WireAdapter."""
    adapter = WireAdapter(tamper)
    with requests.Session() as session:
        session.mount("http://", adapter)
        with EC2Client(
            region=moto.region,
            endpoint_url=moto.url,
            credentials=credentials,
            session=session,
            max_attempts=1,
        ) as client:
            yield client, adapter


def sigv4_fields(request: requests.PreparedRequest) -> dict[str, str]:
    """Credential, SignedHeaders and Signature from a request's Authorization header."""
    value = request.headers["Authorization"]
    algorithm, _, rest = value.partition(" ")
    assert algorithm == "AWS4-HMAC-SHA256", value
    return dict(part.strip().split("=", 1) for part in rest.split(","))


# --- groups and their rules ------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    id: str
    name: str
    vpc_id: str | None


@pytest.fixture
def client(moto_ec2: MotoEC2) -> Iterator[EC2Client]:
    """A client signing with the allow-all IAM user's key."""
    with EC2Client(
        region=moto_ec2.region,
        endpoint_url=moto_ec2.url,
        credentials=moto_ec2.admin,
        max_attempts=1,
    ) as c:
        yield c


@pytest.fixture
def new_group(client: EC2Client) -> Iterator[Callable[[], Group]]:
    """Makes fresh security groups in the default VPC; deletes them afterwards."""
    made: list[Group] = []

    def make() -> Group:
        name = f"e2e-{uuid.uuid4().hex[:12]}"
        created = client.create_security_group(
            group_name=name, description="ec2revoke end-to-end test"
        )
        assert created.group_id is not None
        assert created.group_id.startswith("sg-")
        (found,) = (
            client.describe_security_groups(group_ids=[created.group_id]).security_groups or ()
        )
        group = Group(created.group_id, name, found.vpc_id)
        made.append(group)
        return group

    yield make
    for group in reversed(made):
        with contextlib.suppress(NotFoundError):
            client.delete_security_group(group_id=group.id)


def tcp(port: int, cidr: str) -> shapes.IpPermission:
    return shapes.IpPermission(
        ip_protocol="tcp", from_port=port, to_port=port, ip_ranges=[shapes.IpRange(cidr_ip=cidr)]
    )


def icmp(type_: int, code: int, cidr: str) -> shapes.IpPermission:
    # For ICMP, FromPort carries the type and ToPort the code.
    return shapes.IpPermission(
        ip_protocol="icmp", from_port=type_, to_port=code, ip_ranges=[shapes.IpRange(cidr_ip=cidr)]
    )


def to_group(protocol: str, port: int, group_id: str) -> shapes.IpPermission:
    return shapes.IpPermission(
        ip_protocol=protocol,
        from_port=port,
        to_port=port,
        user_id_group_pairs=[shapes.UserIdGroupPair(group_id=group_id)],
    )


def _ports(
    protocol: str | None, low: int | None, high: int | None
) -> tuple[int | None, int | None]:
    # All-traffic rules have no ports; the two APIs spell that -1 and "absent".
    return (None, None) if protocol == "-1" else (low, high)


def rules_by_id(client: EC2Client, group_id: str) -> dict[str, RuleKey]:
    """The group's rules, from DescribeSecurityGroupRules, by rule id."""
    result = client.describe_security_group_rules(
        filters=[shapes.Filter(name="group-id", values=[group_id])]
    )
    found: dict[str, RuleKey] = {}
    for rule in result.security_group_rules or ():
        assert rule.group_id == group_id
        assert rule.security_group_rule_id is not None
        assert rule.security_group_rule_id not in found
        referenced = rule.referenced_group_info
        found[rule.security_group_rule_id] = (
            bool(rule.is_egress),
            rule.ip_protocol,
            *_ports(rule.ip_protocol, rule.from_port, rule.to_port),
            rule.cidr_ipv4,
            referenced.group_id if referenced is not None else None,
        )
    return found


def permissions(client: EC2Client, group_id: str) -> list[RuleKey]:
    """The group's rules, from DescribeSecurityGroups, one per CIDR or group pair."""
    (group,) = client.describe_security_groups(group_ids=[group_id]).security_groups or ()
    found: list[RuleKey] = []
    for egress, perms in ((False, group.ip_permissions), (True, group.ip_permissions_egress)):
        for p in perms or ():
            ports = _ports(p.ip_protocol, p.from_port, p.to_port)
            found += [(egress, p.ip_protocol, *ports, r.cidr_ip, None) for r in p.ip_ranges or ()]
            found += [
                (egress, p.ip_protocol, *ports, None, pair.group_id)
                for pair in p.user_id_group_pairs or ()
            ]
    return found


def current_rules(client: EC2Client, group_id: str) -> set[RuleKey]:
    """The group's rules; both describe calls must agree on them exactly."""
    by_rule = sorted(rules_by_id(client, group_id).values(), key=repr)
    by_group = sorted(permissions(client, group_id), key=repr)
    assert by_rule == by_group
    return set(by_rule)


ALL_EGRESS: RuleKey = (True, "-1", None, None, "0.0.0.0/0", None)
"""The egress rule every new VPC security group starts with."""


def assert_service_error(error: EC2Error, *, code: str, status: int, operation: str) -> None:
    assert error.code == code
    assert error.status == status
    assert error.operation == operation
    assert error.request_id, f"{code} has no request id"
    assert error.attempts == 1


# --- signatures ------------------------------------------------------------------------


def test_every_operation_succeeds_with_a_correct_signature(moto_ec2: MotoEC2) -> None:
    admin = moto_ec2.admin
    with wired_client(moto_ec2, admin) as (client, wire):
        name = f"e2e-all-{uuid.uuid4().hex[:8]}"
        created = client.create_security_group(group_name=name, description="every operation")
        assert isinstance(created, shapes.CreateSecurityGroupResult)
        group_id = created.group_id
        assert group_id is not None

        described = client.describe_security_groups(group_ids=[group_id])
        assert [g.group_name for g in described.security_groups or ()] == [name]

        ingress = tcp(8080, "192.0.2.0/24")
        authorized_in = client.authorize_security_group_ingress(
            group_id=group_id, ip_permissions=[ingress]
        )
        assert authorized_in.return_ is True
        (rule_in,) = authorized_in.security_group_rules or ()
        assert (rule_in.is_egress, rule_in.from_port, rule_in.cidr_ipv4) == (
            False,
            8080,
            "192.0.2.0/24",
        )

        egress = shapes.IpPermission(
            ip_protocol="udp",
            from_port=53,
            to_port=53,
            ip_ranges=[shapes.IpRange(cidr_ip="192.0.2.53/32")],
        )
        authorized_out = client.authorize_security_group_egress(
            group_id=group_id, ip_permissions=[egress]
        )
        assert authorized_out.return_ is True
        (rule_out,) = authorized_out.security_group_rules or ()
        assert rule_out.is_egress is True

        in_key: RuleKey = (False, "tcp", 8080, 8080, "192.0.2.0/24", None)
        out_key: RuleKey = (True, "udp", 53, 53, "192.0.2.53/32", None)
        rules = rules_by_id(client, group_id)
        assert rules[rule_in.security_group_rule_id or "?"] == in_key
        assert rules[rule_out.security_group_rule_id or "?"] == out_key
        assert sorted(rules.values(), key=repr) == sorted([in_key, out_key, ALL_EGRESS], key=repr)

        revoked_in = client.revoke_security_group_ingress(
            group_id=group_id, ip_permissions=[ingress]
        )
        assert revoked_in.return_ is True
        assert not revoked_in.unknown_ip_permissions
        revoked_out = client.revoke_security_group_egress(
            group_id=group_id, ip_permissions=[egress]
        )
        assert revoked_out.return_ is True
        assert current_rules(client, group_id) == {ALL_EGRESS}

        deleted = client.delete_security_group(group_id=group_id)
        assert isinstance(deleted, shapes.DeleteSecurityGroupResult)
        with pytest.raises(InvalidGroupNotFound) as gone:
            client.describe_security_groups(group_ids=[group_id])
        assert_service_error(
            gone.value, code="InvalidGroup.NotFound", status=400, operation="DescribeSecurityGroups"
        )

    # All eight operations went out signed with the IAM user's key, for ec2 in the
    # region, and moto (which refuses bad signatures: see the fixture) accepted them.
    assert {action_of(request) for request in wire.sent} == {
        "CreateSecurityGroup",
        "DescribeSecurityGroups",
        "AuthorizeSecurityGroupIngress",
        "AuthorizeSecurityGroupEgress",
        "DescribeSecurityGroupRules",
        "RevokeSecurityGroupIngress",
        "RevokeSecurityGroupEgress",
        "DeleteSecurityGroup",
    }
    for request in wire.sent:
        fields = sigv4_fields(request)
        assert re.fullmatch(
            rf"{admin.access_key}/\d{{8}}/{moto_ec2.region}/ec2/aws4_request", fields["Credential"]
        )
        assert "x-amz-security-token" not in request.headers


def test_a_wrong_secret_key_is_rejected(
    moto_ec2: MotoEC2, client: EC2Client, new_group: Callable[[], Group]
) -> None:
    group = new_group()
    client.authorize_security_group_ingress(
        group_id=group.id, ip_permissions=[tcp(22, "10.9.0.0/16")]
    )
    before = current_rules(client, group.id)
    wrong_secret = moto_ec2.admin.secret_key[::-1]
    wrong = StaticCredentials(moto_ec2.admin.access_key, wrong_secret)
    with EC2Client(
        region=moto_ec2.region, endpoint_url=moto_ec2.url, credentials=wrong
    ) as impostor:
        with pytest.raises(AuthFailure) as refused:
            impostor.revoke_security_group_ingress(
                group_id=group.id, ip_permissions=[tcp(22, "10.9.0.0/16")]
            )
        with pytest.raises(AuthFailure) as refused_read:
            impostor.describe_security_groups()

    # moto answers a bad EC2 signature as EC2 does: AuthFailure, HTTP 401 (other
    # services get SignatureDoesNotMatch). Not retried, and nothing was revoked.
    assert isinstance(refused.value, AuthError)
    assert_service_error(
        refused.value, code="AuthFailure", status=401, operation="RevokeSecurityGroupIngress"
    )
    assert_service_error(
        refused_read.value, code="AuthFailure", status=401, operation="DescribeSecurityGroups"
    )
    for text in (str(refused.value), repr(refused.value), repr(refused.value.args)):
        assert wrong_secret not in text
        assert moto_ec2.admin.secret_key not in text
    assert current_rules(client, group.id) == before


def test_an_unknown_access_key_is_rejected(moto_ec2: MotoEC2) -> None:
    stranger = StaticCredentials("AKIAEXAMPLENOTINMOTO", "x" * 40)
    with (
        EC2Client(region=moto_ec2.region, endpoint_url=moto_ec2.url, credentials=stranger) as c,
        pytest.raises(AuthFailure) as refused,
    ):
        c.describe_security_group_rules()
    assert_service_error(
        refused.value, code="AuthFailure", status=401, operation="DescribeSecurityGroupRules"
    )


def test_a_body_tampered_with_after_signing_is_rejected(
    moto_ec2: MotoEC2, client: EC2Client, new_group: Callable[[], Group]
) -> None:
    group = new_group()
    client.authorize_security_group_ingress(
        group_id=group.id, ip_permissions=[tcp(22, "10.8.0.0/16")]
    )
    before = current_rules(client, group.id)

    # Same length, so only the body hash in the signature can tell.
    with wired_client(moto_ec2, moto_ec2.admin, tamper=(b"ToPort=22", b"ToPort=29")) as (
        tampering,
        wire,
    ):
        with pytest.raises(AuthFailure) as refused:
            tampering.revoke_security_group_ingress(
                group_id=group.id, ip_permissions=[tcp(22, "10.8.0.0/16")]
            )
        assert wire.tampered == 1
        (sent,) = wire.bodies("RevokeSecurityGroupIngress")
        assert b"ToPort=29" in sent
        # The same client, untampered, is accepted: the body change alone was refused.
        assert current_rules(tampering, group.id) == before
        assert wire.tampered == 1

    assert_service_error(
        refused.value, code="AuthFailure", status=401, operation="RevokeSecurityGroupIngress"
    )
    assert current_rules(client, group.id) == before


# --- the examples: revoke, then check exactly the intended rules are gone --------------


def test_revoke_tcp_22_from_a_cidr_by_group_name_in_the_default_vpc(
    client: EC2Client, new_group: Callable[[], Group]
) -> None:
    group = new_group()
    (default,) = client.describe_security_groups(group_names=["default"]).security_groups or ()
    assert group.vpc_id is not None
    assert group.vpc_id == default.vpc_id, "the group should be in the default VPC"

    client.authorize_security_group_ingress(
        group_name=group.name,
        ip_permissions=[
            tcp(22, "203.0.113.0/24"),
            tcp(22, "198.51.100.0/24"),
            tcp(443, "203.0.113.0/24"),
        ],
    )
    before = current_rules(client, group.id)
    target: RuleKey = (False, "tcp", 22, 22, "203.0.113.0/24", None)
    assert target in before
    assert len(before) == 4

    result = client.revoke_security_group_ingress(
        group_name=group.name, ip_permissions=[tcp(22, "203.0.113.0/24")]
    )

    assert result.return_ is True
    assert not result.unknown_ip_permissions
    assert current_rules(client, group.id) == before - {target}


def test_revoke_icmp_type_3_code_4_from_anywhere_by_group_id(
    client: EC2Client, new_group: Callable[[], Group]
) -> None:
    group = new_group()
    client.authorize_security_group_ingress(
        group_id=group.id,
        ip_permissions=[
            icmp(3, 4, "0.0.0.0/0"),
            icmp(3, 1, "0.0.0.0/0"),
            icmp(3, 4, "10.0.0.0/8"),
            tcp(4, "0.0.0.0/0"),
        ],
    )
    before = current_rules(client, group.id)
    target: RuleKey = (False, "icmp", 3, 4, "0.0.0.0/0", None)
    assert target in before
    assert len(before) == 5

    result = client.revoke_security_group_ingress(
        group_id=group.id, ip_permissions=[icmp(3, 4, "0.0.0.0/0")]
    )

    assert result.return_ is True
    assert current_rules(client, group.id) == before - {target}


def test_revoke_egress_to_a_cidr_and_to_a_security_group(
    client: EC2Client, new_group: Callable[[], Group]
) -> None:
    group, peer = new_group(), new_group()
    client.authorize_security_group_egress(
        group_id=group.id,
        ip_permissions=[
            tcp(80, "10.0.0.0/16"),
            tcp(80, "10.1.0.0/16"),
            tcp(443, "10.0.0.0/16"),
            to_group("tcp", 443, peer.id),
            to_group("tcp", 80, peer.id),
        ],
    )
    before = current_rules(client, group.id)
    to_cidr: RuleKey = (True, "tcp", 80, 80, "10.0.0.0/16", None)
    to_peer: RuleKey = (True, "tcp", 443, 443, None, peer.id)
    assert {to_cidr, to_peer, ALL_EGRESS} <= before
    assert len(before) == 6

    first = client.revoke_security_group_egress(
        group_id=group.id, ip_permissions=[tcp(80, "10.0.0.0/16")]
    )
    assert first.return_ is True
    assert current_rules(client, group.id) == before - {to_cidr}

    second = client.revoke_security_group_egress(
        group_id=group.id, ip_permissions=[to_group("tcp", 443, peer.id)]
    )
    assert second.return_ is True
    assert current_rules(client, group.id) == before - {to_cidr, to_peer}
    assert current_rules(client, peer.id) == {ALL_EGRESS}


def test_revoke_by_security_group_rule_ids(
    client: EC2Client, new_group: Callable[[], Group]
) -> None:
    group = new_group()
    cidrs = ["10.2.1.0/24", "10.2.2.0/24", "10.2.3.0/24"]
    # One permission with three ranges: three rules. (moto answers a multi-permission
    # authorize with the last permission's rules only, so they share one permission.)
    authorized = client.authorize_security_group_ingress(
        group_id=group.id,
        ip_permissions=[
            shapes.IpPermission(
                ip_protocol="tcp",
                from_port=22,
                to_port=22,
                ip_ranges=[shapes.IpRange(cidr_ip=c) for c in cidrs],
            )
        ],
    )
    client.authorize_security_group_egress(
        group_id=group.id, ip_permissions=[tcp(25, "10.3.0.0/16")]
    )
    before = rules_by_id(client, group.id)
    new_ids = {r.cidr_ipv4: r.security_group_rule_id for r in authorized.security_group_rules or ()}
    assert set(new_ids) == set(cidrs)
    assert set(new_ids.values()) <= set(before), "authorize and describe disagree on rule ids"

    # Ingress: ids from the authorize result.
    drop = [new_ids[cidrs[0]], new_ids[cidrs[2]]]
    revoked = client.revoke_security_group_ingress(
        group_id=group.id, security_group_rule_ids=[i for i in drop if i is not None]
    )
    assert revoked.return_ is True
    after = rules_by_id(client, group.id)
    assert after == {k: v for k, v in before.items() if k not in drop}

    # Egress: the id from DescribeSecurityGroupRules.
    (egress_id,) = [k for k, v in after.items() if v == (True, "tcp", 25, 25, "10.3.0.0/16", None)]
    client.revoke_security_group_egress(group_id=group.id, security_group_rule_ids=[egress_id])
    final = rules_by_id(client, group.id)
    assert final == {k: v for k, v in after.items() if k != egress_id}
    assert set(final.values()) == {ALL_EGRESS, (False, "tcp", 22, 22, cidrs[1], None)}
    assert current_rules(client, group.id) == set(final.values())

    # An id that is gone now: a typed not-found error (moto says InvalidPermission.NotFound,
    # EC2 says InvalidSecurityGroupRuleId.NotFound; both are NotFoundError).
    with pytest.raises(NotFoundError) as missing:
        client.revoke_security_group_egress(group_id=group.id, security_group_rule_ids=[egress_id])
    assert missing.value.request_id
    assert current_rules(client, group.id) == set(final.values())


# --- DryRun ------------------------------------------------------------------------------


def test_a_permitted_dry_run_returns_a_dry_run_result_and_changes_nothing(
    client: EC2Client, new_group: Callable[[], Group]
) -> None:
    group = new_group()
    client.authorize_security_group_ingress(
        group_id=group.id, ip_permissions=[tcp(22, "10.4.0.0/16")]
    )
    before = current_rules(client, group.id)

    by_keywords = client.revoke_security_group_ingress(
        dry_run=True, group_id=group.id, ip_permissions=[tcp(22, "10.4.0.0/16")]
    )
    by_request = client.revoke_security_group_ingress(
        shapes.RevokeSecurityGroupIngressRequest(
            group_id=group.id, ip_permissions=[tcp(22, "10.4.0.0/16")], dry_run=True
        )
    )
    would_add = client.authorize_security_group_egress(
        dry_run=True, group_id=group.id, ip_permissions=[tcp(5432, "10.5.0.0/16")]
    )

    for outcome, operation in (
        (by_keywords, "RevokeSecurityGroupIngress"),
        (by_request, "RevokeSecurityGroupIngress"),
        (would_add, "AuthorizeSecurityGroupEgress"),
    ):
        assert isinstance(outcome, DryRunResult)
        assert outcome.operation == operation
        assert outcome.request_id
        assert "DryRun" in outcome.message
    assert current_rules(client, group.id) == before


def test_a_dry_run_without_permission_raises(
    moto_ec2: MotoEC2, client: EC2Client, new_group: Callable[[], Group]
) -> None:
    # moto evaluates the caller's IAM policies before the DryRun flag, as EC2 does, but
    # answers a denial with its generic AccessDenied (HTTP 403) rather than EC2's
    # UnauthorizedOperation: what is shown here is that a denied dry run raises a typed
    # AuthError instead of returning a DryRunResult. UnauthorizedOperation itself, with
    # its encoded message, is parsed in the next test from an EC2-shaped 403 answer.
    group = new_group()
    client.authorize_security_group_ingress(
        group_id=group.id, ip_permissions=[tcp(22, "10.6.0.0/16")]
    )
    before = current_rules(client, group.id)
    with (
        EC2Client(
            region=moto_ec2.region, endpoint_url=moto_ec2.url, credentials=moto_ec2.no_permissions
        ) as nobody,
        pytest.raises(AuthError) as denied,
    ):
        nobody.revoke_security_group_ingress(
            dry_run=True, group_id=group.id, ip_permissions=[tcp(22, "10.6.0.0/16")]
        )
    assert_service_error(
        denied.value, code="AccessDenied", status=403, operation="RevokeSecurityGroupIngress"
    )
    assert "ec2:RevokeSecurityGroupIngress" in denied.value.message
    assert current_rules(client, group.id) == before


def test_a_dry_run_answered_unauthorized_operation_raises_it() -> None:
    # EC2's own answer to a dry run the caller may not make, which moto cannot produce,
    # served at the HTTP edge; the client, signer and transport are the real ones.
    encoded = "4lOoGgcL8d3XBRxEXAMPLEencodedMessage-_w"
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        "<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not "
        "authorized to perform this operation. User: arn:aws:iam::123456789012:user/nobody "
        "is not authorized to perform: ec2:RevokeSecurityGroupIngress on resource: "
        "arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0 because no "
        "identity-based policy allows the ec2:RevokeSecurityGroupIngress action. Encoded "
        f"authorization failure message: {encoded}</Message></Error></Errors>"
        "<RequestID>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestID></Response>"
    )
    endpoint = "https://ec2.us-east-1.amazonaws.com/"
    with responses.RequestsMock(assert_all_requests_are_fired=True) as edge:
        edge.add(responses.POST, endpoint, body=body, status=403, content_type="text/xml")
        with (
            EC2Client(
                region="us-east-1",
                credentials=StaticCredentials("AKIDEXAMPLE", "not-a-real-secret"),
            ) as c,
            pytest.raises(UnauthorizedOperation) as denied,
        ):
            c.revoke_security_group_ingress(
                dry_run=True,
                group_id="sg-0123456789abcdef0",
                ip_permissions=[tcp(22, "10.0.0.0/8")],
            )
        (call,) = edge.calls
    sent = call.request
    assert isinstance(sent.body, bytes)
    assert b"DryRun=true" in sent.body
    assert sent.headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert isinstance(denied.value, AuthError)
    assert denied.value.request_id == "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE"
    assert_service_error(
        denied.value,
        code="UnauthorizedOperation",
        status=403,
        operation="RevokeSecurityGroupIngress",
    )
    assert denied.value.encoded_message == encoded


# --- calling conventions, lifetime, threads, session tokens ------------------------------


def test_keyword_arguments_and_a_request_object_are_the_same_call(
    moto_ec2: MotoEC2, new_group: Callable[[], Group]
) -> None:
    group = new_group()
    permission = tcp(3306, "10.7.0.0/16")
    added: RuleKey = (False, "tcp", 3306, 3306, "10.7.0.0/16", None)
    filters = [shapes.Filter(name="group-id", values=[group.id])]
    with wired_client(moto_ec2, moto_ec2.admin) as (c, wire):
        before = current_rules(c, group.id)
        authorized_by_keywords = c.authorize_security_group_ingress(
            group_id=group.id, ip_permissions=[permission]
        )
        assert current_rules(c, group.id) == before | {added}
        revoked_by_request = c.revoke_security_group_ingress(
            shapes.RevokeSecurityGroupIngressRequest(group_id=group.id, ip_permissions=[permission])
        )
        assert current_rules(c, group.id) == before
        authorized_by_request = c.authorize_security_group_ingress(
            shapes.AuthorizeSecurityGroupIngressRequest(
                group_id=group.id, ip_permissions=[permission]
            )
        )
        assert current_rules(c, group.id) == before | {added}
        revoked_by_keywords = c.revoke_security_group_ingress(
            group_id=group.id, ip_permissions=[permission]
        )
        assert current_rules(c, group.id) == before
        described_by_keywords = c.describe_security_group_rules(filters=filters)
        described_by_request = c.describe_security_group_rules(
            shapes.DescribeSecurityGroupRulesRequest(filters=filters)
        )

    # Byte-identical requests on the wire...
    for action in (
        "AuthorizeSecurityGroupIngress",
        "RevokeSecurityGroupIngress",
        "DescribeSecurityGroupRules",
    ):
        by_keywords, by_request = wire.bodies(action)[-2:]
        assert by_keywords == by_request, action
    # ...and equal results, rule ids aside (each authorize makes a new rule).
    assert revoked_by_request == revoked_by_keywords
    assert described_by_request == described_by_keywords
    assert isinstance(authorized_by_request, shapes.AuthorizeSecurityGroupIngressResult)
    assert _without_rule_ids(authorized_by_request) == _without_rule_ids(authorized_by_keywords)


def _without_rule_ids(
    result: shapes.AuthorizeSecurityGroupIngressResult,
) -> shapes.AuthorizeSecurityGroupIngressResult:
    rules = result.security_group_rules or ()
    assert all(rule.security_group_rule_id for rule in rules)
    return dataclasses.replace(
        result,
        security_group_rules=[dataclasses.replace(r, security_group_rule_id=None) for r in rules],
    )


def test_the_client_is_a_context_manager_that_closes_its_connections(moto_ec2: MotoEC2) -> None:
    with EC2Client(
        region=moto_ec2.region, endpoint_url=moto_ec2.url, credentials=moto_ec2.admin
    ) as c:
        assert isinstance(c, EC2Client)
        assert c.describe_security_groups(group_names=["default"]).security_groups
        transport = c.transport
        assert isinstance(transport, RequestsTransport)
        adapter = transport.session.get_adapter(moto_ec2.url)
        assert isinstance(adapter, HTTPAdapter)
        assert len(adapter.poolmanager.pools) == 1
    assert len(adapter.poolmanager.pools) == 0

    # Leaving on an exception closes too, and the exception goes on.
    adapters: list[HTTPAdapter] = []

    def fail_inside() -> None:
        with EC2Client(
            region=moto_ec2.region, endpoint_url=moto_ec2.url, credentials=moto_ec2.admin
        ) as c2:
            c2.describe_security_groups()
            transport2 = c2.transport
            assert isinstance(transport2, RequestsTransport)
            adapter2 = transport2.session.get_adapter(moto_ec2.url)
            assert isinstance(adapter2, HTTPAdapter)
            adapters.append(adapter2)
            assert len(adapters[0].poolmanager.pools) == 1
            c2.describe_security_groups(group_ids=["sg-00000000000000000"])

    with pytest.raises(InvalidGroupNotFound):
        fail_inside()
    assert len(adapters[0].poolmanager.pools) == 0


def test_concurrent_calls_from_many_threads_on_one_client(
    client: EC2Client, new_group: Callable[[], Group]
) -> None:
    group = new_group()
    threads, per_thread = 8, 5
    start = threading.Barrier(threads)

    def authorize(worker: int) -> list[int]:
        start.wait(timeout=10)
        ports = []
        for i in range(per_thread):
            port = 20000 + worker * per_thread + i
            result = client.authorize_security_group_ingress(
                group_id=group.id, ip_permissions=[tcp(port, "10.20.0.0/16")]
            )
            assert result.return_ is True
            (rule,) = result.security_group_rules or ()
            assert (rule.from_port, rule.to_port, rule.group_id) == (port, port, group.id)
            ports.append(port)
        return ports

    with ThreadPoolExecutor(max_workers=threads) as pool:
        done = [p for ports in pool.map(authorize, range(threads)) for p in ports]

    expected = set(range(20000, 20000 + threads * per_thread))
    assert sorted(done) == sorted(expected)
    assert current_rules(client, group.id) == {ALL_EGRESS} | {
        (False, "tcp", p, p, "10.20.0.0/16", None) for p in expected
    }


def test_a_session_token_is_sent_signed_and_checked(
    moto_ec2: MotoEC2, new_group: Callable[[], Group]
) -> None:
    # moto validates session tokens for assumed-role keys: it compares the
    # X-Amz-Security-Token header with the token STS issued for that key.
    role = moto_ec2.role_session
    assert role.token is not None
    group = new_group()
    with wired_client(moto_ec2, role) as (c, wire):
        c.authorize_security_group_ingress(
            group_id=group.id, ip_permissions=[tcp(22, "10.30.0.0/16")]
        )
        before = current_rules(c, group.id)
        c.revoke_security_group_ingress(group_id=group.id, ip_permissions=[tcp(22, "10.30.0.0/16")])
        assert current_rules(c, group.id) == before - {(False, "tcp", 22, 22, "10.30.0.0/16", None)}
    assert len(wire.sent) >= 4
    for request in wire.sent:
        assert request.headers["X-Amz-Security-Token"] == role.token
        fields = sigv4_fields(request)
        assert fields["Credential"].startswith(f"{role.access_key}/")
        assert "x-amz-security-token" in fields["SignedHeaders"].split(";")

    wrong_token = role.token[::-1]
    for credentials, token in (
        (StaticCredentials(role.access_key, role.secret_key, wrong_token), wrong_token),
        (StaticCredentials(role.access_key, role.secret_key), None),
        # A long-term IAM user key must not come with a token at all.
        (
            StaticCredentials(moto_ec2.admin.access_key, moto_ec2.admin.secret_key, role.token),
            role.token,
        ),
    ):
        with (
            EC2Client(
                region=moto_ec2.region, endpoint_url=moto_ec2.url, credentials=credentials
            ) as bad,
            pytest.raises(AuthFailure) as refused,
        ):
            bad.describe_security_groups()
        assert_service_error(
            refused.value, code="AuthFailure", status=401, operation="DescribeSecurityGroups"
        )
        if token is not None:
            assert token not in str(refused.value)
            assert token not in repr(credentials)
