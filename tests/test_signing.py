"""SigV4 signing: the AWS test suite, botocore as the oracle, and secrets kept out of sight."""

from __future__ import annotations

import contextlib
import datetime
import io
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import botocore.auth
import botocore.credentials
import pytest
import requests
from botocore.awsrequest import AWSRequest
from botocore.utils import percent_encode, percent_encode_sequence
from hypothesis import given, settings
from hypothesis import strategies as st

from ec2revoke._errors import ConfigurationError, ParamValidationError
from ec2revoke._http.credentials import StaticCredentials
from ec2revoke._http.signing import (
    _KEY_CACHE,
    NoAuth,
    SigV4Auth,
    authorization_header,
    canonical_query_string,
    canonical_request,
    canonical_uri,
    credential_scope,
    derive_signing_key,
    payload_hash,
    signature,
    signed_headers,
    string_to_sign,
)

SUITE = Path(__file__).parent / "vendor" / "aws4_testsuite"
ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
REGION = "us-east-1"
SERVICE = "service"
TIMESTAMP = "20150830T123600Z"
SUITE_TIME = datetime.datetime(2015, 8, 30, 12, 36, tzinfo=datetime.timezone.utc)


# --- the AWS SigV4 test suite ---------------------------------------------------------


@dataclass(frozen=True)
class RawRequest:
    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes


def parse_raw_request(text: str) -> RawRequest:
    """A .req file: request line, headers (repeatable, folded onto indented lines), body."""
    head, _, body = text.partition("\n\n")
    request_line, *lines = head.split("\n")
    method, rest = request_line.split(" ", 1)
    target = rest.rpartition(" ")[0]  # the target may hold spaces: "/example space/"
    headers: list[tuple[str, str]] = []
    for line in lines:
        if not line:
            continue
        if line[0] in " \t":  # obs-fold: a continuation joins the value with one space
            name, value = headers[-1]
            headers[-1] = (name, f"{value} {line.strip()}")
        else:
            name, _, value = line.partition(":")
            headers.append((name, value.strip()))
    return RawRequest(method, target, headers, body.encode("utf-8"))


@dataclass(frozen=True)
class SuiteCase:
    name: str
    request: RawRequest
    creq: str
    sts: str
    authz: str

    @property
    def token(self) -> str | None:
        # The suite signs with a session token exactly where its canonical request has one.
        match = re.search(r"^x-amz-security-token:(.*)$", self.creq, re.MULTILINE)
        return match.group(1) if match else None


def load_cases() -> list[SuiteCase]:
    cases = []
    for req in sorted(SUITE.rglob("*.req")):
        read = {
            s: req.with_suffix(s).read_bytes().decode() for s in (".req", ".creq", ".sts", ".authz")
        }
        name = req.parent.relative_to(SUITE).as_posix()
        request = parse_raw_request(read[".req"])
        cases.append(SuiteCase(name, request, read[".creq"], read[".sts"], read[".authz"]))
    return cases


CASES = load_cases()


def test_the_whole_suite_is_vendored() -> None:
    assert len(CASES) == 34
    assert {c.name for c in CASES if c.name.startswith("normalize-path/")} == {
        f"normalize-path/{n}"
        for n in (
            "get-relative", "get-relative-relative", "get-slash", "get-slash-dot-slash",
            "get-slash-pointless-dot", "get-slashes", "get-space", "get-special-character",
        )
    }  # fmt: skip
    assert (SUITE / "LICENSE").is_file()
    assert (SUITE / "NOTICE").is_file()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_aws4_suite_with_the_pure_functions(case: SuiteCase) -> None:
    headers = list(case.request.headers)
    if case.token and not any(n.lower() == "x-amz-security-token" for n, _ in headers):
        headers.append(("X-Amz-Security-Token", case.token))  # as the signer adds it
    path, _, query = case.request.target.partition("?")
    creq = canonical_request(
        method=case.request.method,
        path=path,
        query=query,
        headers=headers,
        payload_sha256=payload_hash(case.request.body),
    )
    assert creq == case.creq
    scope = credential_scope(TIMESTAMP[:8], REGION, SERVICE)
    sts = string_to_sign(TIMESTAMP, scope, creq)
    assert sts == case.sts
    key = derive_signing_key(SECRET_KEY, TIMESTAMP[:8], REGION, SERVICE)
    authz = authorization_header(ACCESS_KEY, scope, signed_headers(headers), signature(key, sts))
    assert authz == case.authz


