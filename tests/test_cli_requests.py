"""For the same arguments, ``ec2revoke`` sends what ``aws ec2`` sends, and prints what it prints.

The oracle is the AWS CLI itself (awscli, a test-only dependency): its driver runs every
case in one subprocess (so its bundled botocore stays out of this process) against a
local HTTP server that records each request's form body and answers as EC2 does. Our
command line runs in-process against the same server. Bodies are compared as parsed
parameter sets (botocore orders them as the input dict, we in model order). For answers
with nested results, stdout is compared byte for byte in the json, text and table formats.
"""

from __future__ import annotations

import io
import json
import random
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest

from ec2revoke import codec, shapes
from ec2revoke.cli._main import run

INGRESS = "revoke-security-group-ingress"
EGRESS = "revoke-security-group-egress"

_DRIVER = """
import contextlib, io, json, sys
from awscli.clidriver import create_clidriver

results, loader = [], None
for argv in json.load(sys.stdin):
    driver = create_clidriver()
    # One model loader for every case: the models are read once, nothing else is shared.
    if loader is None:
        loader = driver.session.get_component("data_loader")
    else:
        driver.session.register_component("data_loader", loader)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = driver.main(argv)
    results.append({"rc": rc, "out": out.getvalue(), "err": err.getvalue()})
json.dump(results, sys.stdout)
"""


def _rich_result(operation: str) -> Any:
    unknown = shapes.IpPermission(
        ip_protocol="tcp",
        from_port=22,
        to_port=22,
        ip_ranges=[shapes.IpRange(cidr_ip="198.51.100.0/24", description="old office")],
        ipv6_ranges=[shapes.Ipv6Range(cidr_ipv6="2001:db8::/32")],
    )
    revoked = shapes.RevokedSecurityGroupRule(
        security_group_rule_id="sgr-0123456789abcdef0",
        group_id="sg-0123456789abcdef0",
        is_egress=operation.endswith("Egress"),
        ip_protocol="udp",
        from_port=53,
        to_port=53,
        cidr_ipv4="10.0.0.0/8",
    )
    cls = getattr(shapes, f"{operation}Result")
    return cls(
        return_=True, unknown_ip_permissions=[unknown], revoked_security_group_rules=[revoked]
    )


