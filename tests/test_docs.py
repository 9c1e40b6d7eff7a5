"""Every example in the docs runs, page by page, as written.

Each page (docs/*.md and README.md) runs in a fresh namespace, its fenced blocks in
order; see docs/contributing-docs.md for the rules a page's author relies on:

- ```python blocks are executed; a ```text title="Output" block right after one must
  match what it printed (``...`` stands for any text).
- ```sh blocks with a line that starts with ``ec2revoke`` are run whole by ``bash -e``,
  with the page's Python text variables in the environment (``group_id`` as
  ``$GROUP_ID``), and must exit 0 unless a ``<!-- docs-test: exit=N -->`` line comes
  first; an Output block after it is checked as above. Other shell blocks (installs,
  venvs) are shown only.
- ``<!-- docs-test: setup=NAME -->`` anywhere on a page runs the setup NAME (SETUPS
  below) before its first block; ``<!-- docs-test: skip -->`` before a block leaves
  that one block out; ``<!-- docs-test: write=NAME -->`` before a block writes its
  text to the file NAME in the page's working directory instead of running it;
  ``<!-- docs-test: pytest -->`` before a python block runs it as a pytest module.

Nothing of ec2revoke is mocked: the examples talk to moto's EC2 server (the testing
kit's ``ec2_embedded`` fixture) or to a Stubber, through the real client.
"""

from __future__ import annotations

import contextlib
import doctest
import io
import os
import re
import subprocess
import sys
import sysconfig
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = [*sorted(DOCS.glob("*.md")), ROOT / "README.md"]

_FENCE = re.compile(
    r"^(?P<indent>[ ]*)(?P<fence>`{3,}|~{3,})(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)(?P=fence)[ ]*$",
    re.MULTILINE | re.DOTALL,
)
# A directive is a line of its own (so one quoted in a table or in code is not one).
_DIRECTIVE = re.compile(r"^[ ]*<!--\s*docs-test:\s*(?P<what>[^>]*?)\s*-->[ ]*$", re.MULTILINE)
_OUTPUT = re.compile(r'^text\s+title="Output"\s*$')
_SHELL = frozenset({"sh", "bash", "shell", "console"})
_PYTHON = frozenset({"python", "py"})


@dataclass
class Block:
    """One fenced block of a page and what the directives before it asked."""

    language: str
    info: str
    body: str
    line: int
    directives: list[str] = field(default_factory=list)
    output: Block | None = None

    def where(self, page: Path) -> str:
        return f"{page.relative_to(ROOT)}:{self.line}"


def parse(text: str) -> tuple[list[str], list[Block]]:
    """The page's setups and its blocks, each Output block attached to the block before it."""
    setups: list[str] = []
    blocks: list[Block] = []
    pending: list[str] = []
    position = 0
    for match in _FENCE.finditer(text):
        between = text[position : match.start()]
        for directive in _DIRECTIVE.finditer(between):
            what = directive["what"]
            if what.startswith("setup="):
                setups.append(what.removeprefix("setup="))
            else:
                pending.append(what)
        position = match.end()
        info = match["info"].strip()
        block = Block(
            language=info.split()[0] if info else "",
            info=info,
            body=textwrap.dedent(match["body"]) if match["indent"] else match["body"],
            line=text.count("\n", 0, match.start()) + 1,
            directives=pending,
        )
        pending = []
        previous = blocks[-1] if blocks else None
        if (
            _OUTPUT.match(info)
            and previous is not None
            and previous.output is None
            and (previous.language in _PYTHON or previous.language in _SHELL)
            and not between.strip()
        ):
            previous.output = block
            continue
        blocks.append(block)
    for directive in _DIRECTIVE.finditer(text[position:]):
        if directive["what"].startswith("setup="):
            setups.append(directive["what"].removeprefix("setup="))
    return setups, blocks


def shell_commands(body: str) -> list[str]:
    """The ``ec2revoke`` command lines of a shell block, continuations joined."""
    commands: list[str] = []
    joined = re.sub(r"[ \t]*\\\n\s*", " ", body)
    for raw in joined.splitlines():
        line = raw.strip().removeprefix("$ ")
        if line.startswith("ec2revoke"):
            commands.append(line)
    return commands


_CHECKER = doctest.OutputChecker()


def check_output(block: Block, got: str, page: Path) -> None:
    assert block.output is not None
    want = block.output.body
    clean = "\n".join(line.rstrip() for line in got.splitlines()) + "\n"
    if not _CHECKER.check_output(want, clean, doctest.ELLIPSIS):
        raise AssertionError(
            f"{block.where(page)}: the output shown at {block.output.where(page)} is not "
            f"what the example prints.\n--- shown\n{want}--- printed\n{clean}"
        )