def _as_prepared(case: SuiteCase) -> requests.PreparedRequest:
    host = dict(case.request.headers)["Host"]
    headers = {n: v for n, v in case.request.headers if n.lower() not in ("host", "x-amz-date")}
    url = f"https://{host}{case.request.target}"
    return requests.Request(
        case.request.method, url, headers=headers, data=case.request.body
    ).prepare()


def _signable_by_sigv4auth(case: SuiteCase) -> bool:
    # SigV4Auth signs host, content-type and x-amz-* only, and requests re-quotes some
    # URLs ("/example space/" -> "/example%20space/"): those cases sign other bytes.
    names = case.creq.split("\n")[-2].split(";")
    if any(n not in ("host", "content-type") and not n.startswith("x-amz-") for n in names):
        return False
    return _as_prepared(case).path_url == case.request.target


@pytest.mark.parametrize(
    "case", [c for c in CASES if _signable_by_sigv4auth(c)], ids=lambda c: c.name
)
def test_aws4_suite_through_sigv4auth(case: SuiteCase) -> None:
    prepared = _as_prepared(case)
    auth = SigV4Auth(
        credentials=StaticCredentials(ACCESS_KEY, SECRET_KEY, case.token),
        region=REGION,
        service=SERVICE,
        clock=lambda: SUITE_TIME,
    )
    signed = auth(prepared)
    assert signed.headers["Authorization"] == case.authz
    assert signed.headers["X-Amz-Date"] == TIMESTAMP


def test_signing_key_matches_the_aws_documentation_example() -> None:
    key = derive_signing_key(SECRET_KEY, "20120215", "us-east-1", "iam")
    assert key.hex() == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("b=2&a=1&a=0", "a=0&a=1&b=2"),
        ("flag&x=", "flag=&x="),
        ("a=%7e%2a&%e1%88%b4=v", "%E1%88%B4=v&a=~%2A"),  # normalised escapes
        ("a=x+y", "a=x%2By"),  # RFC 3986: "+" is a plus sign (botocore would keep "+")
        ("a=%FF", "a=%FF"),  # not UTF-8: the byte is kept
        ("", ""),
    ],
)
def test_canonical_query_string(query: str, expected: str) -> None:
    assert canonical_query_string(query) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [("", "/"), ("/a/b/..", "/a"), ("/a/./b//c/", "/a/b/c/"), ("/%41 b", "/%2541%20b")],
)
def test_canonical_uri(path: str, expected: str) -> None:
    assert canonical_uri(path) == expected


# --- botocore as the oracle -----------------------------------------------------------


@contextlib.contextmanager
def botocore_clock(moment: datetime.datetime) -> Iterator[None]:
    """Freeze the time botocore signs with (the oracle's clock; ours is injected).

    botocore reads it through its ``datetime`` module: ``datetime.datetime.utcnow()`` in
    older releases, ``datetime.datetime.now(timezone.utc)`` (``compat.get_current_datetime``)
    in newer ones, so the class is replaced with one that answers both.
    """
    naive = moment.astimezone(datetime.timezone.utc).replace(tzinfo=None)

    class Frozen(datetime.datetime):
        @classmethod
        def now(cls, tz: datetime.tzinfo | None = None) -> Any:
            return (
                naive if tz is None else naive.replace(tzinfo=datetime.timezone.utc).astimezone(tz)
            )

        @classmethod
        def utcnow(cls) -> Any:
            return naive

    with mock.patch.object(botocore.auth.datetime, "datetime", Frozen):
        yield


TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
# "?", "#" and "/" would end or split the path segment, so they are left out of it.
SEGMENT = st.one_of(
    st.sampled_from(["", ".", "..", "a b", "%41", "~", "$x"]),
    TEXT.map(lambda s: s.translate({ord(c): None for c in "?#/"})),
)
HEADER_VALUE = st.from_regex(r"[!-~]([ -~]{0,20})", fullmatch=True)  # what requests accepts


@st.composite
def ec2_requests(draw: st.DrawFn) -> dict[str, Any]:
    region = draw(st.sampled_from(["us-east-1", "eu-west-3", "ap-southeast-2", "cn-north-1"]))
    scheme = draw(st.sampled_from(["http", "https"]))
    host = draw(
        st.sampled_from([f"ec2.{region}.amazonaws.com", "EC2.Example.COM", "127.0.0.1", "[::1]"])
    )
    port = draw(st.sampled_from(["", ":80", ":443", ":5000"]))
    path = "/" + "/".join(draw(st.lists(SEGMENT, max_size=4)))
    query_pairs = draw(st.lists(st.tuples(TEXT, TEXT), max_size=3))
    query = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in query_pairs)
    params = [("Action", "RevokeSecurityGroupIngress"), ("Version", "2016-11-15")]
    params += draw(st.lists(st.tuples(TEXT.filter(bool), TEXT), max_size=5))
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    for name in draw(
        st.sets(st.sampled_from(["X-Amz-Meta-Note", "x-amz-user-agent", "X-AMZ-Target"]))
    ):
        headers[name] = draw(HEADER_VALUE)
    token = draw(st.none() | st.from_regex(r"[A-Za-z0-9+/=]{16,64}", fullmatch=True))
    if draw(st.booleans()):  # a retry: the previous signature's headers are still there
        headers |= {"Authorization": "AWS4-HMAC-SHA256 stale", "X-Amz-Date": "20000101T000000Z"}
        if token:
            headers["X-Amz-Security-Token"] = "stale"
    return {
        "region": region,
        "url": f"{scheme}://{host}{port}{path}" + (f"?{query}" if query else ""),
        "headers": headers,
        "body": percent_encode_sequence(params).encode("ascii"),
        "credentials": (
            draw(st.sampled_from([ACCESS_KEY, "ASIAEXAMPLE"])),
            draw(st.from_regex(r"[!-~]{1,40}", fullmatch=True)),
            token,
        ),
        "when": draw(
            st.datetimes(datetime.datetime(2000, 1, 1), datetime.datetime(2099, 12, 31))
        ).replace(tzinfo=datetime.timezone.utc),
    }


@settings(max_examples=250, deadline=None)
@given(ec2_requests())
def test_authorization_equals_botocores(req: dict[str, Any]) -> None:
    access_key, secret_key, token = req["credentials"]
    auth = SigV4Auth(
        credentials=StaticCredentials(access_key, secret_key, token),
        region=req["region"],
        clock=lambda: req["when"],
    )
    ours = requests.Request(
        "POST", req["url"], headers=req["headers"], data=req["body"], auth=auth
    ).prepare()

    # The oracle signs the URL that requests will send, with the headers the caller set.
    theirs = AWSRequest(method="POST", url=ours.url, headers=req["headers"], data=req["body"])
    oracle = botocore.auth.SigV4Auth(
        botocore.credentials.Credentials(access_key, secret_key, token), "ec2", req["region"]
    )
    with botocore_clock(req["when"]):
        oracle.add_auth(theirs)

    assert ours.headers["X-Amz-Date"] == theirs.headers["X-Amz-Date"]
    assert ours.headers.get("X-Amz-Security-Token") == theirs.headers.get("X-Amz-Security-Token")
    assert ours.headers["Authorization"] == theirs.headers["Authorization"]


# --- SigV4Auth behaviour --------------------------------------------------------------

CREDS = StaticCredentials("AKIDSTATIC", "static/secret+KEY", "session-token-value")


