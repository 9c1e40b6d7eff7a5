"""What a fleet run covers: accounts (a profile, credentials, or a role to assume) x
regions (``all``: every region of the partition in botocore's data) x security groups
(given, or found with DescribeSecurityGroups, page by page).

An account's ID keys its token buckets and its targets: given, else the account field of
the role's ARN (the account the assumed session acts in), else STS GetCallerIdentity.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from ec2revoke import shapes
from ec2revoke._client import EC2Client
from ec2revoke._errors import ConfigurationError, EC2Error
from ec2revoke._http.botocore_session import profile_session
from ec2revoke._http.credentials import CredentialsProvider
from ec2revoke._http.endpoints import checked_region
from ec2revoke._revoke.pages import pages

ALL = "all"
_ROLE_ARN = re.compile(r"^arn:[\w-]+:iam::(\d{12}):role/.+$")
_ACCOUNT_ID = re.compile(r"^\d{12}$")
PAGE = 200
"""Groups per DescribeSecurityGroups page: small enough that revokes start early."""


@dataclass(frozen=True, slots=True)
class Account:
    """Where credentials come from for one account of the fleet.

    ``profile`` (or botocore's default chain) or explicit ``credentials`` are the source;
    with ``role_arn`` the run assumes that role from the source (refreshed as it expires).
    ``account_id`` saves the STS call that would otherwise find it.
    """

    profile: str | None = None
    role_arn: str | None = None
    credentials: CredentialsProvider | None = None
    account_id: str | None = None
    external_id: str | None = None
    session_name: str = "ec2revoke-fleet"

    def __post_init__(self) -> None:
        if self.role_arn is not None and not _ROLE_ARN.match(self.role_arn):
            raise ConfigurationError(
                f"{self.role_arn!r} is not an IAM role ARN; give one like "
                "arn:aws:iam::123456789012:role/Remediation"
            )
        if self.account_id is not None and not _ACCOUNT_ID.match(self.account_id):
            raise ConfigurationError(f"account ID {self.account_id!r} is not 12 digits")
        if self.profile is not None and self.credentials is not None:
            raise ConfigurationError("give an Account a profile or credentials, not both")

    @property
    def label(self) -> str:
        """How messages name this account before its ID is known."""
        if self.role_arn:
            return self.role_arn
        if self.profile:
            return f"profile {self.profile}"
        return self.account_id or "default credentials"


@dataclass(frozen=True, slots=True)
class ResolvedAccount:
    """An account with its ID and the credentials to sign with."""

    account_id: str
    credentials: CredentialsProvider
    label: str


@dataclass(frozen=True, slots=True, order=True)
class Target:
    """One security group of one account and region."""

    account: str
    region: str
    group: str

    @property
    def key(self) -> str:
        """``account/region/group``: how the journal names it."""
        return f"{self.account}/{self.region}/{self.group}"

    @property
    def lane(self) -> tuple[str, str]:
        """(account, region): what throttles together."""
        return (self.account, self.region)


def expand_regions(regions: Iterable[str], partition: str = "aws") -> list[str]:
    """The regions asked for, ``all`` expanded to the partition's, without repeats."""
    wanted: list[str] = []
    for region in regions:
        if isinstance(region, str) and region.lower() == ALL:
            wanted += partition_regions(partition)
        elif isinstance(region, str) and not region.strip():
            continue  # a blank entry names no region
        else:
            # Refused as EC2Client refuses it: a region reaches URLs and credential scopes.
            wanted.append(checked_region(region))
    if not wanted:
        raise ConfigurationError("no regions: give at least one region, or 'all'")
    return list(dict.fromkeys(wanted))


def partition_regions(partition: str = "aws") -> list[str]:
    """Every region where botocore's data lists EC2 in ``partition`` (aws, aws-cn, ...)."""
    import botocore.session

    session = botocore.session.Session()
    if partition not in session.get_available_partitions():
        known = ", ".join(session.get_available_partitions())
        raise ConfigurationError(f"unknown partition {partition!r}; botocore knows {known}")
    regions: list[str] = session.get_available_regions("ec2", partition_name=partition)
    return regions


def endpoint_for(endpoint_url: str | Callable[[str], str | None] | None, region: str) -> str | None:
    """The endpoint URL for a region: a template with ``{region}``, a function, or None."""
    if endpoint_url is None or isinstance(endpoint_url, str):
        return endpoint_url.replace("{region}", region) if endpoint_url else None
    return endpoint_url(region)


def _sts_client_creator(session: Any, region: str, endpoint_url: str | None) -> Any:
    return partial(session.create_client, region_name=region, endpoint_url=endpoint_url)


def resolve_account(
    account: Account, *, region: str, sts_endpoint_url: str | None = None
) -> ResolvedAccount:
    """The account's ID and credentials (assuming its role, if it has one)."""
    import botocore.credentials

    session = profile_session(account.profile)
    source: Any
    if account.credentials is not None:
        frozen = account.credentials.get_frozen_credentials()
        source = botocore.credentials.Credentials(
            frozen.access_key, frozen.secret_key, frozen.token
        )
    else:
        source = session.get_credentials()
        if source is None:
            raise ConfigurationError(
                f"no AWS credentials found for {account.label}: configure the profile, "
                "or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
            )
    creator = _sts_client_creator(session, region, sts_endpoint_url)
    credentials: Any = source
    if account.role_arn is not None:
        extra: dict[str, str] = {"RoleSessionName": account.session_name}
        if account.external_id:
            extra["ExternalId"] = account.external_id
        fetcher = botocore.credentials.AssumeRoleCredentialFetcher(
            creator, source, account.role_arn, extra_args=extra
        )
        credentials = botocore.credentials.DeferredRefreshableCredentials(
            refresh_using=fetcher.fetch_credentials, method="assume-role"
        )
        _sts_call(credentials.get_frozen_credentials, f"AssumeRole {account.role_arn}")
    account_id = account.account_id
    if account_id is None and account.role_arn is not None:
        match = _ROLE_ARN.match(account.role_arn)
        assert match is not None  # checked in Account
        account_id = match.group(1)
    if account_id is None:
        account_id = _caller_account(creator, credentials, account.label)
    return ResolvedAccount(account_id, credentials, account.label)


def _caller_account(creator: Any, credentials: Any, label: str) -> str:
    frozen = credentials.get_frozen_credentials()
    sts = creator(
        "sts",
        aws_access_key_id=frozen.access_key,
        aws_secret_access_key=frozen.secret_key,
        aws_session_token=frozen.token,
    )
    try:
        return str(_sts_call(sts.get_caller_identity, f"GetCallerIdentity for {label}")["Account"])
    finally:
        sts.close()


def _sts_call(call: Callable[[], Any], what: str) -> Any:
    """An STS call; its failure as a ConfigurationError that names it."""
    import botocore.exceptions

    try:
        return call()
    except botocore.exceptions.ClientError as e:
        error = e.response.get("Error", {})
        raise ConfigurationError(
            f"STS {what} failed ({error.get('Code')}): {error.get('Message')}"
        ) from None
    except botocore.exceptions.BotoCoreError as e:
        raise ConfigurationError(f"STS {what} failed: {e}") from None


def group_pages(
    client: EC2Client,
    *,
    group_ids: Sequence[str] = (),
    filters: Sequence[shapes.Filter] = (),
    page_size: int = PAGE,
) -> Iterator[tuple[list[str], bool]]:
    """The IDs of the groups DescribeSecurityGroups lists, page by page: (IDs, last page?).

    Given ``group_ids``, only those that exist here (a ``group-id`` filter, so a group of
    another region is simply absent rather than an error).
    """
    wanted = list(filters)
    if group_ids:
        wanted.append(shapes.Filter(name="group-id", values=list(group_ids)))
    for page in pages(
        lambda token: client.describe_security_groups(
            filters=wanted or None, max_results=page_size, next_token=token
        ),
        "DescribeSecurityGroups",
    ):
        yield [g.group_id for g in page.security_groups or () if g.group_id], not page.next_token


def discover_groups(
    client: EC2Client,
    *,
    group_ids: Sequence[str] = (),
    filters: Sequence[shapes.Filter] = (),
    page_size: int = PAGE,
) -> list[str]:
    """Every page of ``group_pages``, without repeats."""
    found: list[str] = []
    for page, _ in group_pages(client, group_ids=group_ids, filters=filters, page_size=page_size):
        found += page
    return list(dict.fromkeys(found))


def describe_error(error: BaseException) -> dict[str, str]:
    """An error as the journal and the summary keep it: code and message."""
    if isinstance(error, EC2Error):
        return {"code": error.code, "message": error.message}
    return {"code": type(error).__name__, "message": str(error)}
