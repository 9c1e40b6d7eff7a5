"""AWS Signature Version 4 for requests sent with ``requests``.

Two layers:

* pure functions for each step of the algorithm (canonical request, string to sign,
  signing key, signature, Authorization value). They take raw inputs, headers as a
  list of (name, value) pairs, so repeated and folded headers can be signed as sent;
* ``SigV4Auth``, a ``requests.auth.AuthBase`` that signs a prepared request, and
  ``NoAuth`` for endpoints that want no signature.

Secrets (secret key, session token, derived keys) never appear in a repr, an error
message or a log line from this module.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import SplitResult, quote, unquote_to_bytes, urlsplit

import requests
from requests.auth import AuthBase

from ec2revoke._errors import ConfigurationError, ParamValidationError
from ec2revoke._http.credentials import CredentialsProvider, FrozenCredentials
from ec2revoke._http.endpoints import checked_region

logger = logging.getLogger(__name__)

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_PAYLOAD_HASH = hashlib.sha256(b"").hexdigest()
TIMESTAMP_FORMAT = "%Y%m%dT%H%M%SZ"

# quote() never encodes ALPHA / DIGIT / "_.-~"; these add what each part may keep.
_PATH_SAFE = "/~"
_QUERY_SAFE = "-_.~"
_DEFAULT_PORTS = {"http": 80, "https": 443}
_SERVICE = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
_CHUNK = 1024 * 1024


# --- the algorithm, step by step -------------------------------------------------------


def canonical_uri(path: str) -> str:
    """The canonical URI of a request path, as AWS specifies it for non-S3 services.

    Dot segments and empty segments (doubled slashes) are removed, then the path is
    percent-encoded once more, so an already-encoded path ends up encoded twice.
    """
    segments: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
        else:
            segments.append(segment)
    normalized = "/" + "/".join(segments)
    # A trailing slash is kept when the path had one (botocore's rule: "/a/b/.." -> "/a").
    if segments and path.endswith("/"):
        normalized += "/"
    return quote(normalized, safe=_PATH_SAFE)


def canonical_query_string(query: str) -> str:
    """The canonical form of a raw query string (the part after ``?``).

    Each name and value is percent-decoded, then encoded per RFC 3986 (only
    ``A-Za-z0-9-_.~`` left as is, ``%XY`` in upper case); pairs are sorted by encoded
    name, then encoded value. A ``+`` is a literal plus (RFC 3986), not a space:
    send spaces as ``%20``.
    """
    pairs: list[tuple[str, str]] = []
    for part in query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        pairs.append((_uri_encode(name), _uri_encode(value)))
    pairs.sort()
    return "&".join(f"{name}={value}" for name, value in pairs)


def _uri_encode(text: str) -> str:
    # Decoding to bytes (not str) keeps escapes that are not UTF-8 exactly as sent.
    return quote(unquote_to_bytes(text), safe=_QUERY_SAFE)


def _header_map(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    grouped: dict[str, list[str]] = {}
    for name, value in headers:
        # split() with no argument trims and collapses every run of whitespace, which
        # also unfolds obsolete multi-line header values.
        grouped.setdefault(name.strip().lower(), []).append(" ".join(value.split()))
    return {name: ",".join(values) for name, values in sorted(grouped.items())}


def canonical_headers(headers: Iterable[tuple[str, str]]) -> str:
    """The canonical headers block: ``name:value\\n`` per header name, sorted.

    Names are lower-cased, values trimmed with inner whitespace runs collapsed, and
    repeated headers joined with ``,`` in the order given.
    """
    return "".join(f"{name}:{value}\n" for name, value in _header_map(headers).items())


def signed_headers(headers: Iterable[tuple[str, str]]) -> str:
    """The signed-headers list: lower-cased header names, sorted, joined with ``;``."""
    return ";".join(_header_map(headers))


def payload_hash(body: bytes) -> str:
    """The hex SHA-256 of a request body."""
    return hashlib.sha256(body).hexdigest()


def canonical_request(
    *,
    method: str,
    path: str,
    query: str,
    headers: Iterable[tuple[str, str]],
    payload_sha256: str,
) -> str:
    """The canonical request for raw request parts (path and query as sent)."""
    mapped = _header_map(headers)  # once: it is the costly part of signing
    return "\n".join(
        (
            method.upper(),
            canonical_uri(path),
            canonical_query_string(query),
            "".join(f"{name}:{value}\n" for name, value in mapped.items()),
            ";".join(mapped),
            payload_sha256,
        )
    )


def credential_scope(date: str, region: str, service: str) -> str:
    """The credential scope, ``YYYYMMDD/region/service/aws4_request``."""
    return f"{date}/{region}/{service}/aws4_request"


def string_to_sign(timestamp: str, scope: str, canonical: str) -> str:
    """The string to sign for a canonical request made at ``timestamp`` (YYYYMMDDTHHMMSSZ)."""
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{timestamp}\n{scope}\n{digest}"


def derive_signing_key(secret_key: str, date: str, region: str, service: str) -> bytes:
    """The signing key: HMAC-SHA256 chained over date, region, service, ``aws4_request``.

    Uncached; ``SigV4Auth`` keeps recent keys in a cache that never shows them.
    """
    key = ("AWS4" + secret_key).encode("utf-8")
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


def signature(signing_key: bytes, to_sign: str) -> str:
    """The hex signature of a string to sign."""
    return hmac.new(signing_key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def authorization_header(access_key: str, scope: str, signed: str, sig: str) -> str:
    """The ``Authorization`` header value."""
    return f"{ALGORITHM} Credential={access_key}/{scope}, SignedHeaders={signed}, Signature={sig}"


# --- the signing-key cache ------------------------------------------------------------


class _SigningKeyCache:
    """Recently derived signing keys, least recently used dropped first.

    Entries are keyed by a salted HMAC of the secret key, not the secret itself, and
    the repr shows only the entry count, so neither secrets nor keys can leak from a
    debugger, a traceback formatter or a stray ``print``.
    """

    def __init__(self, maxsize: int = 32) -> None:
        self._maxsize = maxsize
        self._salt = secrets.token_bytes(32)  # per process: the fingerprints mean nothing elsewhere
        self._entries: OrderedDict[tuple[bytes, str, str, str], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, secret_key: str, date: str, region: str, service: str) -> bytes:
        fingerprint = hmac.new(self._salt, secret_key.encode("utf-8"), hashlib.sha256).digest()
        entry = (fingerprint, date, region, service)
        with self._lock:
            key = self._entries.get(entry)
            if key is not None:
                self._entries.move_to_end(entry)
                return key
        key = derive_signing_key(secret_key, date, region, service)
        with self._lock:
            self._entries[entry] = key
            while len(self._entries) > self._maxsize:
                self._entries.popitem(last=False)
        return key

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"<signing-key cache: {len(self._entries)} entries>"


_KEY_CACHE = _SigningKeyCache()


# --- requests auth classes ------------------------------------------------------------


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class SigV4Auth(AuthBase):
    """Signs each request with AWS Signature Version 4 (``auth=`` for ``requests``).

    ``credentials`` is anything with ``get_frozen_credentials()`` (``StaticCredentials``,
    botocore's ``Credentials`` or ``RefreshableCredentials``); it is asked on every
    request, so refreshed temporary credentials are picked up. ``clock`` returns the
    signing time (an aware datetime, or a naive one in UTC); tests pass a fixed one.

    Signs ``host`` (from the URL, default ports left out, unless a Host header is set),
    ``content-type`` and every ``x-amz-*`` header, and the SHA-256 of the exact body
    bytes (a str body as UTF-8). Sets ``X-Amz-Date``, ``X-Amz-Security-Token`` when
    there is a session token, and ``Authorization``; re-signing (a retry) replaces them.
    """

    def __init__(
        self,
        *,
        credentials: CredentialsProvider,
        region: str,
        service: str = "ec2",
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        checked_region(region, "SigV4Auth region")
        if not isinstance(service, str) or not _SERVICE.fullmatch(service):
            raise ConfigurationError(
                f"SigV4Auth service {service!r} cannot go in a credential scope; "
                "pass a plain service name such as 'ec2'."
            )
        if not callable(getattr(credentials, "get_frozen_credentials", None)):
            raise ConfigurationError(
                f"SigV4Auth credentials must have a get_frozen_credentials() method; "
                f"got a {type(credentials).__name__}. Use StaticCredentials(access_key, "
                "secret_key, token) or a botocore Credentials object."
            )
        self._credentials = credentials
        self._region = region
        self._service = service
        self._clock = clock or _utc_now

    @property
    def region(self) -> str:
        """The region the requests are signed for."""
        return self._region

    @property
    def service(self) -> str:
        """The signing name of the service, ``ec2`` by default."""
        return self._service

    def __repr__(self) -> str:
        # The provider's type only: asking it for credentials here could refresh them.
        return (
            f"SigV4Auth(credentials=<{type(self._credentials).__name__}>, "
            f"region={self._region!r}, service={self._service!r})"
        )

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        # Everything that can fail comes before the request is touched.
        creds = self._frozen_credentials()
        timestamp = self._timestamp()
        body_sha256 = _body_hash(r.body)
        headers = r.headers
        headers.pop("Authorization", None)
        headers["X-Amz-Date"] = timestamp
        if creds.token:
            headers["X-Amz-Security-Token"] = creds.token
        else:
            # A token left from earlier credentials would be signed and sent: drop it.
            headers.pop("X-Amz-Security-Token", None)

        url = urlsplit(r.url or "")
        to_sign = [("host", _text(headers["Host"]) if "Host" in headers else _host(url))]
        for name, value in headers.items():
            lower = name.lower()
            if lower == "content-type" or lower.startswith("x-amz-"):
                to_sign.append((lower, _text(value)))

        canonical = canonical_request(
            method=r.method or "GET",
            path=url.path,
            query=url.query,
            headers=to_sign,
            payload_sha256=body_sha256,
        )
        date = timestamp[:8]
        scope = credential_scope(date, self._region, self._service)
        sts = string_to_sign(timestamp, scope, canonical)
        key = _KEY_CACHE.get(creds.secret_key, date, self._region, self._service)
        # The names in to_sign are lower-case already; sorted and unique is the list.
        signed = ";".join(sorted({name for name, _ in to_sign}))
        headers["Authorization"] = authorization_header(
            creds.access_key, scope, signed, signature(key, sts)
        )
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("SigV4 canonical request:\n%s", _redact(canonical, creds))
            logger.debug("SigV4 string to sign:\n%s", _redact(sts, creds))
        return r

    def _frozen_credentials(self) -> FrozenCredentials:
        creds = self._credentials.get_frozen_credentials()
        if creds is None:
            raise ConfigurationError(
                "No AWS credentials to sign with: the credentials provider returned none. "
                "Pass StaticCredentials(...) or set up a profile or environment variables."
            )
        for name in ("access_key", "secret_key"):
            if not isinstance(getattr(creds, name, None), str) or not getattr(creds, name):
                raise ConfigurationError(
                    f"The AWS credentials have no {name}; check the profile or environment "
                    "variables they came from."
                )
        return creds

    def _timestamp(self) -> str:
        now = self._clock()
        if not isinstance(now, datetime):
            raise ConfigurationError(
                f"SigV4Auth clock returned a {type(now).__name__}, not a datetime; "
                "pass a callable such as lambda: datetime.now(timezone.utc)."
            )
        now = (
            now.replace(tzinfo=timezone.utc) if now.tzinfo is None else now.astimezone(timezone.utc)
        )
        return now.strftime(TIMESTAMP_FORMAT)


class NoAuth(AuthBase):
    """Sends requests unsigned, for endpoints that want no signature (a local moto server).

    ``requests.post(url, data=body, auth=NoAuth())``. Unlike ``auth=None``, it also stops
    ``requests`` from filling in credentials from ``~/.netrc``.
    """

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        return r

    def __repr__(self) -> str:
        return "NoAuth()"


# --- helpers ---------------------------------------------------------------------------


def _host(url: SplitResult) -> str:
    # urlsplit lower-cases the host and drops any user:password@.
    host = url.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = url.port
    if port is not None and port != _DEFAULT_PORTS.get(url.scheme):
        host = f"{host}:{port}"
    return host


def _text(value: str | bytes) -> str:
    # http.client sends str header values as latin-1, so bytes decode the same way.
    return value.decode("latin-1") if isinstance(value, bytes) else value


def _body_hash(body: Any) -> str:
    if not body:
        return EMPTY_PAYLOAD_HASH
    if isinstance(body, str):
        return payload_hash(body.encode("utf-8"))  # urllib3 sends str bodies as UTF-8
    if isinstance(body, (bytes, bytearray, memoryview)):
        return payload_hash(bytes(body))
    if all(hasattr(body, attr) for attr in ("read", "seek", "tell")):
        start = body.tell()
        digest = hashlib.sha256()
        while chunk := body.read(_CHUNK):
            digest.update(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
        body.seek(start)
        return digest.hexdigest()
    raise ParamValidationError(
        f"SigV4Auth cannot sign a request body of type {type(body).__name__}: the signature "
        "covers the body's SHA-256, so pass bytes, str or a seekable file (read a "
        "generator or stream into bytes first)."
    )


def _redact(text: str, creds: FrozenCredentials) -> str:
    for secret in (creds.secret_key, creds.token):
        if secret:
            text = text.replace(secret, "***")
    return text