# -- setups -----------------------------------------------------------------------------


@dataclass
class Page:
    """What a page's examples run with."""

    path: Path
    namespace: dict[str, Any]
    workdir: Path
    request: pytest.FixtureRequest
    monkeypatch: pytest.MonkeyPatch
    cleanups: list[Callable[[], None]] = field(default_factory=list)
    """Run after the page, whatever happened."""
    checks: list[Callable[[], None]] = field(default_factory=list)
    """Run after the page, if every block passed."""
    _endpoint: Any = None

    @property
    def endpoint(self) -> Any:
        """The session's embedded EC2 endpoint (the testing kit's fixture), emptied for this page."""
        if self._endpoint is None:
            self._endpoint = self.request.getfixturevalue("ec2_embedded")
        return self._endpoint


def _embedded(page: Page) -> None:
    """``client`` and ``endpoint_url`` of the embedded endpoint, as the page's skipped
    ``EmbeddedEC2().start()`` block would make them (that block would start a second
    server; the fixture's is already running)."""
    page.namespace["client"] = page.endpoint.client()
    page.namespace["endpoint_url"] = page.endpoint.url


def _readme(page: Page) -> None:
    """README's example, against EC2's real us-east-1 endpoint as written, answered by a Stubber."""
    from ec2revoke import shapes
    from ec2revoke.testing import Stubber

    group = "sg-0123456789abcdef0"
    page.monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDREADMEEXAMPLE")
    page.monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "readme-example-secret")
    stub = Stubber.for_endpoint("https://ec2.us-east-1.amazonaws.com")

    def rules(*found: tuple[str, str, int, int, str]) -> shapes.DescribeSecurityGroupRulesResult:
        return shapes.DescribeSecurityGroupRulesResult(
            security_group_rules=[
                shapes.SecurityGroupRule(
                    security_group_rule_id=rule_id,
                    group_id=group,
                    is_egress=False,
                    ip_protocol=protocol,
                    from_port=low,
                    to_port=high,
                    cidr_ipv4=cidr,
                )
                for rule_id, protocol, low, high, cidr in found
            ]
        )

    ssh = ("sgr-0aaaaaaaaaaaaaaa1", "tcp", 22, 22, "203.0.113.0/24")
    all_tcp = ("sgr-0aaaaaaaaaaaaaaa2", "tcp", 0, 65535, "0.0.0.0/0")
    # revoke_ingress(missing_ok=True, verify=True): read, revoke what is there, read back.
    stub.add_response("DescribeSecurityGroupRules", rules(ssh, all_tcp))
    ssh_permission = {
        "IpProtocol": "tcp",
        "FromPort": 22,
        "ToPort": 22,
        "IpRanges": [{"CidrIp": "203.0.113.0/24"}],
    }
    stub.add_response(
        "RevokeSecurityGroupIngress",
        {"Return": True},
        expected_params={"GroupId": group, "IpPermissions": [ssh_permission]},
    )
    stub.add_response("DescribeSecurityGroupRules", rules(all_tcp))
    # revoke_matching: read, revoke the wider rule by its ID.
    stub.add_response("DescribeSecurityGroupRules", rules(all_tcp))
    stub.add_response(
        "RevokeSecurityGroupIngress",
        {"Return": True},
        expected_params={"GroupId": group, "SecurityGroupRuleIds": [all_tcp[0]]},
    )
    stub.activate()
    page.cleanups.append(stub.deactivate)
    page.checks.append(stub.assert_no_pending_responses)


def _aws_files(page: Page) -> None:
    """AWS config and credentials files in the page's folder (its write= blocks fill them)."""
    page.monkeypatch.setenv("AWS_CONFIG_FILE", str(page.workdir / "config"))
    page.monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(page.workdir / "credentials"))


SETUPS: dict[str, Callable[[Page], None]] = {
    "embedded": _embedded,
    "readme": _readme,
    "aws-files": _aws_files,
}


# -- running ----------------------------------------------------------------------------


def run_python(block: Block, page: Page) -> None:
    code = compile(block.body, block.where(page.path), "exec")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(code, page.namespace)
    if block.output is not None:
        check_output(block, out.getvalue(), page.path)


def run_pytest(block: Block, page: Page) -> None:
    module = page.workdir / f"test_docs_example_{block.line}.py"
    module.write_text(block.body)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", module.name],
        cwd=page.workdir,
        env=_shell_env(page),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, (
        f"{block.where(page.path)}: pytest failed\n{done.stdout}{done.stderr}"
    )


