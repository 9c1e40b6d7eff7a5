"""Cassettes: record a run against the embedded EC2 endpoint, replay it with no endpoint.

The recordings here are made live against moto's server (the ``ec2_embedded``
fixture of the installed pytest plugin). Replays point the client at a loopback
port nothing listens on, so a request that got past the replay could not succeed.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import requests
import requests.adapters
import responses

from ec2revoke import (
    AuthFailure,
    ConnectionFailed,
    EC2Client,
    InvalidGroupNotFound,
    RevokeReport,
    Rule,
    StaticCredentials,
    codec,
    shapes,
)
from ec2revoke.testing import (
    Cassette,
    EmbeddedEndpoint,
    Interaction,
    StubAssertionError,
    StubResponseError,
    UnstubbedRequestError,
    record,
    replay,
)
from ec2revoke.testing._embedded import free_port

# Distinctive values, so finding any of them in a cassette cannot be a coincidence.
ACCESS_KEY = "AKIDCASSETTEEXAMPLE7"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYzSECRETzKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLEzSESSIONzTOKENz0123456789"
MOTO_ACCOUNT = "123456789012"  # the account moto's server answers for
SSH_ANY4 = Rule.tcp(22).from_any_ipv4()

Outcome = tuple[
    shapes.CreateSecurityGroupResult,
    shapes.CreateSecurityGroupResult,
    RevokeReport,
    shapes.DescribeSecurityGroupsResult,
]


def remediate(client: EC2Client) -> Outcome:
    """The code under test: set up two groups, then revoke SSH from anywhere safely."""
    web = client.create_security_group(group_name="web", description="cassette demo")
    peer = client.create_security_group(group_name="peer", description="cassette peer")
    assert web.group_id is not None
    assert peer.group_id is not None
    client.authorize_security_group_ingress(
        group_id=web.group_id,
        ip_permissions=[
            SSH_ANY4.to_ip_permission(),
            Rule.HTTPS.from_group(peer.group_id, user_id=MOTO_ACCOUNT).to_ip_permission(),
        ],
    )
    report = client.revoke_ingress(web.group_id, SSH_ANY4, missing_ok=True)
    described = client.describe_security_groups(group_ids=[web.group_id])
    return web, peer, report, described


def offline_client() -> EC2Client:
    # Nothing listens here: only the replay can answer.
    return EC2Client(
        region="us-east-1",
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        credentials=StaticCredentials("AKIDREPLAY", "replay-secret"),
        max_attempts=1,
    )


class SignedHeaders(requests.adapters.HTTPAdapter):
    """Keeps the headers of every request it sends: the signed ones, secrets included."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[Mapping[str, str]] = []

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        self.sent.append(dict(request.headers))
        return super().send(request, *args, **kwargs)


@pytest.fixture
def signed() -> SignedHeaders:
    return SignedHeaders()


@pytest.fixture
def live(ec2_embedded: EmbeddedEndpoint, signed: SignedHeaders) -> Iterator[EC2Client]:
    """A client of the embedded endpoint with a session token, whose signed headers are kept."""
    session = requests.Session()
    session.mount("http://", signed)
    yield ec2_embedded.client(
        credentials=StaticCredentials(ACCESS_KEY, SECRET, token=TOKEN), session=session
    )
    session.close()


def test_a_recorded_run_replays_offline_with_identical_typed_results(
    live: EC2Client, tmp_path: Path
) -> None:
    path = tmp_path / "cassettes" / "remediate.yaml"

    with record(path) as recording:
        recorded = remediate(live)

    assert [i.operation for i in recording.interactions] == [
        "CreateSecurityGroup",
        "CreateSecurityGroup",
        "AuthorizeSecurityGroupIngress",
        "DescribeSecurityGroupRules",  # missing_ok reads the rules first
        "RevokeSecurityGroupIngress",
        "DescribeSecurityGroups",
    ]
    assert recorded[2].revoked[0].rule == SSH_ANY4

    with offline_client() as client, replay(path) as replaying:
        replayed = remediate(client)
        # Anything that is not a recorded EC2 call is refused: the network is off.
        with pytest.raises(requests.ConnectionError, match="Connection refused by Responses"):
            requests.get("https://example.com/", timeout=1)

    assert replayed == recorded
    assert replaying.pending == []
    assert [type(r).__name__ for r in replaying.sent][:2] == ["CreateSecurityGroupRequest"] * 2


