"""The registry's documents as typed objects. The JSON Schemas in ``schemas/`` are generated
from these classes (``modelreg.documents.schemas``); a test fails when a committed schema is stale."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from pydantic_core import PydanticCustomError

from modelreg.domain.layout import ENVIRONMENT_PATTERN, NAME_PATTERN, STAGE_PATTERN
from modelreg.domain.semver import SEMVER_PATTERN

DEFAULT_MODEL_NAMING = r"^[a-z][a-z0-9-]{0,62}$"

ModelName = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
StageName = Annotated[str, StringConstraints(pattern=STAGE_PATTERN)]
VersionText = Annotated[str, StringConstraints(pattern=rf"^{SEMVER_PATTERN}$", max_length=64)]
Md5 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}(\.dir)?$")]
Metric = Annotated[float, Field(allow_inf_nan=False)]
ShortText = Annotated[str, StringConstraints(max_length=200)]
ParamValue = str | int | float | bool | None


class Strict(BaseModel):
    # defer_build: a core schema is built when a class is first used, not at import (most
    # commands use few of them; building all took a tenth of a warm `modelreg list`)
    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)


# --- the version manifest: models/<model>/<version>.yaml ---------------------------------


class Framework(Strict):
    name: ShortText
    version: ShortText | None = None


class Artifact(Strict):
    """One file or folder of a version, as its DVC pointer records it."""

    path: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    md5: Md5
    size: Annotated[int, Field(ge=0)]
    nfiles: Annotated[int, Field(ge=0)] | None = None


class Dataset(Strict):
    """A dataset a version was trained or evaluated on, by name with a version and/or hash."""

    name: ShortText
    version: ShortText | None = None
    md5: ShortText | None = None
    uri: ShortText | None = None


class Parent(Strict):
    ref: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,99}@.+$")]
    relation: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,39}$")] = "derived"


class Lineage(Strict):
    parents: list[Parent] = []


class Code(Strict):
    """The training code: its repository (URL without credentials), commit and whether the work
    tree had uncommitted changes when the version was registered."""

    repo: ShortText | None = None
    commit: ShortText | None = None
    path: ShortText | None = None
    dirty: bool | None = None


class Run(Strict):
    """The experiment tracker's run that trained the version (MLflow, W&B, ...)."""

    id: ShortText | None = None
    url: Annotated[str, StringConstraints(max_length=2000)] | None = None


# A type name: MLflow's column types (double, long, string...), numpy dtypes (float32...),
# or a composite such as array<double>.
TypeName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_.<>, ]{0,199}$")]


class SignatureField(Strict):
    """One input or output: a named column, or a tensor with a shape (-1: any size)."""

    name: ShortText | None = None
    type: TypeName
    shape: Annotated[list[Annotated[int, Field(ge=-1)]], Field(max_length=32)] | None = None
    optional: bool = False


# A signature's inputs or outputs: a list of fields, or the short form {name: type}.
SignatureFields = Annotated[list[SignatureField], Field(max_length=10000)] | dict[ShortText, TypeName]


class Signature(Strict):
    """What the model takes and returns: names, types and shapes."""

    inputs: SignatureFields
    outputs: SignatureFields = []


# A pinned dependency, as pip writes it: NAME[extras]==VERSION.
PIN_PATTERN = (
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(\[[A-Za-z0-9._, -]{1,100}\])?==[A-Za-z0-9][A-Za-z0-9.+!_-]{0,63}$"
)
PinnedRequirement = Annotated[str, StringConstraints(pattern=PIN_PATTERN)]


EvaluationKind = Literal["offline", "shadow", "online", "ab"]


class Evaluation(Strict):
    """A later evaluation of a version; the one thing that may be appended to a manifest."""

    dataset: Dataset
    metrics: dict[str, Metric]
    kind: EvaluationKind = "offline"
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None
    created_at: datetime
    created_by: ShortText | None = None


class Manifest(Strict):
    """A model version: written once when registered, never edited (evaluations may grow)."""

    schema_version: Literal[1] = 1
    name: ModelName
    version: VersionText
    created_at: datetime
    created_by: ShortText
    description: Annotated[str, StringConstraints(max_length=5000)] = ""
    framework: Framework | None = None
    algorithm: ShortText | None = None
    tags: list[ShortText] = []
    artifacts: Annotated[list[Artifact], Field(min_length=1)]
    metrics: dict[str, Metric] = {}
    params: dict[str, ParamValue] = {}
    data: dict[str, Dataset] = {}
    lineage: Lineage = Lineage()
    code: Code | None = None
    run: Run | None = None
    signature: Signature | None = None
    dependencies: Annotated[list[PinnedRequirement], Field(max_length=2000)] = []
    intended_use: Annotated[str, StringConstraints(max_length=5000)] = ""
    limitations: Annotated[str, StringConstraints(max_length=5000)] = ""
    evaluations: list[Evaluation] = []
    custom: dict[str, Any] = {}

    @field_validator("params")
    @classmethod
    def _finite_params(cls, params: dict[str, ParamValue]) -> dict[str, ParamValue]:
        """NaN and infinity have no JSON spelling: `show --format json` would print invalid JSON."""
        for key, value in params.items():
            if isinstance(value, float) and not math.isfinite(value):
                raise PydanticCustomError("finite_number", "'{key}' must be a finite number", {"key": key})
        return params


