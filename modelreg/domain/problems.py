"""A problem found in a registry: where (file and line), what, and which rule says so.
Validation, ``check`` and the rules return them; reporters print them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from modelreg.domain.escape import terminal


class Problem(BaseModel):
    """One thing wrong with the registry: where, and what."""

    model_config = ConfigDict(defer_build=True)

    file: str
    line: int | None = None
    message: str
    rule: str = "schema"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return terminal(f"{where}: {self.message}")
