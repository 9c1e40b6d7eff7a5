"""Which rules of a group a call is about: inbound ("ingress") or outbound ("egress").

Decided one way everywhere: the direction given, else the one a pattern's spelling says
(``.from_*`` inbound, ``.to_*`` outbound); a pattern spelled against the direction given
is refused, as is any direction but the two.
"""

from __future__ import annotations

from collections.abc import Sequence

from ec2revoke._errors import ParamValidationError
from ec2revoke._revoke.report import Direction
from ec2revoke._rules.rule import Rule


def checked_direction(direction: object, where: str = "direction") -> Direction:
    """``direction`` if it is "ingress" or "egress"; anything else is refused."""
    if direction == "ingress" or direction == "egress":
        return direction
    raise ParamValidationError(
        f"{where} must be 'ingress' or 'egress' (inbound or outbound rules), got {direction!r}"
    )


def spelled(rule: Rule) -> Direction:
    """The direction a rule's spelling says: .to_* outbound, anything else inbound."""
    return "egress" if rule.egress else "ingress"


def spelling_hint(rule: Rule) -> str:
    """How a rule is spelled, in words, for an error message."""
    if rule.egress:
        return f"{rule} is spelled as an outbound rule (.to_*)"
    return f"{rule} is spelled as an inbound rule (.from_*, or a Rule made without egress=True)"


def pattern_direction(
    patterns: Sequence[Rule], direction: object, where: str, *, required: bool
) -> Direction | None:
    """The direction given, else the one the patterns' spelling says; a clash is refused."""
    given = None if direction is None else checked_direction(direction)
    peered = [p for p in patterns if p.peer is not None]
    ways = {spelled(p) for p in peered}
    if len(ways) > 1:
        raise ParamValidationError(
            f"{where}: the patterns are spelled both ways (.from_* and .to_*); "
            "give the inbound and the outbound ones in separate calls"
        )
    if given is not None:
        clash = next((p for p in peered if spelled(p) != given), None)
        if clash is not None:
            raise ParamValidationError(
                f"{where}: {spelling_hint(clash)}, but direction={given!r} was given; "
                f"spell it .{'from_' if given == 'ingress' else 'to_'}* or drop direction="
            )
        return given
    if ways:
        (way,) = ways
        return way
    if required:
        raise ParamValidationError(
            f"{where}: say which rules: pass direction='ingress' or direction='egress', "
            "or spell the peer (.from_any_ipv4() for inbound, .to_any_ipv4() for outbound)"
        )
    return None
