"""The spec-key tables of the guide come from the schema: every key of every section has a meaning.

The documentation renders its tables with :mod:`localpairs.spec_schema` (``docs/_ext/spec_keys.py``);
a key without a description would be an empty cell there, so it fails here.
"""

from __future__ import annotations

from typing import Annotated, Literal

import pytest
from pydantic import Field

from localpairs.spec import RunSpec
from localpairs.spec_base import Strict
from localpairs.spec_schema import section_keys, spec_sections, type_text

SECTIONS = spec_sections(RunSpec, "")


def test_every_section_is_found():
    names = {name for name, _ in SECTIONS}
    # the top level, the two model kinds and every study's section with its sub-tables
    assert {"", "cluster", "doping", "model", "sector", "solver", "ground_state", "spectra", "pump", "xfel", "sweep"} <= names
    assert {"xfel.fit", "xfel.probe", "pump.xas"} <= names
    assert sum(name == "model" for name in names) == 1 and sum(n == "model" for n, _ in SECTIONS) == 2  # Hubbard and Fermi–Bose


@pytest.mark.parametrize(("section", "model"), SECTIONS, ids=[name or "top" for name, _ in SECTIONS])
def test_every_key_has_a_meaning(section, model):
    missing = [row.key for row in section_keys(model) if not row.meaning]
    assert not missing, f"[{section}] keys without a description (write a docstring under the field in {model.__name__}): {missing}"


def test_descriptions_come_from_field_docstrings():
    class Probe(Strict):
        width: Annotated[float, Field(gt=0, le=5)] = 0.2
        """Half width in eV."""
        kind: Literal["a", "b"] = "a"

    rows = {row.key: row for row in section_keys(Probe)}
    assert rows["width"].meaning == "Half width in eV."
    assert rows["width"].type == "float (> 0, ≤ 5)" and rows["width"].default == "0.2"
    assert rows["kind"].meaning == "" and rows["kind"].type == '"a" | "b"' and rows["kind"].default == '"a"'


def test_type_text_of_optional_lists():
    assert type_text(list[int] | None) == "list[int] | None"
