"""After README's set-up, a user's own script, outside the repository, type-checks against
ec2revoke: mypy finds the installed package and its types (py.typed), not ``Any``.

setuptools' default editable install is an import hook, which mypy cannot follow (it
reports import-not-found and every type becomes Any); README installs in compat mode,
a path entry that mypy reads.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = """\
from ec2revoke import EC2Client, Rule, RevokeReport

def close_ssh(client: EC2Client, group: str) -> RevokeReport:
    return client.revoke_ingress(group, Rule.tcp(22).from_cidr("203.0.113.0/24"))
"""


def mypy(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "remediate.py"
    script.write_text(source)
    env = {k: v for k, v in os.environ.items() if k not in ("MYPYPATH", "PYTHONPATH")}
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_a_users_script_type_checks_against_the_installed_package(tmp_path: Path) -> None:
    clean = mypy(tmp_path, SCRIPT)
    assert clean.returncode == 0, clean.stdout
    wrong = mypy(tmp_path, SCRIPT + "\nwrong: int = Rule.tcp(22)\n")
    assert wrong.returncode == 1, wrong.stdout
    assert 'expression has type "Rule", variable has type "int"' in wrong.stdout
