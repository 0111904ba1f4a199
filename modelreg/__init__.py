"""modelreg: a model registry that is a Git repository.

>>> from modelreg import Registry
>>> Registry(".").get("fraud-detector@production")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from modelreg.registry import Registry

__all__ = ["Registry"]


def __getattr__(name: str) -> Any:
    # Lazy so that `modelreg --help` does not import pydantic and the registry core.
    if name == "Registry":
        from modelreg.registry import Registry

        return Registry
    raise AttributeError(name)
