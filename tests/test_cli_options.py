"""Exit codes, error lines and the options that need a server of their own.

EC2's answers that moto never gives (UnknownIpPermissions, Return=false) are canned
with the testing kit's ``Stubber.for_endpoint``, since the command builds its own
client; what EC2 never sends (an unreadable body) and what the kit does not look at
(the request's signature headers) are served at the HTTP edge with ``responses``. TLS
options run against a local HTTPS server with a certificate made here; timeouts
against a server that waits.
"""

from __future__ import annotations

import datetime
import io
import ipaddress
import json
import os
import ssl
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import botocore.session
import pytest
import responses
from botocore.utils import ArgumentGenerator

from ec2revoke import codec, shapes
from ec2revoke.cli._main import run
from ec2revoke.testing import ANY, Stubber
from ec2revoke.testing._embedded import free_port

INGRESS = "revoke-security-group-ingress"
EGRESS = "revoke-security-group-egress"
ENDPOINT = "https://ec2.us-east-1.amazonaws.com/"
SSH = ["--group-id", "sg-1", "--protocol", "tcp", "--port", "22", "--cidr", "198.51.100.0/24"]


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


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    empty = tmp_path / "aws-config"
    empty.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never ask an instance for keys
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDOPTIONSEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "options-secret-not-real")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return monkeypatch


def cli(*argv: str) -> Result:
    out, err = io.StringIO(), io.StringIO()
    return Result(run(list(argv), out, err), out.getvalue(), err.getvalue())


def answer(result: Any, operation: str = "RevokeSecurityGroupIngress") -> bytes:
    return codec.to_xml(result, operation=operation)


def ec2() -> Stubber:
    """Canned answers for the client the command builds (region us-east-1, see ``env``);
    leaving its ``with`` block fails if an answer is unused or a call was refused."""
    return Stubber.for_endpoint(ENDPOINT)


# What SSH asks for, as the request the command sends.
SSH_REVOKE = shapes.RevokeSecurityGroupIngressRequest(
    group_id="sg-1",
    ip_permissions=[
        shapes.IpPermission(
            ip_protocol="tcp",
            from_port=22,
            to_port=22,
            ip_ranges=[shapes.IpRange(cidr_ip="198.51.100.0/24")],
        )
    ],
)


