"""Bodies that are not EC2 answers: each must raise a typed, clearly worded error.

Never a result, never a hang, never RecursionError/MemoryError/AttributeError. A body that
is a genuine EC2 error envelope raises ServiceError; anything else raises ResponseError
with the HTTP status, what was wrong and a short excerpt of the body.
"""

from __future__ import annotations

import http.server
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import botocore.session
import pytest
from botocore.parsers import EC2QueryParser
from hypothesis import given, settings
from hypothesis import strategies as st

from ec2revoke import EC2Error, ResponseError, ServiceError, codec

OP = "RevokeSecurityGroupIngress"
RECORDED = Path(__file__).parent / "recorded"
REVOKE_OK = (RECORDED / "revoke_ingress_return_true_2016-11-15_libcloud.xml").read_bytes()


def response_error(status: int, body: bytes, operation: str = OP) -> ResponseError:
    """The ResponseError a body raises, checked for type, status and a bounded message."""
    start = time.perf_counter()
    with pytest.raises(ResponseError) as info:
        codec.parse_response(operation, status, body)
    assert time.perf_counter() - start < 5, "parsing a hostile body must not hang"
    error = info.value
    assert type(error) is ResponseError
    assert isinstance(error, EC2Error)
    assert error.status == status
    assert error.operation == operation
    assert error.code == "MalformedResponse"
    message = str(error)
    assert message == error.message
    assert message.startswith(f"HTTP {status} response to {operation} ")
    assert len(message) < 800, "the message quotes only a short excerpt of the body"
    return error


# --- DTDs and entities ----------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<RevokeSecurityGroupIngressResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>&lol9;</requestId>
  <return>true</return>
</RevokeSecurityGroupIngressResponse>
"""
QUADRATIC = (
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "'
    + b"a" * 50_000
    + b'">]><RevokeSecurityGroupIngressResponse><requestId>'
    + b"&a;" * 50_000
    + b"</requestId><return>true</return></RevokeSecurityGroupIngressResponse>"
)
DTD_ALONE = b"""<?xml version="1.0"?>
<!DOCTYPE RevokeSecurityGroupIngressResponse>
<RevokeSecurityGroupIngressResponse><return>true</return></RevokeSecurityGroupIngressResponse>
"""
FILE_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<RevokeSecurityGroupIngressResponse>
  <requestId>&xxe;</requestId><return>true</return>
</RevokeSecurityGroupIngressResponse>
"""
# A DTD-smuggled error code: the entity must not be expanded into a ServiceError.
ENTITY_IN_ERROR = b"""<?xml version="1.0"?>
<!DOCTYPE Response [<!ENTITY code "InvalidPermission.NotFound">]>
<Response><Errors><Error><Code>&code;</Code><Message>m</Message></Error></Errors>
<RequestID>r</RequestID></Response>
"""
UNSAFE = [
    pytest.param(BILLION_LAUGHS, id="billion-laughs"),
    pytest.param(QUADRATIC, id="quadratic-blowup"),
    pytest.param(DTD_ALONE, id="dtd-alone"),
    pytest.param(FILE_ENTITY, id="external-file-entity"),
    pytest.param(ENTITY_IN_ERROR, id="entity-in-error-envelope"),
]


@pytest.mark.parametrize("body", UNSAFE)
@pytest.mark.parametrize("status", [200, 400, 503])
def test_dtd_and_entities_are_refused_as_unsafe(body: bytes, status: int) -> None:
    error = response_error(status, body)
    message = str(error)
    assert "unsafe XML" in message
    assert "DTD" in message
    assert "entities" in message
    assert "<!DOCTYPE" in message  # the excerpt
    assert "root:" not in message  # /etc/passwd was not read
    assert "lollol" not in message  # nothing was expanded


