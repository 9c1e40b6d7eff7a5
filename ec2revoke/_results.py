"""Outcomes the client returns besides the generated result shapes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DryRunResult:
    """A dry run EC2 accepted: the call would have succeeded (EC2's DryRunOperation).

    A dry run the caller lacks permission for raises UnauthorizedOperation instead.
    """

    operation: str
    request_id: str | None
    message: str