def sign(
    url: str = "https://ec2.us-east-1.amazonaws.com/", **kwargs: Any
) -> requests.PreparedRequest:
    auth = SigV4Auth(
        credentials=kwargs.pop("credentials", CREDS),
        region="us-east-1",
        clock=kwargs.pop("clock", lambda: SUITE_TIME),
    )
    return requests.Request("POST", url, auth=auth, **kwargs).prepare()


def test_default_ports_are_left_out_of_the_signed_host() -> None:
    def authz(url: str) -> str:
        return str(sign(url).headers["Authorization"])

    assert authz("https://h.example:443/") == authz("https://h.example/")
    assert authz("http://h.example:80/") == authz("http://h.example/")
    assert authz("https://h.example:8443/") != authz("https://h.example/")
    assert authz("http://h.example:443/") != authz("http://h.example/")


def test_an_explicit_host_header_is_signed_as_given() -> None:
    by_ip = sign("https://127.0.0.1/", headers={"Host": "ec2.us-east-1.amazonaws.com"})
    assert by_ip.headers["Authorization"] == sign().headers["Authorization"]


def test_body_forms_sign_their_exact_bytes() -> None:
    as_bytes = sign(data=b"Action=X&V=%C3%A9").headers["Authorization"]
    assert sign(data="Action=X&V=%C3%A9").headers["Authorization"] == as_bytes
    stream = io.BytesIO(b"prefix:Action=X&V=%C3%A9")
    stream.seek(7)
    prepared = requests.Request(
        "POST", "https://ec2.us-east-1.amazonaws.com/", data=stream
    ).prepare()
    SigV4Auth(credentials=CREDS, region="us-east-1", clock=lambda: SUITE_TIME)(prepared)
    assert stream.tell() == 7  # left where it was, so the whole body is still sent
    assert prepared.headers["Authorization"] == as_bytes
    with pytest.raises(ParamValidationError, match="generator"):
        sign(data=(chunk for chunk in [b"a"]))


def test_re_signing_replaces_the_previous_signature_and_token() -> None:
    prepared = sign()
    assert prepared.headers["X-Amz-Security-Token"] == "session-token-value"
    later = datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    long_term = StaticCredentials("AKIDLONG", "long/term")
    SigV4Auth(credentials=long_term, region="us-east-1", clock=lambda: later)(prepared)
    assert "X-Amz-Security-Token" not in prepared.headers
    assert prepared.headers["X-Amz-Date"] == "20300102T030405Z"
    assert (
        "Credential=AKIDLONG/20300102/us-east-1/ec2/aws4_request"
        in prepared.headers["Authorization"]
    )
    assert "x-amz-security-token" not in prepared.headers["Authorization"]


def test_credentials_are_asked_for_on_every_request() -> None:
    class Rotating:
        def __init__(self) -> None:
            self.calls = 0

        def get_frozen_credentials(self) -> StaticCredentials:
            self.calls += 1
            return StaticCredentials(f"ASIA{self.calls}", "secret", f"token-{self.calls}")

    auth = SigV4Auth(credentials=Rotating(), region="us-east-1", clock=lambda: SUITE_TIME)
    for n in (1, 2):
        prepared = requests.Request("POST", "https://h/", auth=auth).prepare()
        assert prepared.headers["X-Amz-Security-Token"] == f"token-{n}"
        assert f"Credential=ASIA{n}/" in prepared.headers["Authorization"]


def test_botocore_credentials_work_as_they_are() -> None:
    creds = botocore.credentials.Credentials(
        "AKIDSTATIC", "static/secret+KEY", "session-token-value"
    )
    assert sign(credentials=creds).headers["Authorization"] == sign().headers["Authorization"]


def test_the_clock_is_read_as_utc() -> None:
    naive = sign(clock=lambda: datetime.datetime(2015, 8, 30, 12, 36))
    plus_two = datetime.timezone(datetime.timedelta(hours=2))
    aware = sign(clock=lambda: datetime.datetime(2015, 8, 30, 14, 36, tzinfo=plus_two))
    assert naive.headers["X-Amz-Date"] == aware.headers["X-Amz-Date"] == TIMESTAMP


