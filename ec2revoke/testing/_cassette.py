"""Cassettes: record EC2 calls once against a real or embedded endpoint, replay them offline.

    with record("tests/cassettes/cleanup.yaml", mask_account_ids=True):
        cleanup(client)  # a client of a real or embedded endpoint; the file is written on exit
    with replay("tests/cassettes/cleanup.yaml"):
        cleanup(EC2Client(region="us-east-1", credentials=StaticCredentials("AKID", "x")))

Both intercept every request made through ``requests`` in the process, whichever
client makes it. Replay answers EC2 calls to any endpoint, in the recorded order,
and refuses a call whose operation or parameters differ from the recording with the
Stubber's messages; any other request gets responses' "Connection refused".

The file is responses' recorder YAML (``responses: - response: {method, url, body,
status, content_type, ...}``, which ``responses`` itself can load) plus a top-level
``ec2revoke:`` block and, beside each ``response:``, a ``request:`` block with the
operation and its parameters in boto3 dict form, which replay matches strictly.

A cassette never holds request headers (so no Authorization, signature, access key
or X-Amz-Security-Token), nor response headers beyond the request id and retry
hints; text of those request headers is replaced with ``[REDACTED]`` should a server
echo it. The secret key never leaves the client. ``mask_account_ids=True`` replaces
every standalone 12-digit number (account IDs: owner IDs, user IDs, inside ARNs) with
a stand-in (``000000000001``, ``000000000002``..., the same one for the same account);
replaying such a cassette treats account IDs in requests as equal, since the code
may still send the real one.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
import requests.adapters
import responses
import yaml

from ec2revoke import codec
from ec2revoke._errors import ConfigurationError, EC2Error, ParamValidationError
from ec2revoke._generated.wire import SERVICE
from ec2revoke._wire import scalars
from ec2revoke._wire.compiler import describe
from ec2revoke.testing._match import exactly
from ec2revoke.testing._script import (
    XML,
    Answer,
    Interceptor,
    Script,
    ScriptedInterceptor,
    decode,
)

FORMAT = 1
REDACTED = "[REDACTED]"  # plain text: it may land inside XML
_SECRET_HEADERS = frozenset({"authorization", "x-amz-security-token"})
# The client reads these; nothing else from a response's headers is worth keeping.
_KEPT_HEADERS = frozenset({"x-amzn-requestid", "x-amz-retry-after", "retry-after"})
# Twelve digits standing alone: not part of a longer number, a hex ID or a UUID.
_ACCOUNT_ID = re.compile(r"(?<![\w-])\d{12}(?![\w-])")

PathLike = str | os.PathLike[str]


@dataclass(frozen=True, slots=True)
class Interaction:
    """One recorded call: what was asked (operation, boto3-form parameters) and the answer."""

    operation: str
    params: Mapping[str, Any]
    status: int
    body: str
    url: str
    content_type: str = XML
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Cassette:
    """The recorded calls of one run, in order, and whether account IDs were masked."""

    interactions: tuple[Interaction, ...]
    mask_account_ids: bool = False

    @classmethod
    def load(cls, path: PathLike) -> Cassette:
        """Read a cassette file written by record()."""
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigurationError(
                f"cannot read the cassette {os.fspath(path)}: {e}; record one first with "
                "record(path) against a real or embedded endpoint"
            ) from None
        return cls.from_yaml(text, source=str(path))

    @classmethod
    def from_yaml(cls, text: str, *, source: str = "cassette") -> Cassette:
        """Read a cassette from its YAML text; ConfigurationError if it is not one."""
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as e:
            problem = " ".join(str(e).split())
            raise ConfigurationError(f"{source}: not YAML ({problem})") from None
        if not isinstance(data, dict) or not isinstance(data.get("ec2revoke"), dict):
            raise ConfigurationError(
                f"{source}: not an ec2revoke cassette (no 'ec2revoke:' block); cassettes are "
                "written by ec2revoke.testing.record()"
            )
        meta = data["ec2revoke"]
        if meta.get("cassette") != FORMAT:
            raise ConfigurationError(
                f"{source}: cassette format {meta.get('cassette')!r}, not {FORMAT}; record it "
                "again with this version"
            )
        entries = data.get("responses") or []
        if not isinstance(entries, list):
            raise ConfigurationError(
                f"{source}: 'responses' must be a list of recorded calls, got {describe(entries)}"
            )
        interactions = []
        for i, entry in enumerate(entries):
            try:
                asked, answer = entry["request"], entry["response"]
                interactions.append(
                    Interaction(
                        operation=asked["operation"],
                        params=asked.get("params") or {},
                        status=_status(answer["status"]),
                        body=answer.get("body") or "",
                        url=answer["url"],
                        content_type=answer.get("content_type") or XML,
                        headers=answer.get("headers") or {},
                    )
                )
            except (KeyError, TypeError, ValueError, AttributeError) as e:
                raise ConfigurationError(
                    f"{source}: entry {i + 1} is incomplete or malformed ({e!r}); record the "
                    "cassette again"
                ) from None
        return cls(tuple(interactions), bool(meta.get("mask_account_ids")))

    def to_yaml(self) -> str:
        """The cassette as YAML, in responses' recorder layout."""
        data = {
            "ec2revoke": {
                "cassette": FORMAT,
                "api_version": SERVICE.api_version,
                "mask_account_ids": self.mask_account_ids,
            },
            "responses": [
                {
                    "request": {"operation": i.operation, "params": dict(i.params)},
                    "response": {
                        "method": "POST",
                        "url": i.url,
                        "body": i.body,
                        "status": i.status,
                        **({"headers": dict(i.headers)} if i.headers else {}),
                        "content_type": i.content_type,
                        "auto_calculate_content_length": False,
                    },
                }
                for i in self.interactions
            ],
        }
        return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True)

    def dump(self, path: PathLike) -> None:
        """Write the cassette, creating its folder."""
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(self.to_yaml(), encoding="utf-8")


