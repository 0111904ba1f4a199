"""Build a synthetic modelreg registry, fast, with ``git fast-import``.

    python benchmarks/make_registry.py --models 200 --versions 20 --out /tmp/reg [--seed 0]

The repository holds ``registry.yaml``, the schemas, and per model ``model.yaml``, one manifest
and one DVC pointer per version (md5 and size as the manifest says), and ``stages.yaml`` edited
only by promotions: a branch commit merged with a pull-request subject ("Merge pull request #N
from acme/promote/..."), first parent main. Versions move development -> staging -> production,
a full stage displaces its oldest holder to archived, and some production versions end
deprecated; commit dates span a year. The same state is written as GTO expresses it
(annotated tags ``NAME@vX.Y.Z`` on the registering commit and ``NAME#STAGE#N`` on the version's
commit, tagger date = when it happened), so ``gto`` reads equivalent content.

Nothing is random but the seed: one seed, one repository (byte for byte, same commit ids).
A summary (and what benchmarks/run.py needs to know) is written to ``.git/modelreg-bench.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

START = 1_761_955_200  # 2025-11-01T00:00:00Z
YEAR = 365 * 86_400
DAY = 86_400
META_FILE = "modelreg-bench.json"

REGISTRY_YAML = """\
# yaml-language-server: $schema=schemas/registry.schema.json
# A synthetic registry made by benchmarks/make_registry.py.
schema_version: 1
name: {name}
stages:
  development: {{initial: true, from: [archived]}}
  staging: {{from: [development], max_versions: 3}}
  production:
    from: [staging]
    max_versions: 1
    displace_to: archived
    requires:
      fields: [description, data.training]
      metrics: {{auc: {{min: 0.70}}}}
      not_worse_than_current: [auc]
  deprecated: {{from: [production, staging]}}
  archived: {{from: [development, staging, production, deprecated]}}
metrics: {{auc: maximize, f1: maximize, latency_ms: minimize}}
naming: {{model: "^[a-z][a-z0-9-]{{0,62}}$"}}
"""

MANIFEST_YAML = """\
# yaml-language-server: $schema=../../schemas/model-version.schema.json
schema_version: 1
name: {name}
version: {version}
created_at: '{created_at}'
created_by: {author}
description: {description}
framework:
  name: {framework}
  version: {framework_version}
algorithm: {algorithm}
tags:
- {domain}
- {kind}
artifacts:
- path: models/{name}/{version}/model.bin
  md5: {md5}
  size: {size}
metrics:
  auc: {auc}
  f1: {f1}
  latency_ms: {latency}
params:
  max_depth: {max_depth}
  learning_rate: {lr}
  n_estimators: {n_estimators}
  seed: {seed}
data:
  training:
    name: {dataset}
    version: '{data_version}'
    md5: {data_md5}
  validation:
    name: {dataset}-holdout
    version: '{data_version}'
lineage:
  parents:{parents}
code:
  repo: https://github.com/acme/{domain}-models
  commit: '{commit}'
signature:
  inputs:
    amount: float
    merchant: str
    country: str
  outputs:
    score: float
