"""The AWS CLI's shorthand syntax: ``IpProtocol=tcp,FromPort=22,IpRanges=[{CidrIp=10.0.0.0/8}]``.

This is the syntactic layer only, written to give exactly what the AWS CLI's own
parser gives for the same text (tests compare the two on generated input):

    parameter  = keyval *("," keyval)
    keyval     = key ["@"] "=" [values]     ; "@=" reads file:// and fileb:// values
    values     = explicit-list / hash / csv-value
    csv-value  = value *("," value)         ; a one-value csv is a scalar, not a list
    explicit-list = "[" [item *("," item)] "]"
    hash       = "{" [key ["@"] "=" item *("," key ["@"] "=" item)] "}"
    item       = explicit-list / hash / value
    value      = bare word / 'single quoted' / "double quoted"

Types (integers, one-element lists) are the model's business: see ``_params``.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from typing import Any

_KEY_CHARS = frozenset(string.ascii_letters + string.digits + "-_.#/:")
_WHITESPACE = frozenset(string.whitespace)


def _char_class(*ranges: tuple[int, int], whitespace: bool = False) -> str:
    parts = [r"\s"] if whitespace else []
    for lo, hi in ranges:
        parts.append(
            re.escape(chr(lo)) if lo == hi else f"{re.escape(chr(lo))}-{re.escape(chr(hi))}"
        )
    return "[" + "".join(parts) + "]"


# Printable characters of the Basic Multilingual Plane, less the ones with a meaning:
# a bare word never starts with a quote, ',', '=', '[' or '{'; inside a first value
# (the one after '=') ',', ']', '}' and quotes end it; inside a later csv value ',',
# '=' and quotes end it. Whitespace inside a word is kept (the end is trimmed).
_COMMON = ((0x21, 0x21), (0x23, 0x26), (0x28, 0x2B))
_START = _char_class(*_COMMON, (0x2D, 0x3C), (0x3E, 0x5A), (0x5C, 0x7A), (0x7C, 0xFFFF))
_FIRST_REST = _char_class(*_COMMON, (0x2D, 0x5C), (0x5E, 0x7C), (0x7E, 0xFFFF), whitespace=True)
_LATER_REST = _char_class(*_COMMON, (0x2D, 0x3C), (0x3E, 0xFFFF), whitespace=True)
_ESCAPED_COMMA = r"\\,"
_FIRST_WORD = re.compile(f"(?:{_ESCAPED_COMMA}|{_START})(?:{_ESCAPED_COMMA}|{_FIRST_REST})*")
_LATER_WORD = re.compile(f"(?:{_ESCAPED_COMMA}|{_START})(?:{_ESCAPED_COMMA}|{_LATER_REST})*")
_QUOTED = {
    "'": re.compile(r"'(?:\\'|[^'])*'"),
    '"': re.compile(r'"(?:\\"|[^"])*"'),
}
_TOKEN_NAMES = {
    _LATER_WORD: "<second>",
    _QUOTED["'"]: "<singled quoted>",
    _QUOTED['"']: "<double quoted>",
}

FileLoader = Callable[[str], Any]
"""Reads a ``file://``/``fileb://`` reference (text or bytes); None if it is not one."""


class ShorthandError(ValueError):
    """Text that is not valid shorthand; ``index`` is where the problem was found."""

    def __init__(self, problem: str, text: str, index: int) -> None:
        self.problem = problem
        self.text = text
        self.index = index
        shown = text.replace("\n", "\\n")
        super().__init__(f"{problem} at character {index + 1} of: {shown}")


class _Syntax(ShorthandError):
    def __init__(self, text: str, index: int, expected: str, actual: str) -> None:
        self.expected = expected
        self.actual = actual
        super().__init__(f"Expected: '{expected}', received: '{actual}'", text, index)


def _no_files(reference: str) -> Any:
    return None


