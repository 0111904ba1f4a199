"""`modelreg import gto` against repositories made with the `gto` CLI itself: registrations,
assignments, unassignments, deregistrations and deprecations are replayed in tag order with
GTO's taggers and dates; a second run imports only what is new; a dry run or a failure writes
nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from conftest import Reg, git

pytestmark = pytest.mark.slow  # repositories made with the gto CLI, replayed end to end

GTO = Path(sys.executable).with_name("gto")

ANNOTATIONS = """\
fraud: {type: model, path: models/fraud.pkl, description: fraud scores, labels: [tabular, risk]}
churn: {type: model, path: models/churn.bin, description: who leaves}
ranker: {type: model, path: models/ranker, description: search ranking}
"""


class GtoRepo:
    """A Git repository that GTO's own CLI writes to, as the person ``who``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir()
        git("init", "-q", "-b", "main", cwd=path)

    def as_(self, who: str) -> GtoRepo:
        email = f"{who.lower()}@example.org"
        self.env = {**os.environ} | {
            f"GIT_{r}_{f}": v for r in ("AUTHOR", "COMMITTER") for f, v in (("NAME", who), ("EMAIL", email))
        }
        return self

    def write(self, files: dict[str, str], message: str) -> None:
        for rel, text in files.items():
            (self.path / rel).parent.mkdir(parents=True, exist_ok=True)
            (self.path / rel).write_text(text)
        git("add", "-A", cwd=self.path)
        subprocess.run(["git", "commit", "-q", "-m", message], cwd=self.path, env=self.env, check=True)

    def gto(self, *args: str) -> None:
        # A tag's date has a second's resolution: each GTO step starts in a second of its own, so
        # the order the importer reads from the dates is the order they happened in.
        time.sleep(1.02 - time.time() % 1)
        done = subprocess.run([str(GTO), *args], cwd=self.path, capture_output=True, text=True, env=self.env)
        assert done.returncode == 0, done.stdout + done.stderr

    def tags(self) -> dict[str, tuple[str, str]]:
        """tag -> (tagger name, tagger date in UTC)."""
        out = git(
            "for-each-ref",
            "--format=%(refname:strip=2)%00%(taggername)%00%(taggerdate:unix)",
            "refs/tags",
            cwd=self.path,
        )
        found = {}
        for line in out.splitlines():
            tag, name, unix = line.split("\0")
            if unix:
                when = datetime.fromtimestamp(int(unix), tz=timezone.utc)
                found[tag] = (name, when.strftime("%Y-%m-%dT%H:%M:%SZ"))
        return found


def build(path: Path) -> GtoRepo:
    """Three models, several versions each, with stage history by three people."""
    repo = GtoRepo(path).as_("Ann")
    repo.write(
        {"artifacts.yaml": ANNOTATIONS, "models/fraud.pkl": "fraud v1", "models/churn.bin": "churn v1",
         "models/ranker/weights.txt": "ranker v1", "models/ranker/vocab.txt": "a b c"},
        "first models",
    )  # fmt: skip
    for name in ("fraud", "churn", "ranker"):
        repo.gto("register", name)
    repo.as_("Ben").write({"models/fraud.pkl": "fraud v2"}, "retrain fraud")
    repo.gto("register", "fraud", "--bump-minor")
    repo.gto("assign", "fraud", "--version", "v0.0.1", "--stage", "prod")
    repo.gto("assign", "fraud", "--version", "v0.1.0", "--stage", "staging")
    repo.as_("Cid").gto("assign", "fraud", "--version", "v0.1.0", "--stage", "prod")
    repo.write({"models/churn.bin": "churn v2"}, "retrain churn")
    repo.gto("register", "churn", "--bump-patch")
    repo.gto("assign", "churn", "--version", "v0.0.2", "--stage", "qa")
    repo.gto("deprecate", "churn", "v0.0.1")
    repo.as_("Ann").gto("assign", "ranker", "--version", "v0.0.1", "--stage", "prod")
    repo.gto("deprecate", "ranker", "v0.0.1", "prod")
    repo.gto("deprecate", "ranker")
    git("tag", "fraud@v9.9.9", cwd=path)  # lightweight: GTO ignores it
    git("tag", "release-2026", cwd=path)  # not GTO's
    return repo