# --- models/<model>/model.yaml -------------------------------------------------------------


class ModelFacts(Strict):
    """Facts about a model as a whole: who owns it and what it is for."""

    schema_version: Literal[1] = 1
    name: ModelName
    description: Annotated[str, StringConstraints(max_length=5000)] = ""
    owner: ShortText | None = None
    tags: list[ShortText] = []


# --- models/<model>/stages.yaml ------------------------------------------------------------

StagesDocument = dict[StageName, VersionText | list[VersionText]]


# --- models/<model>/deployments.yaml -------------------------------------------------------

EnvironmentName = Annotated[str, StringConstraints(pattern=ENVIRONMENT_PATTERN)]


class Deployment(Strict):
    """What runs in one environment: a version, and optionally where and with how much traffic."""

    version: VersionText
    endpoint: Annotated[str, StringConstraints(max_length=500)] | None = None
    traffic: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] | None = None


DeploymentsDocument = dict[EnvironmentName, Deployment]


# --- registry.yaml -------------------------------------------------------------------------


class MetricBound(Strict):
    min: Metric | None = None  # NaN would make every comparison false
    max: Metric | None = None


class Requirements(Strict):
    """What a version must have before it may enter a stage."""

    fields: list[ShortText] = []
    metrics: dict[str, MetricBound] = {}
    not_worse_than_current: list[str] = []
    signature_unchanged: bool = False  # the same signature as the stage's current holder
    # dataset name -> metric -> bound, met by the latest evaluation on a dataset of that name
    evaluations: dict[ShortText, dict[str, MetricBound]] = {}


class StagePolicy(Strict):
    initial: bool = False
    from_: list[StageName] = Field(default=[], alias="from")
    max_versions: Annotated[int, Field(ge=1)] | None = None
    displace_to: StageName | None = None
    requires: Requirements = Requirements()


class EnvironmentPolicy(Strict):
    """An environment a model can be deployed to, and the stage(s) a version must hold there."""

    stage: StageName | Annotated[list[StageName], Field(min_length=1)]
    description: ShortText = ""

    @property
    def stages(self) -> list[str]:
        return [self.stage] if isinstance(self.stage, str) else list(self.stage)


class Naming(Strict):
    model: str = DEFAULT_MODEL_NAMING


class CheckSettings(Strict):
    remote: bool = False


class RegistryConfig(Strict):
    """registry.yaml: the stages and their transitions, policies and metric goals."""

    schema_version: Literal[1] = 1
    name: ShortText
    stages: Annotated[dict[StageName, StagePolicy], Field(min_length=1)]
    metrics: dict[str, Literal["maximize", "minimize"]] = {}
    naming: Naming = Naming()
    stages_owner: ShortText | None = None
    check: CheckSettings = CheckSettings()
    environments: dict[EnvironmentName, EnvironmentPolicy] = {}

    @property
    def initial_stage(self) -> str:
        for name, policy in self.stages.items():
            if policy.initial:
                return name
        return next(iter(self.stages))

    def stage_of(self, stages: dict[str, list[str]], version: str) -> str:
        """The stage ``version`` effectively stands in: where ``stages`` (a model's stages.yaml)
        lists it, else the initial stage. The one definition every rule and read uses."""
        for stage, held in stages.items():
            if version in held:
                return stage
        return self.initial_stage

    def named_metrics(self) -> dict[str, str]:
        """Each metric name the policy uses, with why: a stage requires it, or ``metrics:`` ranks it."""
        named: dict[str, str] = {}
        for stage, policy in self.stages.items():
            for metric in [*policy.requires.metrics, *policy.requires.not_worse_than_current]:
                named.setdefault(metric, f"{stage} requires it")
        for metric in self.metrics:
            named.setdefault(metric, "registry.yaml ranks it")
        return named

    def displace_target(self, stage: str) -> str:
        """Where a holder goes when ``stage`` is full: the stage's setting, else ``archived``."""
        policy = self.stages[stage]
        if policy.displace_to:
            return policy.displace_to
        return "archived" if "archived" in self.stages else self.initial_stage


def default_config(name: str) -> RegistryConfig:
    """The usual lifecycle: development -> staging -> production -> deprecated/archived."""
    return RegistryConfig.model_validate(
        {
            "name": name,
            "stages": {
                "development": {"initial": True, "from": ["archived"]},
                "staging": {"from": ["development"], "max_versions": 3},
                "production": {
                    "from": ["staging"],
                    "max_versions": 1,
                    "displace_to": "archived",
                    "requires": {"fields": ["description"]},
                },
                "deprecated": {"from": ["production", "staging"]},
                "archived": {"from": ["development", "staging", "production", "deprecated"]},
            },
            "metrics": {},
        }
    )


# --- what the read API returns -------------------------------------------------------------


class ModelVersion(BaseModel):
    """A version as the registry sees it: its manifest and the stage it stands in."""

    model_config = ConfigDict(defer_build=True)

    name: str
    version: str
    stage: str
    manifest: Manifest

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"


class ModelSummary(BaseModel):
    """A model with its facts, its versions (oldest first) and who holds each stage."""

    model_config = ConfigDict(defer_build=True)

    name: str
    description: str = ""
    owner: str | None = None
    tags: list[str] = []
    versions: list[str] = []
    latest: str | None = None
    stages: dict[str, list[str]] = {}
