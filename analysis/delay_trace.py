"""A measured ΔXAS delay trace read from CSV (the input of :func:`~localpairs.analysis.kinetics.fit_three_exponential`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from localpairs.errors import InputError, require


@dataclass(frozen=True)
class DelayTrace:
    """A delay scan read from CSV: delays, values and optional standard errors.

    Parameters
    ----------
    delay
        Delays (the file's unit), strictly increasing.
    value
        The measured values.
    sigma
        Their standard errors (None when the file has two columns).
    """

    delay: NDArray[np.float64]
    value: NDArray[np.float64]
    sigma: NDArray[np.float64] | None


def read_delay_trace(path: str | Path) -> DelayTrace:
    """Read a CSV delay trace with columns ``delay, value[, sigma]``.

    Blank lines and lines starting with ``#`` are skipped; the first remaining line is a header
    if none of its fields is a number. Every data line must have the same number (2 or 3) of
    finite numeric fields, delays strictly increasing and unique, sigma positive.

    Parameters
    ----------
    path
        The CSV file.

    Returns
    -------
    DelayTrace
        Delays, values and standard errors (None without a third column).

    Raises
    ------
    InputError
        Field ``"<file> line <n>"`` names the offending line (missing, non-numeric, NaN,
        unsorted or duplicate delay, wrong column count), or ``path`` if nothing was read.
    """
    p = Path(path)
    require(p.is_file(), "path", str(p), "an existing CSV file")
    rows: list[tuple[int, list[float]]] = []
    header_done = False
    for n, raw in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = [f.strip() for f in line.split(",")]
        where = f"{p.name} line {n}"
        if not header_done:
            header_done = True
            if not any(_is_number(f) for f in fields):
                continue
        if len(fields) not in (2, 3) or (rows and len(fields) != len(rows[0][1])):
            raise InputError(where, raw, "2 or 3 comma-separated columns (delay, value[, sigma]), the same on every line")
        for name, f in zip(("delay", "value", "sigma"), fields):
            if f == "":
                raise InputError(where, raw, f"a {name} (the field is empty)")
            if not _is_number(f) or not np.isfinite(float(f)):
                raise InputError(where, raw, f"a finite number for {name}, got {f!r}")
        vals = [float(f) for f in fields]
        if len(vals) == 3 and vals[2] <= 0:
            raise InputError(where, raw, "a positive sigma")
        if rows and vals[0] == rows[-1][1][0]:
            raise InputError(where, raw, f"a new delay; {vals[0]} duplicates line {rows[-1][0]}")
        if rows and vals[0] < rows[-1][1][0]:
            raise InputError(where, raw, f"delays in increasing order; {vals[0]} < {rows[-1][1][0]} on line {rows[-1][0]}")
        rows.append((n, vals))
    require(len(rows) > 0, "path", str(p), "a CSV with at least one data line")
    data = np.array([r for _, r in rows])
    return DelayTrace(delay=data[:, 0], value=data[:, 1], sigma=data[:, 2] if data.shape[1] == 3 else None)


def _is_number(text: str) -> bool:
    try:
        return float(text) is not None
    except ValueError:
        return False