class _Recorder(BaseHTTPRequestHandler):
    """Records (case, form parameters); answers success, or a rich result under /rich."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        params = dict(parse_qsl(body, keep_blank_values=True))
        parts = self.path.strip("/").split("/")
        self.server.seen.append((parts[0], params))  # type: ignore[attr-defined]
        operation = params.get("Action", "")
        cls = getattr(shapes, f"{operation}Result", None)
        if cls is None:
            self.send_response(400)
            self.end_headers()
            return
        result = _rich_result(operation) if "rich" in parts else cls(return_=True)
        answer = codec.to_xml(result, operation=operation)
        self.send_response(200)
        self.send_header("Content-Type", "text/xml;charset=UTF-8")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    httpd.seen = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli-files")
    (folder / "perms.json").write_text(
        json.dumps(
            [
                {
                    "IpProtocol": "tcp",
                    "FromPort": 8443,
                    "ToPort": 8443,
                    "IpRanges": [{"CidrIp": "172.16.0.0/12", "Description": "from a file"}],
                }
            ]
        )
    )
    (folder / "input.json").write_text(
        json.dumps(
            {
                "GroupId": "sg-0input",
                "DryRun": False,
                "IpPermissions": [
                    {
                        "IpProtocol": "udp",
                        "FromPort": 123,
                        "ToPort": 123,
                        "Ipv6Ranges": [{"CidrIpv6": "2001:db8::/48"}],
                    }
                ],
            }
        )
    )
    (folder / "group.txt").write_text("sg-0fromfile")
    (folder / "empty").write_text("")
    return folder


FILES = "@FILES@"


def _documented_and_family_cases(files: Path) -> list[list[str]]:
    return [
        # The examples on the AWS CLI pages.
        [INGRESS, "--group-name", "mySecurityGroup", "--protocol", "tcp", "--port", "22", "--cidr", "203.0.113.0/24"],
        [INGRESS, "--group-id", "sg-026c12253ce15eff7", "--ip-permissions", "IpProtocol=icmp,FromPort=3,ToPort=4,IpRanges=[{CidrIp=0.0.0.0/0}]"],
        [EGRESS, "--group-id", "sg-1a2b3c4d", "--ip-permissions", '[{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}]'],
        [EGRESS, "--group-id", "sg-1a2b3c4d", "--ip-permissions", '[{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": "sg-4b51a32f"}]}]'],
        # --protocol/--port/--cidr/--source-group/--group-owner.
        [INGRESS, "--group-id", "sg-1", "--protocol", "udp", "--port", "8000-8080", "--cidr", "10.0.0.0/8"],
        [INGRESS, "--group-id", "sg-1", "--protocol", "icmp", "--port", "-1", "--cidr", "0.0.0.0/0"],
        [INGRESS, "--group-id", "sg-1", "--protocol", "icmp", "--port", "3-4", "--cidr", "0.0.0.0/0"],
        [INGRESS, "--group-id", "sg-1", "--protocol", "all", "--cidr", "0.0.0.0/0"],
        [INGRESS, "--group-id", "sg-1", "--protocol", "50", "--cidr", "192.0.2.0/24"],
        [INGRESS, "--group-id", "sg-1", "--protocol", "tcp", "--cidr", "192.0.2.0/24"],
        [INGRESS, "--group-id", "sg-1", "--protocol", "tcp", "--port", "443", "--source-group", "sg-0abc", "--group-owner", "123456789012"],
        [INGRESS, "--group-name", "web", "--protocol", "tcp", "--port", "80", "--source-group", "other-group"],
        [EGRESS, "--group-id", "sg-1", "--protocol", "tcp", "--port", "0-65535", "--cidr", "192.0.2.0/24"],
        [EGRESS, "--group-id", "sg-1", "--protocol", "-1", "--port", "all", "--cidr", "0.0.0.0/0"],
        # Rule IDs, dry-run flags.
        [INGRESS, "--group-id", "sg-1", "--security-group-rule-ids", "sgr-1", "sgr-2"],
        [EGRESS, "--group-id", "sg-1", "--security-group-rule-ids", "sgr-3", "--dry-run"],
        [INGRESS, "--group-id", "sg-1", "--protocol", "tcp", "--port", "22", "--cidr", "1.2.3.4/32", "--no-dry-run"],
        [EGRESS, "--group-id", "sg-1", "--security-group-rule-ids", '["sgr-4", "sgr-5"]'],
        # Shorthand: several rules, quoting, one-item lists, prefix lists, group pairs.
        [INGRESS, "--group-id", "sg-1", "--ip-permissions",
         'IpProtocol=tcp,FromPort=22,ToPort=22,IpRanges=[{CidrIp=10.0.0.0/8,Description="office VPN"},{CidrIp=192.0.2.0/24}]',
         "IpProtocol=udp,FromPort=53,ToPort=53,Ipv6Ranges=[{CidrIpv6=2001:db8::/32}]"],
        [INGRESS, "--group-id", "sg-1", "--ip-permissions", "IpProtocol=-1,PrefixListIds=[{PrefixListId=pl-12345678}]"],
        [INGRESS, "--group-id", "sg-1", "--ip-permissions",
         "IpProtocol=tcp,FromPort=5432,ToPort=5432,UserIdGroupPairs=[{GroupId=sg-0abc,UserId=123456789012,Description=db}]"],
        [INGRESS, "--group-id", "sg-1", "--ip-permissions",
         "IpProtocol=tcp,FromPort=22,ToPort=22,IpRanges=[{CidrIp=10.0.0.0/8,Description='a, b'}]"],
        [EGRESS, "--group-id", "sg-1", "--ip-permissions", "IpProtocol=tcp,FromPort=22,ToPort=22,IpRanges={CidrIp=10.0.0.0/8}"],
        [EGRESS, "--group-id", "sg-1", "--ip-permissions", "IpProtocol = tcp, FromPort = 1, ToPort = 2, IpRanges = [ {CidrIp = 10.9.0.0/16} ]"],
        # JSON: several objects, from a file.
        [INGRESS, "--group-id", "sg-1", "--ip-permissions",
         '{"IpProtocol":"tcp","FromPort":1,"ToPort":2,"IpRanges":[{"CidrIp":"10.1.0.0/16"}]}',
         '{"IpProtocol":"udp","FromPort":3,"ToPort":4,"IpRanges":[{"CidrIp":"10.2.0.0/16"}]}'],
        [INGRESS, "--group-id", "sg-1", "--ip-permissions", f"file://{files / 'perms.json'}"],
        # --cli-input-json: from a file, inline, and overridden by the command line.
        [EGRESS, "--cli-input-json", f"file://{files / 'input.json'}"],
        [INGRESS, "--cli-input-json", '{"GroupName": "web", "IpPermissions": [{"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}'],
        [EGRESS, "--cli-input-json", f"file://{files / 'input.json'}", "--group-id", "sg-0override", "--dry-run"],
        [INGRESS, "--cli-input-json", '{"GroupId": "sg-1", "IpPermissions": []}', "--protocol", "tcp", "--port", "25", "--cidr", "10.3.0.0/16"],
        # file:// for a plain value; an empty value is no value.
        [INGRESS, "--group-id", f"file://{files / 'group.txt'}", "--protocol", "tcp", "--port", "22", "--cidr", "10.0.0.0/8"],
        [INGRESS, "--group-id", "sg-1", "--protocol", "tcp", "--port", "22", "--cidr", "10.0.0.0/8", "--group-owner", f"file://{files / 'empty'}"],
        # The flat request members the AWS CLI keeps undocumented.
        [INGRESS, "--group-id", "sg-1", "--ip-protocol", "tcp", "--from-port", "22", "--to-port", "22", "--cidr-ip", "10.0.0.0/8"],
        [INGRESS, "--group-name", "web", "--ip-protocol", "tcp", "--from-port", "80", "--to-port", "80",
         "--source-security-group-name", "lb", "--source-security-group-owner-id", "123456789012"],
    ]  # fmt: skip


FIXED_CASES = _documented_and_family_cases(Path(FILES))
RANDOM_CASES = 40


def _random_cases(seed: int, count: int) -> list[list[str]]:
    """Valid rules drawn at random, given as flat options, shorthand or JSON."""
    rnd = random.Random(seed)
    cases = []
    for _ in range(count):
        command = rnd.choice([INGRESS, EGRESS])
        protocol = rnd.choice(["tcp", "udp", "icmp", "-1", "6", "17", "47"])
        perm: dict[str, Any] = {"IpProtocol": protocol}
        if protocol in ("tcp", "udp", "6", "17"):
            low = rnd.randrange(0, 65536)
            perm["FromPort"], perm["ToPort"] = low, rnd.randrange(low, 65536)
        elif protocol == "icmp":
            perm["FromPort"], perm["ToPort"] = rnd.choice([(-1, -1), (3, 4), (8, -1), (0, 0)])
        peer = rnd.choice(["v4", "v6", "group", "prefix"])
        desc = rnd.choice([None, "ops", "team a", "x-1_y.z:/()#@[]+=;{}!$*"])
        extra = {} if desc is None else {"Description": desc}
        if peer == "v4":
            perm["IpRanges"] = [{"CidrIp": f"10.{rnd.randrange(256)}.0.0/16", **extra}]
        elif peer == "v6":
            perm["Ipv6Ranges"] = [{"CidrIpv6": f"2001:db8:{rnd.randrange(65536):x}::/48", **extra}]
        elif peer == "group":
            perm["UserIdGroupPairs"] = [{"GroupId": f"sg-{rnd.randrange(16**8):08x}", **extra}]
        else:
            perm["PrefixListIds"] = [{"PrefixListId": f"pl-{rnd.randrange(16**8):08x}", **extra}]
        style = rnd.choice(["json", "shorthand", "flat"])
        argv = [command, "--group-id", f"sg-{rnd.randrange(16**8):08x}"]
        if style == "flat" and peer in ("v4", "group") and desc is None:
            argv += ["--protocol", {"-1": "all"}.get(protocol, protocol)]
            if "FromPort" in perm:
                argv += ["--port", f"{perm['FromPort']}-{perm['ToPort']}"]
            if peer == "v4":
                argv += ["--cidr", perm["IpRanges"][0]["CidrIp"]]
            else:
                argv += ["--source-group", perm["UserIdGroupPairs"][0]["GroupId"]]
        elif style == "shorthand":
            argv += ["--ip-permissions", _as_shorthand(perm)]
        else:
            argv += ["--ip-permissions", json.dumps([perm])]
        if rnd.random() < 0.3:
            argv.append(rnd.choice(["--dry-run", "--no-dry-run"]))
        cases.append(argv)
    return cases


def _as_shorthand(value: Any, top: bool = True) -> str:
    if isinstance(value, dict):
        inner = ",".join(f"{k}={_as_shorthand(v, False)}" for k, v in value.items())
        return inner if top else "{" + inner + "}"
    if isinstance(value, list):
        return "[" + ",".join(_as_shorthand(v, False) for v in value) + "]"
    text = str(value)
    return '"' + text + '"' if any(c in text for c in " ,[]{}=") else text


OUTPUT_CASES = [
    [INGRESS, "--group-id", "sg-1", "--protocol", "tcp", "--port", "22", "--cidr", "198.51.100.0/24", "--output", "json"],
    [INGRESS, "--group-id", "sg-1", "--protocol", "tcp", "--port", "22", "--cidr", "198.51.100.0/24", "--output", "text"],
    [INGRESS, "--group-id", "sg-1", "--protocol", "tcp", "--port", "22", "--cidr", "198.51.100.0/24", "--output", "table"],
    [EGRESS, "--group-id", "sg-1", "--protocol", "tcp", "--port", "22", "--cidr", "198.51.100.0/24", "--output", "table", "--color", "off"],
    [EGRESS, "--group-id", "sg-1", "--protocol", "tcp", "--port", "22", "--cidr", "198.51.100.0/24", "--query", "UnknownIpPermissions[].IpRanges[].CidrIp"],
    [EGRESS, "--group-id", "sg-1", "--protocol", "tcp", "--port", "22", "--cidr", "198.51.100.0/24", "--query", "RevokedSecurityGroupRules[0].[GroupId,FromPort]", "--output", "text"],
    [INGRESS, "--group-id", "sg-1", "--protocol", "tcp", "--port", "22", "--cidr", "198.51.100.0/24", "--query", "UnknownIpPermissions[0]", "--output", "table"],
]  # fmt: skip


def _environment(config: Path) -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": "AKIDREQUESTCOMPARISON",
        "AWS_SECRET_ACCESS_KEY": "request-comparison-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(config),
        "COLUMNS": "80",
    }


def _with_endpoint(argv: list[str], url: str) -> list[str]:
    return [*argv, "--endpoint-url", url]


@pytest.fixture(scope="module")
def compared(server: Any, files: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every case run by awscli (in a subprocess) and by us (in-process), recorded."""
    import os

    config = tmp_path_factory.mktemp("aws-config") / "config"
    config.write_text("")
    base = f"http://127.0.0.1:{server.server_address[1]}"
    fixed = [[a.replace(FILES, str(files)) for a in case] for case in FIXED_CASES]
    cases = fixed + _random_cases(seed=5, count=RANDOM_CASES)
    outputs = OUTPUT_CASES
    aws_argv = [["ec2", *_with_endpoint(c, f"{base}/aws{i}")] for i, c in enumerate(cases)]
    aws_argv += [
        ["ec2", *_with_endpoint(c, f"{base}/awsout{i}/rich")] for i, c in enumerate(outputs)
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(_environment(config))
    done = subprocess.run(
        [sys.executable, "-c", _DRIVER],
        input=json.dumps(aws_argv),
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    aws_results = json.loads(done.stdout)
    ours: list[dict[str, Any]] = []
    mp = pytest.MonkeyPatch()
    try:
        for k in [k for k in os.environ if k.startswith("AWS_")]:
            mp.delenv(k)
        for k, v in _environment(config).items():
            mp.setenv(k, v)
        runs = [_with_endpoint(c, f"{base}/our{i}") for i, c in enumerate(cases)]
        runs += [_with_endpoint(c, f"{base}/ourout{i}/rich") for i, c in enumerate(outputs)]
        for argv in runs:
            out, err = io.StringIO(), io.StringIO()
            rc = run(argv, out, err)
            ours.append({"rc": rc, "out": out.getvalue(), "err": err.getvalue()})
    finally:
        mp.undo()
    seen: dict[str, list[dict[str, str]]] = {}
    for case, params in server.seen:
        seen.setdefault(case, []).append(params)
    return {"cases": cases, "outputs": outputs, "aws": aws_results, "ours": ours, "seen": seen}


def test_the_oracle_is_the_aws_cli_with_its_own_botocore(compared: dict[str, Any]) -> None:
    assert compared["aws"], "awscli ran no case"
    # Every well-formed case reached the server through awscli exactly once.
    for i, result in enumerate(compared["aws"][: len(compared["cases"])]):
        assert result["rc"] == 0, (compared["cases"][i], result["err"])
        assert len(compared["seen"][f"aws{i}"]) == 1


@pytest.mark.parametrize("index", range(len(FIXED_CASES) + RANDOM_CASES))
def test_same_request_as_aws_ec2(compared: dict[str, Any], index: int) -> None:
    case = compared["cases"][index]
    ours = compared["ours"][index]
    assert ours["rc"] == 0, (case, ours["err"])
    (theirs_sent,) = compared["seen"][f"aws{index}"]
    (ours_sent,) = compared["seen"][f"our{index}"]
    assert ours_sent == theirs_sent, case


def test_every_case_was_compared(compared: dict[str, Any]) -> None:
    assert len(compared["cases"]) == len(FIXED_CASES) + RANDOM_CASES


@pytest.mark.parametrize("index", range(len(OUTPUT_CASES)))
def test_same_output_as_aws_ec2(compared: dict[str, Any], index: int) -> None:
    offset = len(compared["cases"])
    theirs, ours = compared["aws"][offset + index], compared["ours"][offset + index]
    assert theirs["rc"] == 0, theirs["err"]
    assert ours["out"] == theirs["out"], OUTPUT_CASES[index]
    # The answer lists UnknownIpPermissions: the AWS CLI exits 0; we say so and exit 3.
    assert ours["rc"] == 3
    assert "UnknownIpPermissions" in ours["err"]
    assert compared["seen"][f"ourout{index}"] == compared["seen"][f"awsout{index}"]
