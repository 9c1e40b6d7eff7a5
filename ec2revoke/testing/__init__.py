"""The testing kit: canned EC2 answers, recorded cassettes and pytest fixtures.

    from ec2revoke.testing import ANY, Stubber, record, replay

``Stubber(client)`` queues answers (result dataclasses or boto3 dicts, client
errors, dry runs) that are served as real EC2 XML at requests' HTTPAdapter;
``record(path)``/``replay(path)`` capture a run against a real or embedded endpoint
and play it back offline with strict matching. The pytest fixtures ``ec2_stubber``
and ``ec2_embedded`` come from :mod:`ec2revoke.testing.plugin`, which pytest loads
by itself. Needs the testing extra: ``pip install 'ec2revoke[testing]'``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ec2revoke.testing._cassette import (
        Cassette,
        Interaction,
        Recording,
        Replay,
        record,
        replay,
    )
    from ec2revoke.testing._fixtures import EmbeddedEndpoint
    from ec2revoke.testing._match import ANY
    from ec2revoke.testing._script import (
        StubAssertionError,
        StubResponseError,
        UnstubbedRequestError,
    )
    from ec2revoke.testing._stubber import Stubber

__all__ = [
    "ANY",
    "Cassette",
    "EmbeddedEndpoint",
    "Interaction",
    "Recording",
    "Replay",
    "StubAssertionError",
    "StubResponseError",
    "Stubber",
    "UnstubbedRequestError",
    "record",
    "replay",
]

# Loaded on first use: pytest imports this package (for the plugin) in every run
# where ec2revoke is installed, and responses/PyYAML may not be.
_HOMES = {
    "ANY": "_match",
    "Cassette": "_cassette",
    "EmbeddedEndpoint": "_fixtures",
    "Interaction": "_cassette",
    "Recording": "_cassette",
    "Replay": "_cassette",
    "StubAssertionError": "_script",
    "StubResponseError": "_script",
    "Stubber": "_stubber",
    "UnstubbedRequestError": "_script",
    "record": "_cassette",
    "replay": "_cassette",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'ec2revoke.testing' has no attribute {name!r}")
    try:
        module = importlib.import_module(f"ec2revoke.testing.{home}")
    except ModuleNotFoundError as e:
        if e.name not in ("responses", "yaml"):
            raise
        raise ImportError(
            f"ec2revoke.testing.{name} needs {e.name}: pip install 'ec2revoke[testing]'"
        ) from e
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
