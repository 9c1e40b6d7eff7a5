"""Errors raised by ec2revoke.

    EC2Error                    anything ec2revoke raises on purpose
    ├── ParamValidationError    bad input, found before anything was sent (also a ValueError)
    ├── ResponseError           a response that is not a readable EC2 answer
    └── ServiceError            EC2 answered with an error document

Every error carries ``code``, ``message``, ``request_id``, ``status`` and ``operation``
(``None`` where they do not apply), and its text says what was wrong and what to do.
"""

from __future__ import annotations

from typing import Any


class EC2Error(Exception):
    """Base class of every error ec2revoke raises."""

    code: str
    message: str
    request_id: str | None
    status: int | None
    operation: str | None

    def __init__(
        self,
        message: str,
        *,
        code: str,
        request_id: str | None = None,
        status: int | None = None,
        operation: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id
        self.status = status
        self.operation = operation

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class ParamValidationError(EC2Error, ValueError):
    """A request that cannot be right, found before anything was sent."""

    def __init__(self, message: str, *, operation: str | None = None) -> None:
        super().__init__(message, code="ParamValidation", operation=operation)


class ResponseError(EC2Error):
    """A response body that is not a readable EC2 answer (HTML, truncated, hostile...)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        operation: str | None = None,
        code: str = "MalformedResponse",
    ) -> None:
        super().__init__(message, code=code, status=status, operation=operation)


class ServiceError(EC2Error):
    """EC2 answered with an error: ``code`` is EC2's error code, e.g. InvalidPermission.NotFound.

    ``details`` holds the parsed modeled error shape when the model defines one.
    """

    details: Any

    def __init__(
        self,
        message: str,
        *,
        code: str,
        request_id: str | None = None,
        status: int | None = None,
        operation: str | None = None,
        details: Any = None,
    ) -> None:
        super().__init__(
            message, code=code, request_id=request_id, status=status, operation=operation
        )
        self.details = details

    def __str__(self) -> str:
        # The AWS CLI's wording, so operators recognise it.
        where = f" when calling the {self.operation} operation" if self.operation else ""
        return f"An error occurred ({self.code}){where}: {self.message}"


def excerpt(body: bytes, limit: int = 120) -> str:
    """A short, printable start of a body for error messages."""
    text = body[:limit].decode("utf-8", "replace")
    text = " ".join(text.split())
    return text + ("..." if len(body) > limit else "")
