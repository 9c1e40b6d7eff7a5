"""botocore's ec2 protocol-compliance cases, run through our generator and codecs.

Every suite carries its own small service model. For each case the model is rendered
by ``codegen.render`` into a throwaway package, ``ec2revoke.codec.Codec`` is bound to
that package's wire tables, and what the codec sends (input cases) or reads (output
cases) is compared with the case. The cases and botocore's ignore list are vendored,
byte for byte, in tests/vendor/botocore_protocols/ (see the README there).

Comparisons follow botocore's own runner (tests/unit/test_protocols.py): the request
body must match exactly, so parameter order counts; parsed results are compared after
timestamps become epoch seconds, blobs text and non-finite floats their names.
"""

from __future__ import annotations

import datetime
import importlib
import importlib.util
import itertools
import json
import math
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl

import pytest

from codegen.render import render
from ec2revoke import ParamValidationError, ServiceError
from ec2revoke._wire.schema import Service, Structure
from ec2revoke.codec import Codec, form_body, to_query

VENDOR = Path(__file__).parent / "vendor" / "botocore_protocols"
IGNORE_LIST = json.loads((VENDOR / "protocol-tests-ignore-list.json").read_text())

# Why botocore's ignore list skips each ec2 entry (and so do we). Checked by
# test_every_ignored_entry_has_a_reason, so the two cannot drift apart.
WHY_IGNORED = {
    "Test cases for PutWithContentEncoding operation": (
        "request compression (gzip Content-Encoding) is a transport feature, "
        "not part of the ec2 wire format the codec implements"
    ),
    "Test cases for QueryIdempotencyTokenAutoFill operation": (
        "idempotency token auto-fill is not part of the ec2 wire format we implement "
        "(and the cases expect the member name 'token' capitalised, as Token)"
    ),
    "Test cases for HostWithPathOperation operation": (
        "an endpoint URL with a path is endpoint configuration, not part of the query body"
    ),
    "Ec2QueryEndpointTraitWithHostLabel": (
        "it expects the member name 'label' capitalised (Label=bar); botocore's "
        "EC2Serializer, which we follow, sends member names without a locationName as "
        "they are (label=bar)"
    ),
    "Ec2Lists": (
        "it expects the member name 'hi' capitalised (ComplexListArg.1.Hi); botocore's "
        "EC2Serializer, which we follow, sends ComplexListArg.1.hi"
    ),
    "Ec2TimestampsInput": (
        "it expects member names capitalised (NormalFormat); botocore's EC2Serializer, "
        "which we follow, sends normalFormat"
    ),
    "Ec2XmlLists": (
        "botocore reads a flattened list whose list member has its own name (item) from "
        "elements of that name, where the case uses the structure member's name; we "
        "follow botocore"
    ),
    "Ec2ComplexError": (
        "the case gives no errorMessage, so botocore's runner expects an empty Message "
        "while the body carries 'Hi'"
    ),
}

_SPECIAL_FLOATS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _load(direction: str) -> list[Any]:
    cases = []
    suites = json.loads((VENDOR / direction / "ec2.json").read_text())
    for i, suite in enumerate(suites):
        for j, case in enumerate(suite["cases"]):
            label = case.get("id") or f"{_slug(suite['description'])}-{j}"
            cases.append(pytest.param(suite, case, id=f"{direction}:{label}"))
        assert suite["metadata"]["protocol"] == "ec2", (direction, i)
    return cases


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


INPUT_CASES = _load("input")
OUTPUT_CASES = _load("output") + _load("legacy-output")


def _ignored(test_type: str, suite: dict[str, Any], case: dict[str, Any]) -> str | None:
    """The ignore-list entry that covers a case, by botocore's rule, or None."""
    for scope in (IGNORE_LIST["general"], IGNORE_LIST["protocols"]["ec2"]):
        listed = scope.get(test_type, {})
        if suite["description"] in listed.get("suites", ()):
            return str(suite["description"])
        if case.get("id") in listed.get("cases", ()):
            return str(case["id"])
    return None


def _skip_if_ignored(test_type: str, suite: dict[str, Any], case: dict[str, Any]) -> None:
    entry = _ignored(test_type, suite, case)
    if entry is not None:
        pytest.skip(f"botocore's own ignore list skips it: {WHY_IGNORED[entry]}")


def _model(suite: dict[str, Any], case: dict[str, Any]) -> dict[str, Any]:
    """The service model of one case: the suite's shapes, the case's operation."""
    metadata = suite["metadata"]
    if "apiVersion" not in metadata:
        # The legacy suites predate apiVersion in their metadata. The generator needs one
        # (it is the Version parameter of every request); only responses are read here,
        # which never carry it.
        metadata = {**metadata, "apiVersion": "0000-00-00"}
    given = case["given"]
    return {"metadata": metadata, "shapes": suite["shapes"], "operations": {given["name"]: given}}


_packages = itertools.count()


