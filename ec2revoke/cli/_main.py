"""Parsing the command line, running the command, and turning every outcome into the AWS
CLI's exit code and error line (see the ``ec2revoke.cli`` docstring for the table)."""

from __future__ import annotations

import contextlib
import logging
import platform
from typing import TextIO

from ec2revoke._errors import (
    ConfigurationError,
    EC2Error,
    ParamValidationError,
    RevokeIncomplete,
    RevokeNotVerified,
    ServiceError,
)
from ec2revoke._http.agent import VERSION
from ec2revoke.cli._config import Redactor, Settings, debug_logging
from ec2revoke.cli._exits import (
    EXIT_CONFIG,
    EXIT_INCOMPLETE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_OTHER,
    EXIT_PARAM,
    EXIT_SERVICE,
)
from ec2revoke.cli._options import DEMO, MATCHING, UsageError, build_parser
from ec2revoke.cli._params import MissingDependency, ParamError

log = logging.getLogger("ec2revoke.cli")


def version() -> str:
    """``ec2revoke/X.Y.Z Python/3.x OS/release``, as ``aws --version`` words it."""
    return f"ec2revoke/{VERSION} Python/{platform.python_version()} {platform.system()}/{platform.release()}"


def run(argv: list[str], out: TextIO, err: TextIO) -> int:
    """Run one command line; returns the exit code. Errors go to ``err`` as one line."""
    parser = build_parser()
    try:
        # argparse prints --help to sys.stdout: send it where this run's output goes.
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            args = parser.parse_args(argv)
    except UsageError as e:
        err.write(f"\n{e.prog}: error: {e} (see: {e.prog} --help)\n")
        return EXIT_PARAM
    except SystemExit as e:  # --help
        return e.code if isinstance(e.code, int) else EXIT_OK
    if args.version:
        out.write(version() + "\n")
        return EXIT_OK
    if args.command is None:
        parser.print_usage(err)
        err.write("ec2revoke: error: give a command (see: ec2revoke --help)\n")
        return EXIT_PARAM
    redactor = Redactor()
    with debug_logging(args.debug, redactor, err):
        log.debug("%s; arguments: %s", version(), argv)
        try:
            return _dispatch(args, redactor, out, err)
        except UsageError as e:
            return _fail(err, EXIT_PARAM, f"{e.prog}: error: {e}")
        except ParamError as e:
            return _fail(err, EXIT_PARAM, str(e))
        except ParamValidationError as e:
            return _fail(err, EXIT_PARAM, f"Parameter validation failed: {e}")
        except ConfigurationError as e:
            return _fail(err, EXIT_CONFIG, str(e))
        except ServiceError as e:
            return _fail(err, EXIT_SERVICE, str(e))
        except (RevokeIncomplete, RevokeNotVerified) as e:
            return _fail(err, EXIT_INCOMPLETE, str(e))
        except (EC2Error, MissingDependency) as e:
            return _fail(err, EXIT_OTHER, str(e))
        except KeyboardInterrupt:
            err.write("\n")
            return EXIT_INTERRUPTED
        except Exception as e:
            return _fail(err, EXIT_OTHER, f"{type(e).__name__}: {e}")


def _fail(err: TextIO, code: int, message: str) -> int:
    log.debug("exiting with %d", code, exc_info=True)
    # The AWS CLI's layout: an empty line, then the message on one line.
    err.write("\n" + " ".join(message.split("\n")) + "\n")
    return code


def _dispatch(args: object, redactor: Redactor, out: TextIO, err: TextIO) -> int:
    import argparse

    assert isinstance(args, argparse.Namespace)
    if args.command == DEMO:
        from ec2revoke.cli._demo import run_demo

        color = args.color == "on" or (args.color == "auto" and out.isatty())
        return run_demo(out, run, color=color)
    if args.command == "fleet":
        from ec2revoke.cli._fleet import run_fleet

        return run_fleet(args, out, err)
    from ec2revoke.cli._commands import run_matching, run_revoke
    from ec2revoke.cli._output import compile_query

    query = compile_query(args.query)
    settings = Settings(args, redactor)
    if args.command == MATCHING:
        return run_matching(args, settings, query, out, err)
    return run_revoke(args, settings, query, out, err)
