"""Our codecs against botocore, the reference, for every operation of the service.

Requests and results are drawn from the wire tables (tests/strategies.py); botocore's
EC2Serializer and EC2QueryParser say what the right answer is.
"""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import urlencode

import botocore.exceptions
import botocore.session
import pytest
from botocore.awsrequest import AWSRequest
from botocore.parsers import EC2QueryParser
from botocore.serialize import EC2Serializer
from botocore.validate import validate_parameters
from hypothesis import given, settings
from hypothesis import strategies as st

from ec2revoke import ParamValidationError, ServiceError, codec, shapes
from ec2revoke._generated.wire import SERVICE
from ec2revoke._wire.schema import ListShape, MapShape, Service, Structure
from ec2revoke._wire.xml_encode import error_xml
from tests.strategies import ShapeStrategies, stripped_xml_text, xml_text

OPERATIONS = sorted(SERVICE.operations)
STRUCTURES = sorted(n for n, s in SERVICE.shapes.items() if isinstance(s, Structure))
EC2_MODEL = botocore.session.get_session().get_service_model("ec2")
SHAPES = ShapeStrategies(SERVICE)
PROPERTY = settings(max_examples=40, deadline=None)

nonblank = stripped_xml_text.filter(bool)


def request_of(operation: str) -> st.SearchStrategy[Any]:
    op = SERVICE.operations[operation]
    assert op.input is not None
    return SHAPES.shape(op.input)


def result_of(operation: str) -> st.SearchStrategy[Any]:
    op = SERVICE.operations[operation]
    assert op.output is not None
    return SHAPES.shape(op.output)


def botocore_body(operation: str, request: Any) -> dict[str, Any]:
    """What botocore would send for the same request, from its boto3 dict form."""
    model = EC2_MODEL.operation_model(operation)
    body: dict[str, Any] = EC2Serializer().serialize_to_request(codec.to_dict(request), model)[
        "body"
    ]
    return body


def botocore_parse(operation: str, status: int, body: bytes) -> dict[str, Any]:
    model = EC2_MODEL.operation_model(operation)
    response = {"body": body, "headers": {}, "status_code": status}
    parsed: dict[str, Any] = EC2QueryParser().parse(response, model.output_shape)
    return parsed


def sent_form(service: Service, shape: str, value: Any) -> Any:
    """``value`` as the Query wire carries it back: what from_query should return.

    EC2 sends nothing for an empty list, nor for a structure whose members are all
    unset, so those read back as absent (None), and list entries that sent nothing
    are missing from the list. The request itself is always there.
    """
    spec = service.shapes[shape]
    if value is None or not isinstance(spec, (Structure, ListShape, MapShape)):
        return value
    if isinstance(spec, Structure):
        fields = {
            m.field: _sent_or_none(service, m.shape, getattr(value, m.field)) for m in spec.members
        }
        return dataclasses.replace(value, **fields)
    if isinstance(spec, ListShape):
        items = (_sent_or_none(service, spec.member, v) for v in value)
        return tuple(v for v in items if v is not None)
    return {k: sent_form(service, spec.value, v) for k, v in value.items()}


def _sent_or_none(service: Service, shape: str, value: Any) -> Any:
    """The sent form of a nested value, or None when nothing of it is sent."""
    value = sent_form(service, shape, value)
    spec = service.shapes[shape]
    if isinstance(spec, Structure):
        empty = all(getattr(value, m.field) is None for m in spec.members)
    else:
        empty = isinstance(spec, (ListShape, MapShape)) and not value
    return None if value is None or empty else value


# -- Query ---------------------------------------------------------------------------


@pytest.mark.parametrize("operation", OPERATIONS)
@PROPERTY
@given(data=st.data())
def test_query_matches_botocore(operation: str, data: st.DataObject) -> None:
    """Same parameters, same order, same text as botocore's EC2Serializer."""
    request = data.draw(request_of(operation))
    expected = [
        (k, v if isinstance(v, str) else str(v))
        for k, v in botocore_body(operation, request).items()
    ]
    assert codec.to_query(request) == expected


