"""python -m codegen [--check] [--refresh-model]: write or check ec2revoke/_generated/."""

from __future__ import annotations

import argparse
import difflib
import json
import subprocess
import sys
from pathlib import Path

from codegen import config
from codegen.render import render
from codegen.slicer import slice_model


def format_source(source: str, filename: str) -> str:
    """The source as ``ruff format`` (configured by pyproject.toml) leaves it."""
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--stdin-filename", filename, "-"],
        input=source,
        capture_output=True,
        text=True,
        cwd=config.ROOT,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"ruff format failed on {filename}:\n{proc.stderr}")
    return proc.stdout


def generated_files() -> dict[str, str]:
    """What ``_generated/`` should hold, by file name, from the committed model slice."""
    model = json.loads(config.MODEL_SLICE.read_text())
    missing = [op for op in config.OPERATIONS if op not in model["operations"]]
    if missing:
        raise SystemExit(
            f"{', '.join(missing)} not in {config.MODEL_SLICE.name}: "
            "run python -m codegen --refresh-model first"
        )
    sources = render(model, config.OPERATIONS, botocore_version=model["botocoreVersion"])
    out_dir = config.OUTPUT_DIR.relative_to(config.ROOT)
    return {name: format_source(src, str(out_dir / name)) for name, src in sources.items()}


def refresh_model() -> None:
    """Re-slice the committed model from the installed botocore."""
    from codegen.slicer import load_installed_model

    full, version = load_installed_model(config.SERVICE, config.API_VERSION)
    sliced = slice_model(full, config.OPERATIONS, version)
    config.MODEL_SLICE.write_text(json.dumps(sliced, indent=1) + "\n")
    print(f"wrote {config.MODEL_SLICE.relative_to(config.ROOT)} from botocore {version}")


def check(files: dict[str, str], out_dir: Path) -> int:
    """Print a diff for every file that differs; 1 if any does."""
    stale = 0
    present = {p.name for p in out_dir.glob("*.py")}
    for name in sorted(present - files.keys()):
        print(f"{out_dir / name}: not written by codegen; remove it")
        stale = 1
    for name, want in files.items():
        path = out_dir / name
        have = path.read_text() if path.exists() else ""
        if have != want:
            stale = 1
            sys.stdout.writelines(
                difflib.unified_diff(
                    have.splitlines(True), want.splitlines(True), str(path), f"{path} (codegen)"
                )
            )
    if stale:
        print("ec2revoke/_generated/ is out of date: run python -m codegen")
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen", description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if _generated/ is stale")
    parser.add_argument(
        "--refresh-model",
        action="store_true",
        help="re-slice codegen/model/ from the installed botocore before generating",
    )
    args = parser.parse_args(argv)
    if args.refresh_model:
        refresh_model()
    files = generated_files()
    if args.check:
        return check(files, config.OUTPUT_DIR)
    config.OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    for path in config.OUTPUT_DIR.glob("*.py"):
        if path.name not in files:
            path.unlink()
    for name, text in files.items():
        (config.OUTPUT_DIR / name).write_text(text)
    print(f"wrote {len(files)} files to {config.OUTPUT_DIR.relative_to(config.ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
