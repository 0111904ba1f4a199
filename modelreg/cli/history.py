"""modelreg history"""

from __future__ import annotations

import sys

import click

from modelreg.cli.options import format_option, repo_option


@click.command("history")
@click.argument("target", metavar="[NAME[@VERSION]]", required=False)
@click.option("--stage", help="Only moves into or out of this stage.")
@click.option(
    "--since", help="Only changes that reached the branch on or after this date (YYYY-MM-DD or ISO)."
)
@click.option(
    "--until", help="Only changes that reached the branch on or before this date (YYYY-MM-DD or ISO)."
)
@click.option(
    "--fetch",
    is_flag=True,
    help="In a shallow clone (git clone --depth N), fetch the rest of the history "
    "(git fetch --unshallow) instead of stopping with what to fetch.",
)
@repo_option
@format_option("table", "json", "csv")
def command(
    target: str | None,
    stage: str | None,
    since: str | None,
    until: str | None,
    fetch: bool,
    repo: str,
    fmt: str,
) -> None:
    """The audit trail from Git, newest first: registrations, stage changes, model and policy
    edits, and violations (changes the rules forbid that reached the branch anyway).

    Reads `git log --first-parent` of the current branch; each event names its commit,
    author, dates with time zones and the pull request its merge or squash subject names.
    Results are cached under .git/modelreg/ (a rewritten history is noticed and rebuilt).
    In a history of 5,000 commits or more with nothing cached (a fresh clone), one model's
    history reads only the commits that touch it or name it. Reading a whole history of
    10,000 commits or more also writes Git's commit-graph with changed-path Bloom filters
    when the clone has none, which makes later walks of one model's files several times
    faster.

    \b
    Examples:
      modelreg history
      modelreg history fraud-detector --stage production
      modelreg history fraud-detector@1.3.0 --format json
      modelreg history --since 2026-01-01 --until 2026-03-31 --format csv
      modelreg history fraud-detector --fetch   # in a shallow clone
    """
    from modelreg.adapters import git
    from modelreg.domain import refs
    from modelreg.domain.dates import checked_date
    from modelreg.domain.errors import NotARegistryError
    from modelreg.domain.layout import REGISTRY_FILE
    from modelreg.history import rows
    from modelreg.history.depth import require_history
    from modelreg.history.query import Query
    from modelreg.render import history_report

    top = git.root(repo)
    if not (top / REGISTRY_FILE).is_file():
        raise NotARegistryError(f"no {REGISTRY_FILE} in {top}: not a modelreg registry; run `modelreg init`")
    require_history(top, what="`modelreg history`", fetch=fetch)
    model: str | None = refs.check_name(target) if target and "@" not in target else None
    version: str | None = None
    if target and "@" in target:  # a stage or `latest` needs the registry (and pydantic)
        from modelreg.queries.catalog import target as resolve_target

        model, version = resolve_target(top, target)
    query = Query(
        model=model,
        version=version,
        stage=stage,
        since=checked_date(since) if since else None,
        until=checked_date(until, end_of_day=True) if until else None,
    )
    if fmt == "table":  # from the rows kept for HEAD: no event built
        sys.stdout.write(rows.table(top, query, history_report.LAYOUT))
        return
    rows.stream_trail(top, query, history_report.trail_writer(fmt), sys.stdout)  # flat memory
