"""Render typed client methods: one per operation, each a call to the client's ``_invoke``.

The methods carry the types (request dataclass or keyword arguments, result type,
the dry-run outcome); all behaviour is in the hand-written client.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from codegen.naming import docstring, method_name, one_line

_NAME = re.compile(r"\b[A-Z]\w*")
_NOT_SHAPES = frozenset({"Sequence", "Mapping"})
DRY_RUN = "DryRun"


def operations_module(
    model: dict[str, Any],
    operations: list[str],
    header: str,
    annotation: Callable[[str], str],
    fields: Callable[[dict[str, Any]], list[tuple[str, str, dict[str, Any]]]],
) -> str:
    """Source of ``operations.py`` for the given operations."""
    shapes = model["shapes"]
    used: set[str] = set()
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
            ann = annotation(ref["shape"])
            used.update(n for n in _NAME.findall(ann) if n not in _NOT_SHAPES)
            # None is accepted wherever the dataclass field accepts it: "not given".
            lines.append(
                f"    {fname}: {f'Required[{ann}]' if member in required else f'{ann} | None'}"
            )
        if len(lines) == 3:
            lines.append("    pass")
        params_classes.append("\n".join(lines) + "\n")
        req = f"shapes.{inp}"
        call = f"return self._invoke({op_name!r}, {req}, request, params, {'dry_run' if has_dry_run else 'None'})"
        if has_dry_run:
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
    if "_dt.datetime" in body:
        imports.append("import datetime as _dt")
    abc = [n for n in ("Mapping", "Sequence") if f"{n}[" in body]
    if abc:
        imports.append(f"from collections.abc import {', '.join(abc)}")
    imports.append("from typing import Any, Literal, overload")
    imports += ["", "from typing_extensions import Required, TypedDict, Unpack", ""]
    imports.append("from ec2revoke._results import DryRunResult")
    imports += ["", "from . import shapes"]
    if used:
        imports.append(f"from .shapes import {', '.join(sorted(used))}")
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
