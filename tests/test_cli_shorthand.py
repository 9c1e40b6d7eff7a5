"""The shorthand parser against the AWS CLI's own (``awscli.shorthand``, a test-only dependency).

Both parsers read the same text: generated text over the syntax's characters, generated
IpPermission-shaped shorthand, and every example in the AWS CLI's pages for
revoke-security-group-ingress/egress. They must agree on the value, or both refuse
the text at the same character. The typing step (integers, one-item lists) is checked
against awscli's BackCompatVisitor on botocore's own model of IpPermissions.
"""

from __future__ import annotations

import os
import re
import sys
from types import ModuleType
from typing import Any

import botocore.session
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ec2revoke._generated.wire import SERVICE
from ec2revoke.cli import _shorthand
from ec2revoke.cli._main import run
from ec2revoke.cli._params import type_shorthand


def _import_awscli_shorthand() -> ModuleType:
    """awscli.shorthand, without awscli's import hook outliving the import.

    awscli 1.46 installs a finder that answers ``import botocore`` with its bundled copy
    and adds its data folder to AWS_DATA_PATH. The oracle botocore is imported first,
    and both changes are undone, so the rest of the suite keeps botocore 1.44.5.
    """
    meta_path, data_path = list(sys.meta_path), os.environ.get("AWS_DATA_PATH")
    try:
        from awscli import shorthand
    finally:
        sys.meta_path[:] = meta_path
        if data_path is None:
            os.environ.pop("AWS_DATA_PATH", None)
        else:
            os.environ["AWS_DATA_PATH"] = data_path
    return shorthand


AWS = _import_awscli_shorthand()
IP_PERMISSIONS_MODEL = (
    botocore.session.get_session()
    .get_service_model("ec2")
    .operation_model("RevokeSecurityGroupIngress")
    .input_shape.members["IpPermissions"]
)
IP_PERMISSIONS = SERVICE.shapes["IpPermissionList"]
PROPERTY = settings(max_examples=400, deadline=None)

# Every shorthand example in the AWS CLI pages for the two commands (the reference
# documents in shared/reference): the ingress page's example and syntax line, and the
# egress page's syntax line.
DOC_EXAMPLES = [
    "IpProtocol=icmp,FromPort=3,ToPort=4,IpRanges=[{CidrIp=0.0.0.0/0}]",
    "FromPort=integer,IpProtocol=string,IpRanges=[{CidrIp=string,Description=string},"
    "{CidrIp=string,Description=string}],Ipv6Ranges=[{CidrIpv6=string,Description=string},"
    "{CidrIpv6=string,Description=string}],PrefixListIds=[{Description=string,"
    "PrefixListId=string},{Description=string,PrefixListId=string}],ToPort=integer,"
    "UserIdGroupPairs=[{Description=string,GroupId=string,GroupName=string,"
    "PeeringStatus=string,UserId=string,VpcId=string,VpcPeeringConnectionId=string},"
    "{Description=string,GroupId=string,GroupName=string,PeeringStatus=string,UserId=string,"
    "VpcId=string,VpcPeeringConnectionId=string}]",
    "FromPort=integer,IpProtocol=string,IpRanges=[{CidrIp=string},{CidrIp=string}],"
    "Ipv6Ranges=[{CidrIpv6=string},{CidrIpv6=string}],PrefixListIds=[{PrefixListId=string},"
    "{PrefixListId=string}],ToPort=integer,UserIdGroupPairs=[{GroupId=string,GroupName=string,"
    "PeeringStatus=string,UserId=string,VpcId=string,VpcPeeringConnectionId=string},"
    "{GroupId=string,GroupName=string,PeeringStatus=string,UserId=string,VpcId=string,"
    "VpcPeeringConnectionId=string}]",
]


def theirs(text: str) -> tuple[str, Any]:
    try:
        return "ok", AWS.ShorthandParser().parse(text)
    except AWS.ShorthandParseError as e:
        return "error", e.index
    except Exception as e:  # awscli has no answer for this text
        return "crash", type(e).__name__


