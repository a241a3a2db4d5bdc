"""README's two fresh-machine commands and .ci/run agree."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def bash_blocks(text):
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", text, flags=re.S)]


def test_ci_runs_readme_test_command():
    blocks = bash_blocks((REPO / "README.md").read_text())
    test_cmd = next(b for b in blocks if "pytest" in b)
    ci_lines = [ln.strip() for ln in (REPO / ".ci" / "run").read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    assert test_cmd in ci_lines


def test_ci_builds_the_docs_as_readme_says():
    blocks = bash_blocks((REPO / "README.md").read_text())
    docs_cmd = next(b for b in blocks if "sphinx" in b)
    assert "-W" in docs_cmd  # warnings are errors
    ci_lines = [ln.strip() for ln in (REPO / ".ci" / "run").read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    assert docs_cmd in ci_lines
    assert ci_lines.index(docs_cmd) > next(k for k, ln in enumerate(ci_lines) if "pytest" in ln)  # after the tests


def test_readme_main_study_exists():
    blocks = bash_blocks((REPO / "README.md").read_text())
    run_cmd = next(b for b in blocks if "localpairs run" in b)
    spec = re.search(r"localpairs run (\S+)", run_cmd).group(1)
    assert (REPO / spec).is_file()


def test_every_subpackage_is_packaged():
    """A regular install must contain every package folder (not only editable installs)."""
    import tomllib

    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    core = {"localpairs." + p.parent.relative_to(REPO / "localpairs").as_posix().replace("/", ".")
            for p in (REPO / "localpairs").rglob("__init__.py") if p.parent != REPO / "localpairs"}
    assert core | {"localpairs", "localpairs.hamiltonians", "localpairs.solvers", "localpairs.analysis"} <= listed
