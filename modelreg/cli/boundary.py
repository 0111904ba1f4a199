"""The one place errors become exit codes: 1 user error, 2 usage, 3 bug, 130 Ctrl-C."""

from __future__ import annotations

import sys
import traceback as tb
from typing import NoReturn

import click

from modelreg.domain.errors import ExpressionError, ModelregError
from modelreg.domain.escape import terminal

EXIT_USER = 1
EXIT_BUG = 3
EXIT_INTERRUPTED = 130


PREFIX = "modelreg: error: "


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"{PREFIX}{message}", err=True)
    sys.exit(code)


def _fail_below(line: str, code: int) -> NoReturn:
    """A second line under an error (a caret under a column)."""
    click.echo(line, err=True)
    sys.exit(code)


def run(group: click.Group, argv: list[str] | None) -> NoReturn:
    args = sys.argv[1:] if argv is None else argv
    try:
        group.main(args=args, prog_name="modelreg", standalone_mode=False)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except (click.Abort, KeyboardInterrupt):
        _fail("interrupted; nothing was changed", EXIT_INTERRUPTED)
    except ModelregError as e:
        if "--traceback" in args:
            tb.print_exc()
        if isinstance(e, ExpressionError):  # the expression ends the line: a caret under its column
            click.echo(f"{PREFIX}{terminal(str(e).replace(chr(10), ' '))}", err=True)
            _fail_below(e.caret(len(PREFIX)), e.exit_code)
        _fail(terminal(str(e).replace("\n", " ")), e.exit_code)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as e:
        pydantic = sys.modules.get("pydantic")
        if pydantic is not None and isinstance(e, pydantic.ValidationError):
            first = e.errors()[0]
            where = ".".join(str(x) for x in first["loc"])
            _fail(f"invalid value for {where}: {first['msg']}", EXIT_USER)
        if "--traceback" in args:
            tb.print_exc()
        _fail(
            f"internal error: {type(e).__name__}: {e}; rerun with --traceback and report it",
            EXIT_BUG,
        )
    sys.exit(0)
