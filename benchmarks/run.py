"""Time modelreg against raw Git (the floor) and GTO on one synthetic registry.

    python benchmarks/run.py --size large --runs 5 --gto-budget 900 --json results.json

Builds the registry with make_registry.py (or reuses the build cached under --cache-dir),
then times whole processes: a warm-up, then --runs runs, reporting medians of wall time and
the peak memory (maximum resident set, from wait4) of each command. Beside each command: a
floor, the least raw Git work (or C-loader parsing) that answers the same question
(floors.py), and GTO's nearest command on the same content (tags written by
make_registry.py). GTO runs once with the budget as its timeout; past it, it is recorded as
over budget. A command this modelreg does not have (yet) is recorded as not available.

"cold" means .git/modelreg/ (modelreg's caches) is removed before each run; the operating
system's file cache stays warm. Nothing here asserts a time: it prints numbers and ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cold  # noqa: E402
import floors  # noqa: E402
import make_registry  # noqa: E402

SIZES = {"tiny": (5, 3), "small": (50, 20), "medium": (200, 20), "large": (1000, 20)}
BENCH_AUTHOR = {
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@acme.example",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@acme.example",
    "GIT_AUTHOR_DATE": "1793000000 +0000",
    "GIT_COMMITTER_DATE": "1793000000 +0000",
}


@dataclass
class Sample:
    wall: float
    cpu: float
    rss_mb: float
    code: int


@dataclass
class Case:
    """One row: a modelreg command, its floor, GTO's nearest command."""

    key: str
    label: str
    argv: list[str] | None  # modelreg arguments
    cwd: Path
    cold: bool = False
    needs: tuple[str, str] | None = None  # (command, text its --help must show)
    floor: floors.Floor | None = None
    gto: list[str] | None = None
    prepare: Callable[[], None] | None = None  # run before each (untimed): the state a run starts from
    site: Path | None = None  # the site a `modelreg site` case writes (its largest page is reported)
    results: dict[str, Any] = field(default_factory=dict)
    section: str = "warm"
    fresh: Callable[[], contextlib.AbstractContextManager[Path]] | None = None  # a new folder per run
    env: dict[str, str] | None = None
    skip: str | None = None  # why the case cannot run on this registry
    kind: str | None = None  # the cold paths: which clone the case runs in ("remote": none)
    floor_fresh: bool = False  # the floor writes: it runs in a fresh copy too (prepared as the command's)


# -- processes --------------------------------------------------------------------------------


# GNU time execs the command from its own small process, so that the peak it reports is the
# command's: a child forked from this runner starts with the runner's resident pages, and
# Linux counts them in the peak (ru_maxrss) it reports after the exec.
TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


def run_process(
    argv: list[str],
    cwd: Path,
    *,
    stdin: bytes | None = None,
    capture: bool = False,
    timeout: float | None = None,
    env: dict[str, str] | None = None,
) -> tuple[Sample, bytes]:
    """Run ``argv`` and measure it: wall time, CPU time (wait4) and the peak memory of the
    command's own process (GNU time's %M; wait4's, which carries the runner's, without it)."""
    with (
        tempfile.TemporaryFile() as fin,
        tempfile.TemporaryFile() as fout,
        tempfile.TemporaryFile() as ferr,
        tempfile.NamedTemporaryFile() as fpeak,
    ):
        if stdin is not None:
            fin.write(stdin)
            fin.seek(0)
        env = {**os.environ, "DVC_NO_ANALYTICS": "1", **(env or {})}
        measured = [TIME, "-f", "%M", "-o", fpeak.name, "--", *argv] if TIME else argv
        started = time.perf_counter()
        proc = subprocess.Popen(
            measured,
            cwd=cwd,
            stdin=fin if stdin is not None else subprocess.DEVNULL,
            stdout=fout if capture else subprocess.DEVNULL,
            stderr=ferr,
            env=env,
            start_new_session=True,
        )
        timer = threading.Timer(timeout, _kill_group, [proc.pid]) if timeout else None
        if timer:
            timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        if timer:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        fout.seek(0)
        out = fout.read() if capture else b""
        peak_kb = _peak_kb(Path(fpeak.name)) if TIME else None
    cpu = usage.ru_utime + usage.ru_stime
    rss_mb = (peak_kb if peak_kb is not None else usage.ru_maxrss) / 1024
    return Sample(wall, cpu, rss_mb, proc.returncode), out


