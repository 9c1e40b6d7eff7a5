"""Endpoints: the same URL and signing region as botocore for every region it knows.

The expected answers come from real botocore clients: each one sends a request that
is stopped just before it leaves (``before-send``), and we read the URL it would have
gone to and the region in its SigV4 credential scope. ``meta.endpoint_url`` is not
used: for EC2 it comes from botocore's older endpoints.json resolver and differs from
where requests actually go (``aws-us-gov-global`` with FIPS, the iso ``-global``
regions, dual-stack hosts outside the aws partition).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError
from botocore.loaders import Loader

from ec2revoke import ConfigurationError, EC2Client, StaticCredentials
from ec2revoke._http.endpoints import Endpoint, EndpointResolver

PARTITIONS: list[dict[str, Any]] = Loader().load_data("partitions")["partitions"]
KNOWN_REGIONS = [region for p in PARTITIONS for region in p["regions"]]
# Valid names botocore has never heard of: each partition's regex must place them.
UNLISTED_REGIONS = [
    "xx-fake-1",
    "cn-fake-1",
    "us-gov-fake-1",
    "us-iso-fake-1",
    "us-isob-fake-1",
    "eu-isoe-fake-1",
    "us-isof-fake-1",
    "eusc-de-fake-1",
    "US-EAST-1",
]
# Names botocore refuses outright (not host labels).
INVALID_REGIONS = [
    "not a region!",
    "us-east-1.evil.com",
    "us-east-1/x",
    "-us-east-1",
    "us-east-1-",
    "12345",
    "a" * 64,
]
VARIANTS = [(False, False), (True, False), (False, True), (True, True)]
CREDENTIALS = StaticCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")


@pytest.fixture(autouse=True)
def clean_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """botocore's answers must not depend on the AWS settings of the machine running this."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


class _Stop(Exception):
    """Raised in before-send so that the botocore request never leaves."""


@functools.cache
def _session() -> Any:
    return botocore.session.Session()


@functools.cache
def botocore_answer(region: str, use_fips: bool, use_dual_stack: bool) -> Endpoint | str:
    """Where botocore sends an EC2 request, and the region it signs for; or its error."""
    config = Config(
        use_fips_endpoint=use_fips,
        use_dualstack_endpoint=use_dual_stack,
        ignore_configured_endpoint_urls=True,
        retries={"max_attempts": 1},
    )
    try:
        client = _session().create_client(
            "ec2",
            region_name=region,
            config=config,
            aws_access_key_id="x",
            aws_secret_access_key="y",
        )
    except (BotoCoreError, ValueError) as e:
        return f"{type(e).__name__}: {e}"
    seen: dict[str, str] = {}

    def grab(request: Any, **_: Any) -> None:
        auth = request.headers["Authorization"]
        seen["url"] = request.url
        seen["auth"] = auth.decode() if isinstance(auth, bytes) else auth
        raise _Stop

    client.meta.events.register("before-send.ec2", grab)
    with pytest.raises(_Stop):
        client.describe_security_groups()
    client.close()
    # "AWS4-HMAC-SHA256 Credential=x/20240101/us-east-1/ec2/aws4_request, ..."
    scope = seen["auth"].split("Credential=", 1)[1].split(",", 1)[0].split("/")
    assert scope[3] == "ec2"
    return Endpoint(seen["url"].rstrip("/"), scope[2])


# One resolver for all comparisons, as the client shares one: loading the rules is the slow part.
RESOLVER = EndpointResolver()


def _ours(region: str, use_fips: bool, use_dual_stack: bool) -> Endpoint | ConfigurationError:
    try:
        return RESOLVER.resolve(region, use_fips=use_fips, use_dual_stack=use_dual_stack)
    except ConfigurationError as e:
        return e


def _cases(regions: list[str]) -> list[Any]:
    return [
        pytest.param(r, fips, ds, id=f"{r}-{'fips' if fips else 'std'}-{'ds' if ds else 'v4'}")
        for r in regions
        for fips, ds in VARIANTS
    ]


def test_every_partition_botocore_knows_is_covered() -> None:
    ids = {p["id"] for p in PARTITIONS}
    assert {"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b"} <= ids
    # Every partition has regions, so each is exercised below.
    assert all(p["regions"] for p in PARTITIONS)
    assert len(KNOWN_REGIONS) >= 40


