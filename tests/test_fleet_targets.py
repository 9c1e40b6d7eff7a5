"""Fleet targets: regions (``all`` from botocore's data), accounts (profile, credentials,
roles through STS), and groups found page by page, against the local endpoint."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import botocore.session
import pytest

from ec2revoke import ConfigurationError, EC2Client, StaticCredentials, shapes
from ec2revoke.fleet import (
    Account,
    discover_groups,
    expand_regions,
    partition_regions,
    resolve_account,
)
from tests.throttling_server import DEFAULT_ACCOUNT, ThrottlingServer

STATIC = StaticCredentials("AKIDEXAMPLE", "secret")


@pytest.fixture
def server() -> Iterator[ThrottlingServer]:
    with ThrottlingServer(throttle=False) as s:
        yield s


@pytest.fixture
def aws_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An AWS config of our own: a ``dev`` profile with static keys, nothing else."""
    config = tmp_path / "config"
    config.write_text(
        "[profile dev]\naws_access_key_id = AKIADEVDEVDEVDEV\naws_secret_access_key = devsecret\n"
        "region = eu-west-1\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return config


# -- regions ---------------------------------------------------------------------------


def test_all_is_every_ec2_region_of_the_partition_in_botocores_data() -> None:
    regions = expand_regions(["all"])
    endpoints = botocore.session.Session().get_data("endpoints")
    aws = next(p for p in endpoints["partitions"] if p["partition"] == "aws")
    listed = {r for r in aws["services"]["ec2"]["endpoints"] if r in aws["regions"]}
    assert set(regions) == listed
    assert {"us-east-1", "eu-west-1", "ap-southeast-2", "sa-east-1"} <= set(regions)
    assert all(re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", r) for r in regions), regions
    assert len(regions) == len(set(regions)) >= 30


def test_all_in_other_partitions() -> None:
    assert expand_regions(["all"], "aws-cn") == ["cn-north-1", "cn-northwest-1"]
    assert "us-gov-west-1" in partition_regions("aws-us-gov")
    with pytest.raises(ConfigurationError, match="unknown partition 'aws-moon'"):
        expand_regions(["all"], "aws-moon")


def test_regions_keep_their_order_without_repeats() -> None:
    assert expand_regions(["eu-west-1", "us-east-1", "eu-west-1"]) == ["eu-west-1", "us-east-1"]
    regions = expand_regions(["us-east-1", "ALL"])
    assert regions[0] == "us-east-1"
    assert regions.count("us-east-1") == 1
    assert len(regions) == len(partition_regions())
    with pytest.raises(ConfigurationError, match="no regions"):
        expand_regions([" "])


# -- accounts --------------------------------------------------------------------------


def test_account_id_from_sts_get_caller_identity(
    server: ThrottlingServer, aws_config: Path
) -> None:
    server.accounts["AKIADEVDEVDEVDEV"] = "333333333333"
    resolved = resolve_account(
        Account(profile="dev"), region="us-east-1", sts_endpoint_url=server.sts_url
    )
    assert resolved.account_id == "333333333333"
    assert resolved.credentials.get_frozen_credentials().access_key == "AKIADEVDEVDEVDEV"
    assert server.requests["GetCallerIdentity"] == 1
    static = resolve_account(
        Account(credentials=STATIC), region="us-east-1", sts_endpoint_url=server.sts_url
    )
    assert static.account_id == DEFAULT_ACCOUNT


def test_a_given_account_id_saves_the_sts_call(server: ThrottlingServer, aws_config: Path) -> None:
    resolved = resolve_account(
        Account(credentials=STATIC, account_id="555555555555"),
        region="us-east-1",
        sts_endpoint_url=server.sts_url,
    )
    assert resolved.account_id == "555555555555"
    assert not server.requests


def test_a_role_is_assumed_from_the_profile_and_its_arn_names_the_account(
    server: ThrottlingServer, aws_config: Path
) -> None:
    account = Account(profile="dev", role_arn="arn:aws:iam::444444444444:role/Fix")
    resolved = resolve_account(account, region="us-east-1", sts_endpoint_url=server.sts_url)
    assert resolved.account_id == "444444444444"
    key = resolved.credentials.get_frozen_credentials().access_key
    assert key.startswith("ASIA444444444444")
    assert server.accounts[key] == "444444444444"
    assert server.requests == {"AssumeRole": 1}
    # The assumed credentials sign EC2 calls, and the endpoint sees that account.
    server.populate(["us-east-1"], 3, account="444444444444")
    with EC2Client(
        "us-east-1", server.url + "/us-east-1", credentials=resolved.credentials
    ) as client:
        assert len(discover_groups(client)) == 3


def test_a_refused_role_or_unreachable_sts_is_a_configuration_error(
    server: ThrottlingServer, aws_config: Path
) -> None:
    denied = Account(profile="dev", role_arn="arn:aws:iam::444444444444:role/Denied")
    with pytest.raises(ConfigurationError, match=r"AssumeRole .*AccessDenied"):
        resolve_account(denied, region="us-east-1", sts_endpoint_url=server.sts_url)
    with pytest.raises(ConfigurationError, match="GetCallerIdentity"):
        resolve_account(
            Account(credentials=STATIC), region="us-east-1", sts_endpoint_url="http://127.0.0.1:9"
        )


def test_accounts_are_checked() -> None:
    with pytest.raises(ConfigurationError, match="not an IAM role ARN"):
        Account(role_arn="arn:aws:iam::1234:user/me")
    with pytest.raises(ConfigurationError, match="12 digits"):
        Account(account_id="12")
    with pytest.raises(ConfigurationError, match="not both"):
        Account(profile="dev", credentials=STATIC)
    assert Account(role_arn="arn:aws-cn:iam::123456789012:role/a/b").label.endswith("a/b")


# -- groups ----------------------------------------------------------------------------


def client_for(server: ThrottlingServer, region: str = "us-east-1") -> EC2Client:
    return EC2Client(region, f"{server.url}/{region}", credentials=STATIC)


def test_groups_are_found_on_every_page(server: ThrottlingServer) -> None:
    server.populate(["us-east-1"], 23)
    server.populate(["eu-west-1"], 4)
    with client_for(server) as client:
        found = discover_groups(client, page_size=5)
    assert found == list(server.groups[(DEFAULT_ACCOUNT, "us-east-1")])
    assert server.requests["DescribeSecurityGroups"] == 5


def test_groups_by_filter_and_by_id(server: ThrottlingServer) -> None:
    server.populate(["us-east-1", "eu-west-1"], 14)
    here = list(server.groups[(DEFAULT_ACCOUNT, "us-east-1")])
    there = list(server.groups[(DEFAULT_ACCOUNT, "eu-west-1")])
    vpc = server.group(here[0]).vpc_id
    with client_for(server) as client:
        by_vpc = discover_groups(client, filters=[shapes.Filter(name="vpc-id", values=[vpc])])
        # A group of another region is simply not here: no error.
        by_id = discover_groups(client, group_ids=[here[3], there[0], here[1]])
    assert by_vpc == [g for g in here if server.group(g).vpc_id == vpc]
    assert len(by_vpc) == 2
    assert by_id == [here[1], here[3]]