"""

FACTS_YAML = """\
# yaml-language-server: $schema=../../schemas/model.schema.json
schema_version: 1
name: {name}
description: {domain} {kind} model
owner: '@acme/{domain}-ml'
tags:
- {domain}
"""

POINTER = "outs:\n- md5: {md5}\n  size: {size}\n  hash: md5\n  path: model.bin\n"
GITIGNORE = "/model.bin\n"
DVC_CONFIG = "[core]\n    remote = storage\n['remote \"storage\"']\n    url = ../../storage\n"
DVCIGNORE = "# Add patterns of files dvc should ignore\n"
STAGES_HEADER = "# yaml-language-server: $schema=../../schemas/stages.schema.json"
STAGE_ORDER = ["staging", "production", "deprecated", "archived"]

DOMAINS = ["fraud", "churn", "credit", "search", "ads", "pricing", "demand", "risk", "vision", "speech"]
KINDS = ["detector", "predictor", "ranker", "scorer", "classifier", "forecaster", "tagger"]
FRAMEWORKS = [
    ("xgboost", "2.1.0", "gradient_boosting"),
    ("lightgbm", "4.3.0", "gradient_boosting"),
    ("scikit-learn", "1.5.0", "logistic_regression"),
    ("pytorch", "2.4.0", "mlp"),
]
AUTHORS = [
    "Alice Ng <alice@acme.example>",
    "Bob Ruiz <bob@acme.example>",
    "Chen Li <chen@acme.example>",
    "Dana Kim <dana@acme.example>",
]
MERGER = "Release Bot <release-bot@acme.example>"


@dataclass
class Event:
    """One thing that happens to the registry: a registration or a pull request."""

    when: int
    order: int
    kind: str  # register | move
    model: str
    version: str
    to_stage: str = ""
    from_stage: str = ""
    displaced: list[tuple[str, str, str]] = field(default_factory=list)  # (version, from, to)
    stages_after: dict[str, list[str]] = field(default_factory=dict)
    text: str = ""  # the manifest, for a registration


@dataclass
class ModelPlan:
    name: str
    domain: str
    kind: str
    events: list[Event] = field(default_factory=list)


def semver_key(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in v.split("."))


def plan_model(rng: random.Random, index: int, versions: int, seq: Iterator[int]) -> ModelPlan:
    """Every event of one model, in time order, with the stage state after each move."""
    domain, kind = DOMAINS[index % len(DOMAINS)], KINDS[(index // len(DOMAINS)) % len(KINDS)]
    plan = ModelPlan(f"{domain}-{kind}-{index:04d}", domain, kind)
    times = sorted(START + rng.randrange(DAY, YEAR - 30 * DAY) for _ in range(versions))
    times = [t + i for i, t in enumerate(times)]  # strictly increasing
    framework = FRAMEWORKS[index % len(FRAMEWORKS)]
    stages: dict[str, list[str]] = {s: [] for s in STAGE_ORDER}
    major, minor, patch = 0 if index % 3 else 1, 1, 0
    previous: str | None = None
    auc = round(0.72 + rng.random() * 0.05, 4)
    for i, when in enumerate(times):
        if i:
            roll = rng.random()
            if roll < 0.05:
                major, minor, patch = major + 1, 0, 0
            elif roll < 0.55:
                minor, patch = minor + 1, 0
            else:
                patch += 1
        version = f"{major}.{minor}.{patch}"
        auc = min(0.999, round(auc + rng.random() * 0.01, 4))
        text = manifest_text(rng, plan, version, when, auc, previous, framework, index)
        plan.events.append(Event(when, next(seq), "register", plan.name, version, text=text))
        gap_end = times[i + 1] if i + 1 < versions else START + YEAR - DAY
        moved_at = when
        if rng.random() < 0.55 and moved_at + 7200 < gap_end:
            moved_at = move(plan, stages, version, "staging", rng.randrange(moved_at + 3600, gap_end), seq)
            if rng.random() < 0.55 and moved_at + 7200 < gap_end:
                moved_at = move(
                    plan, stages, version, "production", rng.randrange(moved_at + 3600, gap_end), seq
                )
        previous = version
    if stages["production"] and rng.random() < 0.08:
        last = plan.events[-1].when
        move(plan, stages, stages["production"][0], "deprecated", min(last + 3 * DAY, START + YEAR - 1), seq)
    return plan


def move(
    plan: ModelPlan, stages: dict[str, list[str]], version: str, to: str, when: int, seq: Iterator[int]
) -> int:
    """Move ``version`` to stage ``to`` (displacing the oldest holder of a full stage to archived)."""
    source = next((s for s, held in stages.items() if version in held), "development")
    if source != "development":
        stages[source].remove(version)
    limit = {"staging": 3, "production": 1}.get(to)
    displaced = []
    if limit is not None and len(stages[to]) >= limit:
        oldest = min(stages[to], key=semver_key)
        stages[to].remove(oldest)
        stages["archived"].append(oldest)
        displaced.append((oldest, to, "archived"))
    stages[to].append(version)
    after = {s: sorted(held, key=semver_key) for s, held in stages.items() if held}
    plan.events.append(Event(when, next(seq), "move", plan.name, version, to, source, displaced, after))
    return when


def manifest_text(
    rng: random.Random,
    plan: ModelPlan,
    version: str,
    when: int,
    auc: float,
    parent: str | None,
    framework: tuple[str, str, str],
    index: int,
) -> str:
    month = time.strftime("%Y-%m", time.gmtime(when))
    parents = f"\n  - ref: {plan.name}@{parent}\n    relation: retrain" if parent else " []"
    return MANIFEST_YAML.format(
        name=plan.name,
        version=version,
        created_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when)),
        author=AUTHORS[rng.randrange(len(AUTHORS))],
        description=f"{framework[2].replace('_', ' ').capitalize()} retrained on {month} data",
        framework=framework[0],
        framework_version=framework[1],
        algorithm=framework[2],
        domain=plan.domain,
        kind=plan.kind,
        md5=hashlib.md5(f"{plan.name}@{version}".encode()).hexdigest(),  # noqa: S324 - a content id
        size=artifact_size(plan.name, version),
        auc=auc,
        f1=round(auc - 0.1 + rng.random() * 0.02, 4),
        latency=round(1 + rng.random() * 9, 2),
        max_depth=rng.randrange(3, 12),
        lr=round(rng.choice([0.01, 0.03, 0.05, 0.1, 0.3]), 2),
        n_estimators=rng.randrange(100, 1000, 50),
        seed=index,
        dataset=f"{plan.domain}-events",
        data_version=month,
        data_md5=hashlib.md5(f"{plan.domain}-{month}".encode()).hexdigest(),  # noqa: S324
        parents=parents,
        commit=hashlib.sha1(f"{plan.name}{version}".encode()).hexdigest()[:7],  # noqa: S324
    )


def artifact_size(name: str, version: str) -> int:
    return 100_000 + int(hashlib.md5(f"{name}{version}".encode()).hexdigest()[:6], 16)  # noqa: S324


def pointer_text(name: str, version: str) -> str:
    md5 = hashlib.md5(f"{name}@{version}".encode()).hexdigest()  # noqa: S324
    return POINTER.format(md5=md5, size=artifact_size(name, version))


def stages_text(after: dict[str, list[str]]) -> str:
    lines = [STAGES_HEADER]
    for stage in STAGE_ORDER:
        held = after.get(stage, [])
        if held:
            lines.append(f"{stage}: {held[0] if len(held) == 1 else '[' + ', '.join(held) + ']'}")
    return "\n".join(lines) + "\n"


class Stream:
    """Writes a ``git fast-import`` stream: commits, merges, annotated tags."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.next_mark = 1
        self.commits = 0
        self.tags = 0

    def mark(self) -> int:
        self.next_mark += 1
        return self.next_mark - 1

    def data(self, text: str) -> None:
        raw = text.encode()
        self.out.write(b"data %d\n" % len(raw) + raw + b"\n")

    def blob(self, text: str) -> int:
        mark = self.mark()
        self.out.write(b"blob\nmark :%d\n" % mark)
        self.data(text)
        return mark

    def commit(
        self,
        ref: str,
        *,
        who: str,
        when: int,
        message: str,
        files: dict[str, str | int],
        parent: int | None = None,
        merge: int | None = None,
    ) -> int:
        mark = self.mark()
        self.out.write(f"commit {ref}\nmark :{mark}\n".encode())
        self.out.write(f"author {who} {when} +0000\ncommitter {who} {when} +0000\n".encode())
        self.data(message)
        if parent is not None:
            self.out.write(f"from :{parent}\n".encode())
        if merge is not None:
            self.out.write(f"merge :{merge}\n".encode())
        for path, content in files.items():
            if isinstance(content, int):
                self.out.write(f"M 100644 :{content} {path}\n".encode())
            else:
                raw = content.encode()
                self.out.write(f"M 100644 inline {path}\n".encode() + b"data %d\n" % len(raw) + raw + b"\n")
        self.out.write(b"\n")
        self.commits += 1
        return mark

    def tag(self, name: str, target: int, *, who: str, when: int, message: str) -> None:
        self.out.write(f"tag {name}\nfrom :{target}\ntagger {who} {when} +0000\n".encode())
        self.data(message)
        self.tags += 1


