"""Verdicts: is a model number consistent with a measured one within a stated tolerance?

Pure functions of numbers. The tolerance is always an absolute number in the unit of the
values and is stated with every verdict (``|model − experiment| ≤ tolerance``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from localpairs.errors import InputError

CONSISTENT = "consistent"
INCONSISTENT = "inconsistent"
NOT_AVAILABLE = "not available"


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
        raise InputError(name, value, "a finite number")
    return float(value)


def verdict(model_value: float, experiment_value: float, tolerance: float) -> str:
    """Return ``"consistent"`` if ``|model − experiment| ≤ tolerance``, else ``"inconsistent"``.

    Parameters
    ----------
    model_value, experiment_value : float
        Finite numbers in the same unit.
    tolerance : float
        Absolute tolerance (≥ 0) in that unit; the edge ``|difference| = tolerance`` counts as
        consistent (a relative slack of 1e-12 absorbs rounding).

    Returns
    -------
    str
        The verdict.

    Raises
    ------
    InputError
        For non-finite or non-numeric values or a negative tolerance.
    """
    m = _number("model_value", model_value)
    e = _number("experiment_value", experiment_value)
    tol = _number("tolerance", tolerance)
    if tol < 0:
        raise InputError("tolerance", tolerance, "a number ≥ 0")
    slack = 1e-12 * max(1.0, abs(m), abs(e), tol)
    return CONSISTENT if abs(m - e) <= tol + slack else INCONSISTENT


@dataclass(frozen=True)
class Row:
    """One row of a model–experiment table: values, difference, tolerance and verdict.

    Attributes
    ----------
    name : str
        The quantity.
    model, experiment : float or None
        The two values in ``unit`` (None: not available).
    tolerance : float or None
        Absolute tolerance in ``unit`` (None: no verdict).
    unit : str
        The unit (eV, fs, ...).
    note : str
        A remark shown in the last column.
    """

    name: str
    model: float | None
    experiment: float | None
    tolerance: float | None
    unit: str = ""
    note: str = ""

    @property
    def difference(self) -> float | None:
        """``model − experiment`` (None when either is missing)."""
        if self.model is None or self.experiment is None:
            return None
        return float(self.model) - float(self.experiment)

    @property
    def verdict(self) -> str:
        """The verdict, or ``"not available"`` when a number or the tolerance is missing."""
        if self.model is None or self.experiment is None or self.tolerance is None:
            return NOT_AVAILABLE
        return verdict(self.model, self.experiment, self.tolerance)

    def cells(self) -> list[str]:
        """Format the row as Markdown cells.

        Returns
        -------
        list of str
            Name, model, experiment, difference, tolerance, verdict, note.
        """
        def f(v: float | None) -> str:
            return "—" if v is None else f"{v:.4g}"
        unit = f" {self.unit}" if self.unit else ""
        tol = "—" if self.tolerance is None else f"±{self.tolerance:.3g}{unit}"
        return [self.name, f(self.model) + unit, f(self.experiment) + unit, f(self.difference), tol, self.verdict, self.note]


def markdown_table(rows: list[Row]) -> str:
    """Format ``rows`` as a Markdown table.

    Parameters
    ----------
    rows : list of Row
        The rows.

    Returns
    -------
    str
        The table with its header.
    """
    head = ["quantity", "model", "experiment", "difference", "tolerance", "verdict", "note"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r.cells()) + " |" for r in rows]
    return "\n".join(lines)
