"""Facts kept in one place, and what shows when they were not.

The protocol names and numbers: every spelling EC2 reads as one protocol builds one
rule, in the builder and on the command line alike. The package version: the CLI's
``--version`` and the User-Agent every request carries say the same. The botocore
session: an unknown profile is refused in the same words wherever a profile is taken.
"""

from __future__ import annotations

import ast
import io
import os
from pathlib import Path

import pytest
import responses

from ec2revoke import ConfigurationError, EC2Client, Rule, StaticCredentials, codec, shapes
from ec2revoke.cli._main import run
from ec2revoke.fleet import Account, resolve_account

PACKAGE = Path(__file__).resolve().parent.parent / "ec2revoke"


@pytest.fixture
def no_aws_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """An empty AWS config: no profile but the default exists, and no instance is asked."""
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    empty = tmp_path / "aws-config"
    empty.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


# -- protocols -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spelling", "plain"), [("058", "58"), ("001", "1"), ("ICMPv6", "icmpv6"), (" 1 ", "1")]
)
def test_every_spelling_of_an_icmp_protocol_takes_one_number_as_a_type(
    spelling: str, plain: str
) -> None:
    # One number for ICMP is a type with all its codes, however the protocol is written.
    assert Rule.protocol(spelling, 8) == Rule.protocol(plain, 8)
    assert Rule.protocol(spelling, 8).port.to_port == -1


def cli(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    return run(list(argv), out, err), err.getvalue().strip()


@pytest.mark.parametrize("spelling", ["6", "006", "17", "017"])
def test_revoke_matching_asks_for_the_port_of_every_spelling_of_tcp_and_udp(
    spelling: str, no_aws_config: None
) -> None:
    code, line = cli(
        "revoke-matching", "--region", "us-east-1", "--group-id", "sg-1",
        "--protocol", spelling, "--cidr", "0.0.0.0/0",
    )  # fmt: skip
    assert code == 252
    assert line == (
        "Error parsing parameter '--port': give the port or range to match for "
        f"{spelling} (e.g. 22 or 0-65535)"
    )


def test_the_protocol_table_is_written_once() -> None:
    # The numbers of tcp, udp, icmp and icmpv6, as a literal table, in one module only.
    holders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "_generated" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Dict) and {
                getattr(k, "value", None) for k in node.keys + node.values
            } >= {"icmpv6", 58}:
                holders.append(path.relative_to(PACKAGE).as_posix())
    assert holders == ["_wire/validate.py"]


# -- the version ---------------------------------------------------------------------


@responses.activate
def test_the_cli_version_and_the_user_agent_name_one_version() -> None:
    out = io.StringIO()
    assert run(["--version"], out, io.StringIO()) == 0
    shown = out.getvalue().split()[0]  # ec2revoke/X.Y.Z
    result = shapes.RevokeSecurityGroupIngressResult(return_=True)
    responses.add(
        responses.POST,
        "https://ec2.us-east-1.amazonaws.com/",
        body=codec.to_xml(result, request_id="59dbff89-35bd-4eac-99ed-be587EXAMPLE"),
    )
    with EC2Client(region="us-east-1", credentials=StaticCredentials("AKIDEXAMPLE", "s")) as c:
        c.revoke_security_group_ingress(group_id="sg-1", security_group_rule_ids=["sgr-1"])
    agent = responses.calls[0].request.headers["User-Agent"]
    assert agent.split()[0] == shown
    assert shown != "ec2revoke/"


# -- the botocore session ------------------------------------------------------------


def test_an_unknown_profile_is_refused_in_one_wording_by_client_and_fleet(
    no_aws_config: None,
) -> None:
    wording = "profile 'nope' is not in the AWS config or credentials file"
    with pytest.raises(ConfigurationError) as by_client:
        EC2Client(profile="nope")
    with pytest.raises(ConfigurationError) as by_fleet:
        resolve_account(Account(profile="nope"), region="us-east-1")
    assert by_client.value.message == by_fleet.value.message == wording
    # The fleet command looks for the region in the profile first.
    code, line = cli(
        "fleet", "--profile", "nope", "--protocol", "tcp", "--port", "22",
        "--cidr", "0.0.0.0/0", "--dry-run",
    )  # fmt: skip
    assert (code, line) == (253, wording)


def test_the_single_call_commands_word_an_unknown_profile_as_the_aws_cli(
    no_aws_config: None,
) -> None:
    code, line = cli(
        "revoke-security-group-ingress", "--region", "us-east-1", "--group-id", "sg-1",
        "--security-group-rule-ids", "sgr-1", "--profile", "nope",
    )  # fmt: skip
    assert (code, line) == (253, "The config profile (nope) could not be found")


def test_one_module_makes_botocore_sessions_for_a_profile() -> None:
    makers = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text()
        if "ProfileNotFound" in text or "importlib.metadata" in text:
            makers.append(path.relative_to(PACKAGE).as_posix())
    assert makers == ["_http/agent.py", "_http/botocore_session.py"]