def schema_files() -> dict[str, str]:
    here = Path(__file__).resolve().parent.parent / "modelreg" / "schemas"
    return {f"schemas/{p.name}": p.read_text(encoding="utf-8") for p in sorted(here.glob("*.json"))}


def write_stream(stream: Stream, plans: list[ModelPlan], name: str) -> dict[str, object]:
    """Every event of every model, in one time order, as commits on main plus GTO's tags."""
    files: dict[str, str | int] = {
        "registry.yaml": REGISTRY_YAML.format(name=name),
        "models/.gitkeep": "",
        ".dvc/config": DVC_CONFIG,
        ".dvc/.gitignore": "/config.local\n/tmp\n/cache\n",
        ".dvcignore": DVCIGNORE,
        **schema_files(),
    }
    gitignore = stream.blob(GITIGNORE)
    main = stream.commit("refs/heads/main", who=MERGER, when=START, message="modelreg init\n", files=files)
    events = sorted((e for p in plans for e in p.events), key=lambda e: (e.when, e.order))
    plan_of = {p.name: p for p in plans}
    registered_at: dict[tuple[str, str], int] = {}
    seen_models: set[str] = set()  # those with a model.yaml already (a set: a scan per event is quadratic)
    counters: dict[str, int] = {}
    pr = 0
    for event in events:
        plan = plan_of[event.model]
        ref = f"{event.model}@{event.version}"
        if event.kind == "register":
            author = event.text.split("created_by: ", 1)[1].split("\n", 1)[0]
            changes: dict[str, str | int] = {
                f"models/{event.model}/{event.version}.yaml": event.text,
                f"models/{event.model}/{event.version}/model.bin.dvc": pointer_text(
                    event.model, event.version
                ),
                f"models/{event.model}/{event.version}/.gitignore": gitignore,
            }
            if event.model not in seen_models:
                seen_models.add(event.model)
                changes[f"models/{event.model}/model.yaml"] = FACTS_YAML.format(
                    name=event.model, domain=plan.domain, kind=plan.kind
                )
            main = stream.commit(
                "refs/heads/main", who=author, when=event.when, message=f"register {ref}\n", files=changes
            )
            registered_at[(event.model, event.version)] = main
            stream.tag(
                f"{event.model}@v{event.version}",
                main,
                who=author,
                when=event.when,
                message=f"Registering artifact {event.model} version v{event.version}\n",
            )
            continue
        pr += 1
        verb = {"deprecated": "deprecate", "archived": "archive"}.get(event.to_stage, "promote")
        branch = f"promote/{event.model}-{event.version}-{event.to_stage}"
        subject = f"{verb} {ref}: {event.from_stage} -> {event.to_stage}"
        body = "".join(
            f"Moves {event.model}@{v} from {a} to {b} ({a} holds at most {3 if a == 'staging' else 1}).\n"
            for v, a, b in event.displaced
        )
        trailers = (
            f"Modelreg-Model: {event.model}\nModelreg-Version: {event.version}\n"
            f"Modelreg-From: {event.from_stage}\nModelreg-To: {event.to_stage}\n"
        )
        change = {f"models/{event.model}/stages.yaml": stages_text(event.stages_after)}
        author = AUTHORS[pr % len(AUTHORS)]
        tip = stream.commit(
            "refs/heads/pr",
            who=author,
            when=event.when - 600,
            parent=main,
            message=f"{subject}\n\n{body + chr(10) if body else ''}{trailers}",
            files=change,
        )
        main = stream.commit(
            "refs/heads/main",
            who=MERGER,
            when=event.when,
            parent=main,
            merge=tip,
            message=f"Merge pull request #{pr} from acme/{branch}\n\n{subject}\n",
            files=change,
        )
        for version, stage in [(v, b) for v, _, b in event.displaced] + [(event.version, event.to_stage)]:
            counters[event.model] = counters.get(event.model, 0) + 1
            stream.tag(
                f"{event.model}#{stage}#{counters[event.model]}",
                registered_at[(event.model, version)],
                who=author,
                when=event.when,
                message=f"Assigning stage {stage} to artifact {event.model} version v{version}\n",
            )
    return {"pull_requests": pr, "last_commit_time": events[-1].when if events else START}


