"""modelreg check"""

from __future__ import annotations

import os
import sys

import click

from modelreg.cli.options import repo_option


@click.command("check")
@click.option(
    "--base",
    metavar="REF",
    help="What the change is judged against. Default: origin/HEAD, origin/main, main or master.",
)
@click.option("--head", default="HEAD", show_default=True, metavar="REF", help="The commit to check.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github", "markdown"]),
    default=None,
    help="Output format. Default: github when GITHUB_ACTIONS=true, else text.",
)
@click.option(
    "--remote/--no-remote",
    "remote",
    default=None,
    help="Also check that the artifacts of newly registered versions are in the default DVC "
    "remote. Default: registry.yaml's `check: {remote: ...}` (off).",
)
@click.option(
    "--fetch",
    is_flag=True,
    help="In a shallow clone (git clone --depth N), fetch the history the check needs (the fork "
    "point; the base's history for a version returning to a stage) instead of stopping.",
)
@repo_option
def command(
    base: str | None, head: str, fmt: str | None, remote: bool | None, fetch: bool, repo: str
) -> None:
    """Validate the registry at --head and judge what it changed since --base (the CI validator).

    Every file must validate; registered manifests are never modified, renamed or deleted
    (appending to evaluations is allowed); a new version matches its path, is new, its DVC
    pointers match, its parents exist, its lineage has no cycle; each stage move is an
    allowed transition whose requirements hold, within max_versions; a CODEOWNERS file is
    up to date; with --remote, a new version's artifacts are in the default DVC remote.
    Every failure is listed; exit 1 if any. The change is what --head did since
    it forked from --base; the committed state is checked, not the work tree.

    With --format github (the default under GitHub Actions) it prints ::error annotations
    and appends a Markdown summary to $GITHUB_STEP_SUMMARY: each candidate beside the
    current holder of its stage, metric deltas, lineage and who registered it.

    \b
    Examples:
      modelreg check --base origin/main
      modelreg check --base HEAD~1 --format json
      modelreg check --base origin/main --remote   # needs the remote's credentials
      modelreg check --base main --head promote/fraud-detector-1.3.0-production
      modelreg check --base origin/main --fetch   # in a shallow clone
    """
    from modelreg.operations.check import check
    from modelreg.render.check_report import check_markdown, check_text, github_annotations

    report = check(repo, base=base, head=head, remote=remote, fetch=fetch)
    fmt = fmt or ("github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text")
    out = sys.stdout
    if fmt == "json":
        from modelreg.render.common import to_json

        to_json(report, out)
    elif fmt == "markdown":
        out.write(check_markdown(report))
    else:
        if fmt == "github":
            github_annotations(report, out)
            _append_step_summary(check_markdown(report))
        check_text(report, out)
    if not report.ok:
        sys.exit(1)


def _append_step_summary(markdown: str) -> None:
    """Append to $GITHUB_STEP_SUMMARY; a summary that cannot be written is a warning, never the
    verdict (the annotations and the exit code carry that)."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    try:
        with open(target, "a", encoding="utf-8") as f:
            f.write(markdown + "\n")
    except OSError as e:
        click.echo(
            f"modelreg: warning: could not append the step summary to GITHUB_STEP_SUMMARY {target}: "
            f"{e.strerror or e}",
            err=True,
        )
