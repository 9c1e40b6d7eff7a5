"""Cut the part of a botocore service model that a set of operations can reach."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

Model = dict[str, Any]


def reachable_shapes(model: Model, operations: Iterable[str]) -> list[str]:
    """Names of every shape reachable from the operations' inputs, outputs and errors,
    and from every exception shape of the model."""
    shapes = model["shapes"]
    seen: dict[str, None] = {}
    pending: list[str] = []
    for name in operations:
        try:
            op = model["operations"][name]
        except KeyError:
            raise SystemExit(f"operation {name!r} is not in the service model") from None
        refs = [op.get("input"), op.get("output"), *op.get("errors", ())]
        pending.extend(ref["shape"] for ref in refs if ref)
    # botocore reads an error code as any exception shape of the model, whether or not
    # the operation lists it, so every modeled exception is part of the service.
    pending.extend(name for name, shape in shapes.items() if shape.get("exception"))
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen[name] = None
        shape = shapes[name]
        for key in ("member", "key", "value"):
            if key in shape:
                pending.append(shape[key]["shape"])
        pending.extend(m["shape"] for m in shape.get("members", {}).values())
    return sorted(seen)


def slice_model(model: Model, operations: Iterable[str], botocore_version: str) -> Model:
    """A self-contained model holding only what the operations need."""
    wanted = sorted(operations)
    names = reachable_shapes(model, wanted)
    return {
        "botocoreVersion": botocore_version,
        "metadata": model["metadata"],
        "operations": {name: model["operations"][name] for name in wanted},
        "shapes": {name: model["shapes"][name] for name in names},
    }


def load_installed_model(service: str, api_version: str) -> tuple[Model, str]:
    """The full service model from the installed botocore, and botocore's version."""
    import botocore
    import botocore.loaders

    loader = botocore.loaders.Loader()
    model = loader.load_service_model(service, "service-2", api_version)
    return model, botocore.__version__
