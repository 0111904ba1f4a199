"""Reading an MLflow model registry into an import plan.

Each MLflow version N becomes version N.0.0 of a model named after MLflow's (lowercase,
``-`` for anything else: "Churn Model" -> churn-model), registered at MLflow's
``creation_timestamp`` by the version's user (MLflow's server records none without
authentication, so the user of the run that made it). Its run gives the metrics (last value
of each), params and code commit; its ``MLmodel`` file the signature and framework. A legacy
stage (Staging, Production, Archived) becomes a move at the version's
``last_updated_timestamp``; an alias becomes one only through ``--alias-map``, at the model's
``last_updated_timestamp`` (MLflow keeps no time for aliases).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError

from modelreg.adapters.mlflow import (
    ArtifactFile,
    MlflowError,
    MlflowServer,
    ModelVersion,
    RegisteredModel,
    Run,
    Unavailable,
)
from modelreg.documents import yamlio
from modelreg.domain.errors import DocumentError, first_error
from modelreg.domain.models import ModelFacts, RegistryConfig
from modelreg.operations.importing.plan import (
    MAX_TAGS,
    Author,
    ImportEvent,
    ImportPlan,
    Registration,
    Source,
    SourceFile,
    checked_manifest,
    from_millis,
    mapped_names,
)

LEGACY_STAGES = {"Staging": "staging", "Production": "production", "Archived": "archived"}
POLICIES = ("mirror", "initial")
MAX_MLMODEL_BYTES = 1024 * 1024


def plan_mlflow(
    server: MlflowServer,
    *,
    config: RegistryConfig,
    present: set[tuple[str, str]],
    imported: set[str],
    models: tuple[str, ...] = (),
    alias_map: dict[str, str] | None = None,
    policy: str = "mirror",
) -> ImportPlan:
    """The import plan for the registry at ``server`` (only ``models`` when given), skipping
    what ``imported`` (trailer keys of earlier imports) says is already in."""
    plan = ImportPlan(source="mlflow")
    registered: dict[str, RegisteredModel] = {}
    for m in server.registered_models():
        if registered.setdefault(m.name, m) is not m:
            raise MlflowError(f"MLflow server lists the registered model {m.name!r} twice")
    for wanted in models:
        if wanted not in registered:
            raise MlflowError(f"MLflow has no registered model {wanted!r}; `--model` takes its exact name")
    reading = _Reading(server=server, plan=plan, config=config, present=present, imported=imported)
    names = mapped_names(plan, [Source("mlflow", raw) for raw in sorted(models or registered)])
    for source, name in names.items():
        raw = source.name
        versions = server.model_versions(raw)
        numbers = _numbered(plan, source, versions)
        if numbers is None:
            continue
        kept = reading.versions(registered[raw], name, versions, numbers)
        if policy != "initial":
            reading.stages(name, versions, kept, numbers)
            reading.aliases(registered[raw], name, kept, alias_map or {})
    return plan


def _numbered(plan: ImportPlan, source: Source, versions: list[ModelVersion]) -> dict[str, str] | None:
    """Each MLflow version number's modelreg version (N -> N.0.0); None (and a line) when two
    of them would become one (``1`` and ``01``)."""
    numbers: dict[str, str] = {}
    seen: dict[str, str] = {}
    for mv in sorted(versions, key=lambda v: int(v.version)):
        version = f"{int(mv.version)}.0.0"
        if version in seen:
            plan.unmapped.append(
                f"{source} (its versions {seen[version]!r} and {mv.version!r} both become {version})"
            )
            return None
        seen[version], numbers[mv.version] = mv.version, version
    return numbers


@dataclass
class _Reading:
    """An MLflow registry being read into ``plan``."""

    server: MlflowServer
    plan: ImportPlan
    config: RegistryConfig
    present: set[tuple[str, str]]
    imported: set[str]

    def versions(
        self, model: RegisteredModel, name: str, versions: list[ModelVersion], numbers: dict[str, str]
    ) -> set[str]:
        """Plan the registration of each version not yet imported; return the versions that
        are in the registry after the import."""
        raw = model.name
        first = not any(n == name for n, _ in self.present)
        kept: set[str] = set()
        for mv in sorted(versions, key=lambda v: int(v.version)):
            version, key = numbers[mv.version], f"mlflow:{raw}/{mv.version}"
            if key in self.imported:
                self.plan.already += 1
            elif (name, version) in self.present:
                self.plan.unmapped.append(
                    f"{name}@{version} (MLflow {raw!r} v{mv.version}) is already in the registry; "
                    "left as it is"
                )
            else:
                event = _registration(
                    self.server, self.plan, mv, name=name, version=version, key=key, first=first, model=model
                )
                if event is None:
                    continue
                self.plan.events.append(event)
                first = False
            kept.add(version)
        return kept

    def stages(
        self, name: str, versions: list[ModelVersion], kept: set[str], numbers: dict[str, str]
    ) -> None:
        """Plan a move for each version MLflow has in a legacy stage."""
        for mv in sorted(versions, key=lambda v: int(v.version)):
            version, stage = numbers[mv.version], mv.current_stage
            if stage == "None" or version not in kept:
                continue
            when = mv.last_updated_timestamp
            self.move(
                name=name,
                raw=mv.name,
                version=version,
                to_stage=LEGACY_STAGES.get(stage, stage.lower()),
                key=f"mlflow:{mv.name}/{mv.version}/stage/{stage}/{when}",
                when=when,
                why=f"MLflow stage {stage} of {mv.name!r} v{mv.version}",
            )

    def aliases(self, model: RegisteredModel, name: str, kept: set[str], alias_map: dict[str, str]) -> None:
        """Plan a move for each alias ``alias_map`` maps to a stage; list the others."""
        raw = model.name
        for alias in sorted(model.aliases, key=lambda a: a.alias):
            label, number = alias.alias, alias.version
            version = f"{int(number)}.0.0"
            if label not in alias_map:
                self.plan.unmapped.append(
                    f"alias {label!r} of MLflow {raw!r} (v{number}) names no stage; "
                    f"map it with --alias-map {label}=STAGE"
                )
            elif version in kept:
                self.move(
                    name=name,
                    raw=raw,
                    version=version,
                    to_stage=alias_map[label],
                    key=f"mlflow:{raw}/alias/{label}/{number}",
                    when=model.last_updated_timestamp,
                    why=f"MLflow alias {label!r} of {raw!r} v{number}",
                )

    def move(
        self, *, name: str, raw: str, version: str, to_stage: str, key: str, when: int | None, why: str
    ) -> None:
        if key in self.imported:
            self.plan.already += 1
            return
        if to_stage not in self.config.stages:
            self.plan.unmapped.append(
                f"{why}: registry.yaml has no stage {to_stage!r}; {name}@{version} stays where it is"
            )
            return
        self.plan.events.append(
            ImportEvent(
                key=key,
                when=from_millis(when),
                author=UNKNOWN,
                model=name,
                version=version,
                source=Source("mlflow", raw),
                to_stage=to_stage,
                why=why,
            )
        )


# MLflow records no user for a stage change or an alias (the server has none without auth).
UNKNOWN = Author(name="MLflow", email="")


def _registration(
    server: MlflowServer,
    plan: ImportPlan,
    mv: ModelVersion,
    *,
    name: str,
    version: str,
    key: str,
    first: bool,
    model: RegisteredModel,
) -> ImportEvent | None:
    label = f"MLflow {mv.name!r} v{mv.version}"
    if mv.status != "READY":
        plan.unmapped.append(f"{label} is {mv.status}, not READY; not imported")
        return None
    run = server.run(mv.run_id) if mv.run_id else Run()
    user = mv.user_id or run.info.user_id or "mlflow"
    author = Author(name=user.split("@")[0][:200], email=user[:200] if "@" in user else "")
    try:
        files = _files(server, run, mv)
    except Unavailable as e:
        plan.unmapped.append(f"{label}: {e}; not imported")
        return None
    data = _manifest(plan, label, mv, run, files, name=name, version=version, author=author)
    refused = checked_manifest(data, files)
    if refused:
        plan.unmapped.append(f"{label}: {refused}; not imported")
        return None
    facts = _facts(plan, model, name) if first else None
    if first and facts is None:
        return None
    return ImportEvent(
        key=key,
        when=data["created_at"],
        author=author,
        model=name,
        version=version,
        source=Source("mlflow", model.name),
        registration=Registration(manifest=data, files=files, facts=facts),
        why=label,
    )


def _facts(plan: ImportPlan, model: RegisteredModel, name: str) -> ModelFacts | None:
    tags = [f"{t.key}={t.value}" for t in model.tags]
    if len(tags) > MAX_TAGS:
        plan.unmapped.append(
            f"MLflow {model.name!r}: it has {len(tags)} tags, more than the {MAX_TAGS} model.yaml may hold; "
            "not imported"
        )
        return None
    try:
        return ModelFacts(name=name, description=model.description or "", tags=tags)
    except ValidationError as e:
        plan.unmapped.append(f"MLflow {model.name!r}: model.yaml {first_error(e)}; not imported")
        return None


def _manifest(
    plan: ImportPlan,
    label: str,
    mv: ModelVersion,
    run: Run,
    files: list[SourceFile],
    *,
    name: str,
    version: str,
    author: Author,
) -> dict[str, Any]:
    """The manifest's facts (all but the artifacts) of MLflow version ``mv`` made by ``run``."""
    mlmodel = _mlmodel(files)
    data: dict[str, Any] = {
        "name": name,
        "version": version,
        "created_at": from_millis(mv.creation_timestamp),
        "created_by": str(author),
        "description": mv.description or "",
        "tags": [f"{t.key}={t.value}" for t in mv.tags],
        "metrics": _metrics(plan, label, run),
        "params": {p.key: p.value for p in run.data.params},
        "signature": signature_from_mlmodel(mlmodel, label),
        "framework": _framework(mlmodel),
        "code": _code(run),
        "custom": {
            "mlflow": {"model": mv.name, "version": mv.version, "run_id": mv.run_id, "source": mv.source}
        },
    }
    return {k: v for k, v in data.items() if v is not None}