def _peak_kb(report: Path) -> int | None:
    """GNU time's last line is the peak (a failed command's report says so on a line before)."""
    lines = [line for line in report.read_text(errors="replace").splitlines() if line.strip()]
    return int(lines[-1]) if lines and lines[-1].strip().isdigit() else None


def _kill_group(pid: int) -> None:
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)


def run_floor(floor: floors.Floor, cwd: Path) -> Sample:
    """All steps of a floor as one sample: wall from first start to last exit, CPU summed."""
    samples: list[Sample] = []

    def step(argv: list[str], stdin: bytes | None = None) -> bytes:
        sample, out = run_process(argv, cwd, stdin=stdin, capture=True)
        if sample.code != 0:
            raise RuntimeError(f"floor step failed: {' '.join(argv[:4])}")
        samples.append(sample)
        return out

    started = time.perf_counter()
    floor.steps(step)
    wall = time.perf_counter() - started
    return Sample(wall, sum(s.cpu for s in samples), max(s.rss_mb for s in samples), 0)


def summarize(samples: list[Sample]) -> dict[str, Any]:
    return {
        "median_s": round(statistics.median(s.wall for s in samples), 4),
        "cpu_s": round(statistics.median(s.cpu for s in samples), 4),
        "peak_mb": round(max(s.rss_mb for s in samples), 1),
        "runs_s": [round(s.wall, 4) for s in samples],
        "exit": sorted({s.code for s in samples}),
    }


# -- the registry and the changes check judges -------------------------------------------------


def build(size: str, seed: int, cache: Path) -> tuple[Path, dict[str, Any]]:
    """The registry of ``size``: built once with make_registry.py, then reused."""
    models, versions = SIZES[size]
    repo = cache / f"{size}-s{seed}" / "repo"
    meta_file = repo / ".git" / make_registry.META_FILE
    stamp = make_registry.generator_stamp()
    if meta_file.is_file():
        meta = json.loads(meta_file.read_text())
        if meta.get("generator") == stamp:
            meta["reused"] = True
            return repo, meta
    if repo.parent.exists():
        _remove_worktrees(repo)
        shutil.rmtree(repo.parent)
    repo.parent.mkdir(parents=True)
    print(f"building the {size} registry ({models} x {versions}) in {repo} ...", file=sys.stderr)
    meta = make_registry.build(models, versions, repo, seed=seed)
    meta["reused"] = False
    return repo, meta


def git(repo: Path, *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None) -> str:
    return subprocess.run(
        ["git", *args],
        cwd=repo,
        input=stdin,
        capture_output=True,
        check=True,
        env={**os.environ, **(env or {})},
    ).stdout.decode()


def _remove_worktrees(repo: Path) -> None:
    if (repo / ".git").is_dir():
        for line in git(repo, "worktree", "list", "--porcelain").splitlines():
            path = line.removeprefix("worktree ")
            if line.startswith("worktree ") and Path(path) != repo:
                git(repo, "worktree", "remove", "--force", path)


