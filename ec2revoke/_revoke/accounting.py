"""What EC2's answer to a revoke says about each rule that was asked for.

EC2 answers a revoke with ``Return``, the permissions it did not recognise
(UnknownIpPermissions, F1) and, since 2024, the rules it removed
(RevokedSecurityGroupRules, F5). A rule counts as revoked only where that answer says
so: ``Return=false`` means nothing is known to have gone; a RevokedSecurityGroupRules
that names some rules but not another, or an unknown permission that matches none of
the rules sent (EC2 may answer in another form than it was asked), leaves the rules it
does not name *unconfirmed*. Without RevokedSecurityGroupRules (older API versions,
moto), ``Return=true`` with a rule not listed as unknown is the documented success.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ec2revoke._revoke.report import RevokedRule
from ec2revoke._rules.rule import Rule, RuleKey, identity

Outcome = tuple[tuple[RevokedRule, ...], tuple[RevokedRule, ...], tuple[Rule, ...]]
"""(revoked, unconfirmed, unknown)."""


def rules_outcome(
    result: Any, sent: Sequence[Rule], rule_ids: Mapping[RuleKey, str], *, egress: bool
) -> Outcome:
    """The rules ``sent`` (by properties) sorted by what ``result`` says of them.

    ``rule_ids`` gives the IDs already known (from a read before the revoke).
    """
    unknown = tuple(
        rule
        for permission in result.unknown_ip_permissions or ()
        for rule in Rule.from_ip_permission(permission, egress=egress)
    )
    unknown_keys = {identity(u) for u in unknown}
    sent_keys = {identity(r) for r in sent}
    named = {
        identity(Rule.from_revoked_rule(r)): r.security_group_rule_id
        for r in result.revoked_security_group_rules or ()
    }
    # An unknown permission EC2 words so that it matches nothing sent stands for one of
    # the rules sent, but which one is not known.
    unsure = named or any(k not in sent_keys for k in unknown_keys)
    revoked: list[RevokedRule] = []
    unconfirmed: list[RevokedRule] = []
    for rule in sent:
        key = identity(rule)
        if key in unknown_keys:
            continue
        entry = RevokedRule(rule, named.get(key) or rule_ids.get(key))
        if result.return_ is True and (key in named or not unsure):
            revoked.append(entry)
        else:
            unconfirmed.append(entry)
    return tuple(revoked), tuple(unconfirmed), unknown


def ids_outcome(
    result: Any, sent: Sequence[str], rules: Mapping[str, Rule]
) -> tuple[tuple[RevokedRule, ...], tuple[RevokedRule, ...]]:
    """(revoked, unconfirmed) for rule IDs ``sent``; ``rules`` are the rules known by ID."""
    named = {
        r.security_group_rule_id: Rule.from_revoked_rule(r)
        for r in result.revoked_security_group_rules or ()
    }
    revoked: list[RevokedRule] = []
    unconfirmed: list[RevokedRule] = []
    for rule_id in sent:
        entry = RevokedRule(named.get(rule_id) or rules.get(rule_id), rule_id)
        if result.return_ is True and (rule_id in named or not named):
            revoked.append(entry)
        else:
            unconfirmed.append(entry)
    return tuple(revoked), tuple(unconfirmed)
