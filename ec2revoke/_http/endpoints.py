"""Region -> EC2 endpoint, with botocore's own rule set and partition data.

botocore ships EC2's endpoint rules (every partition: aws, aws-cn, aws-us-gov, the
iso partitions...) and the engine that evaluates them; we ask that engine, so our
answer is botocore's answer by construction, FIPS and dual-stack included.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ec2revoke._errors import ConfigurationError
from ec2revoke._http.redact import redact_url

SERVICE = "ec2"
API_VERSION = "2016-11-15"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where to send requests, and the region to sign them for."""

    url: str
    signing_region: str

    def __repr__(self) -> str:
        return f"Endpoint(url={redact_url(self.url)!r}, signing_region={self.signing_region!r})"


class EndpointResolver:
    """Resolves EC2 endpoints; loads botocore's rule data on first use."""

    def __init__(self) -> None:
        self._provider: Any = None
        self._legacy: Any = None
        self._lock = threading.Lock()

    def _rules(self) -> Any:
        with self._lock:
            if self._provider is None:
                from botocore.endpoint_provider import EndpointProvider
                from botocore.loaders import Loader

                loader = Loader()
                rules = loader.load_service_model(SERVICE, "endpoint-rule-set-1", API_VERSION)
                self._provider = EndpointProvider(rules, loader.load_data("partitions"))
            return self._provider

    def _check_variant(self, region: str, use_fips: bool, use_dual_stack: bool) -> None:
        # botocore's client creation also asks its endpoints.json resolver, which refuses
        # variants some partitions lack (dual-stack in aws-iso-e and aws-iso-f); refuse
        # them too rather than hand out a host that botocore would not use.
        from botocore.exceptions import BotoCoreError

        with self._lock:
            if self._legacy is None:
                from botocore.loaders import Loader
                from botocore.regions import EndpointResolver as LegacyResolver

                self._legacy = LegacyResolver(Loader().load_data("endpoints"))
        options = {"use_fips_endpoint": use_fips, "use_dualstack_endpoint": use_dual_stack}
        try:
            if self._legacy.construct_endpoint(SERVICE, region, **options) is None:
                self._legacy.construct_endpoint(SERVICE, region, partition_name="aws", **options)
        except BotoCoreError as e:
            wanted = " and ".join(
                name for name, on in (("FIPS", use_fips), ("dual-stack", use_dual_stack)) if on
            )
            raise ConfigurationError(
                f"no {wanted} EC2 endpoint for region {region!r} ({e}); turn off "
                "use_fips/use_dual_stack for this region, or pass endpoint_url=..."
            ) from None

    def resolve(
        self,
        region: str | None,
        *,
        endpoint_url: str | None = None,
        use_fips: bool = False,
        use_dual_stack: bool = False,
    ) -> Endpoint:
        """The endpoint for a region (or a custom URL), as botocore would choose it."""
        if region is not None and region != "":
            # Checked with a custom endpoint too, as botocore does: the region is signed
            # into every request, so 'us_east_1' or '"us-east-1"' is never sent.
            checked_region(region)
        if endpoint_url is not None:
            from botocore.utils import is_valid_uri

            parts = urlsplit(endpoint_url)
            # botocore's check as well: it refuses hosts like "exa mple" or "-bad.com".
            if (
                parts.scheme not in ("http", "https")
                or not parts.netloc
                or not is_valid_uri(endpoint_url)
            ):
                raise ConfigurationError(
                    f"endpoint_url {redact_url(endpoint_url)!r} is not a valid http(s) URL; "
                    "give it as https://host[:port] with a DNS name or IP address as host"
                )
            # A custom endpoint still needs a region to sign for.
            return Endpoint(endpoint_url.rstrip("/"), region or "us-east-1")
        if not region:
            raise ConfigurationError(
                "no region: pass region=..., or set AWS_DEFAULT_REGION, "
                "or give the profile a region"
            )
        from botocore.exceptions import BotoCoreError

        if use_fips or use_dual_stack:
            self._check_variant(region, use_fips, use_dual_stack)
        params: dict[str, Any] = {
            "Region": region,
            "UseFIPS": use_fips,
            "UseDualStack": use_dual_stack,
        }
        try:
            found = self._rules().resolve_endpoint(**params)
        except BotoCoreError as e:
            raise ConfigurationError(f"no EC2 endpoint for region {region!r}: {e}") from None
        signing_region = region
        for scheme in found.properties.get("authSchemes", ()):
            signing_region = scheme.get("signingRegion", signing_region)
        return Endpoint(found.url, signing_region)


# botocore's region format (botocore.utils.validate_region_name), matched whole: its
# own ``match`` with ``$`` lets "us-east-1\n" through, into a credential scope.
_REGION = re.compile(r"(?![0-9]+\Z)(?!-)[a-zA-Z0-9-]{1,63}(?<!-)")


def checked_region(region: object, what: str = "region_name") -> str:
    """``region`` if it is a region name in botocore's format; else a ConfigurationError.

    The one check for every region that may reach a URL, a header or a credential scope.
    """
    if not isinstance(region, str):
        raise ConfigurationError(
            f"{what} must be a region name (a str) such as 'us-east-1', "
            f"got a {type(region).__name__}"
        )
    if not _REGION.fullmatch(region):
        shown = repr(region) if len(region) <= 80 else f"{region[:60]!r}... ({len(region)} chars)"
        raise ConfigurationError(
            f"Provided {what} {shown} doesn't match a supported format. Give a region name "
            "like 'us-east-1' (ASCII letters, digits and hyphens only, at most 63)"
        )
    return region