# -- bad input: one line naming the option, exit 252 --------------------------------------------


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        ([INGRESS, "--group-id", "sg-1", "--protocol", "tls", "--port", "22"],
         "Error parsing parameter '--protocol': protocol parameter should be one of: "
         "tcp|udp|icmp|all or any valid protocol number (0-255, -1 for all), got 'tls'"),
        ([INGRESS, "--group-id", "sg-1", "--protocol", "icmpv6", "--cidr", "10.0.0.0/8"],
         "Error parsing parameter '--protocol': protocol parameter should be one of: "
         "tcp|udp|icmp|all or any valid protocol number (0-255, -1 for all), got 'icmpv6' "
         "(for ICMPv6 use --protocol 58)"),
        ([INGRESS, "--group-id", "sg-1", "--protocol", "tcp", "--port", "22-x"],
         "Error parsing parameter '--port': port parameter should be of the form <from[-to]> "
         "(e.g. 22 or 22-25), got '22-x'"),
        ([INGRESS, "--group-id", "sg-1", "--protocol", "tcp", "--port", "8080-8000"],
         "Error parsing parameter '--port': from_port 8080 is above to_port 8000; swap them"),
        ([EGRESS, "--group-id", "sg-1", "--protocol", "udp", "--port", "70000"],
         "Error parsing parameter '--port': from_port 70000 is outside 0-65535"),
        ([INGRESS, "--group-id", "sg-1", "--protocol", "tcp", "--port", "22", "--cidr", "10.0.0.1"],
         "Error parsing parameter '--cidr': CIDR mask is missing: did you mean 10.0.0.1/32?"),
        ([INGRESS, "--group-id", "sg-1", "--port", "22", "--cidr", "10.0.0.0/8"],
         "Error parsing parameter '--port': --port describes a rule only together with "
         "--protocol (tcp, udp, icmp, all)"),
        ([INGRESS, "--group-id", "sg-1", "--protocol", "tcp", "--ip-permissions", "IpProtocol=tcp"],
         "Error parsing parameter '--protocol': The --protocol option is not compatible with "
         "the --ip-permissions option"),
        ([INGRESS, "--group-id", "sg-1", "--ip-permissions", "IpProtocol=tcp,FromPort=2,ToPort=2,Foo=1"],
         "Error parsing parameter '--ip-permissions': IpPermissions[0]: unknown parameter 'Foo' "
         "for IpPermission; valid: IpProtocol, FromPort, ToPort, UserIdGroupPairs, IpRanges, "
         "Ipv6Ranges, PrefixListIds"),
        ([INGRESS, "--group-id", "sg-1", "--ip-permissions", '[{"IpProtocol": "tcp", "FromPort": "22"}]'],
         "Error parsing parameter '--ip-permissions': IpPermissions[0].FromPort: expected int, got str '22'"),
        ([INGRESS, "--group-id", "sg-1", "--ip-permissions", "[{"],
         "Error parsing parameter '--ip-permissions': Invalid JSON: Expecting property name "
         "enclosed in double quotes: line 1 column 3 (char 2)"),
        ([INGRESS, "--cli-input-json", '{"GroupId": "sg-1", "Bogus": 1}'],
         "Error parsing parameter '--cli-input-json': unknown parameter 'Bogus' for "
         "RevokeSecurityGroupIngressRequest; valid: CidrIp, FromPort, GroupId, GroupName, "
         "IpPermissions, IpProtocol, SourceSecurityGroupName, SourceSecurityGroupOwnerId, "
         "ToPort, SecurityGroupRuleIds, DryRun"),
        ([INGRESS, "--cli-input-json", "[1]"],
         "Error parsing parameter '--cli-input-json': expected an object of parameters, got list"),
        ([EGRESS, "--group-id", "sg-1", "--cidr-ip", "10.0.0.0/8", "--from-port", "22"],
         "Error parsing parameter '--cidr-ip': CidrIp, FromPort: not supported for egress "
         "rules; describe the rule in ip_permissions instead"),
        ([INGRESS, "--group-id", "sg-1", "--group-name", "web", *SSH[2:]],
         "Error parsing parameter '--group-id': GroupId, GroupName: give the group's ID or its "
         "name, not both: group_id='sg-...' (group_name works only for groups in the default VPC)"),
        ([INGRESS, "--group-id", "sg-1", "--ip-permissions", "IpProtocol=all,IpRanges=[{CidrIp=10.0.0.0/8}]"],
         "Error parsing parameter '--ip-permissions': IpPermissions[0].IpProtocol: 'all' is the "
         "AWS CLI's --protocol spelling; EC2 takes -1 for all protocols: ip_protocol='-1' "
         "(IpProtocol=-1), or Rule.all_traffic()"),
        ([INGRESS, "--group-id", "sg-1", "--from-port", "twenty-two"],
         "Error parsing parameter '--from-port': expected an integer, got 'twenty-two'"),
        ([INGRESS, "--group-id", "sg-1", "--query", "Return[", *SSH[2:]],
         "Error parsing parameter '--query': Bad value for --query Return[: Invalid jmespath "
         'expression: Incomplete expression: "Return[" ^'),
        ([INGRESS, *SSH, "--bogus"],
         "ec2revoke: error: unrecognized arguments: --bogus (see: ec2revoke --help)"),
        ([INGRESS, "--protocol", "tcp", "--port", "22", "--cidr", "10.0.0.0/8"],
         f"ec2revoke {INGRESS}: error: give --group-id (or, for a group in the default VPC, --group-name)"),
        (["revoke-matching", "--group-id", "sg-1", "--protocol", "tcp", "--cidr", "0.0.0.0/0"],
         "Error parsing parameter '--port': give the port or range to match for tcp (e.g. 22 or 0-65535)"),
        (["revoke-matching", "--group-id", "sg-1", "--protocol", "tcp", "--port", "22"],
         "Error parsing parameter '--cidr': give at least one peer to match: --cidr, "
         "--source-group or --prefix-list-id"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_naming_the_option(argv: list[str], line: str) -> None:
    with ec2():  # no answers: nothing may be sent
        result = cli(*argv)
    assert (result.code, result.out) == (252, "")
    assert result.err.startswith("\n")
    assert result.error_line == line


NULL_CIDR = '[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": null}]}]'
NULL_GROUP_ID = (
    '{"GroupId": null, "GroupName": "web", "IpPermissions": [{"IpProtocol": "tcp", '
    '"FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}]}'
)


@pytest.mark.parametrize(
    ("argv", "parameter", "valid"),
    [
        ([INGRESS, "--group-id", "sg-1", "--ip-permissions", NULL_CIDR],
         "IpPermissions[0].IpRanges[0].CidrIp", "<class 'str'>"),
        ([INGRESS, "--cli-input-json", NULL_GROUP_ID], "GroupId", "<class 'str'>"),
        ([EGRESS, "--cli-input-json", '{"GroupId": "sg-1", "IpPermissions": null}'],
         "IpPermissions", "<class 'list'>, <class 'tuple'>"),
        ([INGRESS, "--group-id", "sg-1", "--ip-permissions", '{"IpProtocol": "tcp", "FromPort": null, "ToPort": 22}'],
         "IpPermissions[0].FromPort", "<class 'int'>"),
        ([INGRESS, "--cli-input-yaml", "GroupId: sg-1\nDryRun:\n"], "DryRun", "<class 'bool'>"),
    ],
)  # fmt: skip
def test_null_is_refused_as_the_aws_cli_refuses_it(
    argv: list[str], parameter: str, valid: str
) -> None:
    # Taken as "left out", a null CidrIp would revoke TCP 22 with no source, and a null
    # GroupId would revoke by name; the AWS CLI refuses both (Parameter validation failed).
    with ec2():  # no answers: nothing may be sent
        result = cli(*argv)
    assert (result.code, result.out) == (252, "")
    assert result.error_line.startswith(
        f"Parameter validation failed: Invalid type for parameter {parameter}, value: None, "
        f"type: <class 'NoneType'>, valid types: {valid}"
    )


def test_an_unreadable_file_reference_is_252_naming_the_option(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    for option in ("--ip-permissions", "--group-id", "--cidr", "--cli-input-json"):
        argv = [INGRESS, "--group-id", "sg-1", option, f"file://{missing}"]
        if option == "--cidr":
            argv += ["--protocol", "tcp"]
        result = cli(*argv)
        assert result.code == 252, option
        assert result.error_line == (
            f"Error parsing parameter '{option}': Unable to load paramfile file://{missing}: "
            f"[Errno 2] No such file or directory: '{missing}'"
        )


# -- EC2's answers that moto never gives ---------------------------------------------------------


def test_unknown_ip_permissions_are_printed_and_exit_3() -> None:
    unknown = shapes.IpPermission(
        ip_protocol="tcp", from_port=22, to_port=22,
        ip_ranges=[shapes.IpRange(cidr_ip="198.51.100.0/24")],
    )  # fmt: skip
    with ec2() as stub:
        stub.add_response(
            "RevokeSecurityGroupIngress",
            shapes.RevokeSecurityGroupIngressResult(return_=True, unknown_ip_permissions=[unknown]),
            expected_params=SSH_REVOKE,
        )
        result = cli(INGRESS, *SSH)
    assert result.code == 3
    assert json.loads(result.out)["UnknownIpPermissions"][0]["IpRanges"] == [
        {"CidrIp": "198.51.100.0/24"}
    ]
    assert result.error_line.startswith(
        "EC2 did not revoke 1 of the rules asked for (UnknownIpPermissions): TCP 22 from 198.51.100.0/24."
    )


def test_return_false_exits_3() -> None:
    with ec2() as stub:
        stub.add_response(
            "RevokeSecurityGroupIngress",
            {"Return": False},
            {"GroupId": "sg-1", "IpPermissions": ANY},
        )
        result = cli(INGRESS, *SSH)
    assert (result.code, json.loads(result.out)) == (3, {"Return": False})
    assert "Return=False" in result.error_line


def test_an_unreadable_answer_is_255() -> None:
    # Not the Stubber: it serves only what EC2 could answer.
    with responses.RequestsMock() as edge:
        edge.add(
            responses.POST, ENDPOINT, body="<html>proxy error</html>", content_type="text/html"
        )
        result = cli(INGRESS, *SSH)
    assert (result.code, result.out) == (255, "")
    assert "RevokeSecurityGroupIngress" in result.error_line


def test_no_sign_request_sends_no_signature_and_loads_no_credentials(
    env: pytest.MonkeyPatch,
) -> None:
    env.delenv("AWS_ACCESS_KEY_ID")
    env.delenv("AWS_SECRET_ACCESS_KEY")
    ok = answer(shapes.RevokeSecurityGroupIngressResult(return_=True))
    # Not the Stubber: it compares what EC2 would read from the request (operation and
    # parameters), not the headers it was signed, or not signed, with.
    with responses.RequestsMock() as edge:
        edge.add(responses.POST, ENDPOINT, body=ok, content_type="text/xml")
        result = cli(INGRESS, *SSH, "--no-sign-request")
        sent = edge.calls[0].request
    assert result.code == 0, result.err
    assert "Authorization" not in sent.headers


# -- configuration: 253 --------------------------------------------------------------------------


def test_no_region_is_253(env: pytest.MonkeyPatch) -> None:
    env.delenv("AWS_DEFAULT_REGION")
    result = cli(INGRESS, *SSH)
    assert (result.code, result.error_line) == (
        253, 'You must specify a region. You can also configure your region by running "aws configure".'
    )  # fmt: skip


@pytest.mark.parametrize("region", ["us_east_1", '"us-east-1"'])
@pytest.mark.parametrize("endpoint", [[], ["--endpoint-url", "http://127.0.0.1:9/"]])
def test_a_malformed_region_is_253_and_nothing_is_sent(region: str, endpoint: list[str]) -> None:
    # The AWS CLI refuses it in these words; it exits 255, where this CLI's table puts
    # configuration problems at 253.
    url = endpoint[1] if endpoint else ENDPOINT
    with Stubber.for_endpoint(url.rstrip("/")):  # no answers: nothing may be sent
        result = cli(INGRESS, *SSH, "--region", region, *endpoint)
    assert result.code == 253
    assert result.error_line.startswith(
        f"Provided region_name {region!r} doesn't match a supported format."
    )


def test_no_credentials_is_253(env: pytest.MonkeyPatch) -> None:
    env.delenv("AWS_ACCESS_KEY_ID")
    env.delenv("AWS_SECRET_ACCESS_KEY")
    result = cli(INGRESS, *SSH)
    assert (result.code, result.error_line) == (
        253, 'Unable to locate credentials. You can configure credentials by running "aws configure".'
    )  # fmt: skip


@pytest.mark.parametrize("value", ["abc", "3.5"])
def test_max_attempts_that_is_no_number_is_253(env: pytest.MonkeyPatch, value: str) -> None:
    # botocore reads AWS_MAX_ATTEMPTS with int() and raises a bare ValueError; the AWS
    # CLI prints it as is (exit 255). Here it is a configuration error that says where.
    env.setenv("AWS_MAX_ATTEMPTS", value)
    with ec2():  # no answers: nothing may be sent
        result = cli(INGRESS, *SSH)
    assert result.code == 253
    assert result.error_line == (
        f"max_attempts (AWS_MAX_ATTEMPTS or the profile's max_attempts) must be a whole "
        f"number of attempts, got {value!r}"
    )


def test_an_unknown_profile_is_253() -> None:
    result = cli(INGRESS, *SSH, "--profile", "nope")
    assert (result.code, result.error_line) == (253, "The config profile (nope) could not be found")


def test_missing_pyyaml_is_a_clear_error_before_anything_is_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "yaml", None)
    with ec2():  # no answers: nothing may be sent
        result = cli(INGRESS, *SSH, "--output", "yaml")
    assert (result.code, result.error_line) == (
        255, "--output yaml needs PyYAML: pip install 'ec2revoke[yaml]'"
    )  # fmt: skip


# -- connections, TLS and timeouts: 255 -----------------------------------------------------------


def test_a_refused_connection_is_255(env: pytest.MonkeyPatch) -> None:
    env.setenv("AWS_MAX_ATTEMPTS", "1")
    url = f"http://127.0.0.1:{free_port()}"
    result = cli(INGRESS, *SSH, "--endpoint-url", url, "--cli-connect-timeout", "2")
    assert (result.code, result.out) == (255, "")
    assert (
        f"RevokeSecurityGroupIngress: could not connect to the endpoint URL {url}/: "
        "connection refused"
    ) in result.error_line


class _Answer(BaseHTTPRequestHandler):
    delay = 0.0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        time.sleep(self.delay)
        body = answer(shapes.RevokeSecurityGroupIngressResult(return_=True))
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture
def https_url(certificate: tuple[Path, Path]) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_tls_is_verified_by_default(https_url: str, env: pytest.MonkeyPatch) -> None:
    env.setenv("AWS_MAX_ATTEMPTS", "1")
    result = cli(INGRESS, *SSH, "--endpoint-url", https_url)
    assert result.code == 255
    assert "TLS certificate verification failed: " in result.error_line
    assert "--ca-bundle" in result.error_line  # what to do, in the command line's words


def test_ca_bundle_from_the_option_and_the_environment(
    https_url: str, certificate: tuple[Path, Path], env: pytest.MonkeyPatch
) -> None:
    by_option = cli(INGRESS, *SSH, "--endpoint-url", https_url, "--ca-bundle", str(certificate[0]))
    assert (by_option.code, json.loads(by_option.out)) == (0, {"Return": True}), by_option.err
    env.setenv("AWS_CA_BUNDLE", str(certificate[0]))
    by_env = cli(INGRESS, *SSH, "--endpoint-url", https_url)
    assert by_env.code == 0, by_env.err


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_no_verify_ssl(https_url: str) -> None:
    result = cli(INGRESS, *SSH, "--endpoint-url", https_url, "--no-verify-ssl")
    assert (result.code, json.loads(result.out)) == (0, {"Return": True}), result.err


@pytest.fixture
def slow_url() -> Iterator[str]:
    handler = type("_Slow", (_Answer,), {"delay": 2.0})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_read_timeout(slow_url: str, env: pytest.MonkeyPatch) -> None:
    env.setenv("AWS_MAX_ATTEMPTS", "1")
    started = time.monotonic()
    timed_out = cli(INGRESS, *SSH, "--endpoint-url", slow_url, "--cli-read-timeout", "1")
    assert time.monotonic() - started < 1.9
    assert timed_out.code == 255
    assert "timed out" in timed_out.error_line
    waited = cli(INGRESS, *SSH, "--endpoint-url", slow_url, "--cli-read-timeout", "0")
    assert waited.code == 0, waited.err  # 0: no timeout at all


# -- skeletons, help, version ---------------------------------------------------------------------


@pytest.mark.parametrize("command", [INGRESS, EGRESS])
def test_the_input_skeleton_is_botocores(command: str) -> None:
    operation = "RevokeSecurityGroupIngress" if command == INGRESS else "RevokeSecurityGroupEgress"
    model = botocore.session.get_session().get_service_model("ec2").operation_model(operation)
    expected = json.dumps(ArgumentGenerator().generate_skeleton(model.input_shape), indent=4) + "\n"
    result = cli(command, "--generate-cli-skeleton", "input")
    assert (result.code, result.out) == (0, expected)


def test_help_and_version() -> None:
    version = cli("--version")
    assert version.code == 0
    assert version.out.startswith("ec2revoke/")
    shown = cli(INGRESS, "--help")
    assert shown.code == 0
    for option in ("--group-id", "--ip-permissions", "--protocol", "--port", "--cidr",
                   "--source-group", "--group-owner", "--dry-run", "--cli-input-json",
                   "--cli-input-yaml", "--generate-cli-skeleton", "--security-group-rule-ids",
                   "--endpoint-url", "--query", "--output", "--debug", "--no-verify-ssl",
                   "--ca-bundle", "--cli-read-timeout", "--cli-connect-timeout",
                   "--no-sign-request", "--color", "--no-cli-pager", "--region", "--profile"):  # fmt: skip
        assert option in shown.out, option
    assert "--cidr-ip" not in shown.out  # undocumented, as in the AWS CLI
    assert cli().code == 252
