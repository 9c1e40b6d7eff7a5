"""mkdocs hook: the tree of ec2revoke's errors, drawn from the classes themselves.

A page that holds the line ``<!-- error-tree -->`` gets, in its place, every public
subclass of ``EC2Error`` (those in ``ec2revoke.__all__``) as a tree, so a new error
class shows up in the next build.
"""

from __future__ import annotations

from typing import Any

MARKER = "<!-- error-tree -->"


def tree() -> list[str]:
    """The tree's lines, depth first, children in the order the classes are defined."""
    import ec2revoke

    public = {getattr(ec2revoke, name) for name in ec2revoke.__all__}
    lines = ["EC2Error"]

    def walk(cls: type, indent: str) -> None:
        subclasses: list[type] = type.__subclasses__(cls)
        children = [c for c in subclasses if c in public]
        for i, child in enumerate(children):
            last = i == len(children) - 1
            # Errors that are also a built-in type say so where they join it.
            also = [
                base.__name__
                for base in child.__bases__
                if base.__module__ == "builtins" and not issubclass(cls, base)
            ]
            note = f" ({', '.join(also)})" if also else ""
            lines.append(f"{indent}{'└── ' if last else '├── '}{child.__name__}{note}")
            walk(child, indent + ("    " if last else "│   "))

    walk(ec2revoke.EC2Error, "")
    return lines


def render() -> str:
    """The tree as a text block."""
    return "```text\n" + "\n".join(tree()) + "\n```"


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Replace the marker with the tree (mkdocs calls this for every page)."""
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, render())