def commit_on_main(repo: Path, files: dict[str, bytes], message: str, branch: str) -> str:
    """A commit on top of main adding ``files``, made without touching the work tree or index."""
    with tempfile.TemporaryDirectory() as scratch:
        env = {**BENCH_AUTHOR, "GIT_INDEX_FILE": str(Path(scratch) / "index")}
        git(repo, "read-tree", "main", env=env)
        for path, data in files.items():
            blob = git(repo, "hash-object", "-w", "--stdin", stdin=data).strip()
            git(repo, "update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=env)
        tree = git(repo, "write-tree", env=env).strip()
        commit = git(repo, "commit-tree", tree, "-p", "main", "-m", message, env=env).strip()
    git(repo, "update-ref", f"refs/heads/{branch}", commit)
    return commit


def prepare_changes(repo: Path, meta: dict[str, Any]) -> dict[str, Path]:
    """Two pull-request heads for `check`: one adds a version, one promotes one; each checked out
    (without files: check reads commits) in a linked work tree beside the registry."""
    made = {}
    for key, change in (("add", _add_version), ("promote", _promotion)):
        where = repo.parent / f"check-{key}"
        branch = f"bench/{key}"
        if not where.exists():
            files, message = change(repo, meta)
            commit_on_main(repo, files, message, branch)
            git(repo, "worktree", "add", "--quiet", "--detach", "--no-checkout", str(where), branch)
        made[key] = where
    return made


def _add_version(repo: Path, meta: dict[str, Any]) -> tuple[dict[str, bytes], str]:
    import yaml

    bench = meta["bench"]
    name, latest = bench["model"], bench["latest"]
    major, minor, patch = (int(x) for x in latest.split("."))
    version = f"{major}.{minor}.{patch + 1}"
    text = git(repo, "show", f"main:models/{name}/{latest}.yaml")
    header = text.splitlines()[0]
    data = yaml.safe_load(text)
    size = make_registry.artifact_size(name, version)
    data.update(
        version=version,
        created_at="2026-11-01T09:00:00Z",
        description="Retrained on 2026-10 data",
        artifacts=[
            {"path": f"models/{name}/{version}/model.bin", "md5": _md5(f"{name}@{version}"), "size": size}
        ],
        lineage={"parents": [{"ref": f"{name}@{latest}", "relation": "retrain"}]},
    )
    manifest = header + "\n" + yaml.safe_dump(data, sort_keys=False)
    files = {
        f"models/{name}/{version}.yaml": manifest.encode(),
        f"models/{name}/{version}/model.bin.dvc": make_registry.pointer_text(name, version).encode(),
        f"models/{name}/{version}/.gitignore": make_registry.GITIGNORE.encode(),
    }
    return files, f"register {name}@{version}\n"


def _promotion(repo: Path, meta: dict[str, Any]) -> tuple[dict[str, bytes], str]:
    """Move the newest development version of the first model that has one to staging."""
    import yaml

    listing = floors.ls_tree(
        lambda argv, stdin=None: git(repo, *argv[1:], stdin=stdin).encode(), "main", ["models"]
    )
    versions: dict[str, list[str]] = {}
    for path, _ in listing:
        parts = path.split("/")
        if len(parts) == 3 and parts[2].endswith(".yaml") and parts[2] not in ("model.yaml", "stages.yaml"):
            versions.setdefault(parts[1], []).append(parts[2].removesuffix(".yaml"))
    for name in sorted(versions):
        try:
            stages = yaml.safe_load(git(repo, "show", f"main:models/{name}/stages.yaml")) or {}
        except subprocess.CalledProcessError:
            stages = {}
        held = {s: [v] if isinstance(v, str) else list(v) for s, v in stages.items()}
        placed = {v for vs in held.values() for v in vs}
        free = sorted((v for v in versions[name] if v not in placed), key=make_registry.semver_key)
        if free and len(held.get("staging", [])) < 3:
            version = free[-1]
            held["staging"] = sorted([*held.get("staging", []), version], key=make_registry.semver_key)
            text = make_registry.stages_text(held)
            message = (
                f"promote {name}@{version}: development -> staging\n\nModelreg-Model: {name}\n"
                f"Modelreg-Version: {version}\nModelreg-From: development\nModelreg-To: staging\n"
            )
            return {f"models/{name}/stages.yaml": text.encode()}, message
    raise SystemExit("run.py: no model has a development version to promote")


def _md5(text: str) -> str:
    import hashlib

    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 - a content id, as make_registry


# -- the cases --------------------------------------------------------------------------------

# a search over every version: a metric, a manifest field and the stage (make_registry writes them)
WHERE = "auc >= 0.85 and framework == 'xgboost' and stage in ('staging', 'production')"


def cases(repo: Path, meta: dict[str, Any], changes: dict[str, Path]) -> list[Case]:
    bench = meta["bench"]
    name, prod, date = bench["model"], bench["production"], bench["at_date"]
    at_prod = bench["production_at_date"]
    python = sys.executable
    manifests = [f"HEAD:models/{name}/{prod}.yaml", f"HEAD:models/{name}/stages.yaml"]
    model_files = [f"models/{name}"]
    parse = floors.parse_manifests(python, repo)
    read_all = floors.read_tree()
    return [
        Case("help", "modelreg --help", ["--help"], repo, floor=floors.interpreter(python), gto=["--help"]),
        Case("list-cold", "list (cold)", ["list"], repo, cold=True, floor=parse, gto=["show"]),
        Case("list", "list", ["list"], repo, floor=read_all, gto=["show"]),
        Case(
            "list-model",
            f"list --model {name}",
            ["list", "--model", name],
            repo,
            floor=floors.read_tree(paths=["registry.yaml", *model_files]),
            gto=["show", name],
        ),
        Case(
            "list-where",
            f"list --where {WHERE!r} --sort -auc",
            ["list", "--where", WHERE, "--sort", "-auc"],
            repo,
            needs=("list", "--where"),
            floor=read_all,
        ),
        Case(
            "show-cold",
            f"show {name}@production (cold)",
            ["show", f"{name}@production"],
            repo,
            cold=True,
            floor=parse,
            gto=["show", f"{name}#production", "--ref"],
        ),
        Case(
            "show",
            f"show {name}@production",
            ["show", f"{name}@production"],
            repo,
            floor=floors.read_objects(manifests, "cat-file --batch: stages.yaml + the manifest"),
            gto=["show", f"{name}#production", "--ref"],
        ),
        Case("validate-cold", "validate (cold)", ["validate"], repo, cold=True, floor=parse),
        Case("validate", "validate (nothing changed)", ["validate"], repo, floor=read_all),
        Case(
            "check-add",
            "check --base main (adds a version)",
            ["check", "--base", "main"],
            changes["add"],
            needs=("check", "--base"),
            floor=floors.diff_and_read("main"),
        ),
        Case(
            "check-promote",
            "check --base main (a promotion)",
            ["check", "--base", "main"],
            changes["promote"],
            needs=("check", "--base"),
            floor=floors.diff_and_read("main"),
        ),
        Case(
            "history-cold",
            "history (cold)",
            ["history"],
            repo,
            cold=True,
            needs=("history", ""),
            floor=floors.history("models"),
            gto=["history"],
        ),
        Case(
            "history",
            "history",
            ["history"],
            repo,
            needs=("history", ""),
            floor=floors.history("models"),
            gto=["history"],
        ),
        Case(
            "history-name",
            f"history {name}",
            ["history", name],
            repo,
            needs=("history", ""),
            floor=floors.history(f"models/{name}"),
            gto=["history", name],
        ),
        Case(
            "show-at",
            f"show {name}@production --at {date}",
            ["show", f"{name}@production", "--at", date],
            repo,
            needs=("show", "--at"),
            floor=floors.at_date(date, [f"models/{name}/stages.yaml", f"models/{name}/{at_prod}.yaml"]),
        ),
        Case(
            "lineage",
            f"lineage {bench['lineage_ref']}",
            ["lineage", bench["lineage_ref"]],
            repo,
            needs=("lineage", ""),
            floor=floors.read_tree(paths=model_files),
        ),
        Case(
            "compare-over-time",
            f"compare {name} --stage production --over-time",
            ["compare", name, "--stage", "production", "--over-time"],
            repo,
            needs=("compare", "--over-time"),
            floor=floors.history(f"models/{name}/stages.yaml"),
        ),
        *site_cases(repo),
    ]


# -- the static site ----------------------------------------------------------------------------


def site_cases(repo: Path) -> list[Case]:
    """`modelreg site`: a full build into an empty folder (modelreg's caches warm), and the
    build after one new commit (bench/add, a new version of one model) into the folder built
    for main, with the history cache at main, as CI on a push to main would find them. The
    incremental build runs in a linked work tree without files (the site reads commits) whose
    HEAD moves from main to bench/add before each run."""
    full_out = repo.parent / "site-full"
    inc_out = repo.parent / "site-incremental"
    where = repo.parent / "site-head"
    kept = repo.parent / "site-incremental.manifest.json"
    tool = modelreg_argv()

    def fresh() -> None:
        shutil.rmtree(full_out, ignore_errors=True)

    def one_commit_later() -> None:
        if not where.exists():
            git(repo, "worktree", "add", "--quiet", "--detach", "--no-checkout", str(where), "main")
        main, added = git(repo, "rev-parse", "main", "bench/add").split()
        git(where, "update-ref", "--no-deref", "HEAD", main)
        if not kept.exists():
            shutil.rmtree(inc_out, ignore_errors=True)
            run_process([*tool, "site", "-o", str(inc_out)], where)
            shutil.copyfile(inc_out / ".modelreg-site.json", kept)
        else:  # the history cache back at main (a run moved it to bench/add), the site as built for main
            run_process([*tool, "history", "--since", "2100-01-01"], where)
            shutil.copyfile(kept, inc_out / ".modelreg-site.json")
        git(where, "update-ref", "--no-deref", "HEAD", added)

    return [
        Case(
            "site-full",
            "site -o DIR (full build)",
            ["site", "-o", str(full_out)],
            repo,
            needs=("site", "--base-url"),
            prepare=fresh,
            site=full_out,
        ),
        Case(
            "site-incremental",
            "site -o DIR (after one new commit)",
            ["site", "-o", str(inc_out)],
            where,
            needs=("site", "--base-url"),
            prepare=one_commit_later,
            site=inc_out,
        ),
    ]


def cold_cases(repo: Path, meta: dict[str, Any], fresh: cold.Fresh) -> list[Case]:
    """The paths a deployment job or a CI run takes: a fresh clone, a shallow one, or none."""
    name, prod = meta["bench"]["model"], meta["bench"]["production"]
    manifests = [f"HEAD:models/{name}/{prod}.yaml", f"HEAD:models/{name}/stages.yaml"]
    one_model = floors.read_objects(manifests, "cat-file --batch: stages.yaml + the manifest")
    tags = git(repo, "tag", "--list", f"{name}#production#*").split()
    check_ref = ["check-ref", tags[-1]] if tags else None
    no_remote = (
        None if fresh.remote_dir else "no DVC remote holds the artifacts (make_registry.py writes none)"
    )
    remote_cache = {"XDG_CACHE_HOME": str(fresh.scratch / "run-remote" / "cache")}
    kept_cache = {"XDG_CACHE_HOME": str(fresh.scratch / "remote-cache")}
    show_remote = ["show", "--repo", "{url}", f"{name}@production"]

    def case(key: str, label: str, argv: list[str], kind: str, **kw: Any) -> Case:
        made = Case(f"cold-{key}", label, argv, fresh.scratch, section="cold", kind=kind, **kw)
        if kind != "remote":
            made.fresh = lambda: fresh.copy(kind)
        return made

    return [
        case(
            "show",
            f"show {name}@production",
            ["show", f"{name}@production"],
            "full",
            floor=one_model,
            gto=["show", f"{name}#production", "--ref"],
        ),
        case(
            "list-model",
            f"list --model {name}",
            ["list", "--model", name],
            "full",
            floor=floors.read_tree(paths=["registry.yaml", f"models/{name}"]),
            gto=["show", name],
        ),
        case(
            "pull",
            f"pull {name}@production -o model.bin",
            ["pull", f"{name}@production", "-o", "model.bin"],
            "full",
            floor=one_model,
            skip=no_remote,
        ),
        case(
            "check-add",
            "check --base main (adds a version)",
            ["check", "--base", "main"],
            "add",
            floor=cold.changed_blobs("main"),
            gto=check_ref,
        ),
        case(
            "check-promote",
            "check --base main (a promotion)",
            ["check", "--base", "main"],
            "promote",
            floor=cold.changed_blobs("main"),
            gto=check_ref,
        ),
        case(
            "show-depth1",
            f"show {name}@production, --depth 1 clone",
            ["show", f"{name}@production"],
            "depth1",
            floor=one_model,
            gto=["show", f"{name}#production", "--ref"],
        ),
        case(
            "history-depth1",
            f"history {name}, --depth 1 clone (says what to fetch: exit 1)",
            ["history", name],
            "depth1",
            floor=floors.history(f"models/{name}"),
            gto=["history", name],
        ),
        case(
            "history-json",
            "history --format json (every event; records kept)",
            ["history", "--format", "json"],
            "history",
            floor=floors.history("models"),
        ),
        *write_cases(repo, meta, fresh, case),
        case(
            "remote",
            f"show --repo git://... {name}@production (empty cache)",
            show_remote,
            "remote",
            floor=cold.partial_fetch(fresh, fresh.scratch, name),
            env=remote_cache,
            gto=["show", "-r", "{url}", f"{name}#production", "--ref"],
        ),
        case(
            "remote-again",
            f"show --repo git://... {name}@production (cache kept)",
            show_remote,
            "remote",
            floor=cold.partial_fetch(fresh, fresh.scratch, name),
            env=kept_cache,
        ),
    ]


ARTIFACT_BYTES = 1 << 20


def write_cases(repo: Path, meta: dict[str, Any], fresh: cold.Fresh, case: Callable[..., Case]) -> list[Case]:
    """What a training job and a release step run: ``register`` (new bytes each run, pushed to
    a local DVC remote) in a fresh clone and in one kept between runs, ``promote --no-pr`` and
    ``history NAME`` in a fresh clone. Each floor is the raw Git of the same change or read."""
    name = meta["bench"]["model"]
    artifact = fresh.scratch / "register-input" / "model.bin"
    register = ["register", name, str(artifact), "--bump", "patch", "--metric", "auc=0.8", "--no-provenance"]
    files, message = _add_version(repo, meta)
    target, to_stage = _promotion_target(repo)

    def new_bytes() -> None:
        artifact.parent.mkdir(parents=True, exist_ok=True)
        artifact.write_bytes(os.urandom(ARTIFACT_BYTES))

    @contextlib.contextmanager
    def registering() -> Any:
        with fresh.copy("full") as where:
            fresh.use_remote(where, fresh.scratch / "register-remote", empty=True)
            yield where

    cold_register = case(
        "register",
        f"register {name} (1 MiB, new bytes, pushed to a local DVC remote)",
        register,
        "full",
        floor=floors.commit_files(files, message),
        prepare=new_bytes,
        floor_fresh=True,
    )
    cold_register.fresh = registering
    warm_register = case(
        "register-warm",
        f"register {name}, the same clone again (a runner that keeps its checkout)",
        register,
        "register-warm",
        floor=floors.commit_files(files, message),
        prepare=new_bytes,
    )
    warm_register.fresh = None
    return [
        cold_register,
        warm_register,
        case(
            "promote",
            f"promote {target} --to {to_stage} --no-pr --no-push",
            ["promote", target, "--to", to_stage, "--no-pr", "--no-push"],
            "full",
            floor=floors.stage_commit(target.split("@")[0], target.split("@")[1]),
            floor_fresh=True,
        ),
        case(
            "history-name",
            f"history {name}",
            ["history", name],
            "full",
            floor=floors.log_path(f"models/{name}"),
            floor_fresh=True,
        ),
    ]


def _promotion_target(repo: Path) -> tuple[str, str]:
    """(NAME@VERSION, stage) of the promotion ``_promotion`` makes for check."""
    files, message = _promotion(repo, {})
    subject = message.splitlines()[0]  # "promote NAME@VERSION: development -> staging"
    return subject.split()[1].rstrip(":"), subject.rsplit(" ", 1)[-1]


def largest_page(site: Path) -> dict[str, Any]:
    """The largest file of a built site: the issue's bound is 2 MB a page."""
    biggest = max(((p.stat().st_size, p) for p in site.rglob("*.html")), default=(0, site))
    return {"path": biggest[1].relative_to(site).as_posix() if biggest[0] else None, "bytes": biggest[0]}


def ready(case: Case, fresh: cold.Fresh) -> None:
    """Make what a cold case runs in: its pristine clone, or the server a remote read asks."""
    assert case.kind is not None
    if case.kind == "remote":
        url = fresh.serve()
        case.argv = [a.replace("{url}", url) for a in case.argv or []]
        case.gto = [a.replace("{url}", url) for a in case.gto] if case.gto else None
        if case.key == "cold-remote":
            case.fresh = fresh.empty_cache
        case.cwd = fresh.scratch
        return
    if case.kind == "register-warm":
        where = fresh.scratch / "register-warm"
        if not where.exists():
            subprocess.run(["cp", "-a", "--", str(fresh.template("full")), str(where)], check=True)
            fresh.use_remote(where, fresh.scratch / "register-warm-remote", empty=True)
        case.cwd = where
        return
    if case.kind == "history" and not (fresh.scratch / "template-history").exists():
        template = fresh.template("full")  # the records kept by one `history` run, then copied
        subprocess.run([*modelreg_argv(), "history"], cwd=template, capture_output=True, check=True)
        subprocess.run(["cp", "-a", "--", str(template), str(fresh.scratch / "template-history")], check=True)
        shutil.rmtree(template / ".git" / "modelreg", ignore_errors=True)
    case.cwd = fresh.template(case.kind)


def modelreg_argv() -> list[str]:
    script = Path(sys.executable).parent / "modelreg"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "modelreg"]


