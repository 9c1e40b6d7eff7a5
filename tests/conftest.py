"""Shared pytest set-up."""

from __future__ import annotations

import contextlib
import warnings

# On a failing example Hypothesis imports its patch writer, which imports libcst; some
# libcst releases warn on import, and filterwarnings = error would turn that warning
# into an INTERNALERROR that hides the failure. Importing it here, once, with that
# warning silenced keeps failure reports readable.
with warnings.catch_warnings(), contextlib.suppress(ImportError):
    warnings.simplefilter("ignore", DeprecationWarning)
    import hypothesis.extra._patching  # noqa: F401


# --- moto's EC2 server, checking SigV4 signatures (end-to-end tests) -----------------

from collections.abc import Iterator

import pytest

from ec2revoke import StaticCredentials
from tests.moto_server import SETUP_CALLS, MotoEC2, MotoServer, create_principals

MOTO_REGION = "us-east-1"


@pytest.fixture(scope="session")
def moto_ec2() -> Iterator[MotoEC2]:
    """moto's server on 127.0.0.1, checking SigV4 on every call after the IAM set-up."""
    with MotoServer(env={"INITIAL_NO_AUTH_ACTION_COUNT": str(SETUP_CALLS)}) as server:
        principals = create_principals(server.url, MOTO_REGION)
        _assert_signatures_checked(server.url)
        yield MotoEC2(
            url=server.url,
            region=MOTO_REGION,
            admin=StaticCredentials(*principals.admin),
            no_permissions=StaticCredentials(*principals.no_permissions),
            role_session=StaticCredentials(*principals.role_session),
        )


def _assert_signatures_checked(url: str) -> None:
    # Every end-to-end test relies on moto checking signatures. Had the set-up made
    # fewer calls than INITIAL_NO_AUTH_ACTION_COUNT, this unknown key would get through.
    import boto3
    import botocore.exceptions

    ec2 = boto3.client(
        "ec2",
        endpoint_url=url,
        region_name=MOTO_REGION,
        aws_access_key_id="AKIANOTAKEYMOTOKNOWS",
        aws_secret_access_key="wrong",
    )
    try:
        with pytest.raises(botocore.exceptions.ClientError) as refused:
            ec2.describe_security_groups()
    finally:
        ec2.close()
    assert refused.value.response["Error"]["Code"] == "AuthFailure", refused.value.response


# --- fixtures of the safe-revoke tests (moto-wired and canned clients) -------------------

from tests.safe_canned import client, sleeps, stubber  # noqa: E402, F401
from tests.safe_wired import new_group, prefix_list, wired  # noqa: E402, F401