def test_a_cassette_holds_no_secret_and_masks_account_ids(
    live: EC2Client, signed: SignedHeaders, tmp_path: Path
) -> None:
    path = tmp_path / "masked.yaml"

    with record(path, mask_account_ids=True):
        recorded = remediate(live)

    text = path.read_text()
    signatures = [
        found
        for headers in signed.sent
        for found in re.findall(r"Signature=([0-9a-f]{64})", headers.get("Authorization", ""))
    ]
    assert len(signatures) == 6
    assert all(h["X-Amz-Security-Token"] == TOKEN for h in signed.sent)
    for secret in [SECRET, TOKEN, ACCESS_KEY, *signatures, "Authorization", "X-Amz-Security-Token"]:
        assert secret not in text, secret
    assert text.lower().count("x-amz-security-token") == 0
    assert MOTO_ACCOUNT not in text
    assert "arn:aws:ec2:us-east-1:000000000001:security-group/" in text
    assert "<ownerId>000000000001</ownerId>" in text

    # Replaying gives the recorded run, with the stand-in account everywhere; the code
    # sends the real account ID (user_id) and still matches the masked recording.
    with offline_client() as client, replay(path):
        replayed = remediate(client)
    owner = replayed[3].security_groups[0].owner_id if replayed[3].security_groups else None
    assert owner == "000000000001"
    assert recorded[3].security_groups is not None
    assert recorded[3].security_groups[0].owner_id == MOTO_ACCOUNT
    assert replayed[2] == recorded[2]