def gto_argv() -> list[str] | None:
    script = Path(sys.executable).parent / "gto"
    found = str(script) if script.is_file() else shutil.which("gto")
    return [found] if found else None


def available(case: Case, tool: list[str]) -> bool:
    if case.needs is None:
        return True
    command, text = case.needs
    cwd = case.cwd if case.cwd.exists() else case.cwd.parent
    sample, out = run_process([*tool, command, "--help"], cwd, capture=True)
    return sample.code == 0 and text.encode() in out


def clear_cache(cwd: Path) -> None:
    state = git(cwd, "rev-parse", "--git-path", "modelreg").strip()
    shutil.rmtree(cwd / state, ignore_errors=True)


def time_modelreg(case: Case, tool: list[str], runs: int) -> dict[str, Any]:
    if case.skip is not None:
        return {"status": "skipped", "note": case.skip}
    if case.argv is None or not available(case, tool):
        return {"status": "not available"}
    samples = []
    for i in range(runs + 1):  # the first is the warm-up
        if case.cold:
            clear_cache(case.cwd)
        if case.prepare:
            case.prepare()
        with case.fresh() if case.fresh else contextlib.nullcontext(case.cwd) as cwd:
            sample, _ = run_process([*tool, *case.argv], cwd, env=case.env)
        if i:
            samples.append(sample)
    return {"status": "ok", **summarize(samples)}


