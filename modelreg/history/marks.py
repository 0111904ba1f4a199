"""History's violation marks on a commit's moves: the judgement ``check`` gives a pull request
(``policy.change_verdicts``), asked of each commit that changed a model's stages.yaml or
deployments.yaml as if it were a pull request whose base is its first parent.

What is judged, exactly as ``check --base PARENT`` judges it: every version whose effective
stage differs (the transition allowed by ``from:``, or a return to a stage the version earned
on the branch before; the target stage's requirements against its holder at the parent;
capacity after the commit), under the parent's registry.yaml, and the deployment rule for the
model's environments after the commit. Versions are the manifest files of the model's folder
(a manifest that does not validate counts too: ``check`` refuses it for being invalid). Only
what a move into a stage with requirements needs is read: the manifests of the version and of
the stage's holder at the parent; the earned stages (the model's history and its manifests at
the parent) only when the transition alone is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pydantic import BaseModel

from modelreg.documents import schemas, yamlio
from modelreg.domain import semver
from modelreg.domain.errors import DocumentError
from modelreg.domain.layout import MODELS_DIR, classify
from modelreg.domain.models import Deployment, Manifest, RegistryConfig
from modelreg.history.earned import earned_stages
from modelreg.history.steps import Step
from modelreg.rules import environments, policy

Read = Callable[[list[str]], dict[str, bytes]]


class Mark(BaseModel):
    """One rule a commit broke: which, for which version (None: the model's), and why."""

    rule: str
    version: str | None
    detail: str
    environment: str | None = None


class _Manifests(Mapping[tuple[str, str], Manifest]):
    """A model's manifests at one commit, each read and validated when first asked for
    (``typed``: the walk's manifests by blob id, shared by every commit's)."""

    def __init__(
        self, model: str, blobs: Mapping[str, str], typed: Callable[[str, str], Manifest | None]
    ) -> None:
        self._model, self._blobs, self._typed = model, blobs, typed

    def __getitem__(self, key: tuple[str, str]) -> Manifest:
        blob = self._blobs.get(key[1]) if key[0] == self._model else None
        found = self._typed(blob, f"{key[1]}.yaml") if blob is not None else None
        if found is None:
            raise KeyError(key)
        return found

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter((self._model, v) for v in self._blobs)

    def __len__(self) -> int:
        return len(self._blobs)


class Judge:
    """Judges commits of one walk; ``read`` reads objects (``REV:PATH`` names too), ``load``
    parses a blob's YAML (cached), ``steps(model)`` gives the model's steps before the commit."""

    def __init__(
        self, read: Read, load: Callable[[str, str], Any], steps: Callable[[str], list[Step]]
    ) -> None:
        self._read, self._load, self._steps = read, load, steps
        self._typed: dict[str, Manifest | None] = {}

    def typed(self, blob: str, path: str) -> Manifest | None:
        """The manifest ``blob`` holds, validated once a walk (None when it is not valid)."""
        if blob not in self._typed:
            try:
                problems, found = schemas.check("manifest", self._load(blob, path))
            except DocumentError:
                found = None
            self._typed[blob] = found
        return self._typed[blob]

    def marks(
        self,
        config: RegistryConfig,
        model: str,
        *,
        commit: str,
        parent: str | None,
        old: policy.StageLists | None,
        new: policy.StageLists | None,
    ) -> list[Mark]:
        """What ``check --base parent`` refuses of ``commit``'s change to ``model``'s stages
        (``old``/``new``: its stage lists before and after; None when unreadable)."""
        folder, was = f"{commit}:{MODELS_DIR}/{model}", f"{parent}:{MODELS_DIR}/{model}"
        self._read([folder, f"{folder}/deployments.yaml", *([was] if parent else [])])  # one round trip
        after = self._manifest_blobs(commit, model)
        before = self._manifest_blobs(parent, model) if parent else {}
        versions = sorted(after, key=semver.sort_key)
        moves = policy.moves_between(config, model, old or {}, new or {}, versions) if new is not None else []
        manifests = _Manifests(model, after, self.typed)
        held_before = _Manifests(model, before, self.typed)
        current = policy.holders_of(
            config, old or {}, sorted(before, key=semver.sort_key), held_before, model, moves, gated_only=True
        )

        def earned() -> set[tuple[str, str, str]]:
            self._read([b for b in before.values() if b not in self._typed])  # one round trip
            return earned_stages(config, self._steps(model), model, held_before)

        verdicts = policy.change_verdicts(
            config,
            model,
            moves,
            manifests=manifests,
            current=current,
            earned=earned,
            after=new,
            versions=versions,
        )
        found = [
            Mark(rule=v.rule, version=v.ref.partition("@")[2] or None, detail=v.detail)
            if v.rule != "capacity"
            else Mark(rule=v.rule, version=None, detail=v.message)
            for v in verdicts
        ]
        return found + self._deployment_marks(config, model, commit, new or {}, versions)

    def _deployment_marks(
        self, config: RegistryConfig, model: str, commit: str, stages: policy.StageLists, versions: list[str]
    ) -> list[Mark]:
        if not config.environments:
            return []
        deployed = self._deployments(commit, model)
        return [
            Mark(rule=v.rule, version=None, detail=v.message, environment=v.environment)
            for v in environments.deployment_violations(config, model, deployed, stages, versions)
        ]

    def _deployments(self, commit: str, model: str) -> dict[str, Deployment]:
        name = f"{commit}:{MODELS_DIR}/{model}/deployments.yaml"
        raw = self._read([name]).get(name)
        if raw is None:
            return {}
        try:
            problems, typed = schemas.check("deployments", yamlio.load(raw, name))
        except DocumentError:
            return {}
        return dict(typed) if typed is not None else {}

    def _manifest_blobs(self, commit: str, model: str) -> dict[str, str]:
        """version -> the blob of its manifest, in ``model``'s folder at ``commit``."""
        name = f"{commit}:{MODELS_DIR}/{model}"
        raw = self._read([name]).get(name)
        found = {}
        for leaf, blob in tree_entries(raw or b""):
            where = classify(f"{MODELS_DIR}/{model}/{leaf}")
            if where.kind == "manifest" and semver.parse(where.version) is not None:
                found[where.version] = blob
        return found


def tree_entries(raw: bytes) -> Iterator[tuple[str, str]]:
    """(name, object id) of each entry of a raw tree object (``mode name\\0<20 bytes>``)."""
    at = 0
    while at < len(raw):
        space, nul = raw.index(b" ", at), raw.index(b"\0", at)
        yield raw[space + 1 : nul].decode("utf-8", errors="replace"), raw[nul + 1 : nul + 21].hex()
        at = nul + 21
