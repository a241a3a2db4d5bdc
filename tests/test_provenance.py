"""Provenance records the git commit of a checkout (and whether it has uncommitted changes), and
nothing for a folder that is not one; it never raises."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from localpairs import io

GIT = shutil.which("git")
needs_git = pytest.mark.skipif(GIT is None, reason="git is not installed")


def _git(folder: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t", "HOME": str(folder)}
    return subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, check=True, env=env).stdout.strip()


@needs_git
def test_checkout_gives_its_commit_and_dirty_flag(tmp_path):
    repo = tmp_path / "repo"
    (repo / "pkg").mkdir(parents=True)
    (repo / "pkg" / "module.py").write_text("x = 1\n")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "first")
    head = _git(repo, "rev-parse", "HEAD")  # the reference: git itself, asked directly
    assert io.git_revision(repo / "pkg") == (head, False)
    (repo / "notes.txt").write_text("untracked files do not make the tree dirty\n")
    assert io.git_revision(repo / "pkg") == (head, False)
    (repo / "pkg" / "module.py").write_text("x = 2\n")
    assert io.git_revision(repo / "pkg") == (head, True)


@needs_git
def test_untracked_folder_inside_a_repository_is_not_a_checkout(tmp_path):
    # e.g. site-packages of a virtual environment inside some project's repository
    repo = tmp_path / "project"
    repo.mkdir()
    (repo / "a.txt").write_text("a\n")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "first")
    venv_pkg = repo / ".venv" / "site-packages" / "localpairs"
    venv_pkg.mkdir(parents=True)
    (venv_pkg / "__init__.py").write_text("")
    assert io.git_revision(venv_pkg) is None


def test_plain_folder_gives_none(tmp_path):
    assert io.git_revision(tmp_path) is None
    assert io.git_revision(tmp_path / "does-not-exist") is None


def test_missing_git_gives_none(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no git executable on the path
    assert io.git_revision() is None
    assert "localpairs-commit" not in io.versions()


def test_versions_of_this_checkout():
    package = Path(io.__file__).resolve().parent
    if GIT is None or subprocess.run(["git", "-C", str(package), "ls-files", "--error-unmatch", "io.py"], capture_output=True).returncode != 0:
        pytest.skip("localpairs is not running from a git checkout")
    head = subprocess.run(["git", "-C", str(package), "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    entry = io.versions()["localpairs-commit"]
    assert re.fullmatch(r"[0-9a-f]{40}(-dirty)?", entry)
    assert entry.split("-")[0] == head


def test_hanging_git_gives_none(tmp_path, monkeypatch):
    fake = tmp_path / "git"
    fake.write_text("#!/bin/sh\nexec sleep 30\n")  # exec: the timeout kills the sleep itself
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(io, "GIT_TIMEOUT_S", 0.2)
    assert io.git_revision() is None
