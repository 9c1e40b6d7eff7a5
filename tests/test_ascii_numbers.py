"""Only ASCII decimal digits are numbers, wherever text becomes a number.

Python's ``int()`` also reads other scripts' digits (MATHEMATICAL DOUBLE-STRUCK DIGIT
FOUR is 4, so is ARABIC-INDIC DIGIT FOUR), ``_`` between digits and surrounding
whitespace, and ``str.isdigit()`` says yes to SUPERSCRIPT TWO, which ``int()`` then
refuses. Taken as numbers, ``--protocol`` with the double-struck four revoked protocol 4
and ``--port`` with the superscript two ended in a raw ValueError. Each is now a typed
error, before anything is sent. (Response bodies are botocore's business: its parser
reads numbers with ``int()``, and so does ours; see test_differential.py.)
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import responses

from ec2revoke import EC2Client, ParamValidationError, Port, Rule, StaticCredentials, codec, shapes
from ec2revoke.cli._main import run
from ec2revoke.testing import Stubber

NOT_ASCII_NUMBERS = [
    "\U0001d7dc",
    "\u0664",
    "\u2460",
    "\u00b2",
    "\u096a",
    "\uff11",
    "2_2",
    " 22",
    "22 ",
    "+22",
    "",
    "-",
    "0x16",
]
ENDPOINT = "https://ec2.us-east-1.amazonaws.com/"
INGRESS = "revoke-security-group-ingress"


@pytest.mark.parametrize("text", ["0", "22", "-1", "65535", "007", "-0"])
def test_ascii_decimal_text_is_a_number(text: str) -> None:
    from ec2revoke._wire.scalars import parse_int

    assert parse_int(text) == int(text)


@pytest.mark.parametrize("text", NOT_ASCII_NUMBERS)
def test_anything_else_is_not(text: str) -> None:
    from ec2revoke._wire.scalars import parse_int

    with pytest.raises(ValueError, match="ASCII digits"):
        parse_int(text)


# -- the builder and the checks before sending --------------------------------------------


@pytest.mark.parametrize("text", ["\U0001d7dc", "\u2460", "\u00b2", "\u0664", "2_2"])
def test_rule_protocol_refuses_digits_of_other_scripts(text: str) -> None:
    with pytest.raises(ParamValidationError, match="unknown protocol"):
        Rule.protocol(text)
    with pytest.raises(ParamValidationError, match="unknown protocol"):
        Port(text)


def test_rule_protocol_still_takes_ascii_numbers_and_names() -> None:
    assert Rule.protocol("6", 22) == Rule.SSH
    assert Rule.protocol(" 17 ", 53) == Rule.DNS_UDP
    assert Rule.protocol("all") == Rule.all_traffic()
    assert Rule.protocol("47").port.protocol == "47"


@pytest.fixture
def edge() -> Iterator[responses.RequestsMock]:
    """The network: nothing registered, so any request that gets out is recorded."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.mark.parametrize("text", ["\U0001d7dc", "\u00b2", "\u0664"])
def test_a_typed_request_with_such_a_protocol_is_not_sent(
    edge: responses.RequestsMock, text: str
) -> None:
    client = EC2Client(region="us-east-1", credentials=StaticCredentials("AKID", "secret"))
    permission = shapes.IpPermission(
        ip_protocol=text, ip_ranges=[shapes.IpRange(cidr_ip="10.0.0.0/8")]
    )
    with pytest.raises(ParamValidationError, match="not a protocol EC2 knows"):
        client.revoke_security_group_ingress(group_id="sg-1", ip_permissions=[permission])
    with pytest.raises(ParamValidationError, match="not a protocol EC2 knows"):
        client.revoke_security_group_ingress(
            group_id="sg-1", ip_protocol=text, cidr_ip="10.0.0.0/8"
        )
    assert len(edge.calls) == 0


@pytest.mark.parametrize("text", ["\U0001d7dc", "\u00b2", "2_2", " 22"])
def test_from_query_refuses_them(text: str) -> None:
    pairs = [
        ("Action", "RevokeSecurityGroupIngress"),
        ("Version", "2016-11-15"),
        ("GroupId", "sg-1"),
        ("IpPermissions.1.IpProtocol", "tcp"),
        ("IpPermissions.1.FromPort", text),
        ("IpPermissions.1.ToPort", "22"),
    ]
    with pytest.raises(ParamValidationError, match=r"IpPermissions\.1\.FromPort: .*ASCII digits"):
        codec.from_query(pairs)


# -- the command line ----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    empty = tmp_path / "aws-config"
    empty.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDNUMBERSEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "numbers-secret-not-real")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


CIDR = ["--cidr", "10.0.0.0/8"]


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        ([INGRESS, "--group-id", "sg-1", "--protocol", "\U0001d7dc", *CIDR], "--protocol"),
        ([INGRESS, "--group-id", "sg-1", "--protocol", "\u0664", *CIDR], "--protocol"),
        ([INGRESS, "--group-id", "sg-1", "--protocol", "tcp", "--port", "\u00b2", *CIDR], "--port"),
        ([INGRESS, "--group-id", "sg-1", "--protocol", "tcp", "--port", "\U0001d7dc", *CIDR], "--port"),
        ([INGRESS, "--group-id", "sg-1", "--protocol", "tcp", "--port", "2_2", *CIDR], "--port"),
        ([INGRESS, "--group-id", "sg-1", "--protocol", "tcp", "--port", "20-\u0662\u0662", *CIDR], "--port"),
        ([INGRESS, "--group-id", "sg-1", "--from-port", "\U0001d7dc"], "--from-port"),
        ([INGRESS, "--group-id", "sg-1", "--to-port", "1_0"], "--to-port"),
        ([INGRESS, "--group-id", "sg-1", "--ip-permissions", "IpProtocol=tcp,FromPort=\u0664,ToPort=22"],
         "--ip-permissions"),
        ([INGRESS, "--group-id", "sg-1", "--ip-permissions", "IpProtocol=tcp,FromPort=\u00b2,ToPort=22"],
         "--ip-permissions"),
        ([INGRESS, "--group-id", "sg-1", "--ip-permissions", "IpProtocol=tcp,FromPort=2_2,ToPort=22"],
         "--ip-permissions"),
        (["revoke-matching", "--group-id", "sg-1", "--protocol", "\u00b2", *CIDR], "--protocol"),
        (["revoke-matching", "--group-id", "sg-1", "--protocol", "\U0001d7dc", *CIDR], "--protocol"),
        (["revoke-matching", "--group-id", "sg-1", "--protocol", "tcp", "--port", "\u0662\u0662", *CIDR],
         "--port"),
    ],
)  # fmt: skip
def test_the_command_line_refuses_them_naming_the_option(argv: list[str], option: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    with Stubber.for_endpoint(ENDPOINT):  # no answers: nothing may be sent
        code = run(argv, out, err)
    assert (code, out.getvalue()) == (252, ""), err.getvalue()
    assert err.getvalue().strip().startswith(f"Error parsing parameter '{option}': ")


@pytest.mark.parametrize("value", ["\U0001d7dd", "1_0", "\u0665"])
def test_timeouts_take_ascii_seconds_only(value: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    argv = [INGRESS, "--group-id", "sg-1", "--protocol", "tcp", "--port", "22", *CIDR]
    with Stubber.for_endpoint(ENDPOINT):
        code = run([*argv, "--cli-read-timeout", value], out, err)
    assert code == 252
    assert f"expected whole seconds, got {value!r}" in err.getvalue()
