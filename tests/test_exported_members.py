"""The public surface: one curated, sorted __all__, and nothing private leaks into it."""

from __future__ import annotations

import ec2revoke
from ec2revoke import codec, shapes
from ec2revoke._generated import shapes as generated


def _isort_style(name: str) -> tuple[int, str]:
    # Constants, then classes, then functions and modules, as ruff's RUF022 orders them.
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def test_package_exports_are_curated_and_sorted() -> None:
    assert ec2revoke.__all__ == sorted(ec2revoke.__all__, key=_isort_style)
    public = {name for name in dir(ec2revoke) if not name.startswith("_")}
    assert set(ec2revoke.__all__) == public
    for name in ec2revoke.__all__:
        obj = getattr(ec2revoke, name)
        home = getattr(obj, "__module__", None) or obj.__name__  # classes, or modules
        assert home.startswith("ec2revoke"), name


def test_every_generated_shape_is_reachable_from_ec2revoke_shapes() -> None:
    assert shapes.__all__ == generated.__all__
    for name in shapes.__all__:
        assert getattr(shapes, name) is getattr(generated, name)


def test_codec_exposes_the_documented_functions() -> None:
    for name in ("to_query", "from_query", "parse_response", "to_xml", "to_dict", "from_dict"):
        assert callable(getattr(codec, name)), name
    assert codec.__all__ == sorted(codec.__all__, key=_isort_style)