@pytest.mark.parametrize(("region", "use_fips", "use_dual_stack"), _cases(KNOWN_REGIONS))
def test_known_region_matches_botocore(region: str, use_fips: bool, use_dual_stack: bool) -> None:
    expected = botocore_answer(region, use_fips, use_dual_stack)
    ours = _ours(region, use_fips, use_dual_stack)
    if isinstance(expected, str):
        assert isinstance(ours, ConfigurationError), f"botocore refuses: {expected}"
        assert region in str(ours)
        # The message says what to change.
        assert "use_fips/use_dual_stack" in str(ours)
        assert "endpoint_url" in str(ours)
    else:
        assert ours == expected


@pytest.mark.parametrize(("region", "use_fips", "use_dual_stack"), _cases(UNLISTED_REGIONS))
def test_unlisted_region_matches_botocore(
    region: str, use_fips: bool, use_dual_stack: bool
) -> None:
    expected = botocore_answer(region, use_fips, use_dual_stack)
    ours = _ours(region, use_fips, use_dual_stack)
    if isinstance(expected, str):
        assert isinstance(ours, ConfigurationError), f"botocore refuses: {expected}"
    else:
        assert ours == expected


@pytest.mark.parametrize("region", INVALID_REGIONS)
@pytest.mark.parametrize(("use_fips", "use_dual_stack"), VARIANTS)
def test_region_botocore_refuses_is_refused(
    region: str, use_fips: bool, use_dual_stack: bool
) -> None:
    expected = botocore_answer(region, use_fips, use_dual_stack)
    assert isinstance(expected, str), "botocore was expected to refuse this region"
    ours = _ours(region, use_fips, use_dual_stack)
    assert isinstance(ours, ConfigurationError)
    assert repr(region) in str(ours)
    assert "us-east-1" in str(ours)  # an example of what to write instead


@pytest.mark.parametrize("region", [*INVALID_REGIONS, "us_east_1", '"us-east-1"', "us-east-1 "])
def test_a_region_botocore_refuses_is_refused_with_an_endpoint_url_too(region: str) -> None:
    # The region is signed into every request: a custom endpoint does not make a
    # malformed one acceptable, to botocore or to us.
    with pytest.raises(BotoCoreError, match="doesn't match a supported format"):
        _session().create_client(
            "ec2",
            region_name=region,
            endpoint_url="http://127.0.0.1:5000",
            aws_access_key_id="x",
            aws_secret_access_key="y",
        )
    with pytest.raises(ConfigurationError) as caught:
        EndpointResolver().resolve(region, endpoint_url="http://127.0.0.1:5000")
    assert repr(region) in str(caught.value)
    assert "us-east-1" in str(caught.value)
    with pytest.raises(ConfigurationError):
        EC2Client(region=region, endpoint_url="http://127.0.0.1:5000", credentials=CREDENTIALS)


def test_botocore_does_refuse_some_variants() -> None:
    # Keeps the comparison above honest: if botocore ever stops refusing anything,
    # the refusal branch is untested and this says so.
    refused = [
        (r, f, d)
        for r in KNOWN_REGIONS
        for f, d in VARIANTS
        if isinstance(botocore_answer(r, f, d), str)
    ]
    assert refused
    for region, fips, ds in refused:
        assert isinstance(_ours(region, fips, ds), ConfigurationError)


@pytest.mark.parametrize(
    ("region", "url", "signing_region"),
    [
        ("us-east-1", "https://ec2.us-east-1.amazonaws.com", "us-east-1"),
        ("cn-north-1", "https://ec2.cn-north-1.amazonaws.com.cn", "cn-north-1"),
        ("us-gov-west-1", "https://ec2.us-gov-west-1.amazonaws.com", "us-gov-west-1"),
        ("us-iso-east-1", "https://ec2.us-iso-east-1.c2s.ic.gov", "us-iso-east-1"),
        ("us-isob-east-1", "https://ec2.us-isob-east-1.sc2s.sgov.gov", "us-isob-east-1"),
    ],
)
def test_client_uses_the_resolved_endpoint(region: str, url: str, signing_region: str) -> None:
    client = EC2Client(region=region, credentials=CREDENTIALS)
    assert client.endpoint == Endpoint(url, signing_region)
    assert client.endpoint == botocore_answer(region, False, False)


