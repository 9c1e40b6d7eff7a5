"""``ec2revoke demo``: the SDK and the command line against an embedded EC2 endpoint.

moto's EC2 server runs on 127.0.0.1 in this process: no AWS account, no network. The
demo makes a security group with risky rules, then revokes them step by step, each
way the package offers, and checks the result with DescribeSecurityGroups.

One step is simulated, and says so: moto answers a revoke of a rule the group does
not have with InvalidPermission.NotFound, where EC2 (for groups in a default VPC)
answers success with the rule listed as UnknownIpPermissions. That one answer is
served by a local transport; the request is the one the library really builds.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TextIO
from urllib.parse import parse_qsl

from ec2revoke import EC2Client, RevokeIncomplete, Rule, codec, shapes
from ec2revoke._http.transport import HttpRequest, HttpResponse
from ec2revoke._revoke.report import RevokedRule
from ec2revoke._rules.rule import merge
from ec2revoke.testing._embedded import CREDENTIALS, REGION, EmbeddedEC2

OFFICE = "203.0.113.0/24"
OLD_OFFICE = "198.51.100.0/24"
RULES = (
    (Rule.SSH.from_any_ipv4(), "world-open SSH (IPv4)"),
    (Rule.SSH.from_any_ipv6(), "world-open SSH (IPv6)"),
    (Rule.all_tcp().from_any_ipv4(), "every TCP port, from anywhere"),
    (Rule.tcp_range(8000, 8080).from_cidr("10.0.0.0/8"), "app ports from the VPC range"),
    (Rule.HTTPS.from_cidr(OFFICE), "HTTPS from the office"),
    (Rule.icmp(3, 4).from_any_ipv4(), "ICMP 'fragmentation needed'"),
)


class _Style:
    def __init__(self, color: bool) -> None:
        self.color = color

    def bold(self, text: str) -> str:
        return f"\x1b[1m{text}\x1b[0m" if self.color else text


class _CannedRevoke:
    """A transport that answers one RevokeSecurityGroupIngress as EC2 would for a
    default-VPC group: Return=true, the rule listed as UnknownIpPermissions."""

    def __init__(self) -> None:
        self.sent: list[list[tuple[str, str]]] = []

    def send(self, request: HttpRequest) -> HttpResponse:
        pairs = parse_qsl(request.body.decode(), keep_blank_values=True)
        self.sent.append(pairs)
        asked = codec.from_query(pairs)
        result = shapes.RevokeSecurityGroupIngressResult(
            return_=True, unknown_ip_permissions=asked.ip_permissions
        )
        body = codec.to_xml(result, operation="RevokeSecurityGroupIngress")
        return HttpResponse(200, {"Content-Type": "text/xml;charset=UTF-8"}, body)


def _inbound(client: EC2Client, group: str) -> list[Rule]:
    """The group's inbound rules as DescribeSecurityGroups lists them."""
    found = client.describe_security_groups(group_ids=[group]).security_groups or ()
    return [
        rule
        for permission in (found[0].ip_permissions or () if found else ())
        for rule in Rule.from_ip_permission(permission)
    ]


