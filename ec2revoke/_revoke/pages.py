"""Every page of a paginated read, stopped when the pages would never end.

botocore's paginator raises PaginationError when a token comes back twice in a row;
this one refuses any token it was already given (a cycle of three is no less endless)
and stops after ``MAX_PAGES`` pages, so a broken or hostile endpoint cannot make one
read send requests for ever.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol, TypeVar

from ec2revoke._errors import ResponseError

# At EC2's largest page (1,000 items) this is ten million groups or rules: no real
# account comes near it, and a read that gets here has been answered in a loop.
MAX_PAGES = 10_000
_CODE = "PaginationLoop"


class Paged(Protocol):
    """A page of a paginated result: its ``next_token``, or None on the last page."""

    @property
    def next_token(self) -> str | None: ...


P = TypeVar("P", bound=Paged)


def pages(
    fetch: Callable[[str | None], P], operation: str, *, max_pages: int = MAX_PAGES
) -> Iterator[P]:
    """``fetch(None)``, then ``fetch(token)`` for each NextToken, until a page has none.

    A page whose NextToken was given before is not handed on: a ResponseError (code
    PaginationLoop) says the pages would never end; so does a read past ``max_pages``.
    """
    seen: set[str] = set()
    token: str | None = None
    for _ in range(max_pages):
        page = fetch(token)
        token = page.next_token
        if token:
            if token in seen:
                raise ResponseError(
                    f"{operation} answered NextToken {token[:60]!r}, which it had already "
                    "given, so its pages would never end (the endpoint, or a proxy in "
                    "front of it, is answering in a loop); nothing after the last new "
                    "page was read: check the endpoint and retry",
                    operation=operation,
                    code=_CODE,
                )
            seen.add(token)
        yield page
        if not token:
            return
    raise ResponseError(
        f"{operation} was still answering with a NextToken after {max_pages} pages, far "
        "more than any account holds, so its pages would never end: check the endpoint",
        operation=operation,
        code=_CODE,
    )
