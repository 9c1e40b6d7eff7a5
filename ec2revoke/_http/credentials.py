"""What the signer needs from credentials, and a small static implementation of it.

The signer asks ``credentials.get_frozen_credentials()`` on every request and reads
``access_key``, ``secret_key`` and ``token`` from the answer. botocore's
``Credentials`` and ``RefreshableCredentials`` already work this way, so temporary
credentials that refresh themselves (SSO, assumed roles, instance profiles) keep
working: each request signs with whatever is current.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from ec2revoke._errors import ConfigurationError


class FrozenCredentials(Protocol):
    """One consistent set of credentials (botocore's ``ReadOnlyCredentials`` fits)."""

    @property
    def access_key(self) -> str: ...

    @property
    def secret_key(self) -> str: ...

    @property
    def token(self) -> str | None: ...


class CredentialsProvider(Protocol):
    """Anything that hands out current credentials (botocore's ``Credentials`` fits)."""

    def get_frozen_credentials(self) -> FrozenCredentials: ...


@dataclass(frozen=True, slots=True)
class StaticCredentials:
    """Fixed credentials: an access key id, a secret key and an optional session token.

    ``repr()`` and ``str()`` show the access key id only; the secret key and the token
    are never shown.
    """

    access_key: str
    secret_key: str = field(repr=False)
    token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        # The messages name the field, never its value: a value in the wrong field
        # (a secret pasted as the key id, say) must not end up in a log.
        for name in ("access_key", "secret_key"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise ConfigurationError(
                    f"StaticCredentials.{name} must be a non-empty string; "
                    "check where the credentials were read from."
                )
        if self.token is not None and (not isinstance(self.token, str) or not self.token):
            raise ConfigurationError(
                "StaticCredentials.token must be a non-empty string or None; "
                "pass None for long-term credentials."
            )

    def get_frozen_credentials(self) -> StaticCredentials:
        """These credentials: they never change."""
        return self

    def __repr__(self) -> str:
        token = "None" if self.token is None else "'***'"
        return f"StaticCredentials(access_key={self.access_key!r}, secret_key='***', token={token})"

    __str__ = __repr__
