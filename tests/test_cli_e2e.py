"""The command line end to end against moto's EC2 server, which checks every signature.

Each test makes its own security group with the library, runs ``ec2revoke`` in-process
(credentials, region and config files from the environment, as a shell would give
them) and checks both what it printed and what DescribeSecurityGroups shows after.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from ec2revoke import EC2Client, Rule, StaticCredentials
from ec2revoke._rules.rule import merge
from ec2revoke.cli._main import run
from tests.moto_server import MotoEC2

ACCOUNT = "123456789012"  # moto's account


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def error_line(self) -> str:
        lines = self.err.strip().splitlines()
        assert len(lines) == 1, self.err
        return lines[0]


@pytest.fixture
def admin(moto_ec2: MotoEC2) -> Iterator[EC2Client]:
    with EC2Client(
        region=moto_ec2.region, endpoint_url=moto_ec2.url, credentials=moto_ec2.admin
    ) as client:
        yield client


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """A shell environment with no AWS settings but empty config files."""
    import os

    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    empty = tmp_path / "aws-config"
    empty.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("COLUMNS", "80")
    return monkeypatch


Cli = Callable[..., Result]


@pytest.fixture
def cli(moto_ec2: MotoEC2, aws_env: pytest.MonkeyPatch) -> Cli:
    """Run ``ec2revoke ARGS --endpoint-url moto`` as a user whose keys are in the environment."""

    def invoke(
        *argv: str, credentials: StaticCredentials | None = None, endpoint: bool = True
    ) -> Result:
        creds = credentials or moto_ec2.admin
        aws_env.setenv("AWS_ACCESS_KEY_ID", creds.access_key)
        aws_env.setenv("AWS_SECRET_ACCESS_KEY", creds.secret_key)
        if creds.token:
            aws_env.setenv("AWS_SESSION_TOKEN", creds.token)
        else:
            aws_env.delenv("AWS_SESSION_TOKEN", raising=False)
        aws_env.setenv("AWS_DEFAULT_REGION", moto_ec2.region)
        out, err = io.StringIO(), io.StringIO()
        full = [*argv, "--endpoint-url", moto_ec2.url] if endpoint else list(argv)
        return Result(run(full, out, err), out.getvalue(), err.getvalue())

    return invoke


@dataclass
class Group:
    id: str
    name: str


@pytest.fixture
def new_group(admin: EC2Client) -> Callable[..., Group]:
    def make(*rules: Rule) -> Group:
        name = f"cli-{uuid.uuid4().hex[:10]}"
        group_id = admin.create_security_group(group_name=name, description="cli e2e").group_id
        assert group_id is not None
        if rules:
            admin.authorize_security_group_ingress(group_id=group_id, ip_permissions=merge(rules))
        return Group(group_id, name)

    return make


def inbound(admin: EC2Client, group: Group) -> set[str]:
    (found,) = admin.describe_security_groups(group_ids=[group.id]).security_groups or ()
    return {str(r) for p in found.ip_permissions or () for r in Rule.from_ip_permission(p)}


def outbound(admin: EC2Client, group: Group) -> set[str]:
    (found,) = admin.describe_security_groups(group_ids=[group.id]).security_groups or ()
    return {
        str(r)
        for p in found.ip_permissions_egress or ()
        for r in Rule.from_ip_permission(p, egress=True)
    }


SSH_WORLD = Rule.SSH.from_any_ipv4()
INGRESS = "revoke-security-group-ingress"
EGRESS = "revoke-security-group-egress"


# -- each way of naming the rules ---------------------------------------------------------------


def test_flat_options_revoke_the_rule(cli: Cli, admin: EC2Client, new_group: Any) -> None:
    group = new_group(SSH_WORLD, Rule.HTTPS.from_any_ipv4())
    result = cli(
        INGRESS, "--group-id", group.id, "--protocol", "tcp", "--port", "22", "--cidr", "0.0.0.0/0"
    )
    assert (result.code, json.loads(result.out), result.err) == (0, {"Return": True}, "")
    assert inbound(admin, group) == {str(Rule.HTTPS.from_any_ipv4())}


def test_port_ranges_icmp_and_all_protocols(cli: Cli, admin: EC2Client, new_group: Any) -> None:
    group = new_group(
        Rule.tcp_range(8000, 8080).from_cidr("10.0.0.0/8"),
        Rule.icmp(3, 4).from_any_ipv4(),
        Rule.all_icmp().from_cidr("10.1.0.0/16"),
        Rule.all_traffic().from_cidr("10.2.0.0/16"),
    )
    for args in (
        ["--protocol", "tcp", "--port", "8000-8080", "--cidr", "10.0.0.0/8"],
        ["--protocol", "icmp", "--port", "3-4", "--cidr", "0.0.0.0/0"],
        ["--protocol", "icmp", "--port", "-1", "--cidr", "10.1.0.0/16"],
        ["--protocol", "all", "--cidr", "10.2.0.0/16"],
    ):
        result = cli(INGRESS, "--group-id", group.id, *args)
        assert result.code == 0, (args, result.err)
    assert inbound(admin, group) == set()


def test_source_group_and_group_owner(cli: Cli, admin: EC2Client, new_group: Any) -> None:
    peer = new_group()
    group = new_group(
        Rule.tcp(5432).from_group(peer.id, user_id=ACCOUNT), Rule.tcp(6379).from_group(peer.id)
    )
    by_id = cli(INGRESS, "--group-id", group.id, "--protocol", "tcp", "--port", "5432",
                "--source-group", peer.id, "--group-owner", ACCOUNT)  # fmt: skip
    assert by_id.code == 0, by_id.err
    by_name = cli(INGRESS, "--group-name", group.name, "--protocol", "tcp", "--port", "6379",
                  "--source-group", peer.name)  # fmt: skip
    assert by_name.code == 0, by_name.err
    assert inbound(admin, group) == set()


def test_ip_permissions_shorthand_json_and_file(
    cli: Cli, admin: EC2Client, new_group: Any, tmp_path: Path
) -> None:
    group = new_group(
        SSH_WORLD,
        Rule.SSH.from_any_ipv6(),
        Rule.udp(53).from_cidr("10.0.0.0/8"),
        Rule.tcp(443).from_cidr("192.0.2.0/24"),
    )
    shorthand = cli(INGRESS, "--group-id", group.id, "--ip-permissions",
                    "IpProtocol=tcp,FromPort=22,ToPort=22,IpRanges=[{CidrIp=0.0.0.0/0}],Ipv6Ranges=[{CidrIpv6=::/0}]",
                    "IpProtocol=udp,FromPort=53,ToPort=53,IpRanges={CidrIp=10.0.0.0/8}")  # fmt: skip
    assert shorthand.code == 0, shorthand.err
    perms = tmp_path / "perms.json"
    perms.write_text(json.dumps([{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                  "IpRanges": [{"CidrIp": "192.0.2.0/24"}]}]))  # fmt: skip
    from_file = cli(INGRESS, "--group-id", group.id, "--ip-permissions", f"file://{perms}")
    assert from_file.code == 0, from_file.err
    assert inbound(admin, group) == set()


def test_security_group_rule_ids(cli: Cli, admin: EC2Client, new_group: Any) -> None:
    group = new_group(SSH_WORLD, Rule.HTTPS.from_any_ipv4())
    ids = [f.rule_id for f in admin.find_rules(group.id, SSH_WORLD, direction="ingress")]
    result = cli(INGRESS, "--group-id", group.id, "--security-group-rule-ids", *ids)
    assert result.code == 0, result.err
    assert inbound(admin, group) == {str(Rule.HTTPS.from_any_ipv4())}


def test_egress(cli: Cli, admin: EC2Client, new_group: Any) -> None:
    group = new_group()
    admin.authorize_security_group_egress(
        group_id=group.id, ip_permissions=merge([Rule.tcp(443).to_cidr("203.0.113.0/24")])
    )
    result = cli(EGRESS, "--group-id", group.id, "--protocol", "all", "--cidr", "0.0.0.0/0")
    assert result.code == 0, result.err
    assert outbound(admin, group) == {str(Rule.tcp(443).to_cidr("203.0.113.0/24"))}
    missing = cli(EGRESS, "--protocol", "tcp", "--port", "443", "--cidr", "203.0.113.0/24")
    assert (missing.code, missing.error_line) == (
        252,
        f"ec2revoke {EGRESS}: error: the following arguments are required: --group-id",
    )


# -- dry runs ------------------------------------------------------------------------------------


def test_a_dry_run_that_would_succeed_says_so_and_exits_0(
    cli: Cli, admin: EC2Client, new_group: Any
) -> None:
    group = new_group(SSH_WORLD)
    result = cli(
        INGRESS,
        "--group-id",
        group.id,
        "--protocol",
        "tcp",
        "--port",
        "22",
        "--cidr",
        "0.0.0.0/0",
        "--dry-run",
    )
    assert result.code == 0, result.err
    answer = json.loads(result.out)
    assert answer["DryRun"] is True
    assert "would have succeeded" in answer["Message"]
    assert inbound(admin, group) == {str(SSH_WORLD)}
    no_dry_run = cli(
        INGRESS,
        "--group-id",
        group.id,
        "--protocol",
        "tcp",
        "--port",
        "22",
        "--cidr",
        "0.0.0.0/0",
        "--no-dry-run",
    )
    assert (no_dry_run.code, json.loads(no_dry_run.out)) == (0, {"Return": True})


def test_a_denied_dry_run_is_a_service_error(cli: Cli, moto_ec2: MotoEC2, new_group: Any) -> None:
    group = new_group(SSH_WORLD)
    result = cli(INGRESS, "--group-id", group.id, "--protocol", "tcp", "--port", "22",
                 "--cidr", "0.0.0.0/0", "--dry-run", credentials=moto_ec2.no_permissions)  # fmt: skip
    assert result.code == 254
    assert result.err.startswith(
        "\nAn error occurred (AccessDenied) when calling the RevokeSecurityGroupIngress operation: "
    )
    assert result.out == ""


# -- service errors ------------------------------------------------------------------------------


def test_a_missing_rule_is_the_aws_cli_error_line_and_254(cli: Cli, new_group: Any) -> None:
    group = new_group(SSH_WORLD)
    result = cli(
        INGRESS, "--group-id", group.id, "--protocol", "tcp", "--port", "23", "--cidr", "0.0.0.0/0"
    )
    assert result.code == 254
    assert result.out == ""
    assert result.err == (
        "\nAn error occurred (InvalidPermission.NotFound) when calling the "
        "RevokeSecurityGroupIngress operation: The specified rule does not exist in this security group\n"
    )


def test_an_unknown_group_is_254(cli: Cli) -> None:
    result = cli(
        INGRESS,
        "--group-id",
        "sg-00000000000000000",
        "--protocol",
        "tcp",
        "--port",
        "22",
        "--cidr",
        "0.0.0.0/0",
    )
    assert result.code == 254
    assert "An error occurred (InvalidGroup.NotFound)" in result.error_line


# -- --cli-input-json / --cli-input-yaml / --generate-cli-skeleton -------------------------------


def _fill(skeleton: dict[str, Any], group: str, dry_run: bool) -> dict[str, Any]:
    """The skeleton with the one rule filled in and the placeholders it does not need dropped."""
    permission = skeleton["IpPermissions"][0]
    permission.update(IpProtocol="tcp", FromPort=22, ToPort=22)
    permission["IpRanges"][0] = {"CidrIp": "0.0.0.0/0"}
    for unused in ("UserIdGroupPairs", "Ipv6Ranges", "PrefixListIds"):
        del permission[unused]
    filled = dict.fromkeys(skeleton)
    filled.update(GroupId=group, IpPermissions=[permission], DryRun=dry_run)
    return {k: v for k, v in filled.items() if v is not None}


def test_the_skeleton_round_trips_through_cli_input_json(
    cli: Cli, admin: EC2Client, new_group: Any, tmp_path: Path
) -> None:
    group = new_group(SSH_WORLD)
    skeleton = cli(INGRESS, "--generate-cli-skeleton")
    assert skeleton.code == 0
    template = json.loads(skeleton.out)
    assert template["DryRun"] is True
    assert template["IpPermissions"][0]["FromPort"] == 0
    dry = cli(INGRESS, "--cli-input-json", json.dumps(_fill(template, group.id, True)))
    assert (dry.code, json.loads(dry.out)["DryRun"]) == (0, True), dry.err
    assert inbound(admin, group) == {str(SSH_WORLD)}
    document = tmp_path / "input.json"
    document.write_text(json.dumps(_fill(json.loads(skeleton.out), group.id, False)))
    real = cli(INGRESS, "--cli-input-json", f"file://{document}")
    assert (real.code, json.loads(real.out)) == (0, {"Return": True}), real.err
    assert inbound(admin, group) == set()


def test_the_yaml_skeleton_round_trips_through_cli_input_yaml(
    cli: Cli, admin: EC2Client, new_group: Any
) -> None:
    group = new_group(SSH_WORLD)
    skeleton = cli(INGRESS, "--generate-cli-skeleton", "yaml-input")
    assert skeleton.code == 0
    filled = _fill(yaml.safe_load(skeleton.out), group.id, False)
    result = cli(INGRESS, "--cli-input-yaml", yaml.safe_dump(filled))
    assert result.code == 0, result.err
    assert inbound(admin, group) == set()


def test_the_command_line_overrides_cli_input_json(
    cli: Cli, admin: EC2Client, new_group: Any
) -> None:
    group, other = new_group(SSH_WORLD), new_group(SSH_WORLD)
    document = {"GroupId": other.id, "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1,
                                                        "IpRanges": [{"CidrIp": "10.9.9.0/24"}]}]}  # fmt: skip
    result = cli(INGRESS, "--cli-input-json", json.dumps(document), "--group-id", group.id,
                 "--protocol", "tcp", "--port", "22", "--cidr", "0.0.0.0/0")  # fmt: skip
    assert result.code == 0, result.err
    assert (inbound(admin, group), inbound(admin, other)) == (set(), {str(SSH_WORLD)})


def test_the_output_skeleton_validates_and_sends_nothing(
    cli: Cli, admin: EC2Client, new_group: Any
) -> None:
    group = new_group(SSH_WORLD)
    result = cli(INGRESS, "--group-id", group.id, "--protocol", "tcp", "--port", "22",
                 "--cidr", "0.0.0.0/0", "--generate-cli-skeleton", "output")  # fmt: skip
    assert result.code == 0, result.err
    sample = json.loads(result.out)
    assert sample["Return"] is True
    assert sample["UnknownIpPermissions"][0]["IpProtocol"] == "IpProtocol"
    assert inbound(admin, group) == {str(SSH_WORLD)}
    invalid = cli(INGRESS, "--group-id", group.id, "--ip-permissions", "IpProtocol=tcp,FromPort=22,ToPort=22,IpRanges=[{CidrIp=10.0.0.1}]",
                  "--generate-cli-skeleton", "output")  # fmt: skip
    assert invalid.code == 252
    assert invalid.error_line == (
        "Error parsing parameter '--ip-permissions': IpPermissions[0].IpRanges[0].CidrIp: "
        "CIDR mask is missing: did you mean 10.0.0.1/32?"
    )


# -- output and query --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "check"),
    [
        ([], lambda out: json.loads(out) == {"Return": True}),
        (["--output", "json", "--query", "Return"], lambda out: out == "true\n"),
        (["--output", "yaml"], lambda out: yaml.safe_load(out) == {"Return": True}),
        (["--output", "yaml-stream"], lambda out: yaml.safe_load(out) == [{"Return": True}]),
        (["--output", "text"], lambda out: out == "True\n"),
        (["--output", "text", "--query", "[Return, Return]"], lambda out: out == "True\tTrue\n"),
        (
            ["--output", "table"],
            lambda out: (
                "RevokeSecurityGroupIngress" in out and "|  Return      |  True     |" in out
            ),
        ),
        (["--output", "table", "--color", "on"], lambda out: "\x1b[" in out),
        (["--query", "UnknownIpPermissions"], lambda out: out == "null\n"),
    ],
)
def test_every_output_format_and_query(
    cli: Cli, new_group: Any, options: list[str], check: Callable[[str], bool]
) -> None:
    group = new_group(SSH_WORLD)
    result = cli(
        INGRESS,
        "--group-id",
        group.id,
        "--protocol",
        "tcp",
        "--port",
        "22",
        "--cidr",
        "0.0.0.0/0",
        *options,
    )
    assert result.code == 0, result.err
    assert check(result.out), result.out


def test_global_options_go_before_or_after_the_command(
    cli: Cli, new_group: Any, aws_env: pytest.MonkeyPatch
) -> None:
    group = new_group(SSH_WORLD, Rule.HTTPS.from_any_ipv4())
    before = cli("--output", "text", "--no-cli-pager", "--no-paginate", INGRESS, "--group-id", group.id,
                 "--protocol", "tcp", "--port", "22", "--cidr", "0.0.0.0/0")  # fmt: skip
    assert (before.code, before.out) == (0, "True\n"), before.err
    aws_env.setenv("AWS_DEFAULT_OUTPUT", "text")
    after = cli(INGRESS, "--group-id", group.id, "--protocol", "tcp", "--port", "443",
                "--cidr", "0.0.0.0/0", "--cli-binary-format", "base64")  # fmt: skip
    assert (after.code, after.out) == (0, "True\n"), after.err


# -- where settings come from ------------------------------------------------------------------------


def test_profile_region_and_endpoint_from_config(
    cli: Cli,
    admin: EC2Client,
    new_group: Any,
    moto_ec2: MotoEC2,
    aws_env: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    group = new_group(SSH_WORLD)
    config, credentials = tmp_path / "config", tmp_path / "credentials"
    config.write_text(f"[profile ops]\nregion = {moto_ec2.region}\noutput = text\n")
    credentials.write_text(
        f"[ops]\naws_access_key_id = {moto_ec2.admin.access_key}\n"
        f"aws_secret_access_key = {moto_ec2.admin.secret_key}\n"
    )
    aws_env.setenv("AWS_CONFIG_FILE", str(config))
    aws_env.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    aws_env.setenv("AWS_ENDPOINT_URL_EC2", moto_ec2.url)
    out, err = io.StringIO(), io.StringIO()
    code = run([INGRESS, "--profile", "ops", "--group-id", group.id, "--protocol", "tcp", "--port", "22",
                "--cidr", "0.0.0.0/0"], out, err)  # fmt: skip
    assert (code, out.getvalue()) == (0, "True\n"), err.getvalue()
    assert inbound(admin, group) == set()


def test_debug_logs_the_exchange_but_never_a_secret(
    cli: Cli, moto_ec2: MotoEC2, new_group: Any
) -> None:
    group = new_group(SSH_WORLD)
    session = moto_ec2.role_session
    assert session.token
    result = cli(INGRESS, "--debug", "--group-id", group.id, "--protocol", "tcp", "--port", "22",
                 "--cidr", "0.0.0.0/0", credentials=session)  # fmt: skip
    assert result.code == 0, result.err
    assert "Action=RevokeSecurityGroupIngress" in result.err
    assert "'Authorization': '<redacted>'" in result.err
    assert "<redacted>" in result.err
    assert "HTTP 200" in result.err
    assert session.secret_key not in result.err + result.out
    assert session.token not in result.err + result.out


# -- revoke-matching --------------------------------------------------------------------------------------


def test_revoke_matching_lists_first_and_a_dry_run_only_lists(
    cli: Cli, admin: EC2Client, new_group: Any
) -> None:
    wide = Rule.all_tcp().from_any_ipv4()
    group = new_group(SSH_WORLD, Rule.SSH.from_any_ipv6(), wide, Rule.SSH.from_cidr("10.0.0.0/8"))
    args = ["revoke-matching", "--group-id", group.id, "--protocol", "tcp", "--port", "22",
            "--cidr", "0.0.0.0/0", "--cidr", "::/0"]  # fmt: skip
    dry = cli(*args, "--dry-run")
    assert dry.code == 0, dry.err
    assert "Dry run: nothing revoked." in dry.err
    for rule in (SSH_WORLD, Rule.SSH.from_any_ipv6(), wide):
        assert str(rule) in dry.err
    assert {r["Outcome"] for r in json.loads(dry.out)["Rules"]} == {"would revoke"}
    assert len(inbound(admin, group)) == 4
    real = cli(*args, "--verify", "--output", "json")
    assert real.code == 0, real.err
    assert real.err.index("TCP 22 from 0.0.0.0/0") < real.err.index("Revoking 3 rule(s)")
    summary = json.loads(real.out)
    assert summary["Verified"] is True
    assert sorted(r["Rule"] for r in summary["Rules"] if r["Outcome"] == "revoked") == sorted(
        str(r) for r in (SSH_WORLD, Rule.SSH.from_any_ipv6(), wide)
    )
    assert inbound(admin, group) == {str(Rule.SSH.from_cidr("10.0.0.0/8"))}


def test_revoke_matching_egress(cli: Cli, admin: EC2Client, new_group: Any) -> None:
    group = new_group()
    result = cli("revoke-matching", "--group-id", group.id, "--egress", "--protocol", "tcp",
                 "--port", "443", "--cidr", "0.0.0.0/0", "--output", "text")  # fmt: skip
    assert result.code == 0, result.err
    assert "all traffic to 0.0.0.0/0" in result.out  # the default egress rule allows it
    assert outbound(admin, group) == set()
