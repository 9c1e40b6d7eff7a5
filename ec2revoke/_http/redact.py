"""Passwords in URLs, hidden wherever a URL is shown: reprs, messages, logs.

``http://user:password@host`` shows as ``http://user:***@host``. A user name without a
password is hidden whole (``http://***@host``), as that is how tokens travel in URLs.
"""

from __future__ import annotations

import re

# The user information of any URL in a text: from the scheme to the last "@" before the
# path (a password may itself hold an "@").
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/?#\s]*)@")


def redact_url(text: str) -> str:
    """``text`` with the password (or the lone user name) of every URL in it replaced."""
    return _USERINFO.sub(_masked, text)


def _masked(match: re.Match[str]) -> str:
    user, colon, _ = match["userinfo"].partition(":")
    return f"{match['scheme']}{user}:***@" if colon else f"{match['scheme']}***@"
