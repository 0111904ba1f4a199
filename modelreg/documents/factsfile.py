"""Writing ``models/<model>/model.yaml``: a model's facts (description, owner, tags), the one
writer ``register`` and ``describe`` share."""

from __future__ import annotations

from modelreg.documents import schemas, yamlio
from modelreg.domain.models import ModelFacts

HEADER = "# yaml-language-server: $schema=../../schemas/model.schema.json"


def render(facts: ModelFacts) -> str:
    """The text of a model.yaml holding ``facts``."""
    return yamlio.dump(schemas.model_to_data(facts), header=HEADER)