class _Recorder(http.server.BaseHTTPRequestHandler):
    paths: list[str]

    def do_GET(self) -> None:
        self.paths.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/xml-dtd")
        self.end_headers()
        self.wfile.write(b'<!ENTITY leak "fetched">')

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def local_server() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on 127.0.0.1 that records every request it gets."""
    paths: list[str] = []
    handler = type("Handler", (_Recorder,), {"paths": paths})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
    )
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    with urllib.request.urlopen(f"{url}/ping", timeout=5) as reply:
        assert reply.status == 200
    assert paths == ["/ping"]  # reachable, and it records what it is asked
    paths.clear()
    try:
        yield url, paths
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize("kind", ["general-entity", "parameter-entity", "external-dtd"])
@pytest.mark.parametrize("status", [200, 400])
def test_external_references_are_never_fetched(
    local_server: tuple[str, list[str]], kind: str, status: int
) -> None:
    url, paths = local_server
    doctype = {
        "general-entity": f'<!DOCTYPE r [<!ENTITY leak SYSTEM "{url}/entity">]>',
        "parameter-entity": f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{url}/param.dtd"> %p;]>',
        "external-dtd": f'<!DOCTYPE r SYSTEM "{url}/external.dtd">',
    }[kind]
    body = (
        f'<?xml version="1.0"?>{doctype}'
        "<RevokeSecurityGroupIngressResponse><requestId>&leak;</requestId>"
        "<return>true</return></RevokeSecurityGroupIngressResponse>"
    ).encode()
    error = response_error(status, body)
    assert "unsafe XML" in str(error)
    assert "DTD" in str(error)
    # The server is reachable, so an empty log means the parser never asked.
    assert paths == []


# --- truncated bodies -----------------------------------------------------------------

# One body of each kind: both revokes, both authorizes, a describe, error envelopes.
_KINDS = [
    ("RevokeSecurityGroupIngress", 200, "revoke_ingress_return_true_2016-11-15_libcloud.xml"),
    ("RevokeSecurityGroupIngress", 200, "revoke_ingress_return_true_2011-12-15_goamz.xml"),
    ("RevokeSecurityGroupEgress", 200, "revoke_egress_return_true_2016-11-15_libcloud.xml"),
    ("AuthorizeSecurityGroupIngress", 200, "authorize_ingress_return_true_2011-05-15_jclouds.xml"),
    ("AuthorizeSecurityGroupEgress", 200, "authorize_egress_return_true_2014-06-15_goamz.xml"),
    ("DescribeSecurityGroups", 200, "describe_security_groups_2016-11-15_manageiq_vpc_single.xml"),
    ("DescribeSecurityGroups", 200, "describe_security_groups_2011-12-15_goamz_dump.xml"),
    (
        "DescribeSecurityGroups",
        200,
        "describe_security_groups_2016-11-15_manageiq_account_full.xml",
    ),
    (OP, 400, "error_InvalidPermission.NotFound_dsi_terraform_log.xml"),
    (OP, 412, "error_DryRunOperation_jclouds_reformatted.xml"),
    (OP, 503, "error_Unavailable_503_dog_trainer.xml"),
    (OP, 400, "error_UnsupportedOperation_goamz_linebroken.xml"),
    (OP, 200, "error_InvalidPermission.Duplicate_dog_trainer.xml"),  # error envelope, 2xx
]
# Trailing whitespace after the root element is not content: a prefix that only drops it
# is the whole document, so cut from the body without it.
TRUNCATABLE = [(op, status, (RECORDED / name).read_bytes().rstrip()) for op, status, name in _KINDS]


def test_the_whole_bodies_parse() -> None:
    """The untruncated bodies are readable, so truncation is what the tests below break."""
    for op, status, body in TRUNCATABLE:
        if status < 300 and b"<Errors>" not in body:
            assert codec.parse_response(op, status, body) is not None
        else:
            with pytest.raises(ServiceError):
                codec.parse_response(op, status, body)


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_every_strict_prefix_is_a_response_error(data: st.DataObject) -> None:
    op, status, body = data.draw(st.sampled_from(TRUNCATABLE), label="body")
    cut = data.draw(st.integers(min_value=0, max_value=len(body) - 1), label="cut")
    with pytest.raises(ResponseError) as info:
        codec.parse_response(op, status, body[:cut])
    assert type(info.value) is ResponseError
    assert info.value.status == status


@pytest.mark.parametrize(("op", "status", "body"), [TRUNCATABLE[0], TRUNCATABLE[8]])
def test_every_strict_prefix_of_a_short_body_exhaustively(
    op: str, status: int, body: bytes
) -> None:
    for cut in range(len(body)):
        with pytest.raises(ResponseError) as info:
            codec.parse_response(op, status, body[:cut])
        assert info.value.status == status
        text = str(info.value)
        assert ("not well-formed" in text) or ("empty" in text) or ("whitespace" in text)


def test_truncated_body_message_says_so() -> None:
    error = response_error(200, REVOKE_OK[:120])
    assert "not well-formed XML" in str(error)
    assert "truncated" in str(error)
    assert "<RevokeSecurityGroupIngressResponse" in str(error)


# --- not XML, or not EC2's XML --------------------------------------------------------

PROXY_HTML = b"""<!DOCTYPE html>
<html><head><title>502 Bad Gateway</title></head>
<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>
"""
PROXY_HTML_XHTML = b"""<html><head><title>503 Service Unavailable</title></head>
<body><h1>Service Unavailable</h1><p>The server is temporarily unable to service your
request.</p></body></html>"""


@pytest.mark.parametrize("status", [200, 502, 503])
def test_html_page_with_a_doctype_from_a_proxy(status: int) -> None:
    # An HTML5 page starts with <!DOCTYPE html>, which the XML parser refuses first.
    error = response_error(status, PROXY_HTML)
    assert "<!DOCTYPE html>" in str(error)
    assert "502 Bad Gateway" in str(error)


@pytest.mark.parametrize("status", [200, 502, 503])
def test_html_page_from_a_proxy(status: int) -> None:
    error = response_error(status, PROXY_HTML_XHTML)
    message = str(error)
    assert "<html>" in message
    assert "503 Service Unavailable" in message  # the excerpt
    assert "proxy" in message
    if status == 200:
        assert "not <RevokeSecurityGroupIngressResponse>" in message
    else:
        assert "not an EC2 error document" in message


@pytest.mark.parametrize(
    ("status", "body", "words"),
    [
        pytest.param(200, b"", ("an empty body",), id="empty-200"),
        pytest.param(500, b"", ("an empty body",), id="empty-500"),
        pytest.param(204, b"", ("an empty body",), id="empty-204"),
        pytest.param(200, b" \r\n\t \n", ("only whitespace",), id="whitespace-200"),
        pytest.param(500, b"\n\n", ("only whitespace",), id="whitespace-500"),
    ],
)
def test_empty_and_blank_bodies(status: int, body: bytes, words: tuple[str, ...]) -> None:
    message = str(response_error(status, body))
    for word in words:
        assert word in message
    assert "retry" in message


@pytest.mark.parametrize("status", [200, 400, 500])
@pytest.mark.parametrize(
    ("body", "excerpt"),
    [
        pytest.param(bytes(range(256)) * 4, r"\x00\x01\x02", id="binary-garbage"),
        pytest.param(
            b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + b"\xff" * 64, r"\x08\x00\x00", id="gzip"
        ),
        pytest.param(b'{"Return": true, "RequestId": "r"}', '{"Return": true', id="json"),
        pytest.param(
            b'{"__type": "InvalidPermission.NotFound", "message": "m"}',
            '{"__type": "InvalidPermission.NotFound"',
            id="json-error",
        ),
        pytest.param(b"Internal Server Error", "Internal Server Error", id="plain-text"),
    ],
)
def test_not_xml(status: int, body: bytes, excerpt: str) -> None:
    message = str(response_error(status, body))
    assert "not well-formed XML" in message
    assert excerpt in message


@pytest.mark.parametrize(
    ("operation", "root"),
    [
        ("RevokeSecurityGroupIngress", "DescribeSecurityGroupsResponse"),
        ("RevokeSecurityGroupIngress", "RevokeSecurityGroupEgressResponse"),
        ("RevokeSecurityGroupEgress", "RevokeSecurityGroupIngressResponse"),
        ("DescribeSecurityGroups", "RevokeSecurityGroupIngressResponse"),
        ("RevokeSecurityGroupIngress", "Errors"),
    ],
)
def test_wrong_root_element(operation: str, root: str) -> None:
    body = (
        f'<{root} xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
        f"<requestId>r</requestId><return>true</return></{root}>"
    ).encode()
    message = str(response_error(200, body, operation))
    assert f"has the root element <{root}>, not <{operation}Response>" in message


def test_huge_element_name_is_not_quoted_whole() -> None:
    body = b"<" + b"a" * 1_000_000 + b"/>"
    response_error(200, body)
    response_error(400, body)


@pytest.mark.parametrize("status", [200, 400, 502])
def test_huge_body_is_quoted_by_a_short_excerpt(status: int) -> None:
    body = b"<html><body>" + b"A" * 5_000_000 + b"</body>"
    message = str(response_error(status, body))
    assert "<html><body>AAAA" in message
    assert "A" * 200 not in message
    assert "..." in message


# --- deep nesting ---------------------------------------------------------------------

DEPTH = 200_000


def test_deeply_nested_unknown_elements_are_refused_without_recursion() -> None:
    body = (
        b"<RevokeSecurityGroupIngressResponse><return>true</return>"
        + b"<a>" * DEPTH
        + b"</a>" * DEPTH
        + b"</RevokeSecurityGroupIngressResponse>"
    )
    message = str(response_error(200, body))
    assert "nested more than 1000 levels deep" in message
    assert "<a><a><a>" in message


def test_deep_nesting_within_a_list_item_is_refused() -> None:
    body = (
        b"<DescribeSecurityGroupsResponse><securityGroupInfo><item><ipPermissions><item>"
        + b"<x>" * DEPTH
        + b"</x>" * DEPTH
        + b"</item></ipPermissions></item></securityGroupInfo></DescribeSecurityGroupsResponse>"
    )
    assert "nested more than" in str(response_error(200, body, "DescribeSecurityGroups"))


def test_moderate_nesting_of_unknown_elements_is_still_read() -> None:
    """The depth guard leaves room for any plausible future EC2 element."""
    body = (
        b"<RevokeSecurityGroupIngressResponse><return>true</return>"
        + b"<a>" * 200
        + b"</a>" * 200
        + b"</RevokeSecurityGroupIngressResponse>"
    )
    assert codec.parse_response(OP, 200, body).return_ is True


@pytest.mark.parametrize("status", [400, 502])
def test_deep_nesting_in_an_error_status_body(status: int) -> None:
    not_an_error = b"<Response>" + b"<a>" * DEPTH + b"</a>" * DEPTH + b"</Response>"
    assert "not an EC2 error document" in str(response_error(status, not_an_error))
    error_with_junk = (
        b"<Response><Errors><Error><Code>Unavailable</Code><Message>m</Message>"
        + b"<a>" * DEPTH
        + b"</a>" * DEPTH
        + b"</Error></Errors><RequestID>r</RequestID></Response>"
    )
    with pytest.raises(ServiceError) as info:
        codec.parse_response(OP, status, error_with_junk)
    assert (info.value.code, info.value.message, info.value.status) == ("Unavailable", "m", status)


# --- values of the wrong type ---------------------------------------------------------


@pytest.mark.parametrize("value", ["maybe", "True", "TRUE", "1", "yes", " true", "false!"])
def test_non_boolean_return(value: str) -> None:
    # botocore reads anything but "true" as False, which would turn a garbled
    # <return> into a silent "revoke failed"; we refuse the body instead.
    body = REVOKE_OK.replace(b"<return>true</return>", f"<return>{value}</return>".encode())
    assert body != REVOKE_OK
    message = str(response_error(200, body))
    assert f"<return> should be true or false, got {value!r}" in message


def test_empty_return_is_absent_not_false() -> None:
    body = REVOKE_OK.replace(b"<return>true</return>", b"<return/>")
    result = codec.parse_response(OP, 200, body)
    assert result.return_ is None


DESCRIBE = b"""<DescribeSecurityGroupsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
<requestId>r</requestId><securityGroupInfo><item><groupId>sg-1</groupId><ipPermissions><item>
<ipProtocol>tcp</ipProtocol><fromPort>PORT</fromPort><toPort>22</toPort></item></ipPermissions>
</item></securityGroupInfo></DescribeSecurityGroupsResponse>"""


@pytest.mark.parametrize("value", ["twenty", "22.5", "0x16", "1e3", "22 23", "9" * 5000])
def test_non_integer_from_port(value: str) -> None:
    body = DESCRIBE.replace(b"PORT", value.encode())
    message = str(response_error(200, body, "DescribeSecurityGroups"))
    assert "<fromPort> should be an integer, got" in message
    assert repr(value[:60]) in message


def test_non_integer_port_in_a_revoke_result() -> None:
    body = (
        b"<RevokeSecurityGroupIngressResponse><return>true</return><unknownIpPermissionSet>"
        b"<item><ipProtocol>tcp</ipProtocol><toPort>ssh</toPort></item>"
        b"</unknownIpPermissionSet></RevokeSecurityGroupIngressResponse>"
    )
    assert "<toPort> should be an integer, got 'ssh'" in str(response_error(200, body))


def test_the_port_template_is_valid() -> None:
    result = codec.parse_response("DescribeSecurityGroups", 200, DESCRIBE.replace(b"PORT", b"22"))
    assert result.security_groups[0].ip_permissions[0].from_port == 22


def test_junk_after_the_document() -> None:
    message = str(response_error(200, REVOKE_OK + b"<extra/>"))
    assert "junk after document element" in message


# --- error envelopes that are incomplete ----------------------------------------------


@pytest.mark.parametrize("status", [400, 200])
def test_error_envelope_without_code(status: int) -> None:
    body = (
        b"<Response><Errors><Error><Message>Rate exceeded</Message></Error></Errors>"
        b"<RequestID>2f4ad4a8-9c4b-4a7b-8e0f-3b1e2a1c9d00</RequestID></Response>"
    )
    with pytest.raises(ServiceError) as info:
        codec.parse_response(OP, status, body)
    error = info.value
    # botocore's ClientError also says "Unknown" when the code is missing.
    assert error.code == "Unknown"
    assert error.message == "Rate exceeded"
    assert error.request_id == "2f4ad4a8-9c4b-4a7b-8e0f-3b1e2a1c9d00"
    assert error.status == status
    assert (
        str(error) == f"An error occurred (Unknown) when calling the {OP} operation: Rate exceeded"
    )


def test_error_envelope_without_code_or_message_still_says_something() -> None:
    body = b"<Response><Errors><Error/></Errors><RequestID>r-9</RequestID></Response>"
    with pytest.raises(ServiceError) as info:
        codec.parse_response(OP, 500, body)
    error = info.value
    assert (error.code, error.request_id, error.status) == ("Unknown", "r-9", 500)
    assert "HTTP 500 error document without a <Message>" in error.message
    assert "<Response><Errors><Error/>" in error.message


@pytest.mark.parametrize("status", [400, 200])
def test_response_without_errors_element(status: int) -> None:
    body = b"<Response><RequestID>r</RequestID></Response>"
    message = str(response_error(status, body))
    assert "not an EC2 error document (no <Errors><Error> in <Response>)" in message


# --- answers that lie: mixed content and repeated elements ------------------------------

_EC2_MODEL = botocore.session.get_session().get_service_model("ec2")
_UNKNOWN_22 = (
    "<item><ipProtocol>tcp</ipProtocol><fromPort>22</fromPort><toPort>22</toPort>"
    "<ipRanges><item><cidrIp>198.51.100.0/24</cidrIp></item></ipRanges></item>"
)
_UNKNOWN_53 = "<item><ipProtocol>udp</ipProtocol><fromPort>53</fromPort><toPort>53</toPort></item>"


def _revoke_body(inner: str) -> bytes:
    return (
        '<RevokeSecurityGroupIngressResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
        f"<requestId>r-1</requestId>{inner}</RevokeSecurityGroupIngressResponse>"
    ).encode()


def _botocore(body: bytes, operation: str = OP) -> dict[str, object]:
    shape = _EC2_MODEL.operation_model(operation).output_shape
    parsed: dict[str, object] = EC2QueryParser().parse(
        {"body": body, "headers": {}, "status_code": 200}, shape
    )
    parsed.pop("ResponseMetadata")
    return parsed


@pytest.mark.parametrize(
    ("inner", "expected"),
    [
        ("<return>false<x/>true</return>", False),
        ("<return>true<x/>false</return>", True),
        ("<return>false<x>true</x></return>", False),
        ("<return>tr<!-- a comment is no child -->ue</return>", True),
    ],
)
def test_a_boolean_is_the_text_before_any_child_as_in_botocore(inner: str, expected: bool) -> None:
    body = _revoke_body(inner)
    assert codec.parse_response(OP, 200, body).return_ is expected
    assert _botocore(body) == {"Return": expected}


def test_text_around_a_comment_is_one_text() -> None:
    # "falsetrue", as botocore reads it too; it reads that as False, we refuse it
    # (see test_non_boolean_return).
    body = _revoke_body("<return>false<!-- c -->true</return>")
    assert "got 'falsetrue'" in str(response_error(200, body))
    assert _botocore(body) == {"Return": False}


def test_text_after_a_child_is_not_part_of_a_string_either() -> None:
    body = _revoke_body(
        "<return>true</return><unknownIpPermissionSet><item>"
        "<ipProtocol>tcp<x/>udp</ipProtocol><fromPort>22<y/>99</fromPort></item>"
        "</unknownIpPermissionSet>"
    )
    result = codec.parse_response(OP, 200, body)
    assert codec.to_dict(result) == _botocore(body)
    assert result.unknown_ip_permissions[0].ip_protocol == "tcp"
    assert result.unknown_ip_permissions[0].from_port == 22


def test_a_child_before_any_text_leaves_a_boolean_absent() -> None:
    # botocore reads the empty node.text as False; an empty boolean reads as absent here
    # (test_empty_return_is_absent_not_false), and Return absent is no success either.
    body = _revoke_body("<return><x/>true</return>")
    assert codec.parse_response(OP, 200, body).return_ is None
    assert _botocore(body) == {"Return": False}


@pytest.mark.parametrize(
    ("inner", "unknown"),
    [
        (f"<unknownIpPermissionSet>{_UNKNOWN_22}</unknownIpPermissionSet><unknownIpPermissionSet/>", [22]),
        (f"<unknownIpPermissionSet/><unknownIpPermissionSet>{_UNKNOWN_22}</unknownIpPermissionSet>", [22]),
        (f"<unknownIpPermissionSet>{_UNKNOWN_22}</unknownIpPermissionSet>"
         f"<unknownIpPermissionSet>{_UNKNOWN_53}</unknownIpPermissionSet>", [22, 53]),
    ],
)  # fmt: skip
def test_a_list_given_twice_loses_no_items(inner: str, unknown: list[int]) -> None:
    # botocore reads a repeated list element as that many empty entries ([{}, {}]): the
    # rules EC2 did not revoke are lost. Here the entries of both are kept, in order, so
    # a later empty list cannot hide an earlier one's UnknownIpPermissions.
    body = _revoke_body(f"<return>true</return>{inner}")
    result = codec.parse_response(OP, 200, body)
    assert [p.from_port for p in result.unknown_ip_permissions] == unknown
    assert _botocore(body)["UnknownIpPermissions"] == [{}, {}]


def test_a_nested_list_given_twice_loses_no_items() -> None:
    body = _revoke_body(
        "<return>true</return><unknownIpPermissionSet><item><ipProtocol>tcp</ipProtocol>"
        "<ipRanges><item><cidrIp>10.0.0.0/8</cidrIp></item></ipRanges><ipRanges/>"
        "</item></unknownIpPermissionSet>"
    )
    (permission,) = codec.parse_response(OP, 200, body).unknown_ip_permissions
    assert [r.cidr_ip for r in permission.ip_ranges] == ["10.0.0.0/8"]


@pytest.mark.parametrize(
    "inner",
    [
        "<return>false</return><return>true</return>",
        "<return>true</return><return>false</return>",
        "<return>true</return><return/>",
        "<return/><return>true</return>",
        "<return>true</return><unknownIpPermissionSet><item><ipProtocol>tcp</ipProtocol>"
        "<ipProtocol>udp</ipProtocol></item></unknownIpPermissionSet>",
    ],
)
def test_a_value_given_twice_is_refused(inner: str) -> None:
    # Which of the two EC2 meant is unknowable; botocore reads a repeated boolean as False
    # and a repeated string as a list of elements. Refusing is the one safe reading.
    message = str(response_error(200, _revoke_body(inner)))
    assert "more than once" in message


def test_a_structure_given_twice_is_refused() -> None:
    body = (
        b"<DescribeSecurityGroupRulesResponse><requestId>r</requestId><securityGroupRuleSet><item>"
        b"<securityGroupRuleId>sgr-1</securityGroupRuleId>"
        b"<referencedGroupInfo><groupId>sg-1</groupId></referencedGroupInfo>"
        b"<referencedGroupInfo><groupId>sg-2</groupId></referencedGroupInfo>"
        b"</item></securityGroupRuleSet></DescribeSecurityGroupRulesResponse>"
    )
    message = str(response_error(200, body, "DescribeSecurityGroupRules"))
    assert "<referencedGroupInfo> appears more than once" in message
