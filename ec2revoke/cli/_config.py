"""Settings from the options, the environment and the AWS config files; the client they
describe; and ``--debug`` logging that never shows a secret.

Resolution follows the AWS CLI: an option wins, then the environment
(AWS_DEFAULT_REGION, AWS_PROFILE, AWS_DEFAULT_OUTPUT, AWS_CA_BUNDLE, AWS_ENDPOINT_URL_EC2,
AWS_ENDPOINT_URL...), then the profile in ~/.aws/config and ~/.aws/credentials.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from ec2revoke._client import UNSIGNED, EC2Client
from ec2revoke._errors import ConfigurationError
from ec2revoke._http.botocore_session import profile_session
from ec2revoke.cli._output import FORMATS
from ec2revoke.cli._params import require_yaml

# awscli's own session variable for the output format (env AWS_DEFAULT_OUTPUT, config "output").
_SESSION_VARS = {"output": ("output", "AWS_DEFAULT_OUTPUT", "json", None)}
DEFAULT_TIMEOUT = 60.0


class Settings:
    """What the global options, environment and config say; the botocore session is made lazily."""

    def __init__(self, args: argparse.Namespace, redactor: Redactor) -> None:
        self.args = args
        self.redactor = redactor
        self._session: Any = None

    def session(self) -> Any:
        """botocore's session for ``--profile`` (credentials, region and config come from it)."""
        if self._session is None:
            self._session = profile_session(
                self.args.profile, session_vars=_SESSION_VARS, botocore_words=True
            )
        return self._session

    def output(self) -> str:
        """The output format: --output, else AWS_DEFAULT_OUTPUT or the profile's, else json.

        Checked before anything is sent: a revoke must not happen and then fail to print.
        """
        value = self.args.output
        if value is None:
            value = str(self.session().get_config_variable("output") or "json")
            if value not in FORMATS:
                raise ConfigurationError(
                    f"Unknown output type: {value} (from AWS_DEFAULT_OUTPUT or the config file); "
                    f"use {', '.join(FORMATS)}"
                )
        if value in ("yaml", "yaml-stream"):
            require_yaml(f"--output {value}")
        return str(value)

    def color(self, out: TextIO) -> bool:
        """Whether to colour: --color on, or auto when writing to a terminal."""
        mode = self.args.color
        return mode == "on" or (mode == "auto" and out.isatty())

    def endpoint_url(self) -> str | None:
        """--endpoint-url, else the service-specific or global AWS_ENDPOINT_URL variables."""
        if self.args.endpoint_url:
            return str(self.args.endpoint_url)
        if os.environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() == "true":
            return None
        return os.environ.get("AWS_ENDPOINT_URL_EC2") or os.environ.get("AWS_ENDPOINT_URL") or None

    def region(self) -> str:
        region = self.args.region or self.session().get_config_variable("region")
        if not region:
            raise ConfigurationError(
                'You must specify a region. You can also configure your region by running "aws configure".'
            )
        return str(region)

    def credentials(self) -> Any:
        if self.args.no_sign_request:
            return UNSIGNED
        found = self.session().get_credentials()
        if found is None:
            raise ConfigurationError(
                'Unable to locate credentials. You can configure credentials by running "aws configure".'
            )
        frozen = found.get_frozen_credentials()
        self.redactor.add(frozen.secret_key, frozen.token)
        return found

    def verify(self) -> bool | str:
        if not self.args.verify_ssl:
            return False
        bundle = self.args.ca_bundle or self.session().get_config_variable("ca_bundle")
        return str(bundle) if bundle else True

    def client(self) -> EC2Client:
        """An EC2 client as the options describe it."""

        def timeout(value: int | None) -> float | None:
            # As in the AWS CLI, 0 means no timeout at all.
            if value is None:
                return DEFAULT_TIMEOUT
            return float(value) or None

        try:
            # AWS_MAX_ATTEMPTS too; botocore converts it with int() and raises ValueError.
            attempts = self.session().get_config_variable("max_attempts")
        except ValueError:
            raw = os.environ.get("AWS_MAX_ATTEMPTS") or self.session().get_scoped_config().get(
                "max_attempts"
            )
            raise ConfigurationError(
                "max_attempts (AWS_MAX_ATTEMPTS or the profile's max_attempts) must be a whole "
                f"number of attempts, got {raw!r}"
            ) from None
        return EC2Client(
            region=self.region(),
            endpoint_url=self.endpoint_url(),
            credentials=self.credentials(),
            timeout=(timeout(self.args.cli_connect_timeout), timeout(self.args.cli_read_timeout)),
            verify=self.verify(),
            max_attempts=int(attempts) if attempts else None,
        )


# -- --debug ---------------------------------------------------------------------------------

_SECRET_PATTERNS = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        # STS, IMDS and SSO answers, should anything log one while finding credentials.
        r"(?P<pre><(?P<tag>SecretAccessKey|SessionToken|Token)>)[^<]*(?P<post></(?P=tag)>)",
        r'(?P<pre>"(?:SecretAccessKey|SessionToken|Token)"\s*:\s*")[^"]*(?P<post>")',
        r"(?P<pre>(?:aws_secret_access_key|aws_session_token|aws_security_token)\s*[=:]\s*)\S+(?P<post>)",
        r"(?P<pre>(?:authorization|x-amz-security-token)['\"]?\s*[:=]\s*['\"]?)[^'\",}]+(?P<post>)",
    )
)


class Redactor(logging.Filter):
    """Replaces known secrets, and anything shaped like one, in every record it passes."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()

    def add(self, *values: str | None) -> None:
        """Secrets to hide wherever they appear (short values are ignored)."""
        self._secrets.update(v for v in values if v and len(v) >= 8)

    def redact(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, "<redacted>")
        for pattern in _SECRET_PATTERNS:
            text = pattern.sub(r"\g<pre><redacted>\g<post>", text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
            record.exc_text = None
        record.msg = self.redact(message)
        record.args = None
        return True


_FORMAT = "%(asctime)s - %(threadName)s - %(name)s - %(levelname)s - %(message)s"
# The library's loggers, and botocore's credential chain (which logs where it found
# credentials, never the secret); not botocore's wire loggers, which log whole bodies.
_DEBUG_LOGGERS = ("ec2revoke", "botocore.credentials")


@contextmanager
def debug_logging(
    enabled: bool, redactor: Redactor, stream: TextIO | None = None
) -> Iterator[None]:
    """Route DEBUG records of the library (and credential lookup) to stderr, redacted."""
    if not enabled:
        yield
        return
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.addFilter(redactor)
    redactor.add(
        os.environ.get("AWS_SECRET_ACCESS_KEY"),
        os.environ.get("AWS_SESSION_TOKEN"),
        os.environ.get("AWS_SECURITY_TOKEN"),
    )
    saved = []
    for name in _DEBUG_LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level))
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
    try:
        yield
    finally:
        for logger, level in saved:
            logger.removeHandler(handler)
            logger.setLevel(level)
        handler.flush()
