"""The one error hierarchy. Every message says what is wrong and what to do."""

from __future__ import annotations

from typing import TYPE_CHECKING

from modelreg.domain.escape import terminal

if TYPE_CHECKING:
    from pydantic import ValidationError


class ModelregError(Exception):
    """A problem the user can fix: bad input, a missing file, a refused change (exit 1)."""

    exit_code = 1


class NotARegistryError(ModelregError):
    """The directory is not a Git repository, or not a modelreg registry."""


class InvalidInputError(ModelregError):
    """A name, reference, version, option value or file the user gave is malformed."""


class NotFoundError(ModelregError):
    """A model, version or stage that the user named does not exist."""


class AmbiguousRefError(InvalidInputError):
    """A stage reference that matches several versions: it names them, and how to name one."""

    def __init__(self, ref: str, *, name: str, stage: str, held: list[str]) -> None:
        self.held = held
        shown = ", ".join(held[:8]) + (f" and {len(held) - 8} more" if len(held) > 8 else "")
        super().__init__(
            f"{ref} is ambiguous: {stage} holds {len(held)} versions of {name} ({shown}); "
            f"name one ({name}@{held[0]}) or write {name}@{stage}:latest for the highest"
        )


class DocumentError(ModelregError):
    """A registry file cannot be read: bad YAML, wrong types, too large."""

    def __init__(self, path: str, message: str, *, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.detail = message
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")


class RuleViolationError(ModelregError):
    """A change breaks a registry rule (a transition, a requirement, write-once manifests)."""

    def __init__(self, message: str, *, problems: list[str] | None = None) -> None:
        self.problems = problems or []
        super().__init__(message)


class ExternalCommandError(ModelregError):
    """git or DVC failed; the message carries the command and what it printed."""

    def __init__(self, argv: list[str], returncode: int, stderr: str) -> None:
        self.argv = argv
        self.returncode = returncode
        self.stderr = stderr
        last = stderr.strip().splitlines()[-1] if stderr.strip() else "no output"
        super().__init__(f"`{' '.join(argv[:3])}` failed (exit {returncode}): {last}")


class ExpressionError(InvalidInputError):
    """A search expression (``list --where``, ``--sort``) that does not parse, names an unknown
    field or compares values of different types; ``column`` (1-based) points into ``expression``."""

    def __init__(self, detail: str, expression: str, column: int, *, label: str = "where") -> None:
        self.detail = detail
        self.expression = expression
        self.column = column
        self.label = label
        super().__init__(f"{label}: {detail} at column {column}: {expression}")

    def labelled(self, label: str) -> ExpressionError:
        """The same error, named after the option the expression came from (``--where``)."""
        return ExpressionError(self.detail, self.expression, self.column, label=label)

    def caret(self, prefix: int = 0) -> str:
        """A line with ``^`` under the offending column of the expression that ends ``str(self)``,
        which itself stands ``prefix`` characters into its line (both as escaped for a terminal)."""
        line = prefix + len(_shown(str(self))) - len(_shown(self.expression))
        return " " * (line + len(_shown(self.expression[: self.column - 1]))) + "^"


def _shown(text: str) -> str:
    """``text`` as the error boundary prints it: on one line, escaped for a terminal."""
    return terminal(text.replace("\n", " "))


def first_error(e: ValidationError, *, limit: int = 300) -> str:
    """``where: what`` of the first thing pydantic refused (``files.0.path: Field required``)."""
    first = e.errors()[0]
    where = ".".join(str(x) for x in first["loc"]) or "the value"
    return f"{where}: {first['msg']}"[:limit]
