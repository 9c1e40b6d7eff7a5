"""``--output table``: the AWS CLI's boxed tables, drawn from any response dict.

A dict's scalar members make one row under a header of their (sorted) names; each
list or dict member becomes a section of its own, indented one level; a list of dicts
gets one row per element. A single-row section is shown vertically, and so is
everything when the table would not fit the terminal.
"""

from __future__ import annotations

import shutil
import unicodedata
from dataclasses import dataclass, field
from typing import Any, TextIO

_BLUE = "\x1b[1m\x1b[34m"
_YELLOW = "\x1b[2m\x1b[33m"
_RESET = "\x1b[0m"


def width_of(text: str) -> int:
    """Columns a text takes: wide and ambiguous East Asian characters count twice."""
    return sum(2 if unicodedata.east_asian_width(c) in "WFA" else 1 for c in text)


@dataclass
class _Section:
    title: str = ""
    indent: int = 0
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    widths: list[int] = field(default_factory=list)

    def _grow(self, cells: list[str]) -> None:
        if not self.widths:
            self.widths = [width_of(c) for c in cells]
        else:
            self.widths = [max(w, width_of(c)) for w, c in zip(self.widths, cells, strict=False)]

    def add_headers(self, headers: list[str]) -> None:
        self._grow(headers)
        self.headers = headers

    def add_row(self, row: list[Any]) -> None:
        cells = [str(c) for c in row]
        self.rows.append(cells)
        self._grow(cells)

    def columns(self, total: int | None = None) -> list[int]:
        """Column widths (with padding); scaled to add up to ``total`` if given."""
        widths = [w + 4 for w in self.widths]
        if total is None or not widths:
            return widths
        scale = total / float(sum(widths))
        scaled = [round(scale * w) for w in widths]
        off = sum(scaled) - total
        while off:
            order = range(len(scaled)) if off > 0 else reversed(range(len(scaled)))
            for i in order:
                step = 1 if off > 0 else -1
                scaled[i] -= step
                off -= step
                if not off:
                    break
        return scaled

    def width(self) -> int:
        return max(
            width_of(self.title) + 2 + 2 * self.indent,
            sum(self.columns()) + 2 + 2 * self.indent,
        )

    def vertical(self) -> _Section:
        if len(self.rows) != 1 or not self.headers:
            return self
        flipped = _Section(self.title, self.indent)
        for header, cell in zip(self.headers, self.rows[0], strict=False):
            flipped.add_row([header, cell])
        return flipped


class Table:
    """Builds the sections of one response and draws them."""

    def __init__(self, *, color: bool = False, terminal_width: int | None = None) -> None:
        self.sections: list[_Section] = []
        self.color = color
        self.terminal_width = terminal_width or shutil.get_terminal_size((80, 24)).columns

    # -- building --------------------------------------------------------------------

    def build(self, title: str | None, current: Any, indent: int = 0) -> bool:
        """Add a response (or part of one); False when there is nothing to show."""
        if not current:
            return False
        if title is not None:
            self.sections.append(_Section(title, indent))
        if isinstance(current, list):
            if isinstance(current[0], dict):
                self._list_of_dicts(current, indent, title)
            else:
                for item in current:
                    if not isinstance(item, (list, dict)):
                        self.sections[-1].add_row([item])
                    elif all(not isinstance(el, (list, dict)) for el in item):
                        self.sections[-1].add_row(list(item))
                    else:
                        self.build(None, item)
        if isinstance(current, dict):
            self._dict(current, indent)
        elif not isinstance(current, list):
            self.sections[-1].add_row([current])  # a scalar (say, from --query)
        return True

    def _dict(self, current: dict[str, Any], indent: int) -> None:
        scalars, nested = _split(current)
        if len(scalars) == 1:
            self.sections[-1].add_row([scalars[0], current[scalars[0]]])
        elif scalars:
            self.sections[-1].add_headers(scalars)
            self.sections[-1].add_row([current[k] for k in scalars])
        for key in nested:
            self.build(key, current[key], indent + 1)

    def _list_of_dicts(self, items: list[Any], indent: int, title: str | None) -> None:
        scalars: set[str] = set()
        nested: set[str] = set()
        for item in items:
            s, n = _split(item)
            scalars.update(s)
            nested.update(n)
        headers, more = sorted(scalars), sorted(nested)
        self.sections[-1].add_headers(headers)
        for i, item in enumerate(items):
            if i and more:
                self.sections.append(_Section(title or "", indent))
                self.sections[-1].add_headers(headers)
            self.sections[-1].add_row([item.get(h, "") for h in headers])
            for key in more:
                if key in item:
                    self.build(key, item[key], indent + 1)

    # -- drawing ---------------------------------------------------------------------

    def render(self, out: TextIO) -> None:
        """Draw every section."""
        total = max(s.width() for s in self.sections)
        if total > self.terminal_width:
            self.sections = [s.vertical() for s in self.sections]
            total = max(s.width() for s in self.sections)
        out.write("-" * total + "\n")
        for section in self.sections:
            self._section(section, total, out)

    def _edge(self, section: _Section) -> str:
        bar = "|" * section.indent
        return f"{_YELLOW}{bar}{_RESET}" if self.color and bar else bar

    def _section(self, section: _Section, total: int, out: TextIO) -> None:
        edge = self._edge(section)
        inner = total - 2 * section.indent

        def line(text: str) -> None:
            out.write(f"{edge}{text}{edge}\n")

        if section.title:
            line(_center(section.title, inner, "|", "|"))
            if not section.headers and not section.rows:
                line("+" + "-" * (inner - 2) + "+")
        widths = section.columns(inner)
        if section.headers:
            line(_rule(widths))
            line(
                "".join(
                    _center(h, w, "|" if i == 0 else "", "|")
                    for i, (w, h) in enumerate(zip(widths, section.headers, strict=False))
                )
            )
        if section.rows and widths:
            line(_rule(widths))
            for row in section.rows:
                line(
                    "".join(
                        self._left(c, w, "|" if i == 0 else "")
                        for i, (w, c) in enumerate(zip(widths, row, strict=False))
                    )
                )
            line(_rule(widths))

    def _left(self, text: str, width: int, left_edge: str) -> str:
        length = width_of(text)
        padding = 2 if width - (length + 2 + len(left_edge) + 1) >= 0 else 0
        shown = f"{_BLUE}{text}{_RESET}" if self.color else text
        fill = width - len(left_edge) - padding - length - 1
        return f"{left_edge}{' ' * padding}{shown}{' ' * fill}|"


def _split(current: dict[str, Any]) -> tuple[list[str], list[str]]:
    scalars = sorted(k for k, v in current.items() if not isinstance(v, (list, dict)))
    nested = sorted(k for k, v in current.items() if isinstance(v, (list, dict)))
    return scalars, nested


def _center(text: str, width: int, left: str, right: str) -> str:
    length = width_of(text)
    start = width // 2 - length // 2 - 1
    head = left + " " * start + text
    return head + " " * (width - len(right) - len(left) - start - length) + right


def _rule(widths: list[int]) -> str:
    return "".join(
        ("+" + "-" * (w - 2) + "+") if i == 0 else ("-" * (w - 1) + "+")
        for i, w in enumerate(widths)
    )


def render(title: str, response: Any, out: TextIO, *, color: bool = False) -> None:
    """Draw ``response`` as a table titled ``title`` (nothing for an empty response)."""
    table = Table(color=color)
    if table.build(title, response):
        table.render(out)