def time_floor(case: Case, runs: int) -> dict[str, Any]:
    if case.floor is None or case.skip is not None:
        return {"status": "none"}
    samples = []
    for _ in range(runs + 1):
        if case.floor_fresh and case.prepare:
            case.prepare()
        where = case.fresh() if case.floor_fresh and case.fresh else contextlib.nullcontext(case.cwd)
        with where as cwd:
            samples.append(run_floor(case.floor, cwd))
    return {"status": "ok", "what": case.floor.label, **summarize(samples[1:])}


def time_gto(case: Case, gto: list[str] | None, runs: int, budget: float) -> dict[str, Any]:
    if case.gto is None or case.skip is not None:
        return {"status": "none"}
    argv = ["gto", *case.gto]
    if gto is None:
        return {"status": "not installed", "command": " ".join(argv)}
    if budget <= 0:
        return {"status": "skipped", "command": " ".join(argv)}
    samples: list[Sample] = []
    spent = 0.0
    while len(samples) < runs:
        left = budget - spent
        sample, _ = run_process([*gto, *case.gto], case.cwd, timeout=left, env=case.env)
        spent += sample.wall
        if sample.wall >= left:
            if not samples:
                return {"status": "over budget", "budget_s": budget, "command": " ".join(argv)}
            break
        samples.append(sample)
        if spent + sample.wall > budget:
            break
    return {"status": "ok", "command": " ".join(argv), **summarize(samples)}


