"""Time checking manifests against the schema, in process, on generated manifests.

    python benchmarks/validation.py [--manifests 5000] [--invalid 200] [--runs 5]

Generates manifests the way make_registry.py writes them (parsed once with modelreg's YAML
loader, outside the timing), then times ``schemas.check`` (the JSON Schema, then the typed
layer) on all of them, and the schema step alone where this checkout has one
(``schemas._schema_problems``). Invalid manifests are valid ones with one field broken in a
way only the schema sees. Each figure is the median of --runs passes, in microseconds per
manifest. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import copy
import itertools
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import make_registry  # noqa: E402

from modelreg.documents import (
    schemas,
    yamlio,  # noqa: E402
)

# one field broken in each way the schema refuses, in turn
BREAKS: list[tuple[str, Callable[[dict[str, Any]], None]]] = [
    ("unknown field", lambda m: m.update(colour="red")),
    ("missing artifacts", lambda m: m.pop("artifacts")),
    ("version as a number", lambda m: m.update(version=1.1)),
    ("metric as text", lambda m: m["metrics"].update(auc="high")),
    ("md5 not hex", lambda m: m["artifacts"][0].update(md5="x" * 32)),
    ("framework not an object", lambda m: m.update(framework="xgboost")),
]


def manifests(count: int, *, seed: int = 0) -> list[dict[str, Any]]:
    """``count`` manifests as make_registry.py writes them, parsed by modelreg's loader."""
    rng = random.Random(seed)
    seq = itertools.count()
    found: list[dict[str, Any]] = []
    index = 0
    while len(found) < count:
        plan = make_registry.plan_model(rng, index, 20, seq)
        for event in plan.events:
            if event.kind == "register" and len(found) < count:
                found.append(yamlio.load(event.text.encode(), f"{plan.name}/{event.version}.yaml"))
        index += 1
    return found


def broken(valid: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    made = []
    for i in range(count):
        doc = copy.deepcopy(valid[i % len(valid)])
        BREAKS[i % len(BREAKS)][1](doc)
        made.append(doc)
    return made


def per_item_us(fn: Callable[[Any], Any], items: list[Any], runs: int) -> float:
    fn(items[0])  # compile the validator, build the typed adapter
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        for item in items:
            fn(item)
        times.append(time.perf_counter() - start)
    return statistics.median(times) / len(items) * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--manifests", type=int, default=5000, help="valid manifests (default 5000)")
    parser.add_argument("--invalid", type=int, default=200, help="invalid manifests (default 200)")
    parser.add_argument("--runs", type=int, default=5, help="timed passes; the median is shown")
    args = parser.parse_args(argv)

    valid = manifests(args.manifests)
    invalid = broken(valid, args.invalid)
    assert all(not schemas.check("manifest", m)[0] for m in valid), "a generated manifest is invalid"
    assert all(schemas.check("manifest", m)[0] for m in invalid), "a broken manifest passed"

    rows = [
        ("schemas.check, valid", per_item_us(lambda m: schemas.check("manifest", m), valid, args.runs)),
        ("schemas.check, invalid", per_item_us(lambda m: schemas.check("manifest", m), invalid, args.runs)),
    ]
    schema_step = getattr(schemas, "_schema_problems", None)
    if schema_step is not None:
        rows.append(
            ("schema step, valid", per_item_us(lambda m: schema_step("manifest", m), valid, args.runs))
        )
        rows.append(
            ("schema step, invalid", per_item_us(lambda m: schema_step("manifest", m), invalid, args.runs))
        )
    print(f"{len(valid)} valid and {len(invalid)} invalid manifests, median of {args.runs} passes")
    for label, us in rows:
        print(f"  {label:<24} {us:9.1f} us per manifest")
    print("  one invalid manifest's problems:", schemas.check("manifest", invalid[0])[0])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
