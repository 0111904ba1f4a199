"""modelreg demote: promote's wording for a step back."""

from __future__ import annotations

from modelreg.cli.promote import DEMOTE_HELP, build

command = build("demote", stage=None, help_text=DEMOTE_HELP)