# -- report -----------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "?"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    gto = gto_argv()
    gto_version = "?"
    if gto:
        with_version = subprocess.run([*gto, "--version"], capture_output=True, text=True, check=False)
        gto_version = with_version.stdout.strip().split()[-1] if with_version.stdout.strip() else "?"
    return {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu": cpu,
        "memory": memory,
        "python": platform.python_version(),
        "git": subprocess.run(
            ["git", "--version"], capture_output=True, text=True, check=True
        ).stdout.split()[-1],
        "gto": gto_version,
        "platform": platform.platform(),
    }


SPREAD_BELOW = 0.05  # seconds: a median this small is shown with its fastest and slowest run


def seconds(result: dict[str, Any]) -> str:
    status = result.get("status")
    if status == "ok":
        value = result["median_s"]
        text = f"{value:.3f} s" if value < 10 else f"{value:.1f} s"
        runs = result.get("runs_s") or [value]
        if value < SPREAD_BELOW and len(runs) > 1:  # a few milliseconds: say how much they vary
            text += f" ({min(runs) * 1000:.0f}-{max(runs) * 1000:.0f} ms)"
        return text + ("" if result.get("exit", [0]) == [0] else f" (exit {result['exit']})")
    return {
        "not available": "n/a",
        "none": "-",
        "skipped": "skipped",
        "over budget": f">{result.get('budget_s', 0):.0f} s",
    }.get(status or "", status or "-")