def test_secrets_a_server_echoes_back_are_redacted(tmp_path: Path) -> None:
    # A server that quotes the signed headers in its error message: here responses,
    # outside the recording (the recording sends through whatever was in place).
    def echo(request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        quoted = f"{request.headers['Authorization']} {request.headers['X-Amz-Security-Token']}"
        return 400, {}, codec.error_xml("AuthFailure", quoted, request_id="req-echo")

    path = tmp_path / "echo.yaml"
    with (
        responses.RequestsMock() as server,
        EC2Client(
            region="us-east-1", credentials=StaticCredentials(ACCESS_KEY, SECRET, token=TOKEN)
        ) as client,
    ):
        server.add_callback(responses.POST, "https://ec2.us-east-1.amazonaws.com/", echo)
        with record(path), pytest.raises(AuthFailure) as refused:
            client.describe_security_groups()

    assert TOKEN in refused.value.message  # the server did echo them
    text = path.read_text()
    for secret in [TOKEN, ACCESS_KEY, "Signature=", SECRET]:
        assert secret not in text, secret
    (interaction,) = Cassette.load(path).interactions
    assert "<Message>[REDACTED] [REDACTED]</Message>" in interaction.body
    with offline_client() as replaying, replay(path), pytest.raises(AuthFailure) as replayed:
        replaying.describe_security_groups()
    assert replayed.value.message == "[REDACTED] [REDACTED]"


def test_the_file_is_responses_recorder_format_with_requests_added(
    live: EC2Client, tmp_path: Path
) -> None:
    path = tmp_path / "plain.yaml"
    with record(path):
        live.describe_security_groups()

    cassette = Cassette.load(path)
    (interaction,) = cassette.interactions
    assert interaction.operation == "DescribeSecurityGroups"
    assert interaction.params == {}
    assert interaction.status == 200
    assert interaction.url == live.endpoint.url + "/"
    assert "x-amzn-requestid" in {k.lower() for k in interaction.headers}

    # responses itself can load it (order only, no request matching).
    plain = responses.RequestsMock()
    plain._add_from_file(path)
    (registered,) = plain.registered()
    assert registered.method == "POST"
    assert registered.url == interaction.url


def test_requests_that_are_not_ec2_calls_pass_through_unrecorded(
    ec2_embedded: EmbeddedEndpoint, tmp_path: Path
) -> None:
    with record(tmp_path / "none.yaml") as recording:
        assert requests.get(ec2_embedded.url + "/moto-api/data.json", timeout=10).ok

    assert recording.interactions == []
    assert Cassette.load(tmp_path / "none.yaml").interactions == ()


def test_nothing_is_written_when_the_recorded_run_fails(live: EC2Client, tmp_path: Path) -> None:
    path = tmp_path / "failed.yaml"

    with pytest.raises(InvalidGroupNotFound), record(path) as recording:
        live.delete_security_group(group_id="sg-0000000000000dead")

    assert len(recording.interactions) == 1
    assert not path.exists()


# --- replay matching (cassettes built by hand: no endpoint needed) --------------------------


def revoke_interaction(cidr: str) -> Interaction:
    body = codec.to_xml(shapes.RevokeSecurityGroupIngressResult(return_=True), request_id="r-1")
    return Interaction(
        operation="RevokeSecurityGroupIngress",
        params={
            "GroupId": "sg-1",
            "IpPermissions": [
                {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": cidr}]}
            ],
        },
        status=200,
        body=body.decode(),
        url="https://ec2.us-east-1.amazonaws.com/",
    )


def test_replay_refuses_other_parameters_with_the_stubbers_message() -> None:
    cassette = Cassette((revoke_interaction("0.0.0.0/0"),))

    with offline_client() as client, replay(cassette, assert_on_exit=False) as replaying:
        with pytest.raises(StubResponseError) as refused:
            client.revoke_ingress("sg-1", Rule.tcp(22).from_cidr("10.0.0.0/8"))
        with pytest.raises(StubResponseError) as wrong_operation:
            client.describe_security_groups()
        assert client.revoke_ingress("sg-1", SSH_ANY4).complete
        with pytest.raises(UnstubbedRequestError) as exhausted:
            client.revoke_ingress("sg-1", SSH_ANY4)

    assert str(refused.value) == (
        "call 1 (RevokeSecurityGroupIngress): parameters differ from the recorded call:\n"
        "  ip_permissions[0].ip_ranges[0].cidr_ip: expected '0.0.0.0/0', got '10.0.0.0/8'"
    )
    assert str(wrong_operation.value) == (
        "call 2: expected a RevokeSecurityGroupIngress call, but the code called "
        "DescribeSecurityGroups"
    )
    assert str(exhausted.value) == (
        "call 4: the code called RevokeSecurityGroupIngress, but no recorded response is left "
        "(1 used); the code makes more calls than were recorded: record the cassette again"
    )
    assert len(replaying.errors) == 3


def test_replay_fails_on_exit_when_recorded_calls_were_not_made() -> None:
    cassette = Cassette((revoke_interaction("0.0.0.0/0"), revoke_interaction("::/0")))

    with pytest.raises(StubAssertionError) as unused, offline_client() as client, replay(cassette):
        client.revoke_ingress("sg-1", SSH_ANY4)

    assert str(unused.value) == ("1 recorded response(s) never used: RevokeSecurityGroupIngress")


def test_without_masking_account_ids_must_match_exactly() -> None:
    sent = Rule.HTTPS.from_group("sg-2", user_id="111122223333").to_ip_permission()
    interaction = revoke_interaction("0.0.0.0/0")
    params = {"GroupId": "sg-1", "IpPermissions": [codec.to_dict(sent)]}
    recorded = dataclasses.replace(interaction, params=params)
    other = Rule.HTTPS.from_group("sg-2", user_id="444455556666")

    with (
        offline_client() as client,
        replay(Cassette((recorded,)), assert_on_exit=False),
        pytest.raises(StubResponseError, match="user_id: expected '111122223333', got"),
    ):
        client.revoke_ingress("sg-1", other)
    with offline_client() as client, replay(Cassette((recorded,), mask_account_ids=True)):
        assert client.revoke_ingress("sg-1", other).complete


def test_a_file_that_is_not_a_cassette_is_refused(tmp_path: Path) -> None:
    plain = tmp_path / "plain.yaml"
    plain.write_text("responses:\n- response: {method: GET, url: 'https://x/', status: 200}\n")

    with pytest.raises(ValueError, match="not an ec2revoke cassette"):
        replay(plain)


def test_the_replay_itself_stays_offline() -> None:
    with offline_client() as client, replay(Cassette(())) as replaying:
        with pytest.raises(UnstubbedRequestError):
            client.describe_security_groups()
        replaying.errors.clear()
    with offline_client() as client, pytest.raises(ConnectionFailed):
        client.describe_security_groups()  # not replaying: nothing answers there
