"""Fixtures: throwaway Git repositories with real DVC and a local remote, fully isolated."""

from __future__ import annotations

import gc
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytest_plugins = ["history_repo", "gate_attacks"]  # built_history, hist; gate_bases, sandbox


def isolation(home: Path) -> dict[str, str]:
    """The environment of a test whose home is ``home``: no real home, git config, DVC site cache
    or network settings. Writes ``home/.gitconfig``."""
    home.mkdir(parents=True, exist_ok=True)
    (home / ".gitconfig").write_text(
        "[init]\n\tdefaultBranch = main\n[user]\n\tname = Test User\n\temail = test@example.com\n"
        "[advice]\n\tdetachedHead = false\n"
    )
    return {
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
        "GIT_AUTHOR_NAME": "Alice Example",
        "GIT_AUTHOR_EMAIL": "alice@example.com",
        "GIT_COMMITTER_NAME": "Alice Example",
        "GIT_COMMITTER_EMAIL": "alice@example.com",
        "DVC_NO_ANALYTICS": "1",
        "DVC_SITE_CACHE_DIR": str(home / "dvc-site"),
        "DVC_GLOBAL_CONFIG_DIR": str(home / "dvc-global"),
        "DVC_SYSTEM_CONFIG_DIR": str(home / "dvc-system"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
    }


UNSET = ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITHUB_TOKEN", "GH_TOKEN", "GIT_DIR")


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test sees the real home, git config, DVC site cache or network settings."""
    home = tmp_path_factory.mktemp("home")
    for key, value in isolation(home).items():
        monkeypatch.setenv(key, value)
    for key in UNSET:
        monkeypatch.delenv(key, raising=False)
    return home


class _Clock:
    """The ``time`` module as modelreg's stat memo sees it: stopped when the test starts (what
    the test wrote since is fresh, however slowly it runs), until ``settle`` sets it going again,
    the racy window and 0.2 s ahead (what was written before is old enough to be trusted)."""

    def __init__(self) -> None:
        self.stopped: int | None = time.time_ns()
        self.offset = 0

    def __getattr__(self, name: str) -> object:
        return getattr(time, name)

    def time_ns(self) -> int:
        return self.stopped if self.stopped is not None else time.time_ns() + self.offset

    def time(self) -> float:
        return self.time_ns() / 1e9


@pytest.fixture
def settle(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Age every file written so far past FileMemo's racy window, without waiting (``_Clock``,
    in the module that decides, as this process sees it: the CLI runs in-process)."""
    from modelreg.store.memo import FileMemo

    clock = _Clock()
    monkeypatch.setattr(sys.modules[FileMemo.__module__], "time", clock)

    def advance() -> None:
        clock.stopped = None
        clock.offset += FileMemo.RACY_NS + 200_000_000

    return advance


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.err.strip().splitlines()


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str | None = None) -> Result:
    """Run ``modelreg ARGS`` in this process, as ``python -m modelreg ARGS`` would run in ``cwd``.

    The working directory, environment (``env`` on top of the test's), standard streams, the
    garbage collector (the CLI turns it off) and modelreg's in-memory caches are put back
    afterwards. What needs a process of its own (a kill, a signal, another process's pid, the
    entry point) uses ``cli_process``."""
    from click.testing import CliRunner

    from modelreg import store
    from modelreg.cli.main import main

    fault = (env or {}).get("MODELREG_FAULT", "")
    assert not fault.endswith(":kill"), "a killed command would kill the test: use cli_process"
    gc_was_enabled, here = gc.isenabled(), os.getcwd()
    with CliRunner().isolation(input=stdin, env=env) as streams:
        try:
            os.chdir(cwd)
            time.tzset()  # env may set TZ
            store.forget_all()  # a command starts, as in a process of its own, with nothing in memory
            main(list(args))
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 0 if e.code is None else 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.chdir(here)
            store.forget_all()
            if gc_was_enabled:
                gc.enable()
        out, err = streams[0].getvalue(), streams[1].getvalue()
    time.tzset()
    return Result(code, out.decode(), err.decode(errors="backslashreplace"))