@pytest.mark.parametrize("operation", OPERATIONS)
@PROPERTY
@given(data=st.data())
def test_form_body_matches_botocore(operation: str, data: st.DataObject) -> None:
    """The request body bytes are those botocore's AWSRequest sends."""
    request = data.draw(request_of(operation))
    body = botocore_body(operation, request)
    ours = codec.form_body(codec.to_query(request))
    assert ours == urlencode(body, doseq=True).encode()
    prepared = AWSRequest(method="POST", url="https://ec2.us-east-1.amazonaws.com/", data=body)
    assert ours == prepared.prepare().body.encode()


@pytest.mark.parametrize("operation", OPERATIONS)
@PROPERTY
@given(data=st.data())
def test_from_query_inverts_to_query(operation: str, data: st.DataObject) -> None:
    """Reading our own parameters back gives the request, less what the wire drops."""
    request = data.draw(request_of(operation))
    shape = SERVICE.operations[operation].input
    assert shape is not None
    assert codec.from_query(codec.to_query(request)) == sent_form(SERVICE, shape, request)


def test_from_query_reads_entries_after_one_that_sent_nothing() -> None:
    """An empty first entry leaves a gap in the indices; the later entries still count."""
    request = shapes.RevokeSecurityGroupIngressRequest(
        group_id="sg-1",
        ip_permissions=[shapes.IpPermission(), shapes.IpPermission(ip_protocol="-1")],
    )
    pairs = codec.to_query(request)
    assert pairs[2:] == [("GroupId", "sg-1"), ("IpPermissions.2.IpProtocol", "-1")]
    assert codec.from_query(pairs) == shapes.RevokeSecurityGroupIngressRequest(
        group_id="sg-1", ip_permissions=[shapes.IpPermission(ip_protocol="-1")]
    )


# -- XML -----------------------------------------------------------------------------


@pytest.mark.parametrize("operation", OPERATIONS)
@PROPERTY
@given(data=st.data(), request_id=xml_text.filter(bool))
def test_xml_matches_botocore(operation: str, data: st.DataObject, request_id: str) -> None:
    """botocore reads our response bodies as the result we wrote; so do we."""
    result = data.draw(result_of(operation))
    body = codec.to_xml(result, request_id=request_id)
    parsed = botocore_parse(operation, 200, body)
    metadata = parsed.pop("ResponseMetadata")
    assert parsed == codec.to_dict(result)
    assert metadata["RequestId"] == request_id
    assert codec.read_response(operation, 200, body) == (result, request_id)


# -- JSON (boto3 dict form) ----------------------------------------------------------


@pytest.mark.parametrize("shape", STRUCTURES)
@PROPERTY
@given(data=st.data())
def test_dict_round_trip(shape: str, data: st.DataObject) -> None:
    """from_dict reads back what to_dict writes, for every structure of the model."""
    value = data.draw(SHAPES.shape(shape))
    assert codec.from_dict(type(value), codec.to_dict(value)) == value


@pytest.mark.parametrize("operation", OPERATIONS)
@PROPERTY
@given(data=st.data())
def test_request_dicts_pass_botocore_validation(operation: str, data: st.DataObject) -> None:
    """to_dict gives parameters botocore's own validator accepts (names and types)."""
    request = data.draw(request_of(operation))
    problems = botocore_problems(operation, codec.to_dict(request))
    # Range limits (MaxResults >= 5) are the service's to enforce, not the codec's.
    assert [p for p in problems if "valid min value" not in p and "valid max value" not in p] == []


def botocore_problems(operation: str, params: dict[str, Any]) -> list[str]:
    """The lines of botocore's ParamValidationError for these parameters, if any."""
    try:
        validate_parameters(params, EC2_MODEL.operation_model(operation).input_shape)
    except botocore.exceptions.ParamValidationError as e:
        return [line for line in str(e).splitlines()[1:] if line.strip()]
    return []


