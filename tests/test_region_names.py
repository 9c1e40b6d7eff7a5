"""Region names are checked once, before they reach a URL, a header or a credential scope.

Every way a region comes in (EC2Client, with or without endpoint_url; the environment;
SigV4Auth; the fleet's --region) refuses a name that is not botocore's region format
matched whole (its own check lets a trailing newline through) with a ConfigurationError,
before anything is sent, never a raw TypeError, ValueError or UnicodeEncodeError.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import responses
from hypothesis import given
from hypothesis import strategies as st

from ec2revoke import ConfigurationError, EC2Client, StaticCredentials
from ec2revoke._http.signing import SigV4Auth
from ec2revoke.cli._main import run
from ec2revoke.fleet import expand_regions

CREDENTIALS = StaticCredentials("AKIDEXAMPLE", "secret")
# botocore.utils.validate_region_name's pattern, without its ^ and $ (fullmatch instead).
BOTOCORE_FORMAT = re.compile(r"(?![0-9]+$)(?!-)[a-zA-Z0-9-]{,63}(?<!-)")
HOSTILE: list[object] = [
    "us-east-1\n",
    "us-east-1\r\nX-Injected: 1",
    "us-east-1\x00",
    "us-e\u00e4st-1",
    "\u0131s-east-1",
    "us-east-1\t",
    " us-east-1",
    "us/east/1",
    "a" * 64,
    "a" * 5000,
    42,
    b"us-east-1",
    ["us-east-1"],
]
TEXTS = [r for r in HOSTILE if isinstance(r, str)]


def short(value: object) -> str:
    return repr(value)[:24]


@pytest.mark.parametrize("region", HOSTILE, ids=short)
@pytest.mark.parametrize("endpoint_url", [None, "http://127.0.0.1:9"])
def test_ec2client_refuses_before_sending(region: object, endpoint_url: str | None) -> None:
    with responses.RequestsMock() as mock, pytest.raises(ConfigurationError) as caught:
        EC2Client(region=region, endpoint_url=endpoint_url, credentials=CREDENTIALS)  # type: ignore[arg-type]
    assert not mock.calls
    assert "region" in str(caught.value)
    assert "us-east-1" in str(caught.value)  # an example of the right form


# An environment variable cannot hold NUL (os.environ refuses it).
@pytest.mark.parametrize("region", [r for r in TEXTS if "\x00" not in r], ids=short)
def test_a_region_from_the_environment_is_checked(
    region: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_DEFAULT_REGION", region)
    with pytest.raises(ConfigurationError):
        EC2Client(credentials=CREDENTIALS)


@pytest.mark.parametrize("region", HOSTILE, ids=short)
def test_sigv4auth_refuses_a_region_that_cannot_go_in_a_scope(region: object) -> None:
    with pytest.raises(ConfigurationError):
        SigV4Auth(credentials=CREDENTIALS, region=region)  # type: ignore[arg-type]


@pytest.mark.parametrize("region", TEXTS, ids=short)
def test_the_fleet_refuses_a_bad_region_with_exit_253(
    region: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    out, err = io.StringIO(), io.StringIO()
    argv = ["fleet", "--region", region, "--endpoint-url", "http://127.0.0.1:9"]
    argv += ["--protocol", "tcp", "--port", "22", "--cidr", "0.0.0.0/0", "--quiet"]
    with responses.RequestsMock() as mock:
        code = run(argv, out, err)
    assert not mock.calls
    assert code == 253, err.getvalue()
    assert "region" in err.getvalue()
    assert "Traceback" not in err.getvalue()


@pytest.mark.parametrize("region", TEXTS, ids=short)
def test_expand_regions_refuses_a_bad_region(region: str) -> None:
    with pytest.raises(ConfigurationError):
        expand_regions([region])


@given(st.one_of(st.text(max_size=70), st.from_regex(BOTOCORE_FORMAT, fullmatch=True)))
def test_a_region_is_accepted_only_in_botocores_format_matched_whole(region: str) -> None:
    try:
        client = EC2Client(
            region=region, endpoint_url="http://127.0.0.1:9", credentials=CREDENTIALS
        )
    except ConfigurationError:
        assert not (region and BOTOCORE_FORMAT.fullmatch(region))
    else:
        # An empty region with a custom endpoint signs for us-east-1, as botocore does.
        assert client.endpoint.signing_region == (region or "us-east-1")
        assert BOTOCORE_FORMAT.fullmatch(client.endpoint.signing_region)
