"""The documentation site builds with ``mkdocs build --strict``: no warnings, so no broken
link, anchor or API reference; and its generated pages cover the code as it is now.

mkdocs comes with the ``docs`` extra, which ``dev`` includes: if it is missing these
tests fail, they do not skip.
"""

from __future__ import annotations

import argparse
import html
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import ec2revoke

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _hook(name: str) -> ModuleType:
    """A build hook, imported from its file as mkdocs imports it."""
    spec = importlib.util.spec_from_file_location(
        f"docs_hook_{name}", DOCS / "_hooks" / f"{name}.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built once for this module's tests, strictly."""
    out = tmp_path_factory.mktemp("site")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")  # Material's banner about its successor
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    log = done.stdout + done.stderr
    assert done.returncode == 0, log
    # --strict aborts on warnings; this also catches any that a plugin logs late.
    assert "WARNING" not in log, log
    return out


def test_site_builds_strictly(site: Path) -> None:
    for page in sorted(DOCS.glob("*.md")):
        built = site / ("" if page.stem == "index" else page.stem) / "index.html"
        assert built.is_file(), f"{page.name} was not built"
    assert (site / "notebooks" / "revoke.ipynb").is_file()


def test_every_page_is_in_the_navigation() -> None:
    nav = (ROOT / "mkdocs.yml").read_text()
    for page in sorted(DOCS.glob("*.md")):
        assert f": {page.name}" in nav, f"{page.name} is not in mkdocs.yml's nav"


def test_cli_reference_has_every_command_and_option(site: Path) -> None:
    from ec2revoke.cli._options import build_parser

    built = html.unescape(re.sub(r"<[^>]+>", "", (site / "cli" / "index.html").read_text()))
    hook = _hook("cli_reference")
    found = list(hook.commands(build_parser()))
    assert len(found) > 1
    for words, parser, _ in found:
        title = " ".join(("ec2revoke", *words))
        assert f"$ {title} --help" in built, title
        for action in parser._actions:
            if action.help == argparse.SUPPRESS:
                continue
            for option in action.option_strings:
                assert option in built, f"{title}: {option} missing from the CLI reference"


def test_cli_reference_is_rendered_from_the_parser() -> None:
    """The page is made from whatever parser it is given, subcommands included."""
    hook = _hook("cli_reference")
    parser = argparse.ArgumentParser(prog="ec2revoke")
    sub = parser.add_subparsers(dest="command")
    tool = sub.add_parser("tool", help="Does a thing.")
    tool.add_argument("--flag", help="A flag.")
    nested = tool.add_subparsers(dest="action").add_parser("run", help="Runs it.")
    nested.add_argument("--fast", help="Quickly.")
    text = hook.render(parser)
    assert "| [`ec2revoke tool`](#ec2revoke-tool) | Does a thing. |" in text
    assert "## `ec2revoke tool run` {#ec2revoke-tool-run}" in text
    assert "--fast" in text
    assert "--flag" in text


def test_error_reference_covers_every_error_class(site: Path) -> None:
    errors_md = (DOCS / "errors.md").read_text()
    built = html.unescape(re.sub(r"<[^>]+>", "", (site / "errors" / "index.html").read_text()))
    for name in ec2revoke.__all__:
        obj = getattr(ec2revoke, name)
        if isinstance(obj, type) and issubclass(obj, ec2revoke.EC2Error):
            assert f"::: ec2revoke.{name}\n" in errors_md, f"errors.md has no entry for {name}"
            assert f"── {name}" in built or name == "EC2Error", f"{name} is not in the tree"