def test_bad_set_up_is_reported_before_anything_is_sent() -> None:
    with pytest.raises(ConfigurationError, match="region"):
        SigV4Auth(credentials=CREDS, region="us-east-1/x")
    with pytest.raises(ConfigurationError, match="get_frozen_credentials"):
        SigV4Auth(credentials="AKID:secret", region="us-east-1")  # type: ignore[arg-type]

    class Empty:
        def get_frozen_credentials(self) -> None:
            return None

    with pytest.raises(ConfigurationError, match="No AWS credentials"):
        sign(credentials=Empty())


def test_the_signing_key_cache_is_bounded_and_agrees_with_derivation() -> None:
    for day in range(1, 41):
        sign(clock=lambda day=day: datetime.datetime(2024, 1, 1) + datetime.timedelta(days=day))
    assert len(_KEY_CACHE) <= 32
    expected = derive_signing_key(CREDS.secret_key, "20240210", "us-east-1", "ec2")
    assert _KEY_CACHE.get(CREDS.secret_key, "20240210", "us-east-1", "ec2") == expected


def test_no_auth_sends_unsigned_and_ignores_netrc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine h.example login user password pass\n")
    monkeypatch.setenv("NETRC", str(netrc))
    session = requests.Session()
    assert (
        "Authorization"
        in session.prepare_request(requests.Request("GET", "https://h.example/")).headers
    )
    unsigned = session.prepare_request(requests.Request("GET", "https://h.example/", auth=NoAuth()))
    assert "Authorization" not in unsigned.headers
    assert repr(NoAuth()) == "NoAuth()"


# --- secrets stay secret --------------------------------------------------------------

SECRET = "Sup3r/Secret+Key/ThatMustNeverShow0000"
TOKEN = "FwoGZXIvYXdzEXAMPLE/session/token/ThatMustNeverShow"


def assert_hidden(text: str) -> None:
    assert SECRET not in text
    assert TOKEN not in text


def test_reprs_show_no_secrets() -> None:
    creds = StaticCredentials("AKIDVISIBLE", SECRET, TOKEN)
    auth = SigV4Auth(credentials=creds, region="us-east-1")
    for text in (repr(creds), str(creds), repr(auth), str(auth), repr([creds, auth])):
        assert_hidden(text)
    assert "AKIDVISIBLE" in repr(creds)
    assert repr(StaticCredentials("AKIDVISIBLE", SECRET)).endswith("token=None)")
    auth(requests.Request("POST", "https://h/", data=b"x=1").prepare())
    key = derive_signing_key(SECRET, SUITE_TIME.strftime("%Y%m%d"), "us-east-1", "ec2")
    assert_hidden(repr(_KEY_CACHE))
    assert key.hex() not in repr(_KEY_CACHE)
    assert repr(key) not in repr(_KEY_CACHE)


def test_debug_logs_show_no_secrets(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    sign(credentials=StaticCredentials("AKIDVISIBLE", SECRET, TOKEN), data=b"Action=X")
    messages = [record.getMessage() for record in caplog.records]
    assert any("x-amz-security-token:***" in m for m in messages)  # the logs are there
    for message in messages:
        assert_hidden(message)


def test_error_messages_show_no_secrets() -> None:
    errors: list[Exception] = []
    with pytest.raises(ConfigurationError) as bad_token:
        StaticCredentials("AKID", SECRET, "")
    errors.append(bad_token.value)
    with pytest.raises(ConfigurationError) as no_key:
        sign(credentials=botocore.credentials.Credentials(None, SECRET, TOKEN))
    errors.append(no_key.value)
    with pytest.raises(ParamValidationError) as bad_body:
        sign(credentials=StaticCredentials("AKID", SECRET, TOKEN), data=iter([b"a"]))
    errors.append(bad_body.value)
    for error in errors:
        assert_hidden(str(error))
        assert_hidden(repr(error))
