"""Printing a response: ``--query`` (JMESPath), then ``--output json|yaml|yaml-stream|text|table``.

Each format follows the AWS CLI's: JSON indented by 4 (nothing for ``{}``), YAML
block style, yaml-stream as a one-item list, text as tab-separated rows headed by
the upper-cased name of their list, tables as boxed sections (``_table``).
"""

from __future__ import annotations

import base64
import datetime
import json
from typing import Any, TextIO

from ec2revoke.cli import _table
from ec2revoke.cli._params import ParamError, require_yaml

FORMATS = ("json", "yaml", "yaml-stream", "text", "table")


def compile_query(expression: str | None) -> Any:
    """The compiled JMESPath expression of ``--query``, or None."""
    if expression is None:
        return None
    import jmespath
    import jmespath.exceptions

    try:
        return jmespath.compile(expression)
    except jmespath.exceptions.JMESPathError as e:
        raise ParamError("--query", f"Bad value for --query {expression}: {_one_line(e)}") from None


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())


def _encode(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _plain(value: Any) -> Any:
    """Lists and dicts all the way down, for YAML's safe dumper."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (datetime.datetime, bytes)):
        return _encode(value)
    return value


def render(
    response: Any,
    out: TextIO,
    *,
    output: str = "json",
    query: Any = None,
    title: str = "",
    color: bool = False,
) -> None:
    """Filter ``response`` with ``query`` and print it in the ``output`` format."""
    if query is not None:
        response = query.search(response)
    if output == "json":
        if response != {}:
            out.write(json.dumps(response, indent=4, ensure_ascii=False, default=_encode) + "\n")
    elif output in ("yaml", "yaml-stream"):
        yaml = require_yaml(f"--output {output}")
        data = _plain(response)
        if output == "yaml-stream":
            data = [data]
        elif data == {}:
            return
        out.write(
            yaml.safe_dump(data, default_flow_style=False, sort_keys=False, allow_unicode=True)
        )
    elif output == "text":
        _text(response, out)
    elif output == "table":
        _table.render(title, response, out, color=color)
    else:
        raise ParamError("--output", f"unknown output type {output!r}: use {', '.join(FORMATS)}")


# -- text ------------------------------------------------------------------------------------


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, (list, dict))


def _text(
    item: Any, out: TextIO, name: str | None = None, columns: list[str] | None = None
) -> None:
    if isinstance(item, dict):
        _text_dict(item, out, name, columns)
    elif isinstance(item, list):
        _text_list(item, out, name)
    else:
        out.write(f"{item}\n")


def _text_list(items: list[Any], out: TextIO, name: str | None) -> None:
    if not items:
        return
    if any(isinstance(i, dict) for i in items):
        # One column per scalar key found in any element, so the rows line up.
        keys = sorted(
            {k for i in items if isinstance(i, dict) for k, v in i.items() if _is_scalar(v)}
        )
        for i in items:
            _text(i, out, name, keys)
    elif any(isinstance(i, list) for i in items):
        scalars = [i for i in items if _is_scalar(i)]
        if scalars:
            _text_scalars(scalars, out, name)
        for i in items:
            if not _is_scalar(i):
                _text(i, out, name)
    else:
        _text_scalars(items, out, name)


def _text_scalars(items: list[Any], out: TextIO, name: str | None) -> None:
    if name is None:
        out.write("\t".join(str(i) for i in items) + "\n")
    else:
        for i in items:
            out.write(f"{name.upper()}\t{i}\n")


def _text_dict(
    item: dict[str, Any], out: TextIO, name: str | None, columns: list[str] | None
) -> None:
    if columns is None:
        cells = [str(v) for _, v in sorted(item.items()) if _is_scalar(v)]
        nested = [(k, v) for k, v in sorted(item.items()) if not _is_scalar(v)]
    else:
        cells = [str(item.get(k, "")) for k in columns]
        nested = [(k, item[k]) for k in sorted(set(item) - set(columns))]
    if cells:
        if name is not None:
            cells.insert(0, name.upper())
        out.write("\t".join(cells) + "\n")
    for key, value in nested:
        _text(value, out, key)