def summarize(plans: list[ModelPlan]) -> dict[str, object]:
    """What benchmarks/run.py asks about: a model in production now and on a date, a deep lineage.

    Preferably a model with a production version both at mid-year and at the end; else one
    whose production version arrived later (the date is then the day after it arrived)."""
    mid = START + YEAR // 2
    choices = []
    for plan in plans:
        moves = [e for e in plan.events if e.kind == "move"]
        final = moves[-1].stages_after if moves else {}
        if not final.get("production"):
            continue
        first = next(e.when for e in moves if e.stages_after.get("production"))
        when = mid if first <= mid else first + DAY
        at = [e.stages_after for e in moves if e.when <= when][-1]
        choices.append((first > mid, plan, final, at, when))
    if not choices:
        raise SystemExit("make_registry: no model reached production; use more versions or another seed")
    _, plan, final, at, when = min(choices, key=lambda c: c[0])
    versions = [e.version for e in plan.events if e.kind == "register"]
    return {
        "model": plan.name,
        "production": final["production"][0],
        "at_date": time.strftime("%Y-%m-%d", time.gmtime(when)),
        "production_at_date": at["production"][0],
        "latest": versions[-1],
        "lineage_ref": f"{plan.name}@{versions[-1]}",
        "stages": final,
    }