def test_client_passes_fips_and_dual_stack() -> None:
    client = EC2Client(
        region="us-west-2", credentials=CREDENTIALS, use_fips=True, use_dual_stack=True
    )
    assert client.endpoint == Endpoint("https://ec2-fips.us-west-2.api.aws", "us-west-2")
    assert client.endpoint == botocore_answer("us-west-2", True, True)


def test_client_refuses_a_variant_botocore_refuses() -> None:
    with pytest.raises(ConfigurationError, match="us-isof-east-1") as caught:
        EC2Client(region="us-isof-east-1", credentials=CREDENTIALS, use_dual_stack=True)
    assert "use_fips/use_dual_stack" in str(caught.value)


# --- custom endpoint_url -------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
        ("http://localhost:5000/", "http://localhost:5000"),
        ("https://ec2.example.com", "https://ec2.example.com"),
        ("https://proxy.example.com/ec2", "https://proxy.example.com/ec2"),
        ("http://[::1]:5000", "http://[::1]:5000"),
        (
            "https://vpce-0abc.ec2.us-east-1.vpce.amazonaws.com",
            "https://vpce-0abc.ec2.us-east-1.vpce.amazonaws.com",
        ),
    ],
)
def test_custom_endpoint_url_is_kept(given: str, kept: str) -> None:
    endpoint = EndpointResolver().resolve("eu-west-1", endpoint_url=given)
    assert endpoint.url == kept
    # Signed for the region given, not one guessed from the host.
    assert endpoint.signing_region == "eu-west-1"


def test_custom_endpoint_url_ignores_fips_and_dual_stack() -> None:
    endpoint = EndpointResolver().resolve(
        "us-east-1", endpoint_url="http://127.0.0.1:5000", use_fips=True, use_dual_stack=True
    )
    assert endpoint == Endpoint("http://127.0.0.1:5000", "us-east-1")


def test_client_with_custom_endpoint_url() -> None:
    client = EC2Client(
        region="ap-south-1", endpoint_url="http://127.0.0.1:5000", credentials=CREDENTIALS
    )
    assert client.endpoint == Endpoint("http://127.0.0.1:5000", "ap-south-1")


@pytest.mark.parametrize(
    "url",
    [
        "localhost:5000",
        "example.com",
        "https://",
        "http:/x",
        "http://exa mple.com",
        "http://bad_host",
        "https://-bad.com",
        "http://a..b",
        "",
    ],
)
def test_bad_endpoint_url_is_refused_like_botocore(url: str) -> None:
    with pytest.raises(ValueError, match="Invalid endpoint"):
        _session().create_client(
            "ec2",
            region_name="us-east-1",
            endpoint_url=url,
            aws_access_key_id="x",
            aws_secret_access_key="y",
        )
    with pytest.raises(ConfigurationError) as caught:
        EndpointResolver().resolve("us-east-1", endpoint_url=url)
    message = str(caught.value)
    assert repr(url) in message
    assert "https://host[:port]" in message  # what to write instead


@pytest.mark.parametrize("url", ["ftp://ec2.example.com", "file:///etc/passwd"])
def test_non_http_endpoint_url_is_refused(url: str) -> None:
    with pytest.raises(ConfigurationError, match="http"):
        EC2Client(region="us-east-1", endpoint_url=url, credentials=CREDENTIALS)


# --- no region -------------------------------------------------------------------


@pytest.mark.parametrize("region", [None, ""])
def test_missing_region_says_how_to_give_one(region: str | None) -> None:
    with pytest.raises(ConfigurationError) as caught:
        EndpointResolver().resolve(region)
    message = str(caught.value)
    assert "region=" in message
    assert "AWS_DEFAULT_REGION" in message
    assert "profile" in message


def test_client_without_any_region_is_refused() -> None:
    # clean_aws_env: no AWS_DEFAULT_REGION, no config file.
    with pytest.raises(ConfigurationError, match="AWS_DEFAULT_REGION"):
        EC2Client(credentials=CREDENTIALS)


def test_resolution_is_not_thrown_off_by_reuse() -> None:
    # One resolver answers many questions; earlier answers must not leak into later ones.
    resolver = EndpointResolver()
    first = resolver.resolve("us-east-1", use_fips=True)
    resolver.resolve("cn-north-1", use_dual_stack=True)
    assert resolver.resolve("us-east-1", use_fips=True) == first
    assert resolver.resolve("us-east-1") == Endpoint(
        "https://ec2.us-east-1.amazonaws.com", "us-east-1"
    )
