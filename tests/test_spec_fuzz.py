"""Fuzzing ``localpairs check`` with mutated shipped specs: exit 0, or exit 2 with one line; never a traceback.

Every spec in ``runs/`` is read, one mutation is applied (a key dropped, a value replaced by a
wrong type, an extreme float, ``nan``/``inf``, nested junk, an unknown key or section), the result
is written back as TOML and checked in-process. Mutations that are nonsense by construction
(``nan``/``inf``, |x| = 1e308 for a model energy, unknown keys, lists nested three deep, which no
key takes) must be refused: exit 0 for them is a wrong acceptance. Fixed seed
(``derandomize=True``) and a bounded number of examples per spec keep it to seconds per spec
(the 16-site spec's memory check of every momentum block takes ~1.7 s per accepted mutation).
"""

import contextlib
import io
import json
import math
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from localpairs.cli import main

RUNS = Path(__file__).resolve().parents[1] / "runs"
SPECS = sorted(p.name for p in RUNS.glob("*.toml"))
#: Examples per spec: enough to reach every section; the 16-site specs' valid checks are slow.
EXAMPLES = {"x0375_2x2x4.toml": 10}
DEFAULT_EXAMPLES = 50


def toml_value(value):
    """``value`` as an inline TOML value (keys quoted; inf and nan as TOML spells them)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return ("nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")) if not math.isfinite(value) else repr(value)
    if isinstance(value, (int, str)):
        return json.dumps(value) if isinstance(value, str) else str(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def to_toml(data, prefix=()):
    """A dict as TOML text: scalars and lists first, then one [table] per nested dict."""
    lines = [f"{json.dumps(k)} = {toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for key, value in data.items():
        if isinstance(value, dict):
            header = ".".join(json.dumps(p) for p in (*prefix, key))
            lines += ["", f"[{header}]", to_toml(value, (*prefix, key))]
    return "\n".join(lines)


def paths(data, prefix=()):
    """Every key path of ``data`` (dicts only; list items are replaced as a whole)."""
    for key, value in data.items():
        yield (*prefix, key)
        if isinstance(value, dict):
            yield from paths(value, (*prefix, key))


def nested(depth):
    value = [1.0]
    for _ in range(depth - 1):
        value = [value]
    return value


#: Replacement values: (label, value, nonsense anywhere?)
JUNK = [
    ("string", "strong", False), ("bool", True, False), ("int", 3, False), ("negative", -7, False),
    ("empty list", [], False), ("empty table", {}, False), ("zero", 0.0, False), ("tiny", 5e-324, False),
    ("huge int", 2**70, False), ("big", 1e18, False), ("max", 1e308, False), ("-max", -1e308, False),
    ("nan", math.nan, True), ("inf", math.inf, True), ("-inf", -math.inf, True),
    ("nested 3", nested(3), True), ("nested 40", nested(40), True), ("list of tables", [{"a": 1}], False),
]


@st.composite
def mutation(draw, data):
    """(mutated spec, description, nonsense by construction?)"""
    data = json.loads(json.dumps(data))
    all_paths = list(paths(data))
    kind = draw(st.sampled_from(["drop", "replace", "replace", "replace", "unknown key", "unknown section"]))
    path = draw(st.sampled_from(all_paths))
    *parents, leaf = path
    node = data
    for p in parents:
        node = node[p]
    if kind == "drop":
        del node[leaf]
        return data, f"drop {'.'.join(path)}", False
    if kind == "unknown key":
        table = node[leaf] if isinstance(node[leaf], dict) else node
        free = path[:2] == ("sweep", "parameters") or path[:3] == ("pump", "quench", "model")  # tables of free keys
        table["zz_unknown"] = 1.0
        return data, f"unknown key in {'.'.join(path)}", not free
    if kind == "unknown section":
        data["zz_section"] = {"a": 1.0}
        return data, "unknown section", True
    label, value, nonsense = draw(st.sampled_from(JUNK))
    node[leaf] = value
    model_energy = parents == ["model"] and leaf != "kind" and label in ("max", "-max", "big", "huge int")
    return data, f"{'.'.join(path)} = {label}", nonsense or model_energy


@pytest.fixture(scope="module")
def tally():
    counts = {"cases": 0, "clear errors": 0, "accepted": 0}
    yield counts
    print(f"\nspec fuzz: {counts}")


@pytest.mark.parametrize("name", SPECS)
def test_mutated_specs_give_a_result_or_one_clear_line(name, tmp_path_factory, tally):
    base = tomllib.loads((RUNS / name).read_text())
    folder = tmp_path_factory.mktemp("fuzz")

    @settings(max_examples=EXAMPLES.get(name, DEFAULT_EXAMPLES), derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(mutation(base))
    def check(case):
        data, what, nonsense = case
        path = folder / name
        path.write_text(to_toml(data))
        err, out = io.StringIO(), io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            code = main(["check", str(path)])
        lines = err.getvalue().strip().splitlines()
        tally["cases"] += 1
        assert "Traceback" not in err.getvalue(), (what, err.getvalue())
        if code == 0:
            tally["accepted"] += 1
            assert not nonsense, f"wrong acceptance: {what}"
            assert "valid" in out.getvalue() and lines == [], (what, lines)
        else:
            tally["clear errors"] += 1
            assert code == 2, (what, code)
            assert len(lines) == 1 and lines[0].startswith(f"localpairs: error: {path}"), (what, lines)

    check()