def generator_stamp() -> str:
    """A digest of this script: a registry built by another version of it is built again."""
    return hashlib.sha1(Path(__file__).read_bytes()).hexdigest()[:12]  # noqa: S324 - not for security


def build(models: int, versions: int, out: Path, *, seed: int = 0) -> dict[str, object]:
    """Create the registry repository at ``out`` (which must not exist); return its summary."""
    began = time.perf_counter()
    if out.exists():
        raise SystemExit(f"make_registry: {out} exists; remove it or pick another --out")
    rng = random.Random(seed)
    counter = iter(range(10**9))
    plans = [plan_model(rng, i, versions, counter) for i in range(models)]
    planned = time.perf_counter()
    env = {
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "HOME": str(out),
        "PATH": "/usr/bin:/bin:/usr/local/bin",
    }
    git = shutil.which("git") or "git"
    subprocess.run([git, "init", "-q", "-b", "main", str(out)], check=True, env=env)
    proc = subprocess.Popen(
        [git, "fast-import", "--quiet", "--done"], cwd=out, stdin=subprocess.PIPE, env=env
    )
    assert proc.stdin is not None
    stream = Stream(proc.stdin)
    written = write_stream(stream, plans, f"bench-{models}x{versions}")
    stream.out.write(b"reset refs/heads/pr\nfrom 0000000000000000000000000000000000000000\n\ndone\n")
    proc.stdin.close()
    if proc.wait() != 0:
        raise SystemExit("make_registry: git fast-import failed")
    imported = time.perf_counter()
    subprocess.run([git, "reset", "-q", "--hard", "main"], cwd=out, check=True, env=env)
    subprocess.run([git, "gc", "-q", "--auto"], cwd=out, check=True, env=env)
    done = time.perf_counter()
    summary = {
        "models": models,
        "versions_per_model": versions,
        "versions": models * versions,
        "seed": seed,
        "generator": generator_stamp(),
        "commits": stream.commits,
        "tags": stream.tags,
        **written,
        "seconds": {
            "plan": round(planned - began, 2),
            "fast_import": round(imported - planned, 2),
            "checkout": round(done - imported, 2),
            "total": round(done - began, 2),
        },
        "bench": summarize(plans),
    }
    (out / ".git" / META_FILE).write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, required=True, help="how many models")
    parser.add_argument("--versions", type=int, required=True, help="versions per model")
    parser.add_argument("--out", type=Path, required=True, help="the repository to create")
    parser.add_argument("--seed", type=int, default=0, help="one seed, one repository")
    args = parser.parse_args(argv)
    summary = build(args.models, args.versions, args.out, seed=args.seed)
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
