"""Scalar values to and from their wire text: timestamps, floats, blobs, booleans.

Shared by the query, XML and JSON codecs so that every codec writes a value the same way.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import email.utils
import math
import re

UTC = datetime.timezone.utc
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)
_DECIMAL = re.compile(r"-?[0-9]+")


def parse_int(text: str) -> int:
    """An integer from ASCII decimal text: an optional ``-``, then the digits 0-9 only.

    ``int()`` also reads other scripts' digits (``int("\\u0664")`` is 4), ``_`` between
    digits and surrounding whitespace, and ``str.isdigit()`` accepts ``"\\u00b2"``
    (superscript two); none of those is a number a user means for a port or a protocol,
    so each is a ValueError here.
    """
    if _DECIMAL.fullmatch(text) is None:
        raise ValueError(f"not a whole number in ASCII digits (0-9): {text[:40]!r}")
    return int(text)


def to_utc(value: datetime.datetime) -> datetime.datetime:
    """An aware UTC datetime; a naive one is taken to be UTC already (as botocore does)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def format_timestamp(value: datetime.datetime, fmt: str | None) -> str:
    """Timestamp text in the model's format (iso8601 when the model names none)."""
    value = to_utc(value)
    if fmt == "unixtimestamp":
        seconds = (value - _EPOCH).total_seconds()
        return str(int(seconds)) if seconds.is_integer() else repr(seconds)
    if fmt == "rfc822":
        return email.utils.format_datetime(value.replace(microsecond=0), usegmt=True)
    if value.microsecond:
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(text: str) -> datetime.datetime:
    """An aware UTC datetime from ISO 8601, epoch seconds or an HTTP date."""
    text = text.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        if math.isfinite(seconds):
            return _EPOCH + datetime.timedelta(seconds=seconds)
        raise ValueError(f"not a timestamp: {text!r}")
    try:
        # Python 3.10's fromisoformat does not read a trailing "Z".
        iso = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
        return to_utc(datetime.datetime.fromisoformat(iso))
    except ValueError:
        pass
    try:
        return to_utc(email.utils.parsedate_to_datetime(text))
    except (TypeError, ValueError):
        raise ValueError(f"not a timestamp: {text!r}") from None


def show_int(value: int) -> str:
    """An integer for a message; one with more digits than str() writes is summarised."""
    try:
        return str(value)
    except ValueError:  # past sys.get_int_max_str_digits()
        return f"a number of about {int(value.bit_length() * 0.30103)} digits"


def format_float(value: float) -> str:
    """Float text as AWS protocols write it: Infinity, -Infinity and NaN spelled out."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return str(value)


def parse_float(text: str) -> float:
    """A float from wire text (NaN and the infinities included)."""
    return float(text)


def format_blob(value: bytes) -> str:
    """Base64 text of a blob."""
    return base64.b64encode(value).decode("ascii")


def parse_blob(text: str) -> bytes:
    """A blob from its base64 text."""
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        raise ValueError(f"not base64: {text[:40]!r}") from None


def format_bool(value: bool) -> str:
    """``true`` or ``false``."""
    return "true" if value else "false"


def parse_bool(text: str) -> bool:
    """A boolean from ``true``/``false`` text."""
    if text == "true":
        return True
    if text == "false":
        return False
    raise ValueError(f"not a boolean: {text[:40]!r} (expected true or false)")
