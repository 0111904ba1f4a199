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

import json
import math
from dataclasses import dataclass
from typing import Any

from modelreg.adapters.mlflow import ArtifactFile, MlflowError, MlflowServer
from modelreg.documents import yamlio
from modelreg.domain.errors import DocumentError
from modelreg.domain.models import ModelFacts, RegistryConfig
from modelreg.operations.importing.plan import (
    Author,
    ImportEvent,
    ImportPlan,
    Registration,
    SourceFile,
    checked_manifest,
    from_millis,
    model_name,
)

LEGACY_STAGES = {"Staging": "staging", "Production": "production", "Archived": "archived"}
POLICIES = ("mirror", "initial")


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
    registered = {m["name"]: m for m in server.registered_models()}
    for wanted in models:
        if wanted not in registered:
            raise MlflowError(f"MLflow has no registered model {wanted!r}; `--model` takes its exact name")
    reading = _Reading(server=server, plan=plan, config=config, present=present, imported=imported)
    taken: dict[str, str] = {}
    for raw in sorted(models or registered):
        name = model_name(raw)
        if not name or not name[0].isalpha() or taken.get(name, raw) != raw:
            plan.unmapped.append(
                f"MLflow model {raw!r}: no modelreg name (it maps to {name!r}); not imported"
            )
            continue
        taken[name] = raw
        versions = sorted(server.model_versions(raw), key=lambda v: int(v["version"]))
        kept = reading.versions(registered[raw], name, versions)
        if policy != "initial":
            reading.stages(name, versions, kept)
            reading.aliases(registered[raw], name, kept, alias_map or {})
    return plan


