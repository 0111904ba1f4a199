"""The one error hierarchy. Every message says what is wrong and what to do."""

from __future__ import annotations


class ModelregError(Exception):
    """A problem the user can fix: bad input, a missing file, a refused change (exit 1)."""

    exit_code = 1


class NotARegistryError(ModelregError):
    """The directory is not a Git repository, or not a modelreg registry."""


class InvalidInputError(ModelregError):
    """A name, reference, version, option value or file the user gave is malformed."""


class NotFoundError(ModelregError):
    """A model, version or stage that the user named does not exist."""


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
