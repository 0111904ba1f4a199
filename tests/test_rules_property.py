"""Random sequences of register / promote / merge / direct stage edits on a real registry; after
each step ``validate`` and ``check`` must agree with a small, independent model of the rules.

The model knows the default lifecycle of ``modelreg init`` and nothing of modelreg's code:

    development (initial) <- archived
    staging               <- development        at most 3
    production            <- staging            at most 1, needs a description, displaces to archived
    deprecated            <- production, staging
    archived              <- development, staging, production, deprecated

A move is allowed when it follows a ``from`` rule or returns a version to a stage it stood in
before (a rollback; every version stood in development when it was registered); entering a
stage needs its requirements either way. A registry is valid while no stage holds more than
its maximum. ``check`` of one commit passes when the registry is valid after it and every move
it makes is allowed. ``promote`` refuses what ``check`` would, and displaces the oldest holders
of a full stage.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from conftest import git
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from modelreg.domain.errors import ModelregError

pytestmark = pytest.mark.slow  # generated registries and histories, each through real processes

STAGES = {
    "development": {"from": ["archived"], "max": None},
    "staging": {"from": ["development"], "max": 3},
    "production": {"from": ["staging"], "max": 1, "requires_description": True},
    "deprecated": {"from": ["production", "staging"], "max": None},
    "archived": {"from": ["development", "staging", "production", "deprecated"], "max": None},
}
INITIAL = "development"
MODELS = ["a", "b"]


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in version.split("."))


@dataclass
class Model:
    """What the registry holds, as the rules see it."""

    versions: dict[str, dict[str, bool]] = field(default_factory=dict)  # name -> version -> described
    stage: dict[tuple[str, str], str] = field(default_factory=dict)
    # stages each version entered by an allowed move that landed within its stage's capacity:
    # the ones a rollback may return it to (never the initial stage)
    held: set[tuple[str, str, str]] = field(default_factory=set)

    def stage_of(self, name: str, version: str) -> str:
        return self.stage.get((name, version), INITIAL)

    def holders(self, name: str, stage: str) -> list[str]:
        return sorted((v for v in self.versions.get(name, {}) if self.stage_of(name, v) == stage), key=_key)

    def valid(self, names: set[str] | None = None) -> bool:
        """Whether every model (or each of ``names``) keeps every stage within its maximum."""
        return all(
            len(self.holders(name, stage)) <= rule["max"]
            for name in self.versions
            if names is None or name in names
            for stage, rule in STAGES.items()
            if rule["max"] is not None
        )

    def allowed(self, name: str, version: str, to: str, *, rollback: bool = True) -> bool:
        came_from = self.stage_of(name, version)
        follows = came_from in STAGES[to]["from"] or (rollback and (name, version, to) in self.held)
        described = self.versions[name][version] or not STAGES[to].get("requires_description")
        return follows and described

    def move(self, name: str, version: str, to: str, *, allowed: bool) -> None:
        self.stage[(name, version)] = to
        limit = STAGES[to]["max"]
        within = limit is None or len(self.holders(name, to)) <= limit
        if allowed and within and to != INITIAL:
            self.held.add((name, version, to))

    def placement(self, name: str, version: str, to: str) -> list[tuple[str, str]]:
        """The moves ``promote`` makes: the version, then the oldest holders it displaces."""
        moves = [(version, to)]
        limit = STAGES[to]["max"]
        others = [v for v in self.holders(name, to) if v != version]
        while limit is not None and len(others) + 1 > limit:
            moves.append((others.pop(0), "archived"))
        return moves

    def lists(self, name: str) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for version in sorted(self.versions[name], key=_key):
            stage = self.stage_of(name, version)
            if stage != INITIAL:
                found.setdefault(stage, []).append(version)
        return found


@dataclass
class Pending:
    """A promote branch waiting to be merged, and the stages of its model it was made from."""

    branch: str
    name: str
    moves: list[tuple[str, str]]
    made_from: dict[str, list[str]]


register_op = st.tuples(
    st.just("register"), st.sampled_from(MODELS), st.sampled_from(["patch", "minor", "major"]), st.booleans()
)
promote_op = st.tuples(
    st.just("promote"), st.sampled_from(MODELS), st.integers(0, 9), st.sampled_from(list(STAGES))
)
merge_op = st.tuples(st.just("merge"), st.integers(0, 9))
edit_op = st.tuples(
    st.just("edit"), st.sampled_from(MODELS), st.integers(0, 9), st.sampled_from(list(STAGES))
)
OPS = st.lists(
    st.one_of(register_op, promote_op, promote_op, merge_op, merge_op, edit_op, edit_op),
    min_size=4,
    max_size=12,
)
SEED = [("register", "a", "minor", True), ("register", "a", "minor", False), ("register", "b", "major", True)]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An initialized registry with a local DVC remote, copied for each example."""
    from history_repo import isolated

    from modelreg.operations.scaffold import init

    base = tmp_path_factory.mktemp("property")
    with isolated(base / "home"):
        init(base / "registry", remote=str(base / "remote"), name="property")
    yield base / "registry"


