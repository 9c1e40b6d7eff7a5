"""Render typed client methods: one per operation, each a call to the client's ``_invoke``.

The methods carry the types (request dataclass or keyword arguments, result type,
the dry-run outcome); all behaviour is in the hand-written client.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from codegen.naming import docstring, method_name, one_line

DRY_RUN = "DryRun"
# The names each import line may bring, in the order they are written.
_TYPING = ("Any", "Literal", "overload")
_TYPING_EXTENSIONS = ("Required", "TypedDict", "Unpack")


def operations_module(
    model: dict[str, Any],
    operations: list[str],
    header: str,
    annotation: Callable[[str, set[str]], str],
    fields: Callable[[dict[str, Any]], list[tuple[str, str, dict[str, Any]]]],
) -> str:
    """Source of ``operations.py`` for the given operations."""
    shapes = model["shapes"]
    # Every name the rendered methods and classes need imported, as they are rendered.
    used: set[str] = {"Any"}
    params_classes: list[str] = []
    methods: list[str] = []
    for op_name in operations:
        op = model["operations"][op_name]
        method = method_name(op_name)
        doc = one_line(op.get("documentation"), f"Call {op_name}.")
        inp = op.get("input", {}).get("shape")
        out = op.get("output", {}).get("shape")
        result = f"shapes.{out}" if out else "None"
        if inp is None:
            methods.append(
                f"    def {method}(self) -> {result}:\n"
                f"        {docstring(doc)}\n"
                f"        return self._invoke({op_name!r}, None, None, {{}}, None)  # type: ignore[no-any-return]\n"
            )
            continue
        shape = shapes[inp]
        required = set(shape.get("required", ()))
        td = f"{op_name}Params"
        lines = [
            f"class {td}(TypedDict, total=False):",
            f"    {docstring(f'Keyword arguments of {method}: the fields of {inp}.')}",
            "",
        ]
        has_dry_run = False
        for fname, member, ref in fields(shape):
            if member == DRY_RUN:
                has_dry_run = True
                continue
            ann = annotation(ref["shape"], used)
            if member in required:
                used.add("Required")
            # None is accepted wherever the dataclass field accepts it: "not given".
            lines.append(
                f"    {fname}: {f'Required[{ann}]' if member in required else f'{ann} | None'}"
            )
        if len(lines) == 3:
            lines.append("    pass")
        params_classes.append("\n".join(lines) + "\n")
        used.update(("TypedDict", "Unpack"))
        req = f"shapes.{inp}"
        call = f"return self._invoke({op_name!r}, {req}, request, params, {'dry_run' if has_dry_run else 'None'})"
        if has_dry_run:
            used.update(("overload", "Literal", "DryRunResult"))
            methods.append(
                "    @overload\n"
                f"    def {method}(self, request: {req}, /) -> {result} | DryRunResult: ...\n"
                "    @overload\n"
                f"    def {method}(\n"
                f"        self, /, *, dry_run: Literal[True], **params: Unpack[{td}]\n"
                "    ) -> DryRunResult: ...\n"
                "    @overload\n"
                f"    def {method}(\n"
                f"        self, /, *, dry_run: Literal[False] | None = None, **params: Unpack[{td}]\n"
                f"    ) -> {result}: ...\n"
                f"    def {method}(\n"
                f"        self, request: {req} | None = None, /, *, dry_run: bool | None = None, **params: Any\n"
                "    ) -> Any:\n"
                f"        {docstring(doc + ' With dry_run=True, returns a DryRunResult instead.')}\n"
                f"        {call}\n"
            )
        else:
            methods.append(
                f"    def {method}(\n"
                f"        self, request: {req} | None = None, /, **params: Unpack[{td}]\n"
                f"    ) -> {result}:\n"
                f"        {docstring(doc)}\n"
                f"        {call}  # type: ignore[no-any-return]\n"
            )
    body = "\n\n".join(params_classes)
    imports = ["from __future__ import annotations", ""]
    if "_dt" in used:
        imports.append("import datetime as _dt")
    abc = [n for n in ("Mapping", "Sequence") if n in used]
    if abc:
        imports.append(f"from collections.abc import {', '.join(abc)}")
    imports.append(f"from typing import {', '.join(n for n in _TYPING if n in used)}")
    extensions = [n for n in _TYPING_EXTENSIONS if n in used]
    if extensions:
        imports += ["", f"from typing_extensions import {', '.join(extensions)}"]
    if "DryRunResult" in used:
        imports += ["", "from ec2revoke._results import DryRunResult"]
    imports += ["", "from . import shapes"]
    structures = sorted(n for n in used if shapes.get(n, {}).get("type") == "structure")
    if structures:
        imports.append(f"from .shapes import {', '.join(structures)}")
    return "\n".join(
        [
            header,
            '"""Typed client methods, one per operation; the client supplies ``_invoke``."""',
            "",
            *imports,
            "",
            "",
            body,
            "",
            "class Operations:",
            '    """One method per operation, taking a request dataclass or its fields as keywords."""',
            "",
            "    __slots__ = ()",
            "",
            "    def _invoke(",
            "        self,",
            "        operation: str,",
            "        request_type: type[Any] | None,",
            "        request: Any,",
            "        params: dict[str, Any],",
            "        dry_run: bool | None,",
            "    ) -> Any:",
            "        raise NotImplementedError",
            "",
            "\n".join(methods),
        ]
    )
