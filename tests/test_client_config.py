"""Client set-up: region and credentials through botocore's chain, and the client's manners.

Which credentials and region a call used is read where it shows: the request that
reaches the HTTP edge (``responses`` stands in for the network), its SigV4
``Credential=<access key>/<date>/<region>/ec2/aws4_request`` scope and its host.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import responses

from ec2revoke import (
    ConfigurationError,
    EC2Client,
    HttpRequest,
    HttpResponse,
    ParamValidationError,
    StaticCredentials,
    codec,
    shapes,
)

OK_BODY = codec.to_xml(shapes.RevokeSecurityGroupIngressResult(return_=True))
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzSECRET"
TOKEN = "FwoGZXIvYXdzEXAMPLESESSIONTOKENzzz"
PERMISSION = shapes.IpPermission(
    ip_protocol="tcp",
    from_port=22,
    to_port=22,
    ip_ranges=[shapes.IpRange(cidr_ip="203.0.113.0/24")],
)


@pytest.fixture(autouse=True)
def clean_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No AWS settings from the machine running the tests, and no instance metadata."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "BOTO")):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("BOTO_CONFIG", str(tmp_path / "boto.cfg"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return tmp_path


@pytest.fixture
def edge() -> Iterator[responses.RequestsMock]:
    """The HTTP edge: answers any EC2 endpoint with a successful revoke."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add(responses.POST, re.compile(r"https://ec2\.[a-z0-9-]+\.amazonaws\.com/"), OK_BODY)
        yield rsps


def write(path: Path, text: str) -> None:
    path.write_text(text.strip() + "\n")


def sent(edge: responses.RequestsMock) -> Any:
    assert len(edge.calls) == 1
    return edge.calls[0].request


def scope(request: Any) -> tuple[str, str]:
    """(access key id, region) from the Authorization header's credential scope."""
    auth = request.headers["Authorization"]
    match = re.search(r"Credential=([^/]+)/\d{8}/([^/]+)/ec2/aws4_request,", auth)
    assert match, auth
    return match.group(1), match.group(2)


def revoke(client: EC2Client) -> None:
    result = client.revoke_security_group_ingress(group_id="sg-1", ip_permissions=[PERMISSION])
    assert result == shapes.RevokeSecurityGroupIngressResult(return_=True)


# --- environment variables ------------------------------------------------------------


