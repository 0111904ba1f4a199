"""The fast tier (``pytest -m "not slow"``) breaks every rule of the gate: each rule name the code
reports has a test here, named below, that is not marked slow and makes that rule refuse.

A new rule with no entry fails this test; so does marking the only test of a rule slow.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
# where rules name themselves: the rules, the gate, the remote check, the documents' loader
SOURCES = [
    *sorted((ROOT / "modelreg/rules").glob("*.py")),
    ROOT / "modelreg/operations/check.py",
    ROOT / "modelreg/operations/remote.py",
    *sorted((ROOT / "modelreg/documents").glob("*.py")),
    ROOT / "modelreg/domain/problems.py",
]
RULE_NAME = re.compile(r'\brule(?:: str)? ?= ?"([a-z-]+)"')

# rule -> (test file, test function, the case it is parametrized with or None)
FAST_TESTS: dict[str, tuple[str, str, str | None]] = {
    "yaml": ("test_cases.py", "test_invalid_case", "duplicate-key"),
    "schema": ("test_cases.py", "test_invalid_case", "metric-string"),
    "naming": ("test_cases.py", "test_invalid_case", "naming-rule"),
    "path": ("test_check.py", "test_invalid_change_fails_saying_why", "path-mismatch"),
    "layout": ("test_security.py", "test_a_symlinked_models_folder_is_not_followed", None),
    "config": ("test_cases.py", "test_invalid_case", "registry-two-initial"),
    "stages": ("test_check.py", "test_invalid_change_fails_saying_why", "unknown-stage"),
    "artifact": ("test_check.py", "test_invalid_change_fails_saying_why", "md5-mismatch"),
    "unsafe-path": ("test_cases.py", "test_invalid_case", "artifact-reserved-name"),
    "lineage": ("test_check.py", "test_invalid_change_fails_saying_why", "lineage-cycle"),
    "secret": (
        "test_remote.py",
        "test_validate_refuses_a_committed_secret_and_accepts_the_local_config",
        None,
    ),
    "policy": ("test_check.py", "test_invalid_change_fails_saying_why", "rules-relaxed-in-the-same-change"),
    "transition": ("test_check.py", "test_invalid_change_fails_saying_why", "transition-not-allowed"),
    "requirement": ("test_check.py", "test_invalid_change_fails_saying_why", "metric-below-minimum"),
    "capacity": ("test_check.py", "test_invalid_change_fails_saying_why", "max-versions"),
    "write-once": ("test_check.py", "test_invalid_change_fails_saying_why", "modified-manifest"),
    "collision": ("test_check.py", "test_invalid_change_fails_saying_why", "collision"),
    "deployment": ("test_deploy.py", "test_check_refuses_bad_deployments", None),
    "remote": ("test_security.py", "test_moving_the_dvc_remote_together_with_models_is_refused", None),
    "codeowners": ("test_check.py", "test_invalid_change_fails_saying_why", "stale-codeowners"),
    "evaluation-date": (
        "test_gate_dates.py",
        "test_finding_1_check_refuses_an_evaluation_dated_far_after_its_commit",
        None,
    ),
}
CASE_FOLDERS = {
    "test_invalid_case": lambda case: TESTS / "cases" / "invalid" / case / "case.yaml",
    "test_invalid_change_fails_saying_why": lambda case: TESTS / "check_cases" / "invalid" / f"{case}.yaml",
}


def _rules_in_the_code() -> set[str]:
    found = set()
    for path in SOURCES:
        for match in RULE_NAME.finditer(path.read_text(encoding="utf-8")):
            found.add(match.group(1))
    return found


def _slow(tree: ast.Module) -> bool:
    """Whether the module marks all its tests slow."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets
        ):
            return "slow" in ast.unparse(node.value)
    return False


def test_every_rule_the_code_reports_has_a_fast_test() -> None:
    missing = _rules_in_the_code() - set(FAST_TESTS)
    assert not missing, f"rules with no fast test named in FAST_TESTS: {sorted(missing)}"


def test_each_named_test_exists_in_the_fast_tier() -> None:
    for rule, (file, function, case) in FAST_TESTS.items():
        tree = ast.parse((TESTS / file).read_text(encoding="utf-8"))
        assert not _slow(tree), f"{rule}: {file} is marked slow"
        found = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function]
        assert found, f"{rule}: no {function} in {file}"
        assert not any("slow" in ast.unparse(d) for d in found[0].decorator_list), (
            f"{rule}: {function} is slow"
        )
        if case is not None:
            assert CASE_FOLDERS[function](case).is_file(), f"{rule}: no case {case!r} for {function}"