# -- Error envelopes -----------------------------------------------------------------


@pytest.mark.parametrize("operation", OPERATIONS)
@PROPERTY
@given(code=nonblank, message=nonblank, request_id=nonblank)
def test_errors_match_botocore(operation: str, code: str, message: str, request_id: str) -> None:
    """Our error bodies read the same through botocore and through our parser."""
    body = error_xml(code, message, request_id=request_id)
    with pytest.raises(ServiceError) as raised:
        codec.parse_response(operation, 400, body)
    error = raised.value
    assert (error.code, error.message, error.request_id, error.status) == (
        code,
        message,
        request_id,
        400,
    )
    assert error.operation == operation
    parsed = botocore_parse(operation, 400, body)
    assert parsed["Error"]["Code"] == code
    assert parsed["Error"]["Message"] == message
    assert parsed["ResponseMetadata"]["RequestId"] == request_id


def test_error_fields_are_stripped() -> None:
    """We strip whitespace around code, message and request id; botocore keeps it."""
    body = error_xml(" InvalidGroup.NotFound\n", "\tNo such group. ", request_id=" req-1 ")
    with pytest.raises(ServiceError) as raised:
        codec.parse_response("RevokeSecurityGroupIngress", 400, body)
    assert raised.value.code == "InvalidGroup.NotFound"
    assert raised.value.message == "No such group."
    assert raised.value.request_id == "req-1"
    parsed = botocore_parse("RevokeSecurityGroupIngress", 400, body)
    assert parsed["Error"]["Code"] == " InvalidGroup.NotFound\n"
    assert parsed["Error"]["Message"] == "\tNo such group. "
    assert parsed["ResponseMetadata"]["RequestId"] == " req-1 "


# -- Validation ----------------------------------------------------------------------


def test_wrong_type_names_its_path_in_query() -> None:
    request = shapes.RevokeSecurityGroupIngressRequest(
        group_id="sg-1", ip_permissions=[shapes.IpPermission(from_port="22")]
    )
    with pytest.raises(ParamValidationError, match=r"ip_permissions\[0\]\.from_port: expected int"):
        codec.to_query(request)


def test_wrong_type_deep_in_a_list_names_its_path() -> None:
    request = shapes.AuthorizeSecurityGroupEgressRequest(
        group_id="sg-1",
        ip_permissions=[
            shapes.IpPermission(ip_protocol="tcp"),
            shapes.IpPermission(ip_ranges=[shapes.IpRange(cidr_ip=24)]),
        ],
    )
    with pytest.raises(
        ParamValidationError, match=r"ip_permissions\[1\]\.ip_ranges\[0\]\.cidr_ip: expected str"
    ):
        codec.to_query(request)


def test_wrong_type_names_its_path_in_xml_and_dicts() -> None:
    result = shapes.RevokeSecurityGroupIngressResult(return_="yes")
    with pytest.raises(ParamValidationError, match=r"return_: expected bool"):
        codec.to_xml(result)
    with pytest.raises(ParamValidationError, match=r"IpPermissions\[0\]\.FromPort: expected int"):
        codec.from_dict(
            shapes.RevokeSecurityGroupIngressRequest, {"IpPermissions": [{"FromPort": "22"}]}
        )
    # botocore refuses the same parameter, so we are not stricter than the reference.
    problems = botocore_problems(
        "RevokeSecurityGroupIngress", {"IpPermissions": [{"FromPort": "22"}]}
    )
    assert any("IpPermissions[0].FromPort" in p for p in problems)


def test_missing_required_member_is_refused() -> None:
    with pytest.raises(ParamValidationError, match=r"group_id: is required"):
        codec.to_query(shapes.RevokeSecurityGroupEgressRequest(group_id=None))  # type: ignore[arg-type]
    with pytest.raises(ParamValidationError, match="missing required parameter GroupId"):
        codec.from_dict(shapes.RevokeSecurityGroupEgressRequest, {"IpPermissions": []})
    with pytest.raises(ParamValidationError, match="missing required parameter GroupId for"):
        codec.from_query([("Action", "RevokeSecurityGroupEgress"), ("Version", "2016-11-15")])
    problems = botocore_problems("RevokeSecurityGroupEgress", {"IpPermissions": []})
    assert any("Missing required parameter" in p and "GroupId" in p for p in problems)


