"""The quickstart's set-up scripts on a machine that is not CI's: a pip configuration that names
folders which do not exist, and a user who is not root."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOISE = "is ignored: it is neither a file nor a directory"


def _pip(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`pip_install` of .ci/pip.sh, under a pip configuration whose index and wheel folders are missing."""
    config = tmp_path / "pip.conf"
    config.write_text(
        "[global]\nfind-links = /nonexistent/wheels\nextra-index-url = file:///nonexistent/simple\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")} | {"PIP_CONFIG_FILE": str(config)}
    script = '. .ci/pip.sh; pip_install "$0" "$@"; echo "status $?"'
    return subprocess.run(
        ["bash", "-c", script, sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_pip_prints_the_warnings_of_such_a_configuration_and_setup_does_not(tmp_path: Path) -> None:
    wheelhouse = ROOT / ".wheelhouse"
    if not wheelhouse.is_dir():
        pytest.skip("no .wheelhouse/: run .ci/setup")
    argv = ["--dry-run", "--ignore-installed", "--no-deps", "--find-links", str(wheelhouse), "pyyaml"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    (tmp_path / "pip.conf").write_text("[global]\nextra-index-url = file:///nonexistent/simple\n")
    raw = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", *argv],
        capture_output=True, text=True, env=env | {"PIP_CONFIG_FILE": str(tmp_path / "pip.conf")}, timeout=300,
    )  # fmt: skip
    assert NOISE in raw.stderr  # what a newcomer's first lines were full of
    quiet = _pip(tmp_path, *argv)
    assert NOISE not in quiet.stdout + quiet.stderr
    assert quiet.stdout.splitlines()[-1] == "status 0"


def test_setup_pip_still_fails_and_says_why(tmp_path: Path) -> None:
    failed = _pip(tmp_path, "--no-index", "--dry-run", "no-such-package-of-modelreg")
    assert "ERROR: No matching distribution found for no-such-package-of-modelreg" in failed.stdout
    assert failed.stdout.splitlines()[-1] == "status 1"


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root, to run as nobody"
)
def test_setup_as_a_user_without_sudo_says_what_to_install_and_goes_on(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "CHROMIUM": str(tmp_path / "no-chromium"), "HOME": str(tmp_path)}
    argv = [
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "bash",
        str(ROOT / ".ci/setup-browser"),
    ]
    result = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)
    assert (result.returncode, result.stdout) == (0, "")
    assert result.stderr == (
        "setup: the site's browser tests need Chromium: run `sudo apt-get install chromium chromium-driver`"
        " (until then they skip)\n"
    )


def test_setup_with_the_browser_in_place_installs_nothing(tmp_path: Path) -> None:
    browser = tmp_path / "chromium"
    browser.write_text("#!/bin/sh\n")
    browser.chmod(0o755)
    env = {"PATH": "/usr/bin:/bin", "CHROMIUM": str(browser), "CHROMEDRIVER": str(browser)}
    result = subprocess.run(
        ["bash", str(ROOT / ".ci/setup-browser")], capture_output=True, text=True, env=env
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
