"""Make the example models' artifacts: small, deterministic files, the same bytes every run.

This repository is itself a registry; its example versions point (through DVC) at these
files. Run it in a fresh clone to recreate them at their registry paths, then `dvc push`
(or `dvc commit`) to fill the DVC cache and the example remote:

    python examples/make_artifacts.py            # writes models/<model>/<version>/<file>
    python examples/make_artifacts.py --out DIR  # writes DIR/<model>-<version>/<file>
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

# (model, version, artifact file name, seed, number of weights)
ARTIFACTS = [
    ("fraud-detector", "1.0.0", "model.json", 1, 64),
    ("fraud-detector", "1.1.0", "model.json", 2, 64),
    ("fraud-detector", "1.2.0", "model.json", 3, 96),
    ("churn-predictor", "0.1.0", "model.json", 10, 32),
    ("churn-predictor", "0.2.0", "model.json", 11, 48),
]


def content(seed: int, size: int) -> bytes:
    """A toy linear model: seeded weights, serialized with sorted keys and fixed precision."""
    rng = random.Random(seed)  # noqa: S311 - not for security, for reproducible bytes
    weights = [round(rng.uniform(-1, 1), 6) for _ in range(size)]
    model = {"kind": "linear", "bias": round(rng.uniform(-1, 1), 6), "weights": weights}
    return (json.dumps(model, sort_keys=True, indent=1) + "\n").encode()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--out", type=Path, help="Write DIR/<model>-<version>/<file> instead of registry paths."
    )
    args = parser.parse_args()
    root = Path(__file__).resolve().parent.parent
    for model, version, name, seed, size in ARTIFACTS:
        if args.out:
            target = args.out / f"{model}-{version}" / name
        else:
            target = root / "models" / model / version / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content(seed, size))
        print(target)


if __name__ == "__main__":
    main()
