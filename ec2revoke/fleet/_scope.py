"""A fleet run's scope as its journal records it, and the comparison a resume must pass.

The scope is what decides which rules a run may touch: the accounts as given (profile,
role, account ID; never credentials), the regions (``all`` expanded), the group IDs, the
filters, the partition and each region's endpoint URL as the client resolves it. Every
list is a sorted set, so order and repeats do not make another scope; an endpoint is kept
without any ``user:password@`` or query, which may carry credentials.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ec2revoke import shapes
from ec2revoke._errors import EC2Error
from ec2revoke._http.endpoints import EndpointResolver
from ec2revoke.fleet._journal import VERSION, JournalError
from ec2revoke.fleet._targets import Account, endpoint_for

Scope = dict[str, Any]

_RESOLVER = EndpointResolver()


def account_spec(account: Account) -> dict[str, str]:
    """How the journal records an account: where its credentials come from, no secret."""
    spec = {"source": "profile" if account.profile else "credentials"}
    if account.profile is None and account.credentials is None:
        spec["source"] = "default chain"
    for key, value in (
        ("profile", account.profile),
        ("role_arn", account.role_arn),
        ("account_id", account.account_id),
    ):
        if value is not None:
            spec[key] = value
    return spec


def account_label(spec: Mapping[str, str]) -> str:
    """An account spec as the command line would give it."""
    parts = []
    if "profile" in spec:
        parts.append(f"--profile {spec['profile']}")
    elif spec.get("source") == "credentials":
        parts.append("given credentials")
    else:
        parts.append("default credentials")
    if "role_arn" in spec:
        parts.append(f"--role-arn {spec['role_arn']}")
    if "account_id" in spec:
        parts.append(f"account {spec['account_id']}")
    return " ".join(parts)


def scope_of(
    *,
    accounts: Sequence[Account],
    regions: Sequence[str],
    group_ids: Sequence[str],
    filters: Sequence[shapes.Filter],
    partition: str,
    endpoint_url: str | Callable[[str], str | None] | None,
) -> Scope:
    """The scope of a run, in the journal's (JSON) form."""
    return {
        "accounts": _sorted_set(account_spec(a) for a in accounts),
        "regions": sorted(set(regions)),
        "group_ids": sorted(set(group_ids)),
        "filters": _sorted_set(
            {"name": str(f.name), "values": sorted({str(v) for v in f.values or ()})}
            for f in filters
        ),
        "partition": partition,
        "endpoints": {r: _endpoint(endpoint_url, r) for r in sorted(set(regions))},
    }


def _sorted_set(items: Iterable[Any]) -> list[Any]:
    unique = {json.dumps(item, sort_keys=True): item for item in items}
    return [unique[key] for key in sorted(unique)]


def _endpoint(endpoint_url: str | Callable[[str], str | None] | None, region: str) -> str | None:
    """The region's endpoint URL as the client resolves it, credentials left out; None
    when it cannot be resolved (that region's lane then fails, as it would without a
    journal)."""
    try:
        url = _RESOLVER.resolve(region, endpoint_url=endpoint_for(endpoint_url, region)).url
        parts = urlsplit(url)
        host = parts.hostname or ""
        netloc = (f"[{host}]" if ":" in host else host) + (f":{parts.port}" if parts.port else "")
    except (EC2Error, ValueError):
        return None
    return urlunsplit((parts.scheme.lower(), netloc, parts.path.rstrip("/"), "", ""))


def _show(field: str, value: Any) -> str:
    """A scope field's value as the options that give it."""
    if field == "accounts":
        return ", ".join(account_label(a) for a in value) or "no account"
    if field == "regions":
        return "--region " + " ".join(value)
    if field == "group_ids":
        return "--group-id " + " ".join(value) if value else "every group (no --group-id)"
    if field == "filters":
        shown = [f"--filter Name={f['name']},Values={','.join(f['values'])}" for f in value]
        return " ".join(shown) if shown else "no --filter"
    if field == "partition":
        return f"--partition {value}"
    return str(value)


_NAMES = {
    "accounts": "accounts (--profile, --role-arn)",
    "regions": "regions (--region)",
    "group_ids": "group IDs (--group-id)",
    "filters": "filters (--filter)",
    "partition": "partition (--partition)",
    "endpoints": "endpoints (--endpoint-url)",
}


def scope_differences(journaled: Mapping[str, Any], wanted: Scope) -> list[str]:
    """What differs between a journal's scope and a run's, in words (empty: the same)."""
    found = []
    for field, name in _NAMES.items():
        was, now = journaled.get(field), wanted[field]
        if was == now:
            continue
        if field == "endpoints" and isinstance(was, dict):
            changed = [
                f"{region}: journal was made for {was.get(region)}, this run asks for {url}"
                for region, url in now.items()
                if region in was and was[region] != url
            ]
            if changed:
                found.append(f"{name} differ: " + "; ".join(changed))
            continue  # regions missing on either side are the regions' difference
        found.append(
            f"{name} differ: journal was made for {_show(field, was)}, "
            f"this run asks for {_show(field, now)}"
        )
    return found


def account_id_differences(
    journaled: Mapping[str, Sequence[str]], resolved: Mapping[str, Sequence[str]]
) -> list[str]:
    """Accounts given the same way that now resolve to other account IDs."""
    return [
        f"{label} was account {', '.join(journaled[label])} when the journal was made, "
        f"and is account {', '.join(ids)} now"
        for label, ids in resolved.items()
        if label in journaled and sorted(journaled[label]) != sorted(ids)
    ]


def _fresh(journal: str) -> str:
    return f"start a new journal: give a new --journal path, or remove {journal}"


def check_header(
    header: Mapping[str, Any], *, journal: str, action: Any, dry_run: bool, scope: Scope
) -> None:
    """Raise JournalError unless a journal's header is for this action and scope."""
    made = header.get("version", 1)
    if made != VERSION:
        older = made < VERSION
        raise JournalError(
            f"journal {journal} was written by {'an older' if older else 'a newer'} "
            f"ec2revoke (journal version {made}; this one writes version {VERSION})"
            + (
                ", which did not record the run's scope (accounts, regions, groups, "
                "filters, endpoints), so a resume could act outside it"
                if older
                else ""
            )
            + f": finish it with the ec2revoke that wrote it, or {_fresh(journal)}"
        )
    if header.get("action") != action or bool(header.get("dry_run")) != dry_run:
        raise JournalError(
            f"journal {journal} was written for another run "
            f"({header.get('action')}, dry_run={header.get('dry_run')}); this run is "
            f"{action}, dry_run={dry_run}: use a new --journal path"
        )
    differences = scope_differences(header["scope"], scope)
    if differences:
        raise JournalError(
            f"journal {journal} was made for another scope: "
            + "; ".join(differences)
            + f". Resume it with the scope it was made for, or {_fresh(journal)}"
        )


def check_account_ids(
    journaled: Mapping[str, Sequence[str]], resolved: Mapping[str, Sequence[str]], *, journal: str
) -> None:
    """Raise JournalError if an account, given as before, now resolves to another ID."""
    differences = account_id_differences(journaled, resolved)
    if differences:
        raise JournalError(
            f"journal {journal} was made for other accounts: "
            + "; ".join(differences)
            + f". Resume it with the credentials it was made with, or {_fresh(journal)}"
        )
