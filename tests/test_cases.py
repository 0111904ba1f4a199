"""Validator cases are folders: tests/cases/{valid,invalid}/<case>/, each laid over cases/base.

A case folder holds the files it adds or replaces and a case.yaml with ``expect`` (text each
problem line must contain, in order of appearance) or ``exact`` (every problem line, exactly),
and ``remove`` (base files to delete).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import cli

CASES = Path(__file__).parent / "cases"


def _cases(kind: str) -> list[Path]:
    return sorted(p for p in (CASES / kind).iterdir() if p.is_dir())


def _build(case: Path, tmp_path: Path) -> tuple[Path, dict[str, list[str]]]:
    target = tmp_path / "registry"
    shutil.copytree(CASES / "base", target)
    meta = yaml.safe_load((case / "case.yaml").read_text()) or {}
    for rel in meta.get("remove", []):
        (target / rel).unlink()
    for src in case.rglob("*"):
        if src.is_file() and src.name != "case.yaml":
            dest = target / src.relative_to(case)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)
    subprocess.run(["git", "init", "-q", str(target)], check=True)
    return target, meta


@pytest.mark.parametrize("case", _cases("valid"), ids=lambda p: p.name)
def test_valid_case(case: Path, tmp_path: Path) -> None:
    from modelreg.registry import Registry

    path, _ = _build(case, tmp_path)
    report = Registry(path).validate()
    assert report.ok, [str(p) for p in report.problems]


@pytest.mark.parametrize("case", _cases("invalid"), ids=lambda p: p.name)
def test_invalid_case(case: Path, tmp_path: Path) -> None:
    from modelreg.registry import Registry

    path, meta = _build(case, tmp_path)
    report = Registry(path).validate()
    assert not report.ok
    if "exact" in meta:
        assert [str(p) for p in report.problems] == meta["exact"]
        return
    output = "\n".join(str(p) for p in report.problems)
    for text in meta["expect"]:
        assert text in output, f"expected {text!r} in:\n{output}"


def test_invalid_case_through_the_cli(tmp_path: Path) -> None:
    path, _ = _build(CASES / "invalid" / "md5-mismatch", tmp_path)
    result = cli("validate", cwd=path)
    assert result.code == 1
    assert "Traceback" not in result.err
    assert result.out.startswith("models/fraud/1.1.0.yaml:8: artifact models/fraud/1.1.0/model.bin")
    assert "1 problem" in result.err


def test_enough_invalid_cases() -> None:
    assert len(_cases("invalid")) >= 25
