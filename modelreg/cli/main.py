"""Wiring: registers the subcommands, imported only when one is run (fast ``--help``)."""

from __future__ import annotations

import difflib
import gc
import importlib
from typing import Any

import click

from modelreg.cli.boundary import run

# name -> (module under modelreg.cli, one-line help shown by `modelreg --help`)
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("init", "Make a Git repository a model registry."),
    "register": ("register", "Register a new model version from artifact files."),
    "validate": ("validate", "Validate every registry file and cross-file rule."),
    "list": ("list", "List models, their versions and stages."),
    "show": ("show", "Show one model version by NAME@VERSION, NAME@STAGE, NAME@env:ENV or NAME@latest."),
    "history": ("history", "The audit trail from Git: registrations, stage changes, violations."),
    "lineage": ("lineage", "Ancestors and descendants of a version, or who used a dataset."),
    "compare": ("compare", "Versions side by side, or who held a stage over time."),
    "card": ("card", "A version's model card (Markdown or HTML), for reviewers and auditors."),
    "doctor": ("doctor", "Repair what an interrupted command left behind."),
    "pull": ("pull", "Fetch a version's artifacts from the DVC remote, md5-verified."),
    "promote": ("promote", "Move a version to another stage by pull request."),
    "demote": ("demote", "Move a version back to an earlier stage by pull request."),
    "archive": ("archive", "Archive a version by pull request."),
    "deprecate": ("deprecate", "Deprecate a version by pull request."),
    "rollback": ("rollback", "Put back the earlier holder of a stage (environments too) by pull request."),
    "describe": ("describe", "Change a model's description, owner or tags (model.yaml) by pull request."),
    "check": ("check", "CI validator: validate the registry and judge a change (base..head)."),
    "codeowners": ("codeowners", "Write .github/CODEOWNERS from the models' owners."),
    "import": ("importing", "Move in: import an MLflow registry or GTO tags, with their history."),
    "evaluate": ("evaluate", "Append an evaluation on a dataset to a version (pull request or --commit)."),
    "deploy": ("deploy", "Run a version in an environment, by pull request (deployments.yaml)."),
    "undeploy": ("undeploy", "Stop running a model in an environment, by pull request."),
    "deployments": ("deployments", "Where each version runs, and since when (any date: --at)."),
    "events": ("events", "What a merged change did (registered, staged, evaluated, deployed), for CD."),
    "site": ("site", "Write a static web site of the registry (charts, lineage, history)."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module = importlib.import_module(f"modelreg.cli.{COMMANDS[cmd_name][0]}")
        command: click.Command = module.command
        return command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """A mistyped command gets the closest names: `modelreg promot` -> did you mean promote?"""
        name = click.utils.make_str(args[0]) if args else ""
        if args and name not in COMMANDS and not name.startswith("-"):
            close = difflib.get_close_matches(name, list(COMMANDS), n=3, cutoff=0.6)
            if close:
                ctx.fail(f"No such command {name!r}. Did you mean {' or '.join(map(repr, close))}?")
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_text) for name, (_, help_text) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="modelreg", message="modelreg %(version)s")
@click.option("--traceback", is_flag=True, help="Show the full traceback when modelreg itself fails.")
def cli(traceback: bool) -> None:
    """modelreg: a model registry that is a Git repository.

    \b
    Examples:
      modelreg init --remote /mnt/models-storage
      modelreg register fraud-detector build/model.onnx --bump minor --metric auc=0.94
      modelreg list
      modelreg show fraud-detector@production
    """


def main(argv: list[str] | None = None) -> Any:
    # A command is a short process whose objects live until it exits: cyclic garbage collection
    # would only walk them again and again (reading a large registry made thousands).
    gc.disable()
    return run(cli, argv)
