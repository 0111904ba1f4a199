"""Writing ``models/<model>/deployments.yaml``: environments sorted, one block each, so that a
deployment is a small diff."""

from __future__ import annotations

from modelreg.documents import yamlio
from modelreg.domain.models import Deployment

HEADER = "# yaml-language-server: $schema=../../schemas/deployments.schema.json"


def render(deployments: dict[str, Deployment]) -> str:
    """The text of a deployments.yaml holding ``deployments``."""
    data = {env: deployments[env].model_dump(mode="json", exclude_none=True) for env in sorted(deployments)}
    return yamlio.dump(data, header=HEADER)