@dataclass
class _Reading:
    """An MLflow registry being read into ``plan``."""

    server: MlflowServer
    plan: ImportPlan
    config: RegistryConfig
    present: set[tuple[str, str]]
    imported: set[str]

    def versions(self, model: dict[str, Any], name: str, versions: list[dict[str, Any]]) -> set[str]:
        """Plan the registration of each version not yet imported; return the versions that
        are in the registry after the import."""
        raw = str(model["name"])
        first = not any(n == name for n, _ in self.present)
        kept: set[str] = set()
        for mv in versions:
            version, key = f"{int(mv['version'])}.0.0", f"mlflow:{raw}/{mv['version']}"
            if key in self.imported:
                self.plan.already += 1
            elif (name, version) in self.present:
                self.plan.unmapped.append(
                    f"{name}@{version} (MLflow {raw!r} v{mv['version']}) is already in the registry; "
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

    def stages(self, name: str, versions: list[dict[str, Any]], kept: set[str]) -> None:
        """Plan a move for each version MLflow has in a legacy stage."""
        for mv in versions:
            version, stage = f"{int(mv['version'])}.0.0", str(mv.get("current_stage") or "None")
            if stage == "None" or version not in kept:
                continue
            raw, when = mv["name"], mv.get("last_updated_timestamp")
            self.move(
                name=name,
                version=version,
                to_stage=LEGACY_STAGES.get(stage, stage.lower()),
                key=f"mlflow:{raw}/{mv['version']}/stage/{stage}/{when}",
                when=when,
                why=f"MLflow stage {stage} of {raw!r} v{mv['version']}",
            )

    def aliases(self, model: dict[str, Any], name: str, kept: set[str], alias_map: dict[str, str]) -> None:
        """Plan a move for each alias ``alias_map`` maps to a stage; list the others."""
        raw = str(model["name"])
        for alias in sorted(model.get("aliases") or [], key=lambda a: str(a["alias"])):
            label, number = str(alias["alias"]), str(alias["version"])
            version = f"{int(number)}.0.0"
            if label not in alias_map:
                self.plan.unmapped.append(
                    f"alias {label!r} of MLflow {raw!r} (v{number}) names no stage; "
                    f"map it with --alias-map {label}=STAGE"
                )
            elif version in kept:
                self.move(
                    name=name,
                    version=version,
                    to_stage=alias_map[label],
                    key=f"mlflow:{raw}/alias/{label}/{number}",
                    when=model.get("last_updated_timestamp"),
                    why=f"MLflow alias {label!r} of {raw!r} v{number}",
                )

    def move(self, *, name: str, version: str, to_stage: str, key: str, when: object, why: str) -> None:
        _move(
            self.plan,
            self.config,
            name=name,
            version=version,
            to_stage=to_stage,
            key=key,
            imported=self.imported,
            when=when,
            author=UNKNOWN,
            why=why,
        )


def _move(
    plan: ImportPlan,
    config: RegistryConfig,
    *,
    name: str,
    version: str,
    to_stage: str,
    key: str,
    imported: set[str],
    when: object,
    author: Author,
    why: str,
) -> None:
    if key in imported:
        plan.already += 1
        return
    if to_stage not in config.stages:
        plan.unmapped.append(
            f"{why}: registry.yaml has no stage {to_stage!r}; {name}@{version} stays where it is"
        )
        return
    plan.events.append(
        ImportEvent(
            key=key,
            when=from_millis(when),
            author=author,
            model=name,
            version=version,
            to_stage=to_stage,
            why=why,
        )
    )


# MLflow records no user for a stage change or an alias (the server has none without auth).
UNKNOWN = Author(name="MLflow", email="")


def _registration(
    server: MlflowServer,
    plan: ImportPlan,
    mv: dict[str, Any],
    *,
    name: str,
    version: str,
    key: str,
    first: bool,
    model: dict[str, Any],
) -> ImportEvent | None:
    label = f"MLflow {mv['name']!r} v{mv['version']}"
    if mv.get("status", "READY") != "READY":
        plan.unmapped.append(f"{label} is {mv.get('status')}, not READY; not imported")
        return None
    run = server.run(str(mv["run_id"])) if mv.get("run_id") else {}
    user = str(mv.get("user_id") or run.get("info", {}).get("user_id") or "mlflow")
    author = Author(name=user.split("@")[0], email=user if "@" in user else "")
    try:
        files = _files(server, run, mv)
    except MlflowError as e:
        plan.unmapped.append(f"{label}: {e}; not imported")
        return None
    data = _manifest(plan, label, mv, run, files, name=name, version=version, author=author)
    refused = checked_manifest(data, files)
    if refused:
        plan.unmapped.append(f"{label}: {refused}; not imported")
        return None
    facts = None
    if first:
        tags = [f"{t['key']}={t['value']}" for t in model.get("tags") or []]
        facts = ModelFacts(name=name, description=str(model.get("description") or ""), tags=tags)
    return ImportEvent(
        key=key,
        when=data["created_at"],
        author=author,
        model=name,
        version=version,
        registration=Registration(manifest=data, files=files, facts=facts),
        why=label,
    )


def _manifest(
    plan: ImportPlan,
    label: str,
    mv: dict[str, Any],
    run: dict[str, Any],
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
        "created_at": from_millis(mv.get("creation_timestamp")),
        "created_by": str(author),
        "description": str(mv.get("description") or ""),
        "tags": [f"{t['key']}={t['value']}" for t in mv.get("tags") or []],
        "metrics": _metrics(plan, label, run),
        "params": {p["key"]: p["value"] for p in run.get("data", {}).get("params", [])},
        "signature": signature_from_mlmodel(mlmodel),
        "framework": _framework(mlmodel),
        "code": _code(run),
        "custom": {
            "mlflow": {
                "model": mv["name"],
                "version": str(mv["version"]),
                "run_id": mv.get("run_id"),
                "source": mv.get("source"),
            }
        },
    }
    return {k: v for k, v in data.items() if v is not None}


def _files(server: MlflowServer, run: dict[str, Any], mv: dict[str, Any]) -> list[SourceFile]:
    uri = server.download_uri(str(mv["name"]), str(mv["version"])) or str(mv.get("source") or "")
    if uri.startswith("runs:/"):
        run_id, _, sub = uri[len("runs:/") :].partition("/")
        if run_id != run.get("info", {}).get("run_id"):
            run = server.run(run_id)
        uri = f"{run.get('info', {}).get('artifact_uri', '').rstrip('/')}/{sub}".rstrip("/")
    listed = server.artifact_files(uri)
    return [SourceFile(path=f.path, size=f.size, read=_reader(server, f)) for f in listed]


def _reader(server: MlflowServer, artifact: ArtifactFile) -> Any:
    return lambda: server.read(artifact)


def _mlmodel(files: list[SourceFile]) -> dict[str, Any]:
    for f in files:
        if f.path == "MLmodel":
            try:
                data = yamlio.load(f.read(), "MLmodel")
            except DocumentError:
                return {}
            return data if isinstance(data, dict) else {}
    return {}


def signature_from_mlmodel(mlmodel: dict[str, Any]) -> dict[str, Any] | None:
    """The manifest's signature for an MLflow ``MLmodel``'s: column name -> type for inputs
    and outputs (a tensor spec as ``tensor-N: dtype[shape]``), or None without one."""
    signature = mlmodel.get("signature")
    if not isinstance(signature, dict):
        return None
    found: dict[str, Any] = {}
    for part in ("inputs", "outputs"):
        try:
            specs = json.loads(signature.get(part) or "[]")
        except (TypeError, ValueError):
            continue
        columns: dict[str, str] = {}
        for i, spec in enumerate(specs if isinstance(specs, list) else []):
            if not isinstance(spec, dict):
                continue
            if "tensor-spec" in spec or spec.get("type") == "tensor":
                tensor = spec.get("tensor-spec", {})
                columns[str(spec.get("name") or f"tensor-{i}")] = (
                    f"{tensor.get('dtype')}{tensor.get('shape')}"
                )
            else:
                columns[str(spec.get("name") or f"column-{i}")] = str(spec.get("type"))
        if columns:
            found[part] = columns
    return found or None


def _framework(mlmodel: dict[str, Any]) -> dict[str, Any] | None:
    flavors = mlmodel.get("flavors")
    for flavor, facts in flavors.items() if isinstance(flavors, dict) else []:
        if flavor != "python_function":
            version = facts.get(f"{flavor}_version") if isinstance(facts, dict) else None
            return {"name": str(flavor), **({"version": str(version)} if version else {})}
    return None


def _metrics(plan: ImportPlan, label: str, run: dict[str, Any]) -> dict[str, float]:
    latest: dict[str, tuple[int, int, float]] = {}
    for m in run.get("data", {}).get("metrics", []):
        order = (int(m.get("step") or 0), int(m.get("timestamp") or 0))
        if m["key"] not in latest or order >= latest[m["key"]][:2]:
            latest[m["key"]] = (*order, float(m["value"]))
    metrics = {}
    for key, (_, _, value) in sorted(latest.items()):
        if math.isfinite(value):
            metrics[key] = value
        else:
            plan.unmapped.append(f"{label}: metric {key} is {value}, which a manifest cannot hold; left out")
    return metrics


def _code(run: dict[str, Any]) -> dict[str, Any] | None:
    tags = {t["key"]: t["value"] for t in run.get("data", {}).get("tags", [])}
    commit, repo = tags.get("mlflow.source.git.commit"), tags.get("mlflow.source.git.repoURL")
    if not commit:
        return None
    return {"commit": commit, **({"repo": repo} if repo else {})}