def ours(text: str) -> tuple[str, Any]:
    try:
        return "ok", _shorthand.parse(text)
    except _shorthand.ShorthandError as e:
        return "error", e.index


def assert_same_parse(text: str) -> tuple[str, Any]:
    expected, got = theirs(text), ours(text)
    if expected[0] == "crash":
        assert got[0] == "error", (text, got)
    else:
        assert got == expected, text
    return got


def typed_theirs(parsed: dict[str, Any]) -> tuple[str, Any]:
    value = [parsed]
    try:
        AWS.BackCompatVisitor().visit(value, IP_PERMISSIONS_MODEL)
    except Exception as e:
        return "error", type(e).__name__
    return "ok", value


def typed_ours(parsed: dict[str, Any]) -> tuple[str, Any]:
    try:
        return "ok", type_shorthand([parsed], IP_PERMISSIONS)
    except (TypeError, ValueError, AttributeError) as e:
        return "error", type(e).__name__


ASCII_INTEGER = re.compile(r"-?[0-9]+")


def assert_same_typing(text: str) -> None:
    kind, parsed = ours(text)
    if kind != "ok":
        return
    # The integer members' text, before typing (which changes ``parsed`` in place).
    loose = [
        v
        for k, v in parsed.items()
        if k in ("FromPort", "ToPort") and isinstance(v, str) and not ASCII_INTEGER.fullmatch(v)
    ]
    expected = typed_theirs(theirs(text)[1])
    got = typed_ours(parsed)
    if loose and expected[0] == "ok":
        # The AWS CLI reads these with int(), which also takes '1_0', ' 7' and other
        # scripts' digits; here only ASCII digits are numbers, so the text is refused.
        assert got == ("error", "ValueError"), (text, got, expected)
        return
    assert got[0] == expected[0], (text, got, expected)
    if got[0] == "ok":
        assert got == expected, text


# -- the documented examples -----------------------------------------------------------------


@pytest.mark.parametrize("text", DOC_EXAMPLES)
def test_documented_examples_parse_as_the_aws_cli_parses_them(text: str) -> None:
    kind, _ = assert_same_parse(text)
    assert kind == "ok"
    assert_same_typing(text)