def cli_process(*args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str | None = None) -> Result:
    """Run ``python -m modelreg ARGS`` as a real subprocess."""
    proc = subprocess.run(
        [sys.executable, "-m", "modelreg", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        input=stdin,
        env={**os.environ, **(env or {})},
        timeout=300,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def git(*args: str, cwd: Path, ok: tuple[int, ...] = ()) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0 and proc.returncode not in ok:
        raise subprocess.CalledProcessError(proc.returncode, proc.args, proc.stdout, proc.stderr)
    return proc.stdout


INTERNAL = (".git/", ".dvc/tmp/", ".dvc/cache/")


def repo_state(path: Path) -> tuple[str, ...]:
    """What a failed command must leave unchanged: HEAD, branches, index, status, every file.

    DVC's own bookkeeping (.dvc/tmp, and the content-addressed .dvc/cache) is left out.
    """
    files = sorted(
        f"{rel}:{p.stat().st_size}"
        for p in path.rglob("*")
        if p.is_file() and not (rel := p.relative_to(path).as_posix()).startswith(INTERNAL)
    )
    status = git("status", "--porcelain", "--untracked-files=all", "--ignored", cwd=path)
    return (
        git("rev-parse", "HEAD", cwd=path),
        git("for-each-ref", "--format=%(refname) %(objectname)", cwd=path),
        git("diff", "--cached", "--name-status", cwd=path),
        "\n".join(line for line in status.splitlines() if not line[3:].startswith(INTERNAL)),
        "\n".join(files),
    )


@dataclass
class Reg:
    """A registry under test: its path, its DVC remote, and helpers to act on it."""

    path: Path
    remote: Path
    scratch: Path

    def artifact(self, name: str, content: bytes | str = b"weights") -> Path:
        target = self.scratch / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode() if isinstance(content, str) else content)
        return target

    def cli(self, *args: str, env: dict[str, str] | None = None) -> Result:
        return cli(*args, cwd=self.path, env=env)

    def cli_process(self, *args: str, env: dict[str, str] | None = None) -> Result:
        return cli_process(*args, cwd=self.path, env=env)

    def register(self, name: str, version: str, **fields: object) -> None:
        """Register quickly, in-process, for test setup."""
        from modelreg.operations.register import RegisterRequest, register

        content = str(fields.pop("content", f"{name}-{version}"))
        file = self.artifact(f"{name}-{version}/model.bin", content)
        register(self.path, RegisterRequest(name=name, files=[file], version=version, **fields))  # type: ignore[arg-type]

    def write(self, rel: str, text: str) -> Path:
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        return target

    def commit(self, message: str = "edit") -> str:
        git("add", "-A", cwd=self.path)
        git("commit", "-q", "-m", message, cwd=self.path)
        return git("rev-parse", "HEAD", cwd=self.path).strip()

    def state(self) -> tuple[str, ...]:
        return repo_state(self.path)


# --- registries built once per session, copied into each test ------------------------------------


def relocate(repo: Path, moves: dict[str, str]) -> dict[str, str]:
    """Rewrite every commit of ``repo`` (and its work tree's tracked files) so that each path
    ``old`` in ``moves`` reads ``new``: a copied registry then names its own DVC remote, in
    every revision, as one built in place would. Returns {old commit: new commit}."""
    exported = subprocess.run(
        ["git", "fast-export", "--all", "--show-original-ids", "--signed-tags=strip"],
        cwd=repo,
        check=True,
        capture_output=True,
    ).stdout
    stream, originals = _moved_stream(exported, {k.encode(): v.encode() for k, v in moves.items()})
    marks = repo / ".git" / "relocate-marks"
    subprocess.run(
        ["git", "fast-import", "--quiet", "--force", f"--export-marks={marks}"],
        cwd=repo,
        input=stream,
        check=True,
        capture_output=True,
    )
    new = dict(line.split(" ", 1) for line in marks.read_text().splitlines())
    marks.unlink()
    for rel in git("grep", "-l", "-z", "-F", *[f"-e{old}" for old in moves], cwd=repo, ok=(1,)).split("\0"):
        if rel:
            text = (repo / rel).read_text()
            for old, target in moves.items():
                text = text.replace(old, target)
            (repo / rel).write_text(text)
    git("reset", "-q", cwd=repo)  # the index follows the rewritten HEAD
    return {old: new[mark].strip() for mark, old in originals.items()}


def _moved_stream(stream: bytes, moves: dict[bytes, bytes]) -> tuple[bytes, dict[str, str]]:
    """``git fast-export`` output with each ``data`` payload's paths moved; {mark: original id}."""
    out: list[bytes] = []
    originals: dict[str, str] = {}
    mark = ""
    at = 0
    while at < len(stream):
        end = stream.index(b"\n", at) + 1
        line = stream[at:end]
        at = end
        if line.startswith(b"mark :"):
            mark = line[5:].decode().strip()
        elif line.startswith(b"original-oid ") and mark:
            originals[mark] = line.split()[1].decode()
        if not line.startswith(b"data "):
            out.append(line)
            continue
        size = int(line[5:])
        payload = stream[at : at + size]
        at += size
        for old, new in moves.items():
            payload = payload.replace(old, new)
        out += [b"data %d\n" % len(payload), payload]
    return b"".join(out), originals


@contextmanager
def isolated(home: Path) -> Iterator[pytest.MonkeyPatch]:
    """``isolated_env``'s environment, for building outside a test."""
    with pytest.MonkeyPatch.context() as mp:
        for key, value in isolation(home).items():
            mp.setenv(key, value)
        for key in UNSET:
            mp.delenv(key, raising=False)
        yield mp


class Templates:
    """Registries built once per test session (and xdist worker), each copied into the tests
    that ask for it: ``dvc init`` and registering cost seconds, a copy milliseconds."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.built: dict[str, Reg] = {}

    def copy(self, name: str, build: Callable[[Reg], object], into: Path) -> Reg:
        """A private copy of registry ``name`` under ``into`` (made by ``build`` from an
        initialized, empty registry the first time), with its own remote and scratch folder."""
        if name not in self.built:
            from modelreg.operations.scaffold import init

            root = self.base / name
            with isolated(root / "home"):
                template = Reg(root / "registry", root / "remote", root / "scratch")
                init(template.path, remote=str(template.remote), name="test-registry")
                build(template)
            self.built[name] = template
        target = Reg(into / "registry", into / "remote", into / "scratch")
        copy_registry(self.built[name], target)
        return target


def copy_registry(template: Reg, target: Reg) -> dict[str, str]:
    """Copy ``template`` (repository, DVC remote, scratch files) to ``target``'s paths, every
    mention of the template's paths in the copy moved to the target's (see ``relocate``).
    DVC's per-repository state is not copied: it lives in the test's DVC_SITE_CACHE_DIR; nor
    are modelreg's caches. Returns {template's commit: copy's commit}."""
    shutil.copytree(template.path, target.path, symlinks=True)
    for source, copy in ((template.remote, target.remote), (template.scratch, target.scratch)):
        if source.exists():
            shutil.copytree(source, copy, symlinks=True)
    for derived in (target.path / ".git" / "modelreg", target.path / ".dvc" / "tmp"):
        shutil.rmtree(derived, ignore_errors=True)
    moves = {str(template.remote): str(target.remote), str(template.scratch): str(target.scratch)}
    return relocate(target.path, {**moves, str(template.path): str(target.path)})


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Templates:
    return Templates(tmp_path_factory.mktemp("templates"))


@pytest.fixture
def reg(templates: Templates, tmp_path: Path) -> Reg:
    """An initialized, empty registry with a local DVC remote."""
    return templates.copy("empty", lambda reg: None, tmp_path)


def build_populated(reg: Reg) -> None:
    reg.register("fraud", "1.0.0", owner="@acme/risk", description="first fraud model", metrics={"auc": 0.90})
    reg.register(
        "fraud",
        "1.1.0",
        description="retrained",
        metrics={"auc": 0.92},
        parents=[{"ref": "fraud@1.0.0", "relation": "retrain"}],
    )
    reg.register(
        "fraud",
        "1.2.0",
        description="retrained again",
        metrics={"auc": 0.93},
        parents=[{"ref": "fraud@1.1.0", "relation": "retrain"}],
        tags=["tabular"],
    )
    reg.register("churn", "0.1.0", owner="@acme/growth", description="churn", metrics={"f1": 0.7})
    reg.write("models/fraud/stages.yaml", "staging: [1.1.0]\narchived: [1.0.0]\n")
    reg.commit("stage fraud@1.1.0")
    reg.write("models/fraud/stages.yaml", "production: 1.1.0\narchived: [1.0.0]\n")
    reg.commit("promote fraud@1.1.0 to production")  # by allowed moves: a rollback may return it


@pytest.fixture
def populated(templates: Templates, tmp_path: Path) -> Reg:
    """Two models: fraud 1.0.0 -> 1.1.0 -> 1.2.0 (retrains), churn 0.1.0; fraud 1.1.0 in production."""
    return templates.copy("populated", build_populated, tmp_path)
