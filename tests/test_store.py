"""The one store of derived data (.git/modelreg/store.sqlite): never a stale or wrong answer.

Editing any module of the package starts the store afresh, ``MODELREG_NO_CACHE=1`` turns all of
it off, and a damaged, foreign or locked store file is ignored or rebuilt, never a crash."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from history_repo import Built

import modelreg
from modelreg import store

pytestmark = pytest.mark.slow  # concurrent processes, locks and code edits against the store

PACKAGE = Path(modelreg.__file__).resolve().parent

# What each read command prints, and the store's kinds of value it reads when warm.
COMMANDS = {
    "validate": ["validate"],
    "list": ["list"],
    "show": ["show", "fraud@production", "--format", "json"],
    "history": ["history"],
    "history-json": ["history", "--format", "json"],
}

# An edit of one module in a copy of the package, the command whose cached answer it changes,
# and what that command prints once it no longer serves what the unedited code derived.
EDITS = [
    (
        "rules/validation.py",
        "validate",
        "\n_edited = check_snapshot\n\n\ndef check_snapshot(snap):\n    _edited(snap)\n"
        "    snap.problem('registry.yaml', 'a rule added by an edit', rule='edited')\n",
        "a rule added by an edit",
    ),
    (
        "documents/yamlio.py",
        "list",
        "\n_edited = load\n\n\ndef load(raw, path):\n    data = _edited(raw, path)\n"
        "    if isinstance(data, dict) and 'artifacts' in data and isinstance(data.get('metrics'), dict):\n"
        "        data['metrics'] = {'edited': 7.0, **data['metrics']}\n    return data\n",
        "edited=7",
    ),
    (
        "documents/yamlio.py",
        "show",
        "\n_edited = load\n\n\ndef load(raw, path):\n    data = _edited(raw, path)\n"
        "    if isinstance(data, dict) and 'artifacts' in data and isinstance(data.get('metrics'), dict):\n"
        "        data['metrics'] = {'edited': 7.0, **data['metrics']}\n    return data\n",
        '"edited": 7.0',
    ),
    (
        "render/history_report.py",
        "history",
        "\n_edited = change_text\n\n\ndef change_text(event):\n    return 'EDITED: ' + _edited(event)\n",
        "EDITED: ",
    ),
    ("history/approval.py", "history-json", "\n\ndef pr_number(subject):\n    return 4242\n", '"pr": 4242'),
]


def run(
    built: Built, args: list[str], *, package: Path | None = None, process: bool = False, **env: str
) -> str:
    """What ``modelreg ARGS`` prints (exit code, stdout, stderr), run from ``package``'s copy
    of modelreg when given."""
    extra = dict(env)
    if package is None and not process:
        r = built.cli(*args, env=extra)
    else:  # a process of its own (which imports the copy, when given)
        if package is not None:
            extra["PYTHONPATH"] = str(package.parent)
        r = built.cli_process(*args, env=extra)
    return f"{r.code}\n{r.out}\n{r.err}"


def store_file(built: Built) -> Path:
    return built.path / ".git" / "modelreg" / store.FILE


def kinds(built: Built) -> set[str]:
    with sqlite3.connect(store_file(built)) as db:
        return {kind for (kind,) in db.execute("SELECT DISTINCT kind FROM derived")}


def copy_package(tmp_path: Path) -> Path:
    target = tmp_path / "site" / "modelreg"
    shutil.copytree(PACKAGE, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def test_one_store_holds_every_derived_answer(hist: Built) -> None:
    answers = {name: run(hist, args) for name, args in COMMANDS.items()}
    assert [p.name for p in store_file(hist).parent.iterdir()] == [store.FILE]
    assert {"manifest", "manifest-data", "pointer", "history", "history-rows"} <= kinds(hist)
    assert {name: run(hist, args) for name, args in COMMANDS.items()} == answers


def test_no_cache_turns_all_of_it_off(hist: Built) -> None:
    uncached = {name: run(hist, args, MODELREG_NO_CACHE="1") for name, args in COMMANDS.items()}
    assert not (hist.path / ".git" / "modelreg").exists()
    assert {name: run(hist, args) for name, args in COMMANDS.items()} == uncached
    before = store_file(hist).read_bytes()
    assert {name: run(hist, args, MODELREG_NO_CACHE="1") for name, args in COMMANDS.items()} == uncached
    assert store_file(hist).read_bytes() == before  # nothing read back, nothing written


@pytest.mark.parametrize(("module", "command", "edit", "shown"), EDITS, ids=[f"{e[0]}-{e[1]}" for e in EDITS])
def test_editing_a_module_invalidates_every_cached_answer(
    hist: Built, tmp_path: Path, module: str, command: str, edit: str, shown: str
) -> None:
    package = copy_package(tmp_path)
    args = COMMANDS[command]
    found = run(hist, ["--version"], package=package)
    assert found.startswith("0\n"), found
    first = run(hist, args, package=package)
    assert shown not in first
    assert run(hist, args, package=package) == first  # warm: from the store
    assert kinds(hist)
    with open(package / module, "a", encoding="utf-8") as f:
        f.write(edit)
    edited = run(hist, args, package=package)
    assert shown in edited, edited
    assert run(hist, args, package=package) == edited


def test_the_code_stamp_covers_every_file_of_the_package(tmp_path: Path) -> None:
    package = copy_package(tmp_path)
    stamp = [sys.executable, "-c", "from modelreg import store; print(store.code_stamp())"]

    def stamp_now() -> str:
        env = {**os.environ, "PYTHONPATH": str(package.parent)}
        done = subprocess.run(stamp, env=env, cwd=package.parent, capture_output=True, text=True, check=True)
        return done.stdout

    seen = {stamp_now()}
    assert len(seen) == 1 and stamp_now() in seen  # the same code, the same stamp
    for name in (
        "domain/naming.py",
        "domain/refs.py",
        "operations/remote.py",
        "cli/doctor.py",
        "schemas/registry.schema.json",
    ):
        path = package / name
        assert path.is_file(), name
        path.write_bytes(path.read_bytes() + b"\n")  # a blank line more: nothing else changes
        found = stamp_now()
        assert found not in seen, name
        seen.add(found)


# -- a damaged store --------------------------------------------------------------------------


def _garbage(path: Path) -> None:
    path.write_bytes(os.urandom(4096))


def _truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _foreign_schema(path: Path) -> None:
    path.unlink()
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE derived (name TEXT)")
        db.execute("INSERT INTO derived VALUES ('not ours')")
        db.execute(f"PRAGMA user_version = {store.SCHEMA}")


def _other_version(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {store.SCHEMA + 7}")


def _flipped_values(path: Path) -> None:
    """Values changed behind the store's back (their checksums no longer match)."""
    with sqlite3.connect(path) as db:
        db.execute("UPDATE derived SET value = replace(replace(value, 'fraud', 'forge'), '0.9', '0.1')")


