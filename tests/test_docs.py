"""The documentation runs: every ```bash and ```python block of docs/ (convention: tests/docs_blocks.py),
in a real registry with a real DVC remote and a bare Git origin; and the README stays short."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from docs_blocks import RUNNABLE, Block, Merge, Page, pages

ROOT = Path(__file__).resolve().parent.parent
PAGES = pages(ROOT)
TOUR = Path("docs/getting-started.md")
SHOWN = {"console", "text", "yaml", "json", "mermaid", "toml", "ini", "csv", ""}
HISTORY_WORDS = re.compile(r"\bissue \d+|\bissue #\d+|this round|last round|\bsession\d|set by issue", re.I)


def _env() -> dict[str, str]:
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


def _empty(work: Path) -> Path:
    """An empty Git repository `work/registry` whose origin is the bare `work/origin.git`."""
    work.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(work / "origin.git")], check=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(work / "registry")], check=True)
    subprocess.run(["git", "remote", "add", "origin", "../origin.git"], cwd=work / "registry", check=True)
    return work / "registry"


def _merge(work: Path, branch: str) -> None:
    """What a forge does when a pull request is merged: a merge commit on origin's main."""
    clone = work / "forge"
    shutil.rmtree(clone, ignore_errors=True)
    subprocess.run(["git", "clone", "-q", str(work / "origin.git"), str(clone)], check=True)
    merges = subprocess.run(
        ["git", "rev-list", "--merges", "--count", "HEAD"], cwd=clone, capture_output=True, text=True
    )
    number = int(merges.stdout.strip() or 0) + 1
    message = f"Merge pull request #{number} from acme/{branch}"
    subprocess.run(
        ["git", "merge", "-q", "--no-ff", "-m", message, f"origin/{branch}"], cwd=clone, check=True
    )
    subprocess.run(["git", "push", "-q", "origin", "HEAD:main"], cwd=clone, check=True)
    shutil.rmtree(clone)


def _run(block: Block, cwd: Path) -> None:
    argv = (
        ["bash", "-e", "-o", "pipefail", "-c", block.code]
        if block.lang == "bash"
        else [sys.executable, "-c", block.code]
    )
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env=_env(), timeout=600)
    shown = f"{block.where} ({block.lang}, exit {result.returncode}):\n{block.code}\n{result.stdout}{result.stderr}"
    assert result.returncode == 0, shown
    assert "Traceback" not in result.stderr, shown


def run_page(page: Page, registry: Path) -> None:
    for step in page.steps:
        if isinstance(step, Merge):
            _merge(registry.parent, step.branch)
        elif step.lang in RUNNABLE and not step.skip:
            _run(step, registry)


