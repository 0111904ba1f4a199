"""modelreg archive: promote REF --to archived."""

from __future__ import annotations

from modelreg.cli.promote import SHORT_HELP, build

HELP = SHORT_HELP.format(
    summary="Archive the version REF names, by pull request.", stage="archived", verb="archive"
)
command = build("archive", stage="archived", help_text=HELP)
