import math

import pytest

from localpairs.analysis.verdicts import CONSISTENT, INCONSISTENT, NOT_AVAILABLE, Row, markdown_table, verdict
from localpairs.errors import InputError


def test_verdict_flips_with_inputs():
    assert verdict(1.1, 1.0, 0.3) == CONSISTENT
    assert verdict(1.5, 1.0, 0.3) == INCONSISTENT
    assert verdict(0.5, 1.0, 0.3) == INCONSISTENT
    assert verdict(1.0, 1.5, 0.3) == INCONSISTENT


def test_tolerance_edges():
    assert verdict(1.3, 1.0, 0.3) == CONSISTENT  # edge counts as consistent
    assert verdict(1.3000001, 1.0, 0.3) == INCONSISTENT
    assert verdict(2.0, 2.0, 0.0) == CONSISTENT
    assert verdict(2.0, 2.0 + 1e-9, 0.0) == INCONSISTENT


@pytest.mark.parametrize("args", [(math.nan, 1.0, 0.1), (1.0, math.inf, 0.1), (1.0, 1.0, -0.1), ("1", 1.0, 0.1), (True, 1.0, 0.1)])
def test_bad_input(args):
    with pytest.raises(InputError):
        verdict(*args)


def test_row():
    r = Row("A−B", 0.8, 1.0, 0.3, unit="eV")
    assert r.difference == pytest.approx(-0.2)
    assert r.verdict == CONSISTENT
    assert Row("x", None, 1.0, 0.3).verdict == NOT_AVAILABLE
    table = markdown_table([r])
    assert "consistent" in table and "±0.3 eV" in table