def _table(rows: Sequence[tuple[str, ...]], header: tuple[str, ...]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = "  +" + "+".join("-" * (w + 2) for w in widths) + "+"
    out = [
        line,
        "  | " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |",
        line,
    ]
    out += [
        "  | " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows
    ]
    out.append(line)
    return "\n".join(out)


@contextmanager
def _quiet_server() -> Iterator[None]:
    # moto's HTTP server logs every request; the demo shows its own account of them.
    logger = logging.getLogger("werkzeug")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


@contextmanager
def _demo_credentials() -> Iterator[None]:
    """The embedded endpoint's made-up credentials, for the command-line step only."""
    names = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")
    saved = {n: os.environ.get(n) for n in names}
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
    os.environ["AWS_ACCESS_KEY_ID"] = CREDENTIALS.access_key
    os.environ["AWS_SECRET_ACCESS_KEY"] = CREDENTIALS.secret_key
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_demo(
    out: TextIO, run_cli: Callable[[list[str], TextIO, TextIO], int], *, color: bool = False
) -> int:
    """Run the demo, writing to ``out``; returns 0 when every step came out as expected.

    ``run_cli`` runs one command line (``ec2revoke.cli._main.run``), for the CLI step.
    """
    s = _Style(color)

    def say(text: str = "") -> None:
        out.write(text + "\n")

    with _quiet_server(), EmbeddedEC2() as ec2, ec2.client() as client:
        say(s.bold("ec2revoke demo: revoking risky security-group rules, step by step"))
        say(f"Embedded EC2 endpoint: moto's server on {ec2.url} (no AWS account, no network).")
        say()
        created = client.create_security_group(
            group_name="ec2revoke-demo", description="ec2revoke demo: risky rules"
        )
        group = created.group_id or ""
        described = client.describe_security_groups(group_ids=[group]).security_groups or ()
        vpc = described[0].vpc_id if described else None
        client.authorize_security_group_ingress(
            group_id=group, ip_permissions=merge(r for r, _ in RULES)
        )
        before = _inbound(client, group)
        say(s.bold(f"1. Security group {group} in VPC {vpc}, with {len(before)} inbound rules:"))
        say(_table([(str(r), why) for r, why in RULES], ("rule", "why it is there")))
        say()
        outcome = {str(r): "kept" for r in before}

        say(s.bold("2. Revoke with the builder (client.revoke_ingress):"))
        say("   client.revoke_ingress(group, Rule.tcp_range(8000, 8080).from_cidr('10.0.0.0/8'))")
        report = client.revoke_ingress(group, Rule.tcp_range(8000, 8080).from_cidr("10.0.0.0/8"))
        say("   " + str(report).replace("\n", "\n   "))
        for r in report.revoked:
            outcome[str(r.rule)] = "revoked (builder)"
        say()

        say(s.bold("3. The same with the command line, as with `aws ec2`:"))
        argv = [
            "revoke-security-group-ingress", "--endpoint-url", ec2.url, "--region", REGION,
            "--group-id", group, "--protocol", "icmp", "--port", "3-4", "--cidr", "0.0.0.0/0",
        ]  # fmt: skip
        say("   $ ec2revoke " + " ".join(argv))
        printed, errors = io.StringIO(), io.StringIO()
        with _demo_credentials():
            code = run_cli(argv, printed, errors)
        say("   " + (printed.getvalue() + errors.getvalue()).strip().replace("\n", "\n   "))
        say(f"   exit code {code}")
        if code == 0:
            outcome[str(Rule.icmp(3, 4).from_any_ipv4())] = "revoked (command line)"
        say()

        say(s.bold("4. A dry run (dry_run=True) reads the group, predicts EC2's answer, asks IAM:"))
        say(f"   client.revoke_ingress(group, Rule.HTTPS.from_cidr('{OFFICE}'), dry_run=True)")
        dry = client.revoke_ingress(group, Rule.HTTPS.from_cidr(OFFICE), dry_run=True)
        say("   " + str(dry).replace("\n", "\n   "))
        still = str(Rule.HTTPS.from_cidr(OFFICE)) in {str(r) for r in _inbound(client, group)}
        say(f"   DescribeSecurityGroups still lists it: {'yes' if still else 'NO'}")
        outcome[str(Rule.HTTPS.from_cidr(OFFICE))] = "kept (dry run only)"
        say()

        say(
            s.bold(
                "5. UnknownIpPermissions: a revoke that EC2 answers with success but does not do"
            )
        )
        say("   [SIMULATED] moto answers this with InvalidPermission.NotFound; real EC2, for a")
        say("   group in a default VPC, answers Return=true and lists the rule as")
        say("   UnknownIpPermissions. This one answer is canned by a local transport; the")
        say("   request is the one the library builds.")
        canned = _CannedRevoke()
        simulated = EC2Client(region=REGION, endpoint_url=ec2.url, transport=canned)
        say(f"   client.revoke_ingress(group, Rule.HTTPS.from_cidr('{OLD_OFFICE}'))")
        unknown_seen = False
        try:
            simulated.revoke_ingress(group, Rule.HTTPS.from_cidr(OLD_OFFICE))
        except RevokeIncomplete as e:
            unknown_seen = bool(e.report.unknown)
            say(f"   -> RevokeIncomplete: {e.report}".replace("\n", "\n   "))
        say(
            "   Request sent: "
            + "&".join(f"{k}={v}" for k, v in canned.sent[0] if k not in ("Action", "Version"))
        )
        say("   A revoke with UnknownIpPermissions is never a success: the CLI exits with 3.")
        say()

        say(s.bold("6. revoke_matching: every rule that lets SSH in from anywhere, wider ones too"))
        matched: list[RevokedRule] = []
        for pattern in (Rule.SSH.from_any_ipv4(), Rule.SSH.from_any_ipv6()):
            listing = client.revoke_matching(group, pattern, dry_run=True)
            say(
                f"   would go for {pattern}: "
                + ", ".join(f"{r.rule} [{r.rule_id}]" for r in listing.revoked)
            )
            gone = client.revoke_matching(group, pattern, verify=True)
            matched += gone.revoked
            say(f"   revoked: {len(gone.revoked)}, verified gone: {gone.verified}")
        for r in matched:
            outcome[str(r.rule)] = "revoked (revoke_matching)"
        say()

        after = {str(r) for r in _inbound(client, group)}
        say(s.bold(f"7. Verified with DescribeSecurityGroups: {group} before and after"))
        rows = [
            (str(r), "allowed", "allowed" if str(r) in after else "gone", outcome[str(r)])
            for r in before
        ]
        say(_table(rows, ("rule", "before", "after", "how")))
        expected = {str(RULES[4][0])}
        ok = after == expected and still and unknown_seen and code == 0
        say()
        say(
            f"Done: {len(before) - len(after)} of {len(before)} rules revoked, "
            f"{len(after)} kept ({', '.join(sorted(after))})."
            if ok
            else "Something did not come out as expected (see above)."
        )
    return 0 if ok else 1
