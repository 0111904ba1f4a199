"""Fill .wheelhouse/ with the wheels the pre-commit hook's environment needs, so that
tests/test_ci_wiring.py can run `pre-commit try-repo` with no package index (PIP_NO_INDEX).

pre-commit's python language makes a virtualenv and runs `pip install .` on the hook's commit
(the `rev:` docs/workflows/ci.md shows): that needs modelreg's runtime dependencies and, for
the isolated build, its build backend. The wheelhouse holds exactly those, at the versions
installed in the running environment (.venv), for this checkout's pyproject.toml and that
rev's. Run by .ci/setup
with .venv's python; does nothing when .wheelhouse/pins.txt already lists the same pins.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

import tomllib
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

# what pip says on every run about a machine's own configuration (an index or find-links folder
# that does not exist): the same lines .ci/pip.sh leaves out of the other installs
MACHINE_NOISE = re.compile(r"^WARNING: Location '[^']*' is ignored: it is neither a file nor a directory\.$")

ROOT = Path(__file__).resolve().parent.parent
WHEELHOUSE = ROOT / ".wheelhouse"
PINS = WHEELHOUSE / "pins.txt"


def readme_rev() -> str:
    """The `rev:` of the documented .pre-commit-config.yaml example (as the test reads it)."""
    readme = (ROOT / "docs/workflows/ci.md").read_text()
    example = readme[readme.index("# .pre-commit-config.yaml") :]
    m = re.search(r"^    rev: (\S+)", example, re.M)
    if m is None:
        sys.exit("wheelhouse: no `rev:` in the .pre-commit-config.yaml example of docs/workflows/ci.md")
    return m.group(1)


def roots(pyproject: str) -> list[Requirement]:
    """The runtime dependencies and the build-system requirements of one pyproject.toml."""
    data = tomllib.loads(pyproject)
    names = data["project"].get("dependencies", []) + data["build-system"]["requires"]
    return [Requirement(r) for r in names]


def closure(start: list[Requirement]) -> dict[str, str]:
    """Installed name -> version of every distribution `start` needs (markers evaluated here)."""
    pins: dict[str, str] = {}
    seen: set[tuple[str, str]] = set()  # (name, extra) whose requirements are queued
    todo = [(r, "") for r in start]
    while todo:
        req, extra = todo.pop()
        if req.marker is not None and not req.marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(req.name)
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            sys.exit(f"wheelhouse: {req} is needed by the hook's environment but not installed here")
        if not req.specifier.contains(version, prereleases=True):
            sys.exit(f"wheelhouse: {req} is needed but {name} {version} is installed here")
        pins[name] = version
        for e in ["", *sorted(req.extras)]:
            if (name, e) not in seen:
                seen.add((name, e))
                todo += [(Requirement(r), e) for r in metadata.requires(name) or []]
    return pins


def main() -> None:
    rev = readme_rev()
    shown = subprocess.run(
        ["git", "show", f"{rev}:pyproject.toml"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if shown.returncode != 0:
        sys.exit(f"wheelhouse: cannot read pyproject.toml at the rev {rev}: {shown.stderr.strip()}")
    pins = closure(roots((ROOT / "pyproject.toml").read_text()) + roots(shown.stdout))
    pins.pop("modelreg", None)  # pip builds it from the hook's commit
    lines = "".join(f"{name}=={version}\n" for name, version in sorted(pins.items()))
    if PINS.is_file() and PINS.read_text() == lines:
        print(f"wheelhouse: up to date ({len(pins)} wheels in {WHEELHOUSE.name}/)")
        return
    WHEELHOUSE.mkdir(exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as reqs:
        reqs.write(lines)
        reqs.flush()
        pip = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(WHEELHOUSE)]
        made = subprocess.run([*pip, "-r", reqs.name], stderr=subprocess.PIPE, text=True)
        said = made.stderr.splitlines(keepends=True)
        sys.stderr.write("".join(line for line in said if not MACHINE_NOISE.match(line)))
        if made.returncode:
            sys.exit(f"wheelhouse: pip wheel failed (exit {made.returncode})")
    have: dict[str, Path] = {}
    for wheel in WHEELHOUSE.glob("*.whl"):
        name, version, _, _ = parse_wheel_filename(wheel.name)
        if name in pins and Version(pins[name]) == version:
            have[name] = wheel
        else:  # a version of an earlier run
            wheel.unlink()
    missing = sorted(set(pins) - set(have))
    if missing:
        sys.exit(f"wheelhouse: pip wheel made no wheel for {', '.join(missing)}")
    PINS.write_text(lines)
    print(f"wheelhouse: {len(pins)} wheels in {WHEELHOUSE.name}/")


if __name__ == "__main__":
    main()
