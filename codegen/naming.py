"""Python names and one-line docstrings from model names and HTML documentation."""

from __future__ import annotations

import html
import keyword
import re

from botocore import xform_name

# Names a dataclass field cannot take even though they are not keywords:
# the generated __init__ has a ``self`` parameter.
_RESERVED = frozenset({"self"})
# Inline tags vanish; block tags (p, li, ...) separate words.
_INLINE_TAG = re.compile(r"</?(?:code|a|b|i|em|strong|u)\b[^>]*>")
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"(?<=[a-z0-9)\]])\.\s+(?=[A-Z])")
MAX_DOC = 160


def field_name(member: str) -> str:
    """snake_case field name for a model member (``Return`` -> ``return_``)."""
    name = str(xform_name(member))
    if not name.isidentifier():
        name = re.sub(r"\W", "_", name)
        if not name.isidentifier():
            name = f"m_{name}"
    if keyword.iskeyword(name) or keyword.issoftkeyword(name) or name in _RESERVED:
        name += "_"
    return name


def method_name(operation: str) -> str:
    """snake_case method name for an operation."""
    return str(xform_name(operation))


def one_line(doc: str | None, fallback: str) -> str:
    """The first sentence of model HTML documentation as plain text."""
    text = _SPACE.sub(" ", html.unescape(_TAG.sub(" ", _INLINE_TAG.sub("", doc or "")))).strip()
    if not text:
        return fallback
    text = _SENTENCE_END.split(text, maxsplit=1)[0].rstrip(".") + "."
    if len(text) > MAX_DOC:
        text = text[: MAX_DOC - 3].rsplit(" ", 1)[0] + "..."
    return text


def docstring(text: str) -> str:
    """A triple-quoted literal holding ``text`` exactly."""
    body = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    if body.endswith('"'):
        body = body[:-1] + '\\"'
    return f'"""{body}"""'