def ratio(top: dict[str, Any], bottom: dict[str, Any]) -> str:
    if top.get("status") == "over budget" and bottom.get("status") == "ok":
        return f">{top['budget_s'] / bottom['median_s']:.0f}"
    if top.get("status") != "ok" or bottom.get("status") != "ok" or not bottom["median_s"]:
        return "-"
    value = top["median_s"] / bottom["median_s"]
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


def table(rows: list[Case]) -> str:
    headers = ["case", "modelreg", "peak MB", "floor", "modelreg/floor", "GTO", "GTO/modelreg"]
    body = []
    for case in rows:
        m, f, g = case.results["modelreg"], case.results["floor"], case.results["gto"]
        peak = f"{m['peak_mb']:.0f}" if m.get("status") == "ok" else "-"
        body.append([case.label, seconds(m), peak, seconds(f), ratio(m, f), seconds(g), ratio(g, m)])
    widths = [max(len(r[i]) for r in [headers, *body]) for i in range(len(headers))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [headers, *body]
    ]
    return "\n".join(lines)


def notes(rows: list[Case]) -> str:
    seen = []
    for case in rows:
        floor = case.results["floor"]
        if floor.get("status") == "ok" and floor["what"] not in seen:
            seen.append(floor["what"])
    pages = [
        f"{case.key}: largest page {case.results['largest_page']['path']} "
        f"{case.results['largest_page']['bytes'] / 1e6:.2f} MB"
        for case in rows
        if case.results.get("largest_page", {}).get("path")
    ]
    skipped = [f"{c.label}: {c.skip}" for c in rows if c.skip]
    return (
        "floors: "
        + "; ".join(seen)
        + ("\n" + "; ".join(pages) if pages else "")
        + ("\nskipped: " + "; ".join(skipped) if skipped else "")
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=list(SIZES), default="small", help="registry size (default small)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command after a warm-up")
    parser.add_argument("--gto-budget", type=float, default=300.0, help="seconds GTO may take per command")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--seed", type=int, default=0, help="make_registry.py seed")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "modelreg-bench",
        help="where built registries are kept between runs",
    )
    parser.add_argument("--only", help="comma-separated case keys to run (default: all)")
    parser.add_argument(
        "--scratch-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "modelreg-bench-cold",
        help="where the cold paths keep their clones (the registry itself is only read)",
    )
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    repo, meta = build(args.size, args.seed, args.cache_dir.resolve())
    changes = prepare_changes(repo, meta)
    # the clones of this size and seed (a small run's clones must not serve a large one)
    fresh = cold.Fresh(repo, args.scratch_dir.resolve() / f"{args.size}-s{args.seed}")
    rows = cases(repo, meta, changes) + cold_cases(repo, meta, fresh)
    if args.only:
        wanted = set(args.only.split(","))
        rows = [c for c in rows if c.key in wanted]
    tool, gto = modelreg_argv(), gto_argv()
    gto_done: dict[tuple[str, ...], dict[str, Any]] = {}  # GTO has no cache: cold and warm rows share
    try:
        for case in rows:
            print(f"  {case.label} ...", file=sys.stderr, flush=True)
            if case.section == "cold" and case.skip is None:
                ready(case, fresh)
            case.results["modelreg"] = time_modelreg(case, tool, args.runs)
            if case.site is not None and case.results["modelreg"].get("status") == "ok":
                case.results["largest_page"] = largest_page(case.site)
            case.results["floor"] = time_floor(case, args.runs)
            same = (case.section, str(case.cwd), *(case.gto or ()))
            if same not in gto_done:
                gto_done[same] = time_gto(case, gto, args.runs, args.gto_budget)
            case.results["gto"] = gto_done[same]
    finally:
        fresh.close()
    models, versions = SIZES[args.size]
    title = (
        f"modelreg benchmark, size {args.size}: {models} models x {versions} versions = {models * versions} "
        f"versions, {meta['commits']} commits, {meta['tags']} GTO tags; medians of {args.runs} runs after a "
        f"warm-up; registry built in {meta['seconds']['total']} s"
        + (" (reused)" if meta.get("reused") else "")
    )
    info = machine()
    print(title)
    warm = [c for c in rows if c.section == "warm"]
    cold_rows = [c for c in rows if c.section == "cold"]
    if warm:
        print(table(warm))
        print(notes(warm))
    if cold_rows:
        print("cold paths: each run in a fresh copy of a fresh clone (no .git/modelreg), or none at all")
        print(table(cold_rows))
        print(notes(cold_rows))
    print(
        f"machine: {info['nproc']} cores, {info['cpu']}, {info['memory']}; Python {info['python']}, "
        f"git {info['git']}, GTO {info['gto']}; load average {load_before[0]:.2f} before, "
        f"{os.getloadavg()[0]:.2f} after"
    )
    if args.json:
        result = {
            "size": args.size,
            "models": models,
            "versions_per_model": versions,
            "runs": args.runs,
            "gto_budget_s": args.gto_budget,
            "registry": {
                k: meta[k] for k in ("commits", "tags", "pull_requests", "seconds", "bench", "reused")
            },
            "machine": {**info, "load_before": load_before[0], "load_after": os.getloadavg()[0]},
            "cases": [
                {"key": c.key, "case": c.label, "section": c.section, "argv": c.argv, **c.results}
                for c in rows
            ],
        }
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