class Run:
    """The real registry and the model, stepped together."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.model = Model()
        self.pending: list[Pending] = []
        self.artifacts = path.parent / "artifacts"

    def register(self, name: str, bump: str, described: bool) -> None:
        from modelreg.operations.register import RegisterRequest, register

        artifact = self.artifacts / f"{name}-{len(self.model.versions.get(name, {}))}" / "model.bin"
        artifact.parent.mkdir(parents=True)
        artifact.write_bytes(artifact.parent.name.encode())
        request = RegisterRequest(
            name=name, files=[artifact], bump=bump, description="d" if described else "", push=False
        )
        version = register(self.path, request).ref.split("@")[1]
        assert version not in self.model.versions.get(name, {})
        self.model.versions.setdefault(name, {})[version] = described
        self.expect_check(allowed=True)

    def promote(self, name: str, index: int, to: str) -> None:
        from modelreg.operations.promote import PromoteRequest, promote

        version = self.pick(name, index)
        if version is None:
            return
        branch = f"promote/{name}-{version}-{to}"
        ok = (
            self.model.stage_of(name, version) != to
            and self.model.allowed(name, version, to, rollback=False)
            and all(p.branch != branch for p in self.pending)
        )
        try:
            promote(self.path, PromoteRequest(ref=f"{name}@{version}", to_stage=to, push=False))
        except ModelregError as e:
            assert not ok, f"promote {name}@{version} to {to} refused: {e}"
            return
        assert ok, f"promote {name}@{version} to {to} was allowed"
        moves = self.model.placement(name, version, to)
        self.pending.append(Pending(branch, name, moves, self.model.lists(name)))

    def merge(self, index: int) -> None:
        if not self.pending:
            return
        pr = self.pending.pop(index % len(self.pending))
        if pr.made_from != self.model.lists(pr.name):  # stale: main moved on; it would be rebased
            git("branch", "-D", pr.branch, cwd=self.path)
            return
        git("merge", "-q", "--no-ff", "-m", f"Merge {pr.branch}", pr.branch, cwd=self.path)
        each = [self.model.allowed(pr.name, v, to) for v, to in pr.moves]
        for (version, to), ok in zip(pr.moves, each, strict=True):
            self.model.move(pr.name, version, to, allowed=ok)
        allowed = all(each)
        self.expect_check(allowed=allowed)

    def edit(self, name: str, index: int, to: str) -> None:
        """A direct commit to stages.yaml, the kind a pull request can contain."""
        version = self.pick(name, index)
        if version is None or self.model.stage_of(name, version) == to:
            return
        allowed = self.model.allowed(name, version, to)
        self.model.move(name, version, to, allowed=allowed)
        target = self.path / "models" / name / "stages.yaml"
        target.write_text(yaml.safe_dump(self.model.lists(name), sort_keys=False))
        git("add", "-A", cwd=self.path)
        git("commit", "-q", "-m", f"move {name}@{version} to {to}", cwd=self.path)
        self.expect_check(allowed=allowed)

    def pick(self, name: str, index: int) -> str | None:
        versions = sorted(self.model.versions.get(name, {}), key=_key)
        return versions[index % len(versions)] if versions else None

    def expect_check(self, *, allowed: bool) -> None:
        from modelreg.operations.check import check
        from modelreg.registry import Registry

        validation = Registry(self.path).validate()
        assert validation.ok == self.model.valid(), [str(p) for p in validation.problems]
        report = check(self.path, base="HEAD~1", head="HEAD")
        # check reads the models the change touches (all of them when it adds a model.yaml):
        # a model left over capacity by an earlier commit is validate's to report, not this change's
        expected = allowed and self.model.valid(self.touched())
        assert report.ok == expected, [str(p) for p in report.problems]

    def touched(self) -> set[str] | None:
        changed = git("diff", "--name-only", "HEAD~1", "HEAD", cwd=self.path).split()
        if any(path.endswith("/model.yaml") or not path.startswith("models/") for path in changed):
            return None
        return {path.split("/")[1] for path in changed}


@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS)
@example(  # crowd production past its maximum by hand, then register and repair it
    ops=[
        ("edit", "a", 0, "production"),
        ("edit", "a", 1, "production"),
        ("register", "a", "patch", True),
        ("promote", "b", 0, "staging"),
        ("edit", "a", 1, "archived"),
        ("merge", 0),
        ("edit", "a", 1, "production"),
    ]
)
def test_validate_and_check_agree_with_a_model_of_the_rules(
    template: Path, ops: list[tuple[object, ...]]
) -> None:
    with tempfile.TemporaryDirectory(dir=template.parent) as tmp:
        path = Path(tmp) / "registry"
        shutil.copytree(template, path, symlinks=True)
        run = Run(path)
        for op in [*SEED, *ops]:
            kind, *args = op
            getattr(run, str(kind))(*args)
