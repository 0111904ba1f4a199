"""modelreg deprecate: promote REF --to deprecated."""

from __future__ import annotations

from modelreg.cli.promote import SHORT_HELP, build

HELP = SHORT_HELP.format(
    summary="Deprecate the version REF names, by pull request.", stage="deprecated", verb="deprecate"
)
command = build("deprecate", stage="deprecated", help_text=HELP)