@pytest.fixture
def gto_repo(tmp_path: Path) -> GtoRepo:
    return build(tmp_path / "gto-registry")


def _by_trailer(reg: Reg) -> dict[str, tuple[str, str, str]]:
    out = git(
        "log", "--format=%(trailers:key=Modelreg-Import,valueonly)%x1f%an%x1f%ae%x1f%aI%x1e", cwd=reg.path
    )
    found = {}
    for record in out.split("\x1e"):
        fields = [f.strip() for f in record.split("\x1f")]
        if len(fields) == 4 and fields[0]:
            found[fields[0]] = (fields[1], fields[2], fields[3].replace("+00:00", "Z"))
    return found


def _stages(reg: Reg, name: str) -> dict[str, object]:
    target = reg.path / f"models/{name}/stages.yaml"
    return yaml.safe_load(target.read_text()) if target.exists() else {}


def test_import_gto_replays_tags(reg: Reg, gto_repo: GtoRepo) -> None:
    source = str(gto_repo.path)
    before = reg.state()
    dry = reg.cli("import", "gto", "--repo", source, "--dry-run", "--stage-map", "qa=staging")
    assert dry.code == 0, dry.err
    assert reg.state() == before
    assert "register ranker@0.0.1 (2 files)" in dry.out
    assert "would write" in dry.out

    done = reg.cli("import", "gto", "--repo", source, "--stage-map", "qa=staging")
    assert done.code == 0, done.err
    assert "tag 'fraud@v9.9.9' is a lightweight tag, which GTO ignores; ignored" in done.err
    assert "release-2026" not in done.err
    assert git("status", "--porcelain", cwd=reg.path) == ""

    # every tag's event is a commit by its tagger at its date
    commits = _by_trailer(reg)
    for tag, (tagger, when) in gto_repo.tags().items():
        if tag == "ranker@deprecated":
            assert commits[f"gto:{tag}:0.0.1"][::2] == (tagger, when)
        elif tag != "ranker#prod!#2":
            assert commits[f"gto:{tag}"][::2] == (tagger, when), tag
    assert commits["gto:fraud@v0.1.0"][:2] == ("Ben", "ben@example.org")
    assert commits["gto:fraud#prod#3"][0] == "Cid"

    assert _stages(reg, "fraud") == {"production": "0.1.0", "archived": "0.0.1"}
    assert _stages(reg, "churn") == {"staging": "0.0.2", "archived": "0.0.1"}
    assert _stages(reg, "ranker") == {"deprecated": "0.0.1"}
    subjects = git("log", "--reverse", "--format=%an|%s", cwd=reg.path).splitlines()[1:]
    first = ["Ann|register churn@0.0.1", "Ann|register fraud@0.0.1", "Ann|register ranker@0.0.1"]
    assert sorted(subjects[:3]) == first  # tagged within a second or two: GTO's order is by date
    assert subjects[-3:] == [
        "Ann|move ranker@0.0.1 to production",
        "Ann|move ranker@0.0.1 to development",
        "Ann|move ranker@0.0.1 to deprecated",
    ]

    manifest = yaml.safe_load((reg.path / "models/fraud/0.1.0.yaml").read_text())
    assert manifest["created_by"] == "Ben <ben@example.org>"
    assert manifest["description"] == "fraud scores"
    assert manifest["tags"] == ["tabular", "risk"]
    assert manifest["custom"]["gto"]["tag"] == "fraud@v0.1.0"
    assert manifest["code"]["commit"] == git("rev-parse", "fraud@v0.1.0^{commit}", cwd=gto_repo.path).strip()
    assert (reg.path / "models/fraud/0.1.0/fraud.pkl").read_text() == "fraud v2"
    assert (reg.path / "models/fraud/0.0.1/fraud.pkl").read_text() == "fraud v1"
    assert (reg.path / "models/ranker/0.0.1/ranker/vocab.txt").read_text() == "a b c"
    assert reg.cli("validate").code == 0

    history = json.loads(reg.cli("history", "fraud", "--format", "json").out)
    registered = {e["version"]: e["commit"] for e in history["events"] if e["kind"] == "registered"}
    assert registered["0.1.0"]["author_name"] == "Ben"
    assert registered["0.1.0"]["author_date"] == gto_repo.tags()["fraud@v0.1.0"][1]
    text = reg.cli("history", "fraud").out
    assert "Cid" in text and "Ben" in text

    # a second run imports nothing; a later GTO tag, only it
    head = git("rev-parse", "HEAD", cwd=reg.path)
    again = reg.cli("import", "gto", "--repo", source, "--stage-map", "qa=staging")
    assert again.code == 0 and "wrote 0 commit(s) from gto" in again.out, again.out + again.err
    assert git("rev-parse", "HEAD", cwd=reg.path) == head
    gto_repo.as_("Dee").write({"models/fraud.pkl": "fraud v3"}, "fraud v3")
    gto_repo.gto("register", "fraud", "--bump-major")
    newer = reg.cli("import", "gto", "--repo", source, "--stage-map", "qa=staging")
    assert newer.code == 0, newer.err
    assert "wrote 1 commit(s) from gto" in newer.out
    assert git("log", "-1", "--format=%an %s", cwd=reg.path).strip() == "Dee register fraud@1.0.0"