def test_credentials_and_region_from_environment(
    monkeypatch: pytest.MonkeyPatch, edge: responses.RequestsMock
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    revoke(EC2Client())
    request = sent(edge)
    assert scope(request) == ("AKIAENVIRONMENT", "eu-west-2")
    assert request.url == "https://ec2.eu-west-2.amazonaws.com/"
    assert "X-Amz-Security-Token" not in request.headers


def test_session_token_from_environment_is_sent_and_signed(
    monkeypatch: pytest.MonkeyPatch, edge: responses.RequestsMock
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ASIATEMPORARY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-2")
    revoke(EC2Client())
    request = sent(edge)
    assert scope(request) == ("ASIATEMPORARY", "us-east-2")
    assert request.headers["X-Amz-Security-Token"] == TOKEN
    signed = re.search(r"SignedHeaders=([^,]+)", request.headers["Authorization"])
    assert signed
    assert "x-amz-security-token" in signed.group(1).split(";")


def test_explicit_region_beats_the_environment(
    monkeypatch: pytest.MonkeyPatch, edge: responses.RequestsMock
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    revoke(EC2Client(region="sa-east-1"))
    request = sent(edge)
    assert scope(request) == ("AKIAENVIRONMENT", "sa-east-1")
    assert request.url == "https://ec2.sa-east-1.amazonaws.com/"


def test_credentials_are_looked_up_when_first_needed(
    monkeypatch: pytest.MonkeyPatch, edge: responses.RequestsMock
) -> None:
    # Resolving may reach SSO or instance metadata, so construction does not do it.
    client = EC2Client(region="us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIALATER")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    revoke(client)
    assert scope(sent(edge)) == ("AKIALATER", "us-east-1")


# --- shared config and credentials files ----------------------------------------------


def test_default_profile_from_shared_files(
    clean_aws_env: Path, edge: responses.RequestsMock
) -> None:
    write(
        clean_aws_env / "credentials",
        f"[default]\naws_access_key_id = AKIADEFAULTFILE\naws_secret_access_key = {SECRET}",
    )
    write(clean_aws_env / "config", "[default]\nregion = ca-central-1")
    revoke(EC2Client())
    request = sent(edge)
    assert scope(request) == ("AKIADEFAULTFILE", "ca-central-1")
    assert request.url == "https://ec2.ca-central-1.amazonaws.com/"


def _two_profiles(root: Path) -> None:
    write(
        root / "credentials",
        f"""
[default]
aws_access_key_id = AKIADEFAULTFILE
aws_secret_access_key = {SECRET}

[dev]
aws_access_key_id = AKIADEVPROFILE
aws_secret_access_key = {SECRET}
aws_session_token = {TOKEN}
""",
    )
    write(
        root / "config",
        """
[default]
region = ca-central-1

[profile dev]
region = ap-southeast-2
""",
    )


def test_profile_selects_a_named_profile(clean_aws_env: Path, edge: responses.RequestsMock) -> None:
    _two_profiles(clean_aws_env)
    revoke(EC2Client(profile="dev"))
    request = sent(edge)
    assert scope(request) == ("AKIADEVPROFILE", "ap-southeast-2")
    assert request.headers["X-Amz-Security-Token"] == TOKEN


def test_aws_profile_variable_selects_a_profile(
    clean_aws_env: Path, monkeypatch: pytest.MonkeyPatch, edge: responses.RequestsMock
) -> None:
    _two_profiles(clean_aws_env)
    monkeypatch.setenv("AWS_PROFILE", "dev")
    revoke(EC2Client())
    assert scope(sent(edge)) == ("AKIADEVPROFILE", "ap-southeast-2")


def test_explicit_region_beats_the_profile(
    clean_aws_env: Path, edge: responses.RequestsMock
) -> None:
    _two_profiles(clean_aws_env)
    revoke(EC2Client(profile="dev", region="eu-north-1"))
    assert scope(sent(edge)) == ("AKIADEVPROFILE", "eu-north-1")


def test_credentials_in_the_config_file(clean_aws_env: Path, edge: responses.RequestsMock) -> None:
    write(
        clean_aws_env / "config",
        f"""
[profile ops]
region = us-west-1
aws_access_key_id = AKIACONFIGFILE
aws_secret_access_key = {SECRET}
""",
    )
    revoke(EC2Client(profile="ops"))
    assert scope(sent(edge)) == ("AKIACONFIGFILE", "us-west-1")


def test_environment_comes_before_the_credentials_file(
    clean_aws_env: Path, monkeypatch: pytest.MonkeyPatch, edge: responses.RequestsMock
) -> None:
    # botocore's chain order: environment variables, then the shared files.
    _two_profiles(clean_aws_env)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    revoke(EC2Client())
    assert scope(sent(edge)) == ("AKIAENVIRONMENT", "ca-central-1")


def test_explicit_credentials_beat_the_chain(
    monkeypatch: pytest.MonkeyPatch, edge: responses.RequestsMock
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    revoke(EC2Client(region="us-east-1", credentials=StaticCredentials("AKIAEXPLICIT", SECRET)))
    assert scope(sent(edge)) == ("AKIAEXPLICIT", "us-east-1")


# --- failures ----------------------------------------------------------------------


def test_unknown_profile_fails_at_construction(
    clean_aws_env: Path, edge: responses.RequestsMock
) -> None:
    _two_profiles(clean_aws_env)
    with pytest.raises(ConfigurationError, match="'staging'") as caught:
        EC2Client(profile="staging")
    assert "config or credentials file" in str(caught.value)
    assert not edge.calls


def test_unknown_profile_fails_even_with_a_region(
    clean_aws_env: Path, edge: responses.RequestsMock
) -> None:
    with pytest.raises(ConfigurationError, match="'staging'"):
        EC2Client(profile="staging", region="us-east-1")
    assert not edge.calls


def test_no_credentials_fails_on_the_first_call(edge: responses.RequestsMock) -> None:
    client = EC2Client(region="us-east-1")  # fine: nothing needs credentials yet
    with pytest.raises(ConfigurationError) as caught:
        client.revoke_security_group_ingress(group_id="sg-1", ip_permissions=[PERMISSION])
    message = str(caught.value)
    for hint in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "profile", "credentials="):
        assert hint in message
    assert not edge.calls


def test_no_region_anywhere_fails_at_construction(edge: responses.RequestsMock) -> None:
    with pytest.raises(ConfigurationError, match="AWS_DEFAULT_REGION"):
        EC2Client(credentials=StaticCredentials("AKIAEXPLICIT", SECRET))
    assert not edge.calls


# --- context manager, repr ---------------------------------------------------------


@pytest.fixture
def closed_sessions(monkeypatch: pytest.MonkeyPatch) -> list[requests.Session]:
    """Records every requests.Session that is closed (and still closes it)."""
    closed: list[requests.Session] = []
    original = requests.Session.close

    def close(self: requests.Session) -> None:
        closed.append(self)
        original(self)

    monkeypatch.setattr(requests.Session, "close", close)
    return closed


def test_context_manager_closes_the_session_it_made(
    closed_sessions: list[requests.Session], edge: responses.RequestsMock
) -> None:
    credentials = StaticCredentials("AKIAEXPLICIT", SECRET)
    with EC2Client(region="us-east-1", credentials=credentials) as client:
        revoke(client)
        session = client.transport.session  # type: ignore[attr-defined]
        assert closed_sessions == []
    assert closed_sessions == [session]


def test_context_manager_closes_on_error(closed_sessions: list[requests.Session]) -> None:
    credentials = StaticCredentials("AKIAEXPLICIT", SECRET)
    with pytest.raises(RuntimeError), EC2Client(region="us-east-1", credentials=credentials):
        raise RuntimeError("boom")
    assert len(closed_sessions) == 1


def test_a_session_passed_in_is_left_open(closed_sessions: list[requests.Session]) -> None:
    session = requests.Session()
    credentials = StaticCredentials("AKIAEXPLICIT", SECRET)
    with EC2Client(region="us-east-1", credentials=credentials, session=session):
        pass
    assert closed_sessions == []  # its owner closes it
    session.close()


def test_repr_shows_no_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    explicit = EC2Client(
        region="us-east-1", credentials=StaticCredentials("AKIAEXPLICIT", SECRET, TOKEN)
    )
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    chained = EC2Client(region="eu-west-1")
    for client in (explicit, chained):
        for text in (repr(client), str(client), repr(client.transport)):
            assert SECRET not in text
            assert TOKEN not in text
        assert "us-east-1" in repr(explicit)
        assert "ec2.eu-west-1.amazonaws.com" in repr(chained)


# --- calling conventions -------------------------------------------------------------


class Recorder:
    """A transport that keeps each request and answers with a successful revoke."""

    def __init__(self) -> None:
        self.requests: list[HttpRequest] = []

    def send(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        return HttpResponse(200, {}, OK_BODY)


def recording_client() -> tuple[EC2Client, Recorder]:
    recorder = Recorder()
    client = EC2Client(
        region="us-east-1",
        credentials=StaticCredentials("AKIAEXPLICIT", SECRET),
        transport=recorder,
    )
    return client, recorder


def test_keywords_and_request_object_send_the_same_body() -> None:
    client, recorder = recording_client()
    fields: dict[str, Any] = {
        "group_id": "sg-0123456789abcdef0",
        "ip_permissions": [
            PERMISSION,
            shapes.IpPermission(ip_protocol="icmp", from_port=3, to_port=4),
        ],
        "security_group_rule_ids": ["sgr-1", "sgr-2"],
    }
    client.revoke_security_group_ingress(**fields)
    client.revoke_security_group_ingress(shapes.RevokeSecurityGroupIngressRequest(**fields))
    by_keywords, by_object = recorder.requests
    assert by_keywords.body == by_object.body
    assert by_keywords.body == codec.form_body(
        codec.to_query(shapes.RevokeSecurityGroupIngressRequest(**fields))
    )
    assert by_keywords.body.startswith(b"Action=RevokeSecurityGroupIngress&Version=2016-11-15&")


def test_dry_run_keyword_matches_the_request_field() -> None:
    client, recorder = recording_client()
    client.revoke_security_group_ingress(group_id="sg-1", dry_run=False)
    client.revoke_security_group_ingress(
        shapes.RevokeSecurityGroupIngressRequest(group_id="sg-1", dry_run=False)
    )
    assert recorder.requests[0].body == recorder.requests[1].body
    assert b"DryRun=false" in recorder.requests[0].body


def test_request_object_and_keywords_together_is_a_parameter_error() -> None:
    client, recorder = recording_client()
    request = shapes.RevokeSecurityGroupIngressRequest(group_id="sg-1")
    with pytest.raises(ParamValidationError, match="not both"):
        client.revoke_security_group_ingress(request, group_id="sg-2")  # type: ignore[call-overload]
    with pytest.raises(ParamValidationError, match="dry_run"):
        client.revoke_security_group_ingress(request, dry_run=True)  # type: ignore[call-overload]
    assert recorder.requests == []


def test_wrong_request_type_is_a_parameter_error() -> None:
    client, recorder = recording_client()
    egress = shapes.RevokeSecurityGroupEgressRequest(group_id="sg-1")
    with pytest.raises(ParamValidationError, match="RevokeSecurityGroupIngressRequest"):
        client.revoke_security_group_ingress(egress)  # type: ignore[call-overload]
    assert recorder.requests == []


@pytest.mark.parametrize(
    ("typo", "suggestion"),
    [
        ("groupid", "group_id"),
        ("group_ld", "group_id"),
        ("ip_permission", "ip_permissions"),
        ("GroupName", "group_name"),
    ],
)
def test_unknown_keyword_suggests_the_close_name(typo: str, suggestion: str) -> None:
    client, recorder = recording_client()
    with pytest.raises(ParamValidationError) as caught:
        client.revoke_security_group_ingress(**{typo: "sg-1"})  # type: ignore[call-overload]
    message = str(caught.value)
    assert f"{typo!r} (did you mean {suggestion!r}?)" in message
    assert "RevokeSecurityGroupIngress" in message
    assert recorder.requests == []


def test_unknown_keyword_without_a_close_name_lists_the_valid_ones() -> None:
    client, recorder = recording_client()
    with pytest.raises(ParamValidationError) as caught:
        client.revoke_security_group_ingress(zzz=1)  # type: ignore[call-overload]
    message = str(caught.value)
    assert "'zzz'" in message
    assert "did you mean" not in message
    assert "group_id" in message
    assert "ip_permissions" in message
    assert recorder.requests == []
