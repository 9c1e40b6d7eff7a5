"""Codec speed against botocore, measured in one process and run.

    python benchmarks/bench_codec.py [--repeat N]

Times serializing a 50-permission RevokeSecurityGroupIngress request and parsing a
response with 50 UnknownIpPermissions (compact and pretty-printed, as EC2 sends it),
ours against botocore's EC2Serializer / EC2QueryParser, and prints ours/botocore.
"""

from __future__ import annotations

import argparse
import sys
import timeit
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

import botocore.session
from botocore.parsers import EC2QueryParser
from botocore.serialize import EC2Serializer
from defusedxml.ElementTree import DefusedXMLParser

from ec2revoke import codec, shapes

OPERATION = "RevokeSecurityGroupIngress"


def permissions(n: int) -> list[shapes.IpPermission]:
    """n distinct permissions mixing every peer kind, as a real revoke might."""
    return [
        shapes.IpPermission(
            ip_protocol="tcp",
            from_port=1000 + i,
            to_port=2000 + i,
            ip_ranges=[shapes.IpRange(cidr_ip=f"10.{i}.0.0/16", description=f"office {i}")],
            ipv6_ranges=[shapes.Ipv6Range(cidr_ipv6=f"2001:db8:{i:x}::/48")],
            user_id_group_pairs=[
                shapes.UserIdGroupPair(group_id=f"sg-{i:017x}", user_id="123456789012")
            ],
            prefix_list_ids=[shapes.PrefixListId(prefix_list_id=f"pl-{i:08x}")],
        )
        for i in range(n)
    ]


def pretty(body: bytes) -> bytes:
    """The same body indented like EC2's responses."""
    ET.register_namespace("", "http://ec2.amazonaws.com/doc/2016-11-15/")
    root = ET.fromstring(body)
    ET.indent(root, space="    ")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root)


def bare_parse(body: bytes) -> None:
    """defusedxml's expat parser with callbacks that do nothing: the floor for any
    parser built on it, since expat calls a Python function per element."""
    parser = DefusedXMLParser(forbid_dtd=True).parser
    text: list[str] = []

    def start(tag: str, attrs: object) -> None:
        pass

    def end(tag: str) -> None:
        pass

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text.append
    parser.Parse(body, True)


def best(fn: Callable[[], object], repeat: int) -> float:
    """Best per-call time in microseconds over `repeat` rounds."""
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    return min(timer.repeat(repeat, number)) / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    model = botocore.session.get_session().get_service_model("ec2").operation_model(OPERATION)
    perms = permissions(50)
    request = shapes.RevokeSecurityGroupIngressRequest(
        group_id="sg-0123456789abcdef0", ip_permissions=perms
    )
    params = codec.to_dict(request)
    serializer, xml_parser = EC2Serializer(), EC2QueryParser()
    result = shapes.RevokeSecurityGroupIngressResult(return_=True, unknown_ip_permissions=perms)
    compact = codec.to_xml(result, request_id="59dbff89-35bd-4eac-99ed-be587EXAMPLE")
    bodies = {"compact": compact, "pretty": pretty(compact)}

    # Both sides must produce the same thing before their times mean anything.
    theirs = serializer.serialize_to_request(params, model)["body"]
    assert [(k, str(v)) for k, v in theirs.items()] == codec.to_query(request)
    for body in bodies.values():
        parsed = xml_parser.parse(
            {"body": body, "headers": {}, "status_code": 200}, model.output_shape
        )
        parsed.pop("ResponseMetadata")
        assert parsed == codec.to_dict(codec.parse_response(OPERATION, 200, body))

    rows = [
        (
            "serialize 50 permissions -> params",
            best(lambda: codec.to_query(request), args.repeat),
            best(lambda: serializer.serialize_to_request(params, model), args.repeat),
        ),
        (
            "serialize 50 permissions -> form body",
            best(lambda: codec.form_body(codec.to_query(request)), args.repeat),
            best(
                lambda: urlencode(
                    serializer.serialize_to_request(params, model)["body"], doseq=True
                ),
                args.repeat,
            ),
        ),
    ]
    for style, body in bodies.items():
        rows.append(
            (
                f"parse 50 UnknownIpPermissions ({style}, {len(body)} B)",
                best(lambda body=body: codec.parse_response(OPERATION, 200, body), args.repeat),
                best(
                    lambda body=body: xml_parser.parse(
                        {"body": body, "headers": {}, "status_code": 200}, model.output_shape
                    ),
                    args.repeat,
                ),
            )
        )
        rows.append(
            (
                f"  floor: defusedxml parse, empty callbacks ({style})",
                best(lambda body=body: bare_parse(body), args.repeat),
                best(
                    lambda body=body: xml_parser.parse(
                        {"body": body, "headers": {}, "status_code": 200}, model.output_shape
                    ),
                    args.repeat,
                ),
            )
        )
    print(f"{'case':<52} {'ours us':>9} {'botocore us':>12} {'ratio':>6}")
    for name, ours, theirs_us in rows:
        print(f"{name:<52} {ours:>9.1f} {theirs_us:>12.1f} {ours / theirs_us:>6.2f}")


if __name__ == "__main__":
    main()