def _status(value: Any) -> int:
    """An HTTP status from a cassette: an int, or its ASCII digits."""
    if type(value) is int:
        return value
    try:
        return scalars.parse_int(value)
    except (TypeError, ValueError):
        raise ValueError(f"status {value!r} is not an HTTP status") from None


class _Dumper(yaml.SafeDumper):
    """Writes multi-line text (XML bodies) as literal blocks, so cassettes diff well."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


class Recording(Interceptor):
    """Passes requests through to the network and keeps each EC2 call; see record()."""

    def __init__(self, path: PathLike, *, mask_account_ids: bool = False) -> None:
        # responses sends passed-through requests with real_adapter_send: this class's
        # _through, which sends with whatever HTTPAdapter.send was when it was activated.
        mock = responses.RequestsMock(
            assert_all_requests_are_fired=False, real_adapter_send=self._through
        )
        mock.add_passthru(re.compile(r".*"))
        super().__init__(mock)
        self.path = path
        self.mask_account_ids = mask_account_ids
        self.interactions: list[Interaction] = []
        self._send_on: Callable[..., requests.Response] | None = None
        self._secrets: set[str] = set()
        self._accounts: dict[str, str] = {}

    @property
    def cassette(self) -> Cassette:
        """What has been recorded so far."""
        return Cassette(tuple(self.interactions), self.mask_account_ids)

    def activate(self) -> None:
        """Start recording (requests still go out)."""
        if not self.active:
            # Taken before this mock patches it: the network, or an outer mock.
            self._send_on = requests.adapters.HTTPAdapter.send
        super().activate()

    def _leave(self) -> None:
        self.cassette.dump(self.path)

    def _through(
        self,
        adapter: requests.adapters.HTTPAdapter,
        request: requests.PreparedRequest,
        *args: Any,
        **kwargs: Any,
    ) -> requests.Response:
        assert self._send_on is not None
        response = self._send_on(adapter, request, *args, **kwargs)
        self._keep(request, response)
        return response

    def _keep(self, request: requests.PreparedRequest, response: requests.Response) -> None:
        try:
            operation, sent = decode(request)
        except ValueError:
            return  # not an EC2 call: passed through, not recorded
        for name, value in request.headers.items():
            if name.lower() in _SECRET_HEADERS and value:
                text = value.decode() if isinstance(value, bytes) else value
                self._secrets.add(text)
                self._secrets.update(re.findall(r"(?:Credential|Signature)=([^,/\s]+)", text))
        url = urlsplit(str(request.url))
        host = url.netloc.rpartition("@")[2]  # never a user:password@ prefix
        self.interactions.append(
            Interaction(
                operation=operation,
                params=self._clean(codec.to_dict(sent)),
                status=response.status_code,
                body=self._clean(response.content.decode("utf-8", errors="replace")),
                url=f"{url.scheme}://{host}{url.path}",
                content_type=response.headers.get("Content-Type") or XML,
                headers={
                    k: self._clean(v)
                    for k, v in response.headers.items()
                    if k.lower() in _KEPT_HEADERS
                },
            )
        )

    def _clean(self, value: Any) -> Any:
        """``value`` with secrets redacted and, if asked, account IDs masked."""
        if isinstance(value, dict):
            return {k: self._clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._clean(v) for v in value]
        if not isinstance(value, str):
            return value
        for secret in sorted(self._secrets, key=len, reverse=True):
            value = value.replace(secret, REDACTED)
        if self.mask_account_ids:
            value = _ACCOUNT_ID.sub(self._stand_in, value)
        return value

    def _stand_in(self, found: re.Match[str]) -> str:
        return self._accounts.setdefault(found[0], f"{len(self._accounts) + 1:012d}")


class Replay(ScriptedInterceptor):
    """Answers EC2 calls from a cassette, strictly in order; see replay()."""

    def __init__(self, cassette: Cassette | PathLike, *, assert_on_exit: bool = True) -> None:
        if not isinstance(cassette, Cassette):
            if not isinstance(cassette, (str, os.PathLike)):
                raise ParamValidationError(
                    f"replay takes a Cassette or the path of a cassette file, got "
                    f"{describe(cassette)}"
                )
            cassette = Cassette.load(cassette)
        self.cassette = cassette
        script = Script(
            what="recorded response",
            refill_hint="the code makes more calls than were recorded: record the cassette again",
            same=_same_but_account_ids if cassette.mask_account_ids else exactly,
            against="the recorded call",
        )
        for n, i in enumerate(cassette.interactions, 1):
            try:
                headers = {"Content-Type": i.content_type, **i.headers}
                script.expect(i.operation, i.params, Answer(i.status, i.body.encode(), headers))
            except (EC2Error, TypeError, AttributeError) as e:
                raise ConfigurationError(
                    f"cassette entry {n} cannot be replayed: {e}; record the cassette again"
                ) from None
        super().__init__(script, assert_on_exit=assert_on_exit)


def _same_but_account_ids(expected: Any, actual: Any) -> bool:
    if isinstance(expected, str) and isinstance(actual, str):
        return _ACCOUNT_ID.sub("#", expected) == _ACCOUNT_ID.sub("#", actual)
    return exactly(expected, actual)


def record(path: PathLike, *, mask_account_ids: bool = False) -> Recording:
    """Record every EC2 call made while active into a cassette at ``path``.

    Use with ``with`` or as a decorator; requests really go out (point the code at a
    real or embedded endpoint). The file is written when the block or decorated call
    ends without an exception, replacing any file there.
    """
    return Recording(path, mask_account_ids=mask_account_ids)


def replay(cassette: Cassette | PathLike, *, assert_on_exit: bool = True) -> Replay:
    """Answer EC2 calls from a cassette, offline, checking operation and parameters.

    Use with ``with`` or as a decorator. Leaving without an exception asserts that
    every recorded call was made and none was refused (unless ``assert_on_exit=False``).
    """
    return Replay(cassette, assert_on_exit=assert_on_exit)
