"""The installed QuSpin lies in the range pyproject.toml allows: block_matrix.py mirrors QuSpin 1.0.x
internals (representative search, bit layout, signs, characters), so a new QuSpin must fail here
loudly rather than give silently different block matrices."""

import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.requirements import Requirement

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def quspin_requirement() -> Requirement:
    deps = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["dependencies"]
    return next(r for r in map(Requirement, deps) if r.name == "quspin")


def test_quspin_requirement_has_an_upper_bound():
    spec = quspin_requirement().specifier
    assert any(s.operator in ("<", "<=", "~=", "==") for s in spec), f"quspin{spec}: needs an upper bound"
    assert spec.contains("1.0.1") and not spec.contains("1.1.0")  # the range block_matrix.py was checked in


def test_installed_quspin_is_in_the_tested_range():
    installed = version("quspin")
    spec = quspin_requirement().specifier
    if not spec.contains(installed, prereleases=True):
        pytest.fail(
            f"QuSpin {installed} is installed, outside quspin{spec} in pyproject.toml. "
            f"block_matrix.py mirrors QuSpin 1.0.x internals; re-check it against QuSpin {installed} before raising the bound "
            "(solvers/hilbert/block_matrix.py; tests/test_momentum_blocks.py compares its bases and matrices with QuSpin's)."
        )