def _shell_env(page: Page) -> dict[str, str]:
    env = dict(os.environ)
    # The console script of this interpreter's ec2revoke comes first.
    env["PATH"] = sysconfig.get_path("scripts") + os.pathsep + env.get("PATH", "")
    return env


def run_shell(block: Block, page: Page) -> None:
    """Run a shell block that has an ``ec2revoke`` line, whole, as one bash script."""
    if not shell_commands(block.body):
        return
    expected = 0
    for directive in block.directives:
        if directive.startswith("exit="):
            expected = int(directive.removeprefix("exit="))
    # No endpoint, region or credentials from the test: a block says what it needs, so
    # that it runs as shown. The page's Python text variables are there, upper-cased
    # (group_id -> $GROUP_ID), as the prose tells readers to export them.
    env = _shell_env(page)
    for name, value in page.namespace.items():
        if isinstance(value, str) and name.isidentifier() and not name.startswith("_"):
            env[name.upper()] = value
    script = "\n".join(line.removeprefix("$ ") for line in block.body.splitlines())
    done = subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=page.workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == expected, (
        f"{block.where(page.path)}: the block exited {done.returncode}, expected {expected}"
        f"\n{done.stdout}{done.stderr}"
    )
    if block.output is not None:
        check_output(block, done.stdout, page.path)


@contextlib.contextmanager
def _quiet_moto() -> Iterator[None]:
    import logging

    # moto's HTTP server logs every request to stderr: noise in a failure report.
    logger = logging.getLogger("werkzeug")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


@pytest.fixture
def clean_aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No real AWS configuration, credentials or instance metadata reach an example."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.mark.usefixtures("clean_aws_env")
@pytest.mark.parametrize("path", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_page_examples_run(
    path: Path,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    setups, blocks = parse(path.read_text())
    monkeypatch.chdir(tmp_path)
    page = Page(path, {"__name__": "__docs__"}, tmp_path, request, monkeypatch)
    _ = page.endpoint  # every page starts with an empty embedded endpoint
    unknown = [s for s in setups if s not in SETUPS]
    assert not unknown, f"{path.name}: no setup named {unknown}; known: {sorted(SETUPS)}"
    with _quiet_moto():
        try:
            for name in setups:
                SETUPS[name](page)
            for block in blocks:
                run_block(block, page)
        finally:
            for cleanup in reversed(page.cleanups):
                cleanup()
    for check in page.checks:
        check()


def run_block(block: Block, page: Page) -> None:
    """Run one block as its language and directives say."""
    if _skipped(block):
        return
    written = [d for d in block.directives if d.startswith("write=")]
    if written:
        (page.workdir / written[0].removeprefix("write=")).write_text(block.body)
    elif block.language in _PYTHON:
        if "pytest" in block.directives:
            run_pytest(block, page)
        else:
            run_python(block, page)
    elif block.language in _SHELL:
        run_shell(block, page)


def _skipped(block: Block) -> bool:
    return any(d == "skip" or d.startswith("skip ") for d in block.directives)


# -- the harness itself -----------------------------------------------------------------


def test_every_page_has_a_runnable_example_or_says_why_not() -> None:
    """A page without examples is fine; a page whose examples are all skipped is not."""
    for path in PAGES:
        _, blocks = parse(path.read_text())
        runnable = [b for b in blocks if b.language in _PYTHON | _SHELL]
        if runnable:
            assert not all(_skipped(b) for b in runnable), path.name


def test_parse_attaches_output_and_directives() -> None:
    text = (
        "<!-- docs-test: setup=embedded -->\n"
        "```python\nprint(1)\n```\n\n"
        '```text title="Output"\n1\n```\n'
        "<!-- docs-test: exit=3 -->\n"
        "```sh\npip install x\nec2revoke demo \\\n  --x\n```\n"
    )
    setups, blocks = parse(text)
    assert setups == ["embedded"]
    assert [b.language for b in blocks] == ["python", "sh"]
    assert blocks[0].output is not None
    assert blocks[0].output.body == "1\n"
    assert blocks[1].directives == ["exit=3"]
    assert shell_commands(blocks[1].body) == ["ec2revoke demo --x"]


def test_output_mismatch_is_reported_with_both_texts() -> None:
    _, blocks = parse('```python\nprint(2)\n```\n```text title="Output"\n1\n```\n')
    with pytest.raises(AssertionError, match="not what the example prints"):
        check_output(blocks[0], "2\n", ROOT / "README.md")
