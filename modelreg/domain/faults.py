"""Fail points for fault-injection tests: ``MODELREG_FAULT=POINT:kill|interrupt|error``.

Each mutating command calls ``point("register:pushed")`` and the like between its steps.
Unset (always, outside tests), a point costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

from modelreg.domain.errors import ModelregError


def point(name: str) -> None:
    spec = os.environ.get("MODELREG_FAULT")
    if not spec:
        return
    where, _, how = spec.rpartition(":")
    if where != name:
        return
    if how == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if how == "interrupt":
        raise KeyboardInterrupt
    raise ModelregError(f"injected fault at {name}")