def test_import_gto_unmapped_and_failures(reg: Reg, gto_repo: GtoRepo) -> None:
    source = str(gto_repo.path)
    before = reg.state()
    for point in ("import:written", "import:pushed"):
        failed = reg.cli("import", "gto", "--repo", source, env={"MODELREG_FAULT": f"{point}:error"})
        assert failed.code == 1
        assert failed.lines[-1] == f"modelreg: error: injected fault at {point}"
        assert reg.state() == before

    nowhere = reg.cli("import", "gto", "--repo", str(reg.scratch / "absent"))
    assert nowhere.code in (1, 2) and len(nowhere.lines) <= 3
    assert reg.state() == before

    # without --stage-map, GTO's qa has no stage here: one line, and the rest is imported
    done = reg.cli("import", "gto", "--repo", source)
    assert done.code == 0, done.err
    assert "tag 'churn#qa#1': registry.yaml has no stage 'qa'; map it with --stage-map qa=STAGE" in done.err
    assert _stages(reg, "churn") == {"archived": "0.0.1"}
    bad = reg.cli("import", "gto", "--repo", source, "--stage-map", "qa")
    assert (bad.code, bad.lines) == (
        1,
        ["modelreg: error: --stage-map 'qa': write FROM=STAGE, e.g. --stage-map champion=production"],
    )


def test_tags_of_one_second_keep_gtos_counter_and_the_commit_order() -> None:
    """Within one second (a tag date's resolution): an artifact's stage tags in the order of
    their counter, even when the later one tags an older commit; registrations of different
    artifacts in the order of the commits they tag."""
    from modelreg.operations.importing.from_gto import GtoTag, in_gto_order
    from modelreg.operations.importing.plan import Author

    when = datetime(2026, 1, 1, tzinfo=timezone.utc)

    def tag(name: str, action: str, artifact: str, commit: str, counter: int = 0) -> GtoTag:
        return GtoTag(
            name, action, artifact, commit, Author(name="A", email="a@b"), when, "", counter=counter
        )

    tags = [
        tag("fraud#prod#3", "assign", "fraud", "old", 3),
        tag("fraud#staging#2", "assign", "fraud", "new", 2),
        tag("fraud@v0.1.0", "register", "fraud", "new"),
        tag("ranker@v0.0.1", "register", "ranker", "old"),
    ]
    ordered = [t.tag for t in in_gto_order(tags, {"old": 0, "new": 1})]
    assert ordered == ["ranker@v0.0.1", "fraud@v0.1.0", "fraud#staging#2", "fraud#prod#3"]