class _Parser:
    def __init__(self, text: str, load_file: FileLoader) -> None:
        self.text = text
        self.at = 0
        self.load_file = load_file
        self.read_files = False

    # -- characters ---------------------------------------------------------------

    def _eof(self) -> bool:
        return self.at >= len(self.text)

    def _char(self) -> str | None:
        return None if self._eof() else self.text[self.at]

    def _skip_space(self) -> None:
        while not self._eof() and self.text[self.at] in _WHITESPACE:
            self.at += 1

    def _expect(self, char: str, *, space: bool = False) -> None:
        if space:
            self._skip_space()
        if self._eof():
            raise _Syntax(self.text, self.at, char, "EOF")
        if self.text[self.at] != char:
            raise _Syntax(self.text, self.at, char, self.text[self.at])
        self.at += 1
        if space:
            self._skip_space()

    def _take(self, pattern: re.Pattern[str]) -> str | None:
        found = pattern.match(self.text, self.at)
        if found is None:
            return None
        self.at = found.end()
        return found.group()

    def _must_take(self, pattern: re.Pattern[str]) -> str:
        taken = self._take(pattern)
        if taken is None:
            raise _Syntax(self.text, self.at, _TOKEN_NAMES[pattern], "<none>")
        return taken

    def _file(self, value: str) -> Any:
        if self.read_files:
            loaded = self.load_file(value)
            if loaded is not None:
                return loaded
        return value

    # -- grammar --------------------------------------------------------------------

    def parameter(self) -> dict[str, Any]:
        key, value = self._keyval()
        result = {key: value}
        end = self.at
        while not self._eof():
            self._expect(",", space=True)
            key, value = self._keyval()
            if key in result:
                raise ShorthandError(
                    f'Second instance of key "{key}" encountered (often a "," where a space '
                    "should separate two items)",
                    self.text,
                    end + 1,
                )
            result[key] = value
            end = self.at
        return result

    def _key(self) -> str:
        start = self.at
        while not self._eof() and self.text[self.at] in _KEY_CHARS:
            self.at += 1
        return self.text[start : self.at]

    def _assign(self) -> None:
        """``=`` or ``@=`` after a key; ``@=`` turns on reading file references."""
        self.read_files = False
        self._skip_space()
        if self._char() == "@":
            self._expect("@", space=True)
            self.read_files = True
        self._expect("=", space=True)

    def _keyval(self) -> tuple[str, Any]:
        key = self._key()
        self._assign()
        if self._eof():
            return key, ""
        char = self._char()
        if char == "[":
            return key, self._list()
        if char == "{":
            return key, self._hash()
        return key, self._csv()

    def _csv(self) -> Any:
        first = self._first()
        self._skip_space()
        if self._eof() or self._char() != ",":
            return first
        self._expect(",", space=True)
        values = [first]
        while True:
            try:
                value = self._later()
                self._skip_space()
                if self._eof():
                    values.append(value)
                    break
                self._expect(",", space=True)
                values.append(value)
            except _Syntax:
                # "a=b,c=d": what followed the comma was the next key, not a value.
                if self._eof():
                    raise
                while self.at >= 0 and self.text[self.at] != ",":
                    self.at -= 1
                break
        return first if len(values) == 1 else values

    def _list(self) -> list[Any]:
        self._expect("[", space=True)
        items = []
        while self._char() != "]":
            items.append(self._item())
            self._skip_space()
            if self._char() != "]":
                self._expect(",")
                self._skip_space()
        self._expect("]")
        return items

    def _hash(self) -> dict[str, Any]:
        self._expect("{", space=True)
        result: dict[str, Any] = {}
        while self._char() != "}":
            key = self._key()
            self._assign()
            value = self._item()
            self._skip_space()
            if self._char() != "}":
                self._expect(",")
                self._skip_space()
            result[key] = value
        self._expect("}")
        return result

    def _item(self) -> Any:
        char = self._char()
        if char == "[":
            return self._list()
        if char == "{":
            return self._hash()
        return self._first()

    def _first(self) -> Any:
        char = self._char()
        if char is not None and char in _QUOTED:
            return self._quoted(char)
        word = self._take(_FIRST_WORD)
        if word is None:
            return ""
        return self._file(word.replace("\\,", ",").rstrip())

    def _later(self) -> Any:
        char = self._char()
        if char is not None and char in _QUOTED:
            return self._quoted(char)
        word = self._must_take(_LATER_WORD)
        return self._file(word.replace("\\,", ",").rstrip())

    def _quoted(self, quote: str) -> Any:
        inner = self._must_take(_QUOTED[quote])[1:-1]
        return self._file(inner.replace("\\" + quote, quote).replace("\\\\", "\\"))


def parse(text: str, load_file: FileLoader = _no_files) -> dict[str, Any]:
    """The dict a shorthand text stands for; values are text, lists and dicts.

    Raises ShorthandError for text that is not shorthand. ``load_file`` reads the
    values of ``key@=file://...`` entries.
    """
    return _Parser(text, load_file).parameter()
