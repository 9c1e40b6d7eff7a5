"""The ``ec2revoke`` command line: ``aws ec2 revoke-security-group-ingress|egress`` as the
AWS CLI runs them, the safer ``revoke-matching``, and an offline ``demo``.

Exit codes, as the AWS CLI (v2) uses them, plus one of ours:

    0    success; also a dry run that would have succeeded
    3    EC2 answered but did not revoke everything asked for: UnknownIpPermissions
         (printed), Return=false, or (revoke-matching --verify) a rule still listed
    130  interrupted (Ctrl-C)
    252  bad command line or parameters (the message names the option)
    253  configuration: no region, no credentials, unknown profile
    254  EC2 answered with an error ("An error occurred (CODE) when calling ...")
    255  anything else: connection failures, unreadable answers

Importing this package is cheap: the command line is built only when ``main`` runs.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``ec2revoke`` with ``argv`` (default: ``sys.argv[1:]``); returns the exit code."""
    from ec2revoke.cli._main import run

    return run(list(sys.argv[1:] if argv is None else argv), sys.stdout, sys.stderr)
