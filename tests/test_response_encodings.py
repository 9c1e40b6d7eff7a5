"""Declared encodings, multi-byte encodings and compressed bodies: read as botocore reads them.

botocore's EC2QueryParser hands expat ``encoding="utf-8"``, which overrides whatever the
XML declaration says, so a declared ``bogus-8`` is read as UTF-8 and a body that is not
UTF-8 (nor UTF-16 with a byte-order mark, which expat detects) is unreadable. Ours must
read the same bodies the same way, and every body it cannot read is a ResponseError whose
status decides retrying, never a raw LookupError or ValueError.
"""

from __future__ import annotations

import gzip

import botocore.session
import pytest
import responses
from botocore.parsers import EC2QueryParser
from hypothesis import given, settings
from hypothesis import strategies as st

from ec2revoke import EC2Client, EC2Error, ResponseError, StaticCredentials, codec

OP = "RevokeSecurityGroupIngress"
ANSWER = f"<{OP}Response><requestId>r-1</requestId><return>true</return></{OP}Response>"
ERROR = (
    "<Response><Errors><Error><Code>InvalidGroup.NotFound</Code><Message>gone</Message>"
    "</Error></Errors><RequestID>r-2</RequestID></Response>"
)
PAGE = "<html><body><h1>503 Service Unavailable</h1></body></html>"


def declared(encoding: str, text: str, codec_name: str | None = None) -> bytes:
    return f'<?xml version="1.0" encoding="{encoding}"?>{text}'.encode(codec_name or "utf-8")


BODIES = {
    "bogus-8": declared("bogus-8", ANSWER),
    "x-unknown": declared("x-unknown", ANSWER),
    "x-bogus page": declared("x-bogus", PAGE),
    "x-bogus error": declared("x-bogus", ERROR),
    "utf-32": declared("utf-32", ANSWER, "utf-32"),
    "utf-16": declared("utf-16", ANSWER, "utf-16"),
    "shift_jis": declared("shift_jis", ANSWER, "shift_jis"),
    "euc-jp error": declared("euc-jp", ERROR, "euc-jp"),
    "latin-1 bytes": declared("iso-8859-1", ANSWER.replace("r-1", "r-\xe9"), "latin-1"),
    "gzip": gzip.compress(ANSWER.encode()),
}

_MODEL = botocore.session.get_session().get_service_model("ec2")


def botocore_reads(status: int, body: bytes) -> bool:
    """Whether botocore's parser makes sense of the body (an answer or an EC2 error)."""
    shape = _MODEL.operation_model(OP).output_shape
    try:
        parsed = EC2QueryParser().parse({"status_code": status, "headers": {}, "body": body}, shape)
    except Exception:  # botocore raises ResponseParserError and friends
        return False
    if status >= 300:
        return bool(parsed.get("Error", {}).get("Code"))
    return parsed.get("Return") is True


def ours_reads(status: int, body: bytes) -> str:
    """What ours makes of the body: "answer", the code of the error it names, or "unreadable"."""
    try:
        result = codec.parse_response(OP, status, body)
    except ResponseError as e:
        return "unreadable" if (e.status, e.operation) == (status, OP) else f"mislabelled {e!r}"
    except EC2Error as e:
        return str(e.code)
    return "answer" if result.return_ is True else "answer without Return"


@pytest.mark.parametrize("status", [200, 400, 503])
@pytest.mark.parametrize("name", sorted(BODIES))
def test_every_encoding_is_read_as_botocore_reads_it_or_is_a_response_error(
    name: str, status: int
) -> None:
    body = BODIES[name]
    ours = ours_reads(status, body)
    if ours == "unreadable":
        assert not botocore_reads(status, body), f"botocore reads {name} at {status}"
    elif status >= 300:
        assert ours == "InvalidGroup.NotFound"
        assert botocore_reads(status, body)
    elif ours == "answer":
        assert botocore_reads(status, body), f"botocore cannot read {name} but ours did"
    else:
        # An error document is the error it names, at any status: botocore reads one
        # sent with 200 as an answer without Return, which ours never calls success.
        assert ours == "InvalidGroup.NotFound"
        assert not botocore_reads(status, body)


@settings(max_examples=200, deadline=None)
@given(
    encoding=st.text(
        st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="\"'<>&?"),
        min_size=1,
        max_size=20,
    ),
    status=st.sampled_from([200, 500, 503]),
)
def test_any_declared_encoding_gives_an_answer_or_a_typed_error(encoding: str, status: int) -> None:
    body = declared(encoding, ANSWER)
    assert ours_reads(status, body) in ("answer", "unreadable")


def test_a_gzip_body_says_it_is_gzip() -> None:
    with pytest.raises(ResponseError) as caught:
        codec.parse_response(OP, 200, BODIES["gzip"])
    assert "gzip" in str(caught.value)


def test_a_utf32_body_says_it_is_not_utf8() -> None:
    with pytest.raises(ResponseError) as caught:
        codec.parse_response(OP, 200, BODIES["utf-32"])
    assert "UTF-32" in str(caught.value)
    assert "UTF-8" in str(caught.value)


@responses.activate
def test_a_503_page_with_a_bogus_encoding_is_retried_then_answered() -> None:
    url = "https://ec2.us-east-1.amazonaws.com/"
    responses.add(responses.POST, url, body=BODIES["x-bogus page"], status=503)
    responses.add(responses.POST, url, body=ANSWER.encode(), status=200)
    client = EC2Client(
        region="us-east-1",
        credentials=StaticCredentials("AKIDEXAMPLE", "secret"),
        sleep=lambda s: None,
    )
    result = client.revoke_security_group_ingress(group_id="sg-1", ip_permissions=[])
    assert result.return_ is True
    assert len(responses.calls) == 2