@pytest.fixture(scope="session")
def tour(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The registry the getting-started tour leaves, built once (per worker) by running it."""
    from conftest import isolated

    base = tmp_path_factory.mktemp("tour")
    with isolated(base / "home"):
        registry = _empty(base / "work")
        run_page(next(p for p in PAGES if p.path == TOUR), registry)
    return registry


def _page_id(page: Page) -> str:
    return page.path.as_posix()


@pytest.mark.parametrize("page", [p for p in PAGES if p.runnable], ids=_page_id)
def test_the_page_runs(page: Page, tour: Path, tmp_path: Path) -> None:
    if page.path == TOUR:
        assert (
            (tour / "models/fraud-detector/stages.yaml")
            .read_text()
            .endswith("staging: 1.1.0\nproduction: 1.0.0\n")
        )
        return
    if page.start == "empty":
        registry = _empty(tmp_path / "work")
    else:
        shutil.copytree(tour.parent, tmp_path / "work", symlinks=True, ignore=shutil.ignore_patterns("forge"))
        registry = tmp_path / "work" / "registry"
        for derived in (registry / ".git" / "modelreg", registry / ".dvc" / "tmp"):
            shutil.rmtree(derived, ignore_errors=True)
    run_page(page, registry)


def test_the_convention_holds() -> None:
    """Each fence names its language; a skip names its reason and stands before a runnable block;
    a page runs something or shows only (there is no half-run page by accident)."""
    problems = []
    for page in PAGES:
        for step in page.steps:
            if not isinstance(step, Block):
                continue
            if step.lang not in RUNNABLE and step.lang not in SHOWN:
                problems.append(f"{step.where}: fence ```{step.lang}: use bash, python, console or text")
            if step.lang == "":
                problems.append(f"{step.where}: a fence without a language")
            if step.skip is not None and (step.lang not in RUNNABLE or len(step.skip) < 10):
                problems.append(f"{step.where}: a skip marker says why, before a bash or python block")
            if step.lang == "console" and not step.code.lstrip().startswith("$"):
                problems.append(f"{step.where}: a console block starts with a `$ ` command line")
    assert not problems, "\n".join(problems)
    ran = sum(len(p.runnable) for p in PAGES)
    skipped = [s for p in PAGES for s in p.steps if isinstance(s, Block) and s.skip]
    assert ran > 3 * len(skipped), f"{ran} blocks run, {len(skipped)} skipped"


def test_every_command_a_page_names_exists() -> None:
    from modelreg.cli.main import COMMANDS

    unknown = []
    for page in PAGES:
        for step in page.steps:
            if isinstance(step, Block) and step.lang in {"bash", "console"}:
                for name in re.findall(r"(?:^\s*|\$ |&& |\| |\$\()modelreg ([a-z][a-z-]+)", step.code, re.M):
                    if name not in COMMANDS:
                        unknown.append(f"{step.where}: modelreg {name}")
    assert not unknown, unknown


def test_no_project_history_in_what_users_read() -> None:
    found = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if HISTORY_WORDS.search(line) or "large-session" in line:
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)


def test_the_version_the_docs_show_is_the_one_installed() -> None:
    text = (ROOT / "docs/getting-started.md").read_text()
    shown = re.search(r"\$ modelreg --version\n(modelreg \S+)\n", text)
    assert shown is not None
    result = subprocess.run([sys.executable, "-m", "modelreg", "--version"], capture_output=True, text=True)
    assert result.stdout.strip() == shown.group(1) == f"modelreg {metadata.version('modelreg')}"


def test_the_completion_lines_the_docs_show_print_a_script_for_each_shell() -> None:
    text = (ROOT / "docs/getting-started.md").read_text()
    for shell, needle in (
        ("bash", "complete -o nosort -F"),
        ("zsh", "compdef"),
        ("fish", "complete --no-files"),
    ):
        assert f"_MODELREG_COMPLETE={shell}_source modelreg" in text
        env = {**_env(), "_MODELREG_COMPLETE": f"{shell}_source"}
        result = subprocess.run([sys.executable, "-m", "modelreg"], capture_output=True, text=True, env=env)
        assert result.returncode == 0 and needle in result.stdout, result.stdout + result.stderr
    env = {
        **_env(),
        "_MODELREG_COMPLETE": "bash_complete",
        "COMP_WORDS": "modelreg promote --t",
        "COMP_CWORD": "2",
    }
    result = subprocess.run([sys.executable, "-m", "modelreg"], capture_output=True, text=True, env=env)
    assert result.stdout.splitlines() == ["plain,--to"], result.stdout + result.stderr


def test_the_readme_fits_on_two_screens_and_links_into_the_docs() -> None:
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 250
    links = re.findall(r"\]\((docs/[^)#]+)(?:#[^)]*)?\)", readme)
    assert len(links) >= 8
    missing = [link for link in links if not (ROOT / link).is_file()]
    assert not missing, missing
    for command in ("bash .ci/demo", "bash .ci/run"):
        assert command in readme


def test_the_cli_reference_is_each_commands_help() -> None:
    """docs/reference/cli.md is generated from the commands (docs_hooks/cli_reference.py): its
    text for a command is what `modelreg COMMAND --help` prints in an 80-column terminal."""
    sys.path.insert(0, str(ROOT / "docs_hooks"))
    try:
        from cli_reference import MARKER, on_page_markdown
    finally:
        sys.path.remove(str(ROOT / "docs_hooks"))
    from modelreg.cli.main import COMMANDS

    page = on_page_markdown((ROOT / "docs/reference/cli.md").read_text())
    assert MARKER not in page
    for name in COMMANDS:
        assert f"\n## modelreg {name}\n" in page, name
    for argv in (["promote"], ["import", "gto"]):
        env = {**_env(), "COLUMNS": "80"}
        shown = subprocess.run(
            [sys.executable, "-m", "modelreg", *argv, "--help"], capture_output=True, text=True, env=env
        )
        assert shown.returncode == 0
        assert f"```text\n{shown.stdout.rstrip()}\n```" in page, argv