def test_the_icmp_example_gives_the_documented_permission() -> None:
    text = "IpProtocol=icmp,FromPort=3,ToPort=4,IpRanges=[{CidrIp=0.0.0.0/0}]"
    assert typed_ours(_shorthand.parse(text)) == (
        "ok",
        [{"IpProtocol": "icmp", "FromPort": 3, "ToPort": 4, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )


# -- generated text ---------------------------------------------------------------------------

SYNTAX = list("=,[]{}'\"\\ @:/.-_#\t\n") + list("abcXYZ019") + ["é", "\u00a0", "\x1c", "😀"]
syntax_text = st.text(alphabet=st.sampled_from(SYNTAX), max_size=40)


@PROPERTY
@given(syntax_text)
@example("a=b,c=d")
@example("a=b,c,d=e")
@example('a=\'x, y\',b="q\\"r"')
@example("a=[ ]")
@example("a=[1] ")
@example("a=b,a=c")
@example("a =b")
@example("=x")
@example("a=b,")
@example("a=[,]")
@example("a={b=[c,{d=e}]}")
@example("a=x\\,y")
def test_any_text_parses_as_the_aws_cli_parses_it(text: str) -> None:
    assert_same_parse(text)


# IpPermission-shaped shorthand, rendered with the syntax's variations.
_KEYS = ["IpProtocol", "FromPort", "ToPort", "IpRanges", "Ipv6Ranges", "PrefixListIds",
         "UserIdGroupPairs", "CidrIp", "CidrIpv6", "Description", "GroupId", "UserId", "Other"]  # fmt: skip
_WORDS = st.sampled_from(
    [
        "tcp",
        "-1",
        "22",
        "0",
        "65535",
        "x1",
        "10.0.0.0/8",
        "::/0",
        "2001:db8::/32",
        "sg-1",
        "pl-1",
        "a b",
        "true",
        "1_0",
        " 7",
        "\u0664",  # ARABIC-INDIC DIGIT FOUR, which int() reads as 4
        "",
        "office, VPN",
        "it's",
        'say "hi"',
    ]
)
_SPACE = st.sampled_from(["", " ", "  "])


@st.composite
def _scalar(draw: st.DrawFn) -> str:
    word = draw(_WORDS)
    style = draw(st.sampled_from(["bare", "single", "double"]))
    if style == "single":
        return "'" + word.replace("'", "\\'") + "'"
    if style == "double":
        return '"' + word.replace('"', '\\"') + '"'
    return word.replace(",", "\\,")


def _item(depth: int) -> st.SearchStrategy[str]:
    if depth == 0:
        return _scalar()
    return st.one_of(_scalar(), _hash(depth - 1), _list(depth - 1))


@st.composite
def _list(draw: st.DrawFn, depth: int) -> str:
    items = draw(st.lists(_item(depth), max_size=3))
    sep = draw(_SPACE)
    return "[" + ("," + sep).join(items) + "]"


@st.composite
def _hash(draw: st.DrawFn, depth: int) -> str:
    pairs = draw(st.lists(st.tuples(st.sampled_from(_KEYS), _item(depth)), max_size=3))
    sep = draw(_SPACE)
    return "{" + ("," + sep).join(f"{k}={v}" for k, v in pairs) + "}"


@st.composite
def permission_shorthand(draw: st.DrawFn) -> str:
    pairs = draw(st.lists(st.tuples(st.sampled_from(_KEYS), _item(2)), min_size=1, max_size=5))
    parts = []
    for key, value in pairs:
        if draw(st.booleans()) and not value.startswith(("[", "{")):
            value += "," + draw(_scalar())  # a csv list
        parts.append(f"{key}{draw(_SPACE)}={value}")
    return ("," + draw(_SPACE)).join(parts)


@PROPERTY
@given(permission_shorthand())
@example("IpProtocol=tcp,FromPort=22,ToPort=22,IpRanges={CidrIp=10.0.0.0/8}")
@example("IpProtocol=tcp,FromPort=x")
@example("FromPort=[1]")
@example("IpRanges=a,b")
@example("FromPort=1_0")
@example("FromPort=' 7'")
def test_permission_shorthand_parses_and_types_as_the_aws_cli_does(text: str) -> None:
    assert_same_parse(text)
    assert_same_typing(text)


# -- errors on the command line ------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "IpProtocol=tcp,Foo=[",
        "IpProtocol=tcp,FromPort=22,FromPort=23",
        "IpProtocol=tcp,FromPort=x",
        "IpProtocol='tcp",
        "=",
    ],
)
def test_malformed_shorthand_is_one_line_naming_the_option(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(
        ["revoke-security-group-ingress", "--group-id", "sg-1", "--ip-permissions", value],
        sys.stdout,
        sys.stderr,
    )
    captured = capsys.readouterr()
    assert code == 252
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("Error parsing parameter '--ip-permissions': "), lines[0]


def test_file_values_are_read_only_after_at_equals(tmp_path: Any) -> None:
    note = tmp_path / "note.txt"
    note.write_text("from a file")

    def load(reference: str) -> Any:
        return note.read_text() if reference == f"file://{note}" else None

    assert _shorthand.parse(f"Description@=file://{note}", load) == {"Description": "from a file"}
    assert _shorthand.parse(f"Description=file://{note}", load) == {"Description": f"file://{note}"}
    assert AWS.ShorthandParser().parse(f"Description@=file://{note}") == {
        "Description": "from a file"
    }