def _other_stamp(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("UPDATE derived SET stamp = 'other code'")


DAMAGES = [_garbage, _truncated, _empty, _foreign_schema, _other_version, _flipped_values, _other_stamp]


@pytest.mark.parametrize("damage", DAMAGES, ids=[d.__name__.strip("_") for d in DAMAGES])
def test_a_damaged_store_is_ignored_and_rebuilt(hist: Built, damage: object) -> None:
    uncached = {name: run(hist, args, MODELREG_NO_CACHE="1") for name, args in COMMANDS.items()}
    assert {name: run(hist, args) for name, args in COMMANDS.items()} == uncached
    assert callable(damage)
    damage(store_file(hist))
    assert {name: run(hist, args) for name, args in COMMANDS.items()} == uncached
    assert {name: run(hist, args) for name, args in COMMANDS.items()} == uncached
    assert {"manifest", "history", "history-rows"} <= kinds(hist)  # rebuilt


def test_a_locked_store_is_passed_by(hist: Built) -> None:
    uncached = {name: run(hist, args, MODELREG_NO_CACHE="1") for name, args in COMMANDS.items()}
    run(hist, ["list"])
    holder = sqlite3.connect(store_file(hist), isolation_level=None)
    try:
        holder.execute("PRAGMA journal_mode = DELETE")  # no WAL: a writer then locks readers out
        holder.execute("PRAGMA locking_mode = EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        holder.execute("DELETE FROM meta")
        assert {name: run(hist, args) for name, args in COMMANDS.items()} == uncached
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert {name: run(hist, args) for name, args in COMMANDS.items()} == uncached


def test_two_processes_fill_the_store_at_once(hist: Built) -> None:
    uncached = {name: run(hist, args, MODELREG_NO_CACHE="1") for name, args in COMMANDS.items()}
    found: dict[str, list[str]] = {name: [] for name in COMMANDS}

    def read_all() -> None:
        for name, args in COMMANDS.items():
            found[name].append(run(hist, args, process=True))

    threads = [threading.Thread(target=read_all) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert found == {name: [text, text] for name, text in uncached.items()}
    assert {name: run(hist, args) for name, args in COMMANDS.items()} == uncached


def test_a_read_only_store_still_answers(hist: Built) -> None:
    uncached = {name: run(hist, args, MODELREG_NO_CACHE="1") for name, args in COMMANDS.items()}
    # a file where the store's folder goes: nothing can be read or written there, root included
    (hist.path / ".git" / "modelreg").write_text("not a folder\n")
    assert {name: run(hist, args) for name, args in COMMANDS.items()} == uncached


def test_values_round_trip(tmp_path: Path) -> None:
    kept = store.Store(tmp_path / "s.sqlite")
    assert kept.get("k", "a") is None
    kept.put("k", "a", json.dumps({"x": [1, "é\x00"]}))
    kept.put("k", "b", "2")
    kept.save()
    again = store.Store(tmp_path / "s.sqlite")
    assert again.get_many("k", ["a", "b", "c"]) == {"a": json.dumps({"x": [1, "é\x00"]}), "b": "2"}
    for i in range(5):
        again.put("views", str(i), str(i), keep=2)
        again.save()
    assert store.Store(tmp_path / "s.sqlite").get_many("views", [str(i) for i in range(5)]) == {
        "3": "3",
        "4": "4",
    }
    assert store.Store(None).get("k", "a") is None