def _files(server: MlflowServer, run: Run, mv: ModelVersion) -> list[SourceFile]:
    uri = server.download_uri(mv.name, mv.version) or mv.source or ""
    if uri.startswith("runs:/"):
        run_id, _, sub = uri[len("runs:/") :].partition("/")
        if run_id != run.info.run_id:
            run = server.run(run_id)
        uri = f"{run.info.artifact_uri.rstrip('/')}/{sub}".rstrip("/")
    listed = server.artifact_files(uri)
    return [SourceFile(path=f.path, size=f.size or 0, read=_reader(server, f)) for f in listed]


def _reader(server: MlflowServer, artifact: ArtifactFile) -> Callable[[], bytes]:
    return lambda: server.read(artifact)


def _mlmodel(files: list[SourceFile]) -> dict[str, Any]:
    for f in files:
        if f.path == "MLmodel" and f.size <= MAX_MLMODEL_BYTES:
            try:
                data = yamlio.load(f.read(), "MLmodel")
            except DocumentError:
                return {}
            return data if isinstance(data, dict) else {}
    return {}


class _Tensor(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")

    dtype: Annotated[str, StringConstraints(max_length=50)] = ""
    shape: Annotated[list[int], Field(max_length=32)] = []


class _Spec(BaseModel):
    """One column or tensor of an MLmodel signature (MLflow's JSON, in a string)."""

    model_config = ConfigDict(strict=True, extra="ignore", populate_by_name=True)

    name: Annotated[str, StringConstraints(max_length=200)] | None = None
    type: Annotated[str, StringConstraints(max_length=200)] | dict[str, Any] | None = None
    tensor: _Tensor | None = Field(default=None, alias="tensor-spec")


_SPECS = TypeAdapter(Annotated[list[_Spec], Field(max_length=10_000)])


def signature_from_mlmodel(mlmodel: dict[str, Any], label: str = "MLmodel") -> dict[str, Any] | None:
    """The manifest's signature for an MLflow ``MLmodel``'s: column name -> type for inputs
    and outputs (a tensor spec as ``tensor-N: dtype[shape]``, a nested type by its kind:
    ``array``, ``object``), or None without one; MlflowError for one that is malformed."""
    signature = mlmodel.get("signature")
    if not isinstance(signature, dict):
        return None
    found: dict[str, Any] = {}
    for part in ("inputs", "outputs"):
        text = signature.get(part)
        if text is None:
            continue
        try:
            specs = _SPECS.validate_json(text) if isinstance(text, str) else _SPECS.validate_python(text)
        except ValidationError as e:
            raise MlflowError(
                f"{label}: the MLmodel signature's {part} is malformed ({first_error(e)})"
            ) from None
        columns = {_column_name(spec, i): _column_type(spec) for i, spec in enumerate(specs)}
        if columns:
            found[part] = columns
    return found or None


def _column_name(spec: _Spec, i: int) -> str:
    return spec.name or (f"tensor-{i}" if spec.tensor is not None or spec.type == "tensor" else f"column-{i}")


def _column_type(spec: _Spec) -> str:
    if spec.tensor is not None or spec.type == "tensor":
        tensor = spec.tensor or _Tensor()
        return f"{tensor.dtype}{tensor.shape}"
    if isinstance(spec.type, dict):
        kind = spec.type.get("type")
        return kind if isinstance(kind, str) else "object"
    return str(spec.type)


def _framework(mlmodel: dict[str, Any]) -> dict[str, Any] | None:
    flavors = mlmodel.get("flavors")
    for flavor, facts in flavors.items() if isinstance(flavors, dict) else []:
        if flavor != "python_function":
            version = facts.get(f"{flavor}_version") if isinstance(facts, dict) else None
            return {"name": str(flavor)[:200], **({"version": str(version)[:200]} if version else {})}
    return None


def _metrics(plan: ImportPlan, label: str, run: Run) -> dict[str, float]:
    latest: dict[str, tuple[int, int, float]] = {}
    for m in run.data.metrics:
        order = (m.step, m.timestamp)
        if m.key not in latest or order >= latest[m.key][:2]:
            latest[m.key] = (*order, m.value)
    metrics = {}
    for key, (_, _, value) in sorted(latest.items()):
        if math.isfinite(value):
            metrics[key] = value
        else:
            plan.unmapped.append(f"{label}: metric {key} is {value}, which a manifest cannot hold; left out")
    return metrics


def _code(run: Run) -> dict[str, Any] | None:
    tags = {t.key: t.value for t in run.data.tags}
    commit, repo = tags.get("mlflow.source.git.commit"), tags.get("mlflow.source.git.repoURL")
    if not commit:
        return None
    return {"commit": commit, **({"repo": repo} if repo else {})}