@pytest.fixture
def generate(tmp_path: Path) -> Iterator[Callable[[dict[str, Any]], Service]]:
    """Renders a model into a fresh package and returns its wire tables."""
    names: list[str] = []

    def build(model: dict[str, Any]) -> Service:
        name = f"_ec2_compliance_{next(_packages)}"
        names.append(name)
        package = tmp_path / name
        package.mkdir()
        for filename, source in render(model, botocore_version="compliance").items():
            (package / filename).write_text(source)
        spec = importlib.util.spec_from_file_location(
            name, package / "__init__.py", submodule_search_locations=[str(package)]
        )
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        wire: ModuleType = importlib.import_module(f"{name}.wire")
        service: Service = wire.SERVICE
        return service

    yield build
    for name in names:
        for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
            del sys.modules[key]
        sys.path_importer_cache.pop(str(tmp_path / name), None)


def _params(service: Service, input_shape: str, params: dict[str, Any]) -> dict[str, Any]:
    """The case's params with "NaN"/"Infinity"/"-Infinity" made floats where the model
    says float, as botocore's runner does before serializing."""
    spec = service.shapes[input_shape]
    assert isinstance(spec, Structure)
    floats = {
        m.name
        for m in spec.members
        if getattr(service.shapes[m.shape], "kind", None) in ("float", "double")
    }
    return {
        k: _SPECIAL_FLOATS[v] if k in floats and v in _SPECIAL_FLOATS else v
        for k, v in params.items()
    }


@pytest.mark.parametrize(("suite", "case"), INPUT_CASES)
def test_input(
    suite: dict[str, Any], case: dict[str, Any], generate: Callable[[dict[str, Any]], Service]
) -> None:
    _skip_if_ignored("input", suite, case)
    service = generate(_model(suite, case))
    codec = Codec(service)
    name = case["given"]["name"]
    op = service.operations[name]
    if op.input is None:
        assert case["params"] == {}
        request = None
    else:
        spec = service.shapes[op.input]
        assert isinstance(spec, Structure)
        request = codec.from_dict(spec.cls, _params(service, op.input, case["params"]))

    pairs = codec.to_query(request, operation=name)

    expected = case["serialized"]
    # botocore compares the body bytes, so order counts: Action, Version, then model order.
    assert pairs == parse_qsl(expected["body"], keep_blank_values=True)
    body = form_body(pairs)
    assert parse_qsl(body.decode("ascii"), keep_blank_values=True) == pairs
    assert body == expected["body"].encode("utf-8")
    # The codec's output is a form body, which is always POSTed to the endpoint's root;
    # the case must not expect any other method or path.
    assert (expected["method"], expected["uri"]) == ("POST", "/")
    assert expected["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    # Some cases also name a host ("host": "foo.example.com" for an endpoint hostPrefix).
    # Choosing the host is endpoint resolution, outside the codec: the body is what
    # applies, and it is checked above.


@pytest.mark.parametrize(("suite", "case"), OUTPUT_CASES)
def test_output(
    suite: dict[str, Any], case: dict[str, Any], generate: Callable[[dict[str, Any]], Service]
) -> None:
    _skip_if_ignored("output", suite, case)
    service = generate(_model(suite, case))
    codec = Codec(service)
    name = case["given"]["name"]
    response = case["response"]
    status, body = response["status_code"], response.get("body", "").encode("utf-8")

    if "errorCode" not in case:
        result = codec.parse_response(name, status, body)
        parsed = {} if result is None else codec.to_dict(result)
        _assert_same(_normalised(parsed), case["result"])
        return

    with pytest.raises(ServiceError) as caught:
        codec.parse_response(name, status, body)
    error = caught.value
    assert (error.code, error.status, error.operation) == (case["errorCode"], status, name)
    if "errorMessage" in case:
        assert error.message == case["errorMessage"]
    # details is the parsed modeled exception; a code the model does not define has none.
    details = {} if error.details is None else codec.to_dict(error.details)
    _assert_same(_normalised(details), case["error"])


def _normalised(value: Any) -> Any:
    """A parsed value in the form the cases write it (botocore's runner does the same)."""
    if isinstance(value, dict):
        return {k: _normalised(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normalised(v) for v in value]
    if isinstance(value, datetime.datetime):
        assert value.tzinfo is not None, "timestamps are parsed as aware datetimes"
        return value.timestamp()
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


def _assert_same(actual: Any, expected: Any) -> None:
    """Equal, and alike in kind: True must not pass for 1, nor "1" for 1."""
    assert actual == expected
    assert _kinds(actual) == _kinds(expected)


def _kinds(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _kinds(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_kinds(v) for v in value]
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def test_every_ignored_entry_has_a_reason() -> None:
    entries = set()
    for params in INPUT_CASES + OUTPUT_CASES:
        suite, case = params.values
        entry = _ignored("input" if "params" in case else "output", suite, case)
        if entry is not None:
            entries.add(entry)
    assert entries == set(WHY_IGNORED)


def test_the_cases_are_all_there() -> None:
    # A vendoring slip (a truncated or wrong file) must not shrink the run unnoticed.
    assert (len(INPUT_CASES), len(OUTPUT_CASES)) == (29, 29 + 13)


def test_a_request_of_none_is_only_for_operations_without_input() -> None:
    # The no-input cases above send None; an operation that has input must refuse it.
    with pytest.raises(ParamValidationError, match="operation without input"):
        to_query(None, operation="RevokeSecurityGroupIngress")
    with pytest.raises(ParamValidationError, match="operation without input"):
        to_query(None)
