"""The name and version ec2revoke gives itself: in its User-Agent and in ``--version``."""

from __future__ import annotations

import importlib.metadata
import platform


def _installed_version() -> str:
    try:
        return importlib.metadata.version("ec2revoke")
    except importlib.metadata.PackageNotFoundError:  # running from a source tree
        return "dev"


VERSION = _installed_version()
"""The installed package's version, or ``dev`` when run from a source tree."""

USER_AGENT = f"ec2revoke/{VERSION} python/{platform.python_version()}"
"""The User-Agent header every request carries."""
