"""botocore's session for a profile: where credentials, region and config come from.

Made in one place so the client, the fleet and the command line check a profile the
same way, and each fails as soon as the session is made when the profile is unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ec2revoke._errors import ConfigurationError


def profile_session(
    profile: str | None,
    *,
    session_vars: Mapping[str, tuple[Any, ...]] | None = None,
    botocore_words: bool = False,
) -> Any:
    """A botocore session for ``profile`` (None: the default chain, AWS_PROFILE included).

    ``session_vars`` adds session variables (the CLI's ``output``). An unknown profile is
    a ConfigurationError now rather than mid-call; ``botocore_words`` words it as botocore
    does (the AWS CLI's own message), else it names the files to look in.
    """
    import botocore.exceptions
    import botocore.session

    try:
        session = botocore.session.Session(session_vars=session_vars, profile=profile)
        session.get_scoped_config()
    except botocore.exceptions.ProfileNotFound as e:
        message = (
            str(e)
            if botocore_words
            else f"profile {profile!r} is not in the AWS config or credentials file"
        )
        raise ConfigurationError(message) from None
    return session
