"""The Query encoders compiled from a service's wire tables.

``Codec(service)`` is public, so the service's names are input like any other: a member
or class name that is not a Python identifier must not become code, and the request
must still be encoded (or refused with a typed error). The compiled source is kept
where tracebacks find it, so a failure inside an encoder names a real line.
"""

from __future__ import annotations

import linecache
import traceback
from typing import Any

import pytest

from ec2revoke import ParamValidationError, codec
from ec2revoke._wire.schema import Member, Operation, Scalar, Service, Structure

# A name that, pasted after ``value.``, would append a parameter of its own.
INJECTING = "a_b\n    out.append(('Injected', 'yes'))"
NAMES = [
    "a-b",
    "x) or (y",
    "return",  # a keyword: ``value.return`` does not compile
    INJECTING,
    "\ufb01eld",  # the ligature; Python would read ``value.ﬁeld`` as ``value.field``
]


class Request:
    """A request class with whatever attributes a test sets on it."""


def service(cls: type[Any], *fields: str, required: bool = False) -> Service:
    members = tuple(
        Member(field=f, name=f"M{i}", shape="Text", query=f"M{i}", xml=f"m{i}", required=required)
        for i, f in enumerate(fields)
    )
    return Service(
        api_version="2016-11-15",
        xml_namespace="http://ec2.amazonaws.com/doc/2016-11-15/",
        shapes={"Text": Scalar("string"), "Req": Structure(cls=cls, members=members)},
        operations={"Op": Operation(name="Op", method="op", input="Req", output=None)},
    )


@pytest.mark.parametrize("field", NAMES)
def test_a_member_name_that_is_no_identifier_is_read_not_run(field: str) -> None:
    request = Request()
    setattr(request, field, "given")
    # What the name would read if it were pasted into code.
    request.a_b = "pasted"  # type: ignore[attr-defined]
    request.field = "pasted"  # type: ignore[attr-defined]
    pairs = codec.Codec(service(Request, field)).to_query(request)
    assert pairs == [("Action", "Op"), ("Version", "2016-11-15"), ("M0", "given")]


def test_a_class_name_with_quotes_stays_text() -> None:
    name = "R'); out.append(('Injected', 'yes')); ('"
    cls = type(name, (), {"a": None})
    with pytest.raises(ParamValidationError) as caught:
        codec.Codec(service(cls, "a", required=True)).to_query(cls())
    assert caught.value.message == f"Req.a: is required by {name}; give it a value"


def test_an_encoder_traceback_names_its_source_line() -> None:
    class Needs:
        a: str | None = None

    with pytest.raises(ParamValidationError) as caught:
        codec.Codec(service(Needs, "a", required=True)).to_query(Needs())
    # The encoder's own failure, which the typed error replaces (``from None``).
    inner = caught.value.__context__
    assert inner is not None
    frames = traceback.extract_tb(inner.__traceback__)
    encoder = frames[-1]
    assert encoder.filename != "<string>"
    assert "Req" in encoder.filename
    assert encoder.line == "raise e"
    assert linecache.getline(encoder.filename, encoder.lineno or 0).strip() == "raise e"


def test_each_compiled_encoder_has_a_file_of_its_own() -> None:
    class Needs:
        a: str | None = None

    files = set()
    for _ in range(2):  # the same shape in two codecs: still two files
        with pytest.raises(ParamValidationError) as caught:
            codec.Codec(service(Needs, "a", required=True)).to_query(Needs())
        assert caught.value.__context__ is not None
        files.add(traceback.extract_tb(caught.value.__context__.__traceback__)[-1].filename)
    assert len(files) == 2
