"""A model's signature (its inputs and outputs: names, types, shapes): read from modelreg's own
form or from MLflow's, and two of them compared.

MLflow writes a signature as ``{"inputs": "<JSON text>", "outputs": "<JSON text>"}``: each side
a JSON-encoded list of column specs (``{"name": "age", "type": "long"}``) or tensor specs
(``{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}}``). An MLflow
importer reuses ``signature_from_mlflow``; ``register --signature-file`` accepts either form.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from modelreg.domain.errors import InvalidInputError
from modelreg.domain.models import Signature, SignatureField, SignatureFields

Side = Literal["inputs", "outputs"]


def signature_from_mlflow(obj: Any) -> dict[str, Any]:
    """MLflow's signature (as in an ``MLmodel`` file or ``ModelSignature.to_dict()``) as
    modelreg's plain data: ``{"inputs": [{"name", "type", "shape"?, "optional"?}], "outputs": [...]}``.
    Raises InvalidInputError when ``obj`` is not one."""
    if not isinstance(obj, dict) or not isinstance(obj.get("inputs"), str):
        raise InvalidInputError("not an MLflow signature: expected inputs as JSON-encoded text")
    converted: dict[str, Any] = {}
    for side in ("inputs", "outputs"):
        text = obj.get(side)
        if text is None:
            converted[side] = []
            continue
        try:
            specs = json.loads(text) if isinstance(text, str) else None
        except ValueError as e:
            raise InvalidInputError(f"MLflow signature {side}: not JSON ({e})") from None
        if not isinstance(specs, list):
            raise InvalidInputError(
                f"MLflow signature {side}: expected a JSON list of column or tensor specs"
            )
        converted[side] = [_mlflow_spec(spec, f"{side}[{i}]") for i, spec in enumerate(specs)]
    return converted


def _mlflow_spec(spec: Any, where: str) -> dict[str, Any]:
    if not isinstance(spec, dict) or "type" not in spec:
        raise InvalidInputError(f"MLflow signature {where}: expected a column or tensor spec with a type")
    field: dict[str, Any] = {}
    if spec.get("name") is not None:
        field["name"] = str(spec["name"])
    if spec["type"] == "tensor":
        tensor = spec.get("tensor-spec")
        if not isinstance(tensor, dict) or not isinstance(tensor.get("dtype"), str):
            raise InvalidInputError(f"MLflow signature {where}: a tensor spec needs tensor-spec.dtype")
        field["type"] = tensor["dtype"]
        shape = tensor.get("shape")
        if shape is not None:
            if not isinstance(shape, list) or not all(isinstance(n, int) for n in shape):
                raise InvalidInputError(
                    f"MLflow signature {where}: tensor-spec.shape must be a list of integers"
                )
            field["shape"] = shape
    else:
        field["type"] = _mlflow_type(spec, where)
    if spec.get("required") is False or spec.get("optional") is True:
        field["optional"] = True
    return field


def _mlflow_type(spec: Any, where: str) -> str:
    """A column's type name; composite types spelled ``array<double>``, ``map<string>``, ``object``."""
    if not isinstance(spec, dict) or not isinstance(spec.get("type"), str):
        raise InvalidInputError(f"MLflow signature {where}: a type must be a name")
    kind: str = spec["type"]
    if kind == "array":
        return f"array<{_mlflow_type(spec.get('items'), where)}>"
    if kind == "map":
        return f"map<{_mlflow_type(spec.get('values'), where)}>"
    return kind


def parse_signature(obj: Any, where: str) -> Signature:
    """A signature in modelreg's form or MLflow's (also a whole ``MLmodel`` document, whose
    ``signature:`` is used); InvalidInputError naming ``where`` when it is not one."""
    if isinstance(obj, dict) and "inputs" not in obj and isinstance(obj.get("signature"), dict):
        obj = obj["signature"]
    if not isinstance(obj, dict) or "inputs" not in obj:
        raise InvalidInputError(f"{where}: not a signature: expected a mapping with inputs (and outputs)")
    try:
        data = signature_from_mlflow(obj) if isinstance(obj.get("inputs"), str) else obj
        return Signature.model_validate(data)
    except InvalidInputError as e:
        raise InvalidInputError(f"{where}: {e}") from None
    except ValidationError as e:
        first = e.errors()[0]
        place = ".".join(str(x) for x in first["loc"])
        raise InvalidInputError(f"{where}: not a signature: {place}: {first['msg']}") from None


def fields(spec: SignatureFields) -> list[SignatureField]:
    """Inputs or outputs as a list of fields (the short form ``{name: type}`` expanded)."""
    if isinstance(spec, dict):
        return [SignatureField(name=name, type=kind) for name, kind in spec.items()]
    return list(spec)


def describe(field: SignatureField) -> str:
    """``double``, ``float32[-1, 4]``, ``string (optional)``."""
    text = field.type
    if field.shape is not None:
        text += "[" + ", ".join(str(n) for n in field.shape) + "]"
    return text + (" (optional)" if field.optional else "")


class FieldChange(BaseModel):
    """One input or output that differs between two signatures."""

    side: Side
    name: str  # the field's name, or #N for an unnamed one
    change: Literal["added", "removed", "changed"]
    before: str | None = None
    after: str | None = None


class SignatureDiff(BaseModel):
    """How a signature changed from ``before`` to ``after``."""

    changes: list[FieldChange] = []
    before_missing: bool = False
    after_missing: bool = False

    @property
    def inputs_changed(self) -> bool:
        return any(c.side == "inputs" for c in self.changes) or (
            self.after_missing and not self.before_missing
        )

    @property
    def unchanged(self) -> bool:
        return not self.changes and self.before_missing == self.after_missing


def diff(before: Signature | None, after: Signature | None) -> SignatureDiff:
    """Every field added, removed or changed from ``before`` to ``after`` (matched by name)."""
    result = SignatureDiff(before_missing=before is None, after_missing=after is None)
    if before is None or after is None:
        return result
    for side in ("inputs", "outputs"):
        old, new = _named(getattr(before, side)), _named(getattr(after, side))
        for name in [*old, *(n for n in new if n not in old)]:
            was, now = old.get(name), new.get(name)
            if was == now:
                continue
            change: Literal["added", "removed", "changed"] = (
                "added" if was is None else "removed" if now is None else "changed"
            )
            result.changes.append(FieldChange(side=side, name=name, change=change, before=was, after=now))
    return result


def _named(spec: SignatureFields) -> dict[str, str]:
    return {f.name if f.name is not None else f"#{i}": describe(f) for i, f in enumerate(fields(spec))}


def summary(found: SignatureDiff) -> str:
    """One line: ``input schema changed: amount double -> string; added country``, or ``unchanged``."""
    if found.before_missing and found.after_missing:
        return "neither records a signature"
    if found.before_missing or found.after_missing:
        return "only one records a signature"
    if not found.changes:
        return "unchanged"
    parts = []
    for side in ("inputs", "outputs"):
        changes = [c for c in found.changes if c.side == side]
        if changes:
            label = "input schema changed" if side == "inputs" else "outputs changed"
            parts.append(f"{label}: " + ", ".join(_change_text(c) for c in changes))
    return "; ".join(parts)


def _change_text(c: FieldChange) -> str:
    if c.change == "changed":
        return f"{c.name} {c.before} -> {c.after}"
    return f"{c.change} {c.name} ({c.after if c.change == 'added' else c.before})"
