"""Pages that never end: a server that repeats a NextToken, or hands out new ones forever.

botocore's paginator stops with PaginationError when the same token comes back twice in
a row; ours stops on any token it has already been given, and after a bound on pages,
with a ResponseError, for every paginated read: find_rules (DescribeSecurityGroupRules)
and the fleet's group discovery (DescribeSecurityGroups).
"""

from __future__ import annotations

import itertools
import re
import urllib.parse
from collections.abc import Callable, Iterator

import pytest
import responses

from ec2revoke import EC2Client, ResponseError, StaticCredentials
from ec2revoke._revoke.pages import MAX_PAGES
from ec2revoke.fleet import discover_groups

URL = "https://ec2.us-east-1.amazonaws.com/"
# After this many requests the server gives up with an error, so that a client that
# would loop for ever fails the test instead of hanging it.
GIVE_UP = 60

Tokens = Callable[[int], str]


def rules_page(n: int, token: str) -> str:
    rule = (
        f"<item><securityGroupRuleId>sgr-{n:017x}</securityGroupRuleId><groupId>sg-1</groupId>"
        "<isEgress>false</isEgress><ipProtocol>tcp</ipProtocol><fromPort>22</fromPort>"
        "<toPort>22</toPort><cidrIpv4>10.0.0.0/8</cidrIpv4></item>"
    )
    return (
        "<DescribeSecurityGroupRulesResponse><requestId>r</requestId>"
        f"<securityGroupRuleSet>{rule}</securityGroupRuleSet><nextToken>{token}</nextToken>"
        "</DescribeSecurityGroupRulesResponse>"
    )


def groups_page(n: int, token: str) -> str:
    return (
        "<DescribeSecurityGroupsResponse><requestId>r</requestId><securityGroupInfo>"
        f"<item><groupId>sg-{n:017x}</groupId><groupName>g{n}</groupName></item>"
        f"</securityGroupInfo><nextToken>{token}</nextToken></DescribeSecurityGroupsResponse>"
    )


SAME: Tokens = lambda n: "tok-same"  # noqa: E731
CYCLE: Tokens = lambda n: f"tok-{n % 3}"  # noqa: E731
FRESH: Tokens = lambda n: f"tok-{n}"  # noqa: E731


@pytest.fixture
def server() -> Iterator[Callable[[Tokens], list[str]]]:
    """Serve endless pages with the given tokens; returns the NextToken each request sent."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:

        def serve(tokens: Tokens) -> list[str]:
            sent: list[str] = []
            counter = itertools.count()

            def answer(request: object) -> tuple[int, dict[str, str], str]:
                body = getattr(request, "body", b"") or b""
                form = urllib.parse.parse_qs(body.decode() if isinstance(body, bytes) else body)
                sent.append(form.get("NextToken", [""])[0])
                n = next(counter)
                if n >= GIVE_UP:
                    return (
                        400,
                        {},
                        (
                            "<Response><Errors><Error><Code>TestServerGaveUp</Code><Message>too many"
                            "</Message></Error></Errors><RequestID>x</RequestID></Response>"
                        ),
                    )
                action = form["Action"][0]
                page = rules_page if action == "DescribeSecurityGroupRules" else groups_page
                return 200, {}, page(n, tokens(n))

            mock.add_callback(responses.POST, URL, callback=answer)
            return sent

        yield serve


def client() -> EC2Client:
    return EC2Client(region="us-east-1", credentials=StaticCredentials("AKIDEXAMPLE", "secret"))


@pytest.mark.parametrize(("tokens", "requests_made"), [(SAME, 2), (CYCLE, 4)])
def test_find_rules_stops_on_a_repeated_token(
    server: Callable[[Tokens], list[str]], tokens: Tokens, requests_made: int
) -> None:
    sent = server(tokens)
    with pytest.raises(ResponseError) as caught:
        client().find_rules("sg-1")
    assert len(sent) == requests_made
    assert caught.value.code == "PaginationLoop"
    assert caught.value.operation == "DescribeSecurityGroupRules"
    assert re.search(r"NextToken 'tok-\w+', which it had already given", str(caught.value))


@pytest.mark.parametrize(("tokens", "requests_made"), [(SAME, 2), (CYCLE, 4)])
def test_group_discovery_stops_on_a_repeated_token(
    server: Callable[[Tokens], list[str]], tokens: Tokens, requests_made: int
) -> None:
    sent = server(tokens)
    with pytest.raises(ResponseError) as caught:
        discover_groups(client())
    assert len(sent) == requests_made
    assert caught.value.code == "PaginationLoop"
    assert caught.value.operation == "DescribeSecurityGroups"


def test_revoke_matching_revokes_nothing_when_the_pages_do_not_end(
    server: Callable[[Tokens], list[str]],
) -> None:
    from ec2revoke import Rule

    sent = server(SAME)
    with pytest.raises(ResponseError):
        client().revoke_matching("sg-1", Rule.tcp(22).from_cidr("10.0.0.0/8"))
    assert len(sent) == 2  # two reads; no revoke was sent


def test_pages_are_bounded_even_when_every_token_is_new() -> None:
    from ec2revoke._revoke.pages import pages

    class Page:
        def __init__(self, token: str) -> None:
            self.next_token = token

    asked: list[str | None] = []

    def fetch(token: str | None) -> Page:
        asked.append(token)
        return Page(f"t{len(asked)}")

    with pytest.raises(ResponseError) as caught:
        list(pages(fetch, "DescribeSecurityGroups", max_pages=25))
    assert len(asked) == 25
    assert "25 pages" in str(caught.value)
    assert caught.value.code == "PaginationLoop"
    assert MAX_PAGES >= 1000  # far above any real account's pages at 1,000 items per page
