"""Stubber: canned EC2 answers for one client, in the spirit of botocore's Stubber.

    client = EC2Client(region="us-east-1", credentials=StaticCredentials("AKID", "secret"))
    with Stubber(client) as stub:
        stub.add_response(
            "RevokeSecurityGroupIngress",
            shapes.RevokeSecurityGroupIngressResult(return_=True),
            expected_params={"group_id": "sg-1", "ip_permissions": ANY},
        )
        client.revoke_ingress("sg-1", Rule.tcp(22).from_any_ipv4())

Answers are real EC2 XML written by the XML codec and served at requests'
HTTPAdapter, so the code under test runs the real signer, transport, retries and
parser. Calls must come in the order the answers were added.

Code that builds its own client (a command line's ``main()``, a Lambda handler) is
stubbed by the endpoint its client will send to:

    with Stubber.for_endpoint("https://ec2.us-east-1.amazonaws.com") as stub:
        stub.add_response("RevokeSecurityGroupIngress", {"Return": True})
        main(["--region", "us-east-1", ...])
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests
from typing_extensions import Self

from ec2revoke import codec
from ec2revoke._client import EC2Client
from ec2revoke._errors import ConfigurationError, ParamValidationError
from ec2revoke._http.endpoints import EndpointResolver
from ec2revoke._http.transport import RequestsTransport
from ec2revoke._wire.compiler import describe
from ec2revoke.testing._match import ANY, fields_of, operation_named, structure
from ec2revoke.testing._script import Answer, Script, ScriptedInterceptor

DRY_RUN_OK = "Request would have succeeded, but DryRun flag is set."
DRY_RUN_DENIED = "You are not authorized to perform this operation."


class Stubber(ScriptedInterceptor):
    """Serves queued EC2 answers to ``client`` (its endpoint URL), first in, first out.

    ``Stubber.for_endpoint(url)`` serves every client that sends to ``url`` instead,
    for code that builds its client itself.

    Use it with ``with``, as a decorator, or with activate()/deactivate(). Leaving a
    ``with`` block (or a decorated call) without an exception runs
    assert_no_pending_responses() unless ``assert_on_exit=False``.

    A call for another operation, or whose parameters differ from ``expected_params``,
    raises StubResponseError in the code under test; a call with no answer left raises
    UnstubbedRequestError. Both are kept in ``errors`` as well, and
    assert_no_pending_responses() fails while any is there.
    """

    def __init__(self, client: EC2Client, *, assert_on_exit: bool = True) -> None:
        if not isinstance(client, EC2Client):
            raise ConfigurationError(
                f"Stubber takes the EC2Client to answer, got {describe(client)}; for code "
                "that builds its own client, use Stubber.for_endpoint(url)"
            )
        if not isinstance(client.transport, RequestsTransport):
            raise ConfigurationError(
                f"Stubber answers at requests' HTTPAdapter, but this client sends through "
                f"{type(client.transport).__name__}; build the client without transport="
            )
        self._client: EC2Client | None = client
        self._bind(
            client.endpoint.url,
            " (the client it was given); stub that client instead",
            assert_on_exit,
        )

    @classmethod
    def for_endpoint(cls, endpoint_url: str, *, assert_on_exit: bool = True) -> Self:
        """A Stubber for every client that sends to ``endpoint_url``, wherever it is built.

        For code under test that makes its own EC2Client. ``endpoint_url`` is what that
        client sends to: its ``endpoint_url=``, or for a region's AWS endpoint
        ``https://ec2.REGION.amazonaws.com`` (``EC2Client(region=...).endpoint.url``).
        The client must send through requests (no ``transport=``). Such a Stubber has
        no ``client``.
        """
        if not isinstance(endpoint_url, str):
            raise ConfigurationError(
                f"Stubber.for_endpoint takes the endpoint_url the code under test sends to, "
                f"as text like 'https://ec2.us-east-1.amazonaws.com'; got {describe(endpoint_url)}"
            )
        # A ConfigurationError (a ValueError) that says what a valid URL looks like.
        endpoint = EndpointResolver().resolve(None, endpoint_url=endpoint_url)
        stubber = cls.__new__(cls)
        stubber._client = None
        stubber._bind(
            endpoint.url,
            " (the endpoint it was made for); make a Stubber for that endpoint as well",
            assert_on_exit,
        )
        return stubber

    def _bind(self, endpoint_url: str, url_note: str, assert_on_exit: bool) -> None:
        # The URL exactly as the client's requests will carry it (EC2Client posts to
        # its endpoint URL plus "/", normalised by requests).
        probe = requests.PreparedRequest()
        probe.prepare_url(endpoint_url + "/", None)
        self.url = str(probe.url)
        # Every POST is answered by the script, so a request to another endpoint gets
        # a clear refusal instead of responses' generic "Connection refused".
        script = Script(
            what="stubbed response",
            refill_hint="add one with add_response(), add_client_error() or add_dry_run()",
            url=self.url,
            url_note=url_note,
        )
        super().__init__(script, assert_on_exit=assert_on_exit)
        self._request_ids = 0

    @property
    def client(self) -> EC2Client:
        """The client this Stubber was made for (not for Stubber.for_endpoint())."""
        if self._client is None:
            raise AttributeError(
                f"this Stubber was made with Stubber.for_endpoint({self.url!r}) and has no "
                "client; the code under test builds its own"
            )
        return self._client

    def __repr__(self) -> str:
        return f"<Stubber for {self.url}: {len(self._script.steps)} pending>"

    def add_response(
        self,
        operation: str,
        result: Any,
        expected_params: Any = None,
        *,
        request_id: str | None = None,
    ) -> None:
        """Answer the next ``operation`` call with ``result``.

        ``result`` is the operation's result dataclass or its boto3 dict form.
        ``expected_params`` (the request dataclass, a dict of its fields, or its boto3
        dict; ``ANY`` anywhere inside) must equal what the code sends; None checks nothing.
        """
        op = operation_named(operation)
        assert op.output is not None
        result_type = structure(op.output).cls
        if isinstance(result, Mapping):
            result = codec.from_dict(result_type, result)
        elif type(result) is not result_type:
            raise ParamValidationError(
                f"{op.name} answers with a {result_type.__name__} (or its boto3 dict), "
                f"got {type(result).__name__}"
            )
        body = codec.to_xml(result, request_id=self._request_id(request_id), operation=op.name)
        self._script.expect(op.name, expected_params, Answer(200, body))

    def add_client_error(
        self,
        operation: str,
        code: str,
        message: str = "",
        http_status: int = 400,
        *,
        expected_params: Any = None,
        request_id: str | None = None,
    ) -> None:
        """Answer the next ``operation`` call with an EC2 error document.

        The client raises the typed error for ``code`` (InvalidPermission.NotFound ->
        InvalidPermissionNotFound). Throttling codes and 5xx statuses are retried by the
        client: queue one answer per attempt, or build the client with max_attempts=1.
        """
        if type(http_status) is not int or not 100 <= http_status <= 599:
            raise ParamValidationError(
                f"add_client_error: http_status must be an HTTP status from 100 to 599 as an "
                f"int (EC2 answers errors with 400, 403, 412, 500, 503...); got "
                f"{describe(http_status)}"
            )
        body = codec.error_xml(code, message, request_id=self._request_id(request_id))
        self._script.expect(operation, expected_params, Answer(http_status, body))

    def add_dry_run(
        self,
        operation: str,
        permitted: bool = True,
        *,
        expected_params: Any = None,
        request_id: str | None = None,
    ) -> None:
        """Answer the next ``operation`` call, which must have dry_run=True, as EC2 would.

        Permitted: HTTP 412 DryRunOperation (the client returns a DryRunResult). Not
        permitted: HTTP 403 UnauthorizedOperation (the client raises it).
        """
        op = operation_named(operation)
        assert op.input is not None
        if expected_params is None or expected_params is ANY:
            expected_params = dict.fromkeys((m.field for m in structure(op.input).members), ANY)
        fields = fields_of(expected_params, structure(op.input), "expected_params")
        if fields.get("dry_run") not in (None, True):
            raise ParamValidationError(
                "add_dry_run: expected_params may set dry_run to True only (or leave it out)"
            )
        expected = {**fields, "dry_run": True}
        code, message, status = (
            ("DryRunOperation", DRY_RUN_OK, 412)
            if permitted
            else ("UnauthorizedOperation", DRY_RUN_DENIED, 403)
        )
        body = codec.error_xml(code, message, request_id=self._request_id(request_id))
        self._script.expect(op.name, expected, Answer(status, body))

    def _request_id(self, given: str | None) -> str:
        if given is not None and not isinstance(given, str):
            raise ParamValidationError(
                f"request_id must be text (or None for a generated one), got {describe(given)}"
            )
        self._request_ids += 1
        # UUID-shaped like EC2's, and predictable so tests can assert on them.
        return given if given is not None else f"00000000-0000-4000-8000-{self._request_ids:012d}"
