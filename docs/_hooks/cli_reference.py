"""mkdocs hook: the command-line reference, rendered from ec2revoke's own argparse parser.

A page that holds the line ``<!-- cli-reference -->`` gets, in its place, the help of
``ec2revoke`` and of every (sub)command the parser has, as ``ec2revoke <command> --help``
prints it. Nothing is copied by hand, so a new option or command shows up in the next
build; tests/test_docs_build.py checks the built page against the parser.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from typing import Any

MARKER = "<!-- cli-reference -->"
# Help is wrapped for this width, whatever the terminal that runs the build.
WIDTH = 90


def commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser, str]]:
    """(command words, parser, one-line help) for the parser and every subcommand, depth first."""
    yield path, parser, ""
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
        for name, sub in action.choices.items():
            for words, found, text in commands(sub, (*path, name)):
                yield words, found, text or helps.get(name, "")


def _plain(parser: argparse.ArgumentParser) -> None:
    """Fixed width and no colour, so the page is the same on every machine."""
    base: Any = parser.formatter_class

    def formatter(prog: str) -> argparse.HelpFormatter:
        made: argparse.HelpFormatter = base(prog, width=WIDTH)
        return made

    parser.formatter_class = formatter
    if hasattr(parser, "color"):  # Python 3.14+ colours help on terminals
        parser.color = False


def anchor(words: tuple[str, ...]) -> str:
    """The heading id of a command's section."""
    return "-".join(("ec2revoke", *words))


def render(parser: argparse.ArgumentParser) -> str:
    """Markdown for every command of ``parser``: an index, then each command's help."""
    found = list(commands(parser))
    lines = ["| command | what it does |", "| --- | --- |"]
    for words, _, text in found[1:]:
        name, cell = " ".join(words), text.replace("|", "\\|")
        lines.append(f"| [`ec2revoke {name}`](#{anchor(words)}) | {cell} |")
    out = ["\n".join(lines), ""]
    for words, sub, text in found:
        _plain(sub)
        title = " ".join(("ec2revoke", *words))
        out.append(f"## `{title}` {{#{anchor(words)}}}\n")
        if text:
            out.append(f"{text}\n")
        out.append(f"```text\n$ {title} --help\n{sub.format_help().rstrip()}\n```\n")
    return "\n".join(out)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Replace the marker with the reference (mkdocs calls this for every page)."""
    if MARKER not in markdown:
        return markdown
    from ec2revoke.cli._options import build_parser

    return markdown.replace(MARKER, render(build_parser()))