# -- JSON null -----------------------------------------------------------------------

_SSH = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22}
NULLS = [
    pytest.param({"GroupId": "sg-1", "IpPermissions": [{**_SSH, "IpRanges": [{"CidrIp": None}]}]}, id="cidr"),
    pytest.param({"GroupId": None, "GroupName": "web"}, id="group-id"),
    pytest.param({"GroupId": "sg-1", "IpPermissions": None}, id="list"),
    pytest.param({"GroupId": "sg-1", "IpPermissions": [None]}, id="list-item"),
    pytest.param({"GroupId": "sg-1", "IpPermissions": [{**_SSH, "FromPort": None}]}, id="integer"),
    pytest.param({"GroupId": "sg-1", "DryRun": None}, id="boolean"),
    pytest.param({"GroupId": "sg-1", "IpPermissions": [{**_SSH, "IpRanges": [None]}]}, id="nested-item"),
    pytest.param({"GroupId": "sg-1", "SecurityGroupRuleIds": ["sgr-1", None]}, id="string-item"),
]  # fmt: skip


@pytest.mark.parametrize("params", NULLS)
def test_null_is_refused_in_botocores_words(params: dict[str, Any]) -> None:
    """JSON null is not "left out": botocore refuses it, and so do we, in its words."""
    (problem,) = botocore_problems("RevokeSecurityGroupIngress", params)
    assert "value: None, type: <class 'NoneType'>" in problem
    with pytest.raises(ParamValidationError) as caught:
        codec.from_dict(shapes.RevokeSecurityGroupIngressRequest, params)
    message = str(caught.value)
    assert message.startswith(problem + ":"), (message, problem)
    assert "leave the parameter out" in message  # what to do instead


def test_null_is_refused_in_every_kind_of_shape_botocore_validates() -> None:
    """Each kind's list of valid types is botocore's, for every structure member of the model."""
    for name, spec in SERVICE.shapes.items():
        if not isinstance(spec, Structure) or spec.exception:
            continue
        for member in spec.members:
            params = {member.name: None}
            model = EC2_MODEL.shape_for(name)
            try:
                validate_parameters(params, model)
            except botocore.exceptions.ParamValidationError as e:
                expected = [line for line in str(e).splitlines()[1:] if "NoneType" in line]
            else:
                raise AssertionError(f"botocore accepted None for {name}.{member.name}")
            with pytest.raises(ParamValidationError) as caught:
                codec.from_dict(spec.cls, params)
            assert str(caught.value).startswith(expected[0] + ":"), (name, member.name)


# -- numbers in responses ------------------------------------------------------------


@pytest.mark.parametrize("text", ["\U0001d7dc", "\u0664", " 22 ", "2_2", "+22", "\n22\n"])
def test_response_integers_are_read_as_botocore_reads_them(text: str) -> None:
    """In a response, an integer is whatever int() makes of the text, as in botocore's
    parser; only request input insists on ASCII digits (tests/test_ascii_numbers.py)."""
    body = (
        "<RevokeSecurityGroupIngressResponse><requestId>r</requestId><return>true</return>"
        f"<unknownIpPermissionSet><item><ipProtocol>tcp</ipProtocol><fromPort>{text}</fromPort>"
        "</item></unknownIpPermissionSet></RevokeSecurityGroupIngressResponse>"
    ).encode()
    parsed = botocore_parse("RevokeSecurityGroupIngress", 200, body)
    parsed.pop("ResponseMetadata")
    ours = codec.parse_response("RevokeSecurityGroupIngress", 200, body)
    assert codec.to_dict(ours) == parsed
    assert ours.unknown_ip_permissions[0].from_port == int(text)
