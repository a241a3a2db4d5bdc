"""Does the ΔXAS A − B signature tell paired from unpaired carriers apart over a box of nuisance parameters?

Pure functions of a table of scan points (one :class:`ScanPoint` per scenario × nuisance setting;
no solver here). Each point carries the strongest positive (A) and the strongest negative (B)
ΔXAS feature in the pre-edge window, with no forced ordering: the experiment's pattern is A
*below* B (a positive feature ≈ 1 eV under the bleached pre-edge peak), so the signed separation
A − B is compared with the measured −1 eV, and a model whose positive feature lies above its
negative one is *not* consistent however large |A − B| is.

Tolerance of one point (:data:`TOLERANCE_DERIVATION`)
-----------------------------------------------------
The measured A − B is read off two peaks, each known to within the instrument's resolution; the
model's A − B is read off two peaks, each known to within its own position uncertainty
(:mod:`localpairs.analysis.xas_peaks`: sqrt(h²/12 + (FWHM/2)²), grid step h, line FWHM). Both
enter in quadrature::

    tol = sqrt(σ_A² + σ_B² + 2 σ_exp²),   σ_exp = ΔE_FWHM / 2,

with ΔE_FWHM = (ΔE/E) × E_edge the instrument's resolution (the experiment's energy step is not
stated, so its h²/12 term is left out: the tolerance is the strict reading).

Verdict (:func:`discrimination_verdict`)
----------------------------------------
"discriminating" only if the paired and unpaired A − B sets, each point widened by its own model
uncertainty sqrt(σ_A² + σ_B²), are disjoint over the whole box. Otherwise "not discriminating",
with the reason: a scenario without features, or an overlap, and which nuisance parameter decides
it — a shared parameter (U_c, Γ, probe, lattice, cluster size, pumped state) decides when fixing it alone
restores the separation at every one of its values; the unpaired model's U decides when each of
its values alone separates. When separated, the parameter with the largest swing of A − B is
named as the one that limits the margin.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from localpairs.analysis.discrimination_points import (
    PARAMETER_TEXT,
    PARAMETERS,
    SCENARIOS,
    SHARED,
    TOLERANCE_DERIVATION,
    Experiment,
    Feature,
    ScanPoint,
    consistent,
    point_tolerance,
)
from localpairs.errors import InputError, require

__all__ = [
    "PARAMETERS",
    "PARAMETER_TEXT",
    "SCENARIOS",
    "SHARED",
    "TOLERANCE_DERIVATION",
    "Distribution",
    "Experiment",
    "Feature",
    "ScanPoint",
    "Verdict",
    "ab_map",
    "consistent",
    "convergence_rows",
    "discrimination_verdict",
    "distribution",
    "margin",
    "point_tolerance",
    "swings",
]

def _check(points: Sequence[ScanPoint]) -> None:
    require(len(points) > 0, "points", "[]", "at least one scan point")
    bad = sorted({p.scenario for p in points} - set(SCENARIOS))
    require(not bad, "points.scenario", bad, f"one of {SCENARIOS}")


@dataclass(frozen=True)
class Distribution:
    """A − B of one scenario over the box (found points only): eV, units of ħω, consistency and pattern counts.

    Parameters
    ----------
    scenario
        The scenario.
    n_points
        Points of the scenario.
    n_found
        Points with both features.
    n_pattern
        Points with A below B.
    n_consistent
        Points consistent with the experiment.
    separations
        A − B of the found points (eV).
    separations_hw
        The same in units of ħω.
    tolerances
        Their tolerances (eV).
    """

    scenario: str
    n_points: int
    n_found: int
    n_pattern: int
    n_consistent: int
    separations: tuple[float, ...]
    separations_hw: tuple[float, ...]
    tolerances: tuple[float, ...]

    @property
    def fraction_consistent(self) -> float:
        """Fraction of the scenario's box (all its points) consistent with the experiment."""
        return self.n_consistent / self.n_points if self.n_points else 0.0

    @property
    def fraction_pattern(self) -> float:
        """Fraction of the scenario's box with the positive feature below the negative one."""
        return self.n_pattern / self.n_points if self.n_points else 0.0

    def summary(self) -> dict[str, Any]:
        """Stored numbers: counts, fractions, min / median / max in eV and ħω (None without found points).

        Returns
        -------
        dict
            The stored numbers.
        """
        s, h = np.asarray(self.separations), np.asarray(self.separations_hw)
        stat = lambda a, f: None if a.size == 0 else float(f(a))  # noqa: E731
        return {"scenario": self.scenario, "n_points": self.n_points, "n_found": self.n_found, "n_pattern": self.n_pattern,
                "n_consistent": self.n_consistent, "fraction_consistent": self.fraction_consistent, "fraction_pattern": self.fraction_pattern,
                **{f"{k}_eV": stat(s, f) for k, f in (("min", np.min), ("median", np.median), ("max", np.max))},
                **{f"{k}_hw": stat(h, f) for k, f in (("min", np.min), ("median", np.median), ("max", np.max))},
                "tolerance_min_eV": stat(np.asarray(self.tolerances), np.min), "tolerance_max_eV": stat(np.asarray(self.tolerances), np.max)}


def distribution(points: Sequence[ScanPoint], scenario: str, experiment: Experiment) -> Distribution:
    """A − B distribution of ``scenario`` over ``points`` (eV and units of its own ħω), with consistency counts.

    Parameters
    ----------
    points
        Points of the box.
    scenario
        ``"paired"`` or ``"unpaired"``.
    experiment
        The measured signature.

    Returns
    -------
    Distribution
        The distribution.
    """
    _check(points)
    mine = [p for p in points if p.scenario == scenario]
    seps = [(p.separation, p.hw, point_tolerance(p, experiment)) for p in mine]
    found = [(s, hw, tol) for s, hw, tol in seps if s is not None and tol is not None]
    return Distribution(scenario, len(mine), len(found), sum(p.pattern for p in mine), sum(consistent(p, experiment) for p in mine),
                        tuple(s for s, _, _ in found), tuple(s / hw for s, hw, _ in found), tuple(tol for _, _, tol in found))


def ab_map(points: Sequence[ScanPoint], scenario: str, *, select: Mapping[str, Any] | None = None
           ) -> tuple[list[float], list[float], np.ndarray]:
    """A − B (eV) over (U_c, Γ) for one scenario and a fixed setting ``select`` of the other parameters.

    Parameters
    ----------
    points
        Points of the box.
    scenario
        ``"paired"`` or ``"unpaired"``.
    select
        Fixed values of the other parameters (probe, lattice, U) when the box has several.

    Returns
    -------
    tuple
        Sorted U_c values, sorted Γ values (eV) and the grid ``[i_Uc, i_Γ]`` (NaN where no pair of features was found or the point
        is absent: figures only, never a report number).

    Raises
    ------
    InputError
        If ``select`` leaves two points on one (U_c, Γ) cell (name the parameter to fix) or none at all.
    """
    _check(points)
    select = dict(select or {})
    bad = sorted((set(select) - set(PARAMETERS)) | ({"U_c", "Gamma"} & set(select)))
    require(not bad, "select", bad, f"a setting of {[p for p in PARAMETERS if p not in ('U_c', 'Gamma')]}")
    mine = [p for p in points if p.scenario == scenario and all(p.value(k) == v for k, v in select.items())]
    require(bool(mine), "select", select, f"a setting that holds points of scenario {scenario!r}")
    ucs, gs = sorted({p.U_c for p in mine}), sorted({p.Gamma for p in mine})
    grid = np.full((len(ucs), len(gs)), np.nan)
    seen: set[tuple[int, int]] = set()
    for p in mine:
        cell = (ucs.index(p.U_c), gs.index(p.Gamma))
        free = [k for k in PARAMETERS if k not in ("U_c", "Gamma") and k not in select and len({q.value(k) for q in mine}) > 1]
        require(cell not in seen, "select", select, f"a setting fixing every parameter that varies ({free}) so each (U_c, Γ) has one point")
        seen.add(cell)
        if p.found:
            grid[cell] = p.separation
    return ucs, gs, grid


@dataclass(frozen=True)
class Verdict:
    """The discrimination result: ``discriminating``, the reason in words, the deciding parameter and the margin.

    ``margin`` (eV): the gap between the two scenarios' widened A − B ranges (> 0: separated;
    < 0: their overlap); None when a scenario has no features. ``swings``: per parameter, the
    largest change of A − B when only that parameter varies (eV).

    Parameters
    ----------
    discriminating
        Whether A − B separates the scenarios over the box.
    text
        The reason in words.
    deciding
        The deciding parameter (None: none).
    margin
        Gap between the widened ranges (eV; None without features).
    swings
        Largest change of A − B per parameter (eV).
    """

    discriminating: bool
    text: str
    deciding: str | None
    margin: float | None
    swings: dict[str, float] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """``"discriminating"`` or ``"not discriminating"``."""
        return "discriminating" if self.discriminating else "not discriminating"


def _widened(points: Iterable[ScanPoint]) -> tuple[float, float] | None:
    pts = [p for p in points if p.found]
    if not pts:
        return None
    return (min(p.separation - p.separation_error for p in pts), max(p.separation + p.separation_error for p in pts))  # type: ignore[operator]


def _gap(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance between two intervals (> 0: disjoint), or minus their overlap."""
    return max(a[0], b[0]) - min(a[1], b[1])


def margin(paired: Iterable[ScanPoint], unpaired: Iterable[ScanPoint]) -> float | None:
    """Gap (eV, > 0 separated) between the widened A − B ranges of two sets of points; None if one has no features.

    Parameters
    ----------
    paired
        Points of the paired scenario.
    unpaired
        Points of the unpaired scenario.

    Returns
    -------
    float or None
        The gap (eV).
    """
    a, b = _widened(paired), _widened(unpaired)
    return None if a is None or b is None else _gap(a, b)


def swings(points: Sequence[ScanPoint]) -> dict[str, float]:
    """Per parameter: the largest change of A − B (eV) when only that parameter varies, over both scenarios and all other settings.

    Parameters
    ----------
    points
        Points of the box.

    Returns
    -------
    dict of float
        Largest change (eV) per parameter.
    """
    out: dict[str, float] = {}
    for name in PARAMETERS:
        others = [k for k in PARAMETERS if k != name]
        groups: dict[tuple, list[float]] = {}
        for p in points:
            if p.found:
                groups.setdefault((p.scenario, *(p.value(k) for k in others)), []).append(p.separation)  # type: ignore[arg-type]
        spans = [max(v) - min(v) for v in groups.values() if len(v) > 1]
        if spans:
            out[name] = float(max(spans))
    return out


def _decided_by(points: Sequence[ScanPoint]) -> list[str]:
    """Parameters that, fixed alone, separate the scenarios at every one of their values."""
    paired = [p for p in points if p.scenario == "paired"]
    unpaired = [p for p in points if p.scenario == "unpaired"]
    out = []
    for name in SHARED:
        values = sorted({p.value(name) for p in points}, key=str)
        if len(values) < 2:
            continue
        gaps = [margin([p for p in paired if p.value(name) == v], [p for p in unpaired if p.value(name) == v]) for v in values]
        if all(g is not None and g > 0 for g in gaps):
            out.append(name)
    u_values = sorted({p.U for p in unpaired})
    if len(u_values) > 1:
        gaps = [margin(paired, [p for p in unpaired if p.U == u]) for u in u_values]
        if all(g is not None and g > 0 for g in gaps):
            out.append("U")
    return out


def discrimination_verdict(points: Sequence[ScanPoint], *, describe: Callable[[str], str] = PARAMETER_TEXT.__getitem__) -> Verdict:
    """Whether A − B separates paired from unpaired over the whole box (module docstring), with the reason.

    Parameters
    ----------
    points
        Points of both scenarios.
    describe
        Report wording of a parameter name (default :data:`PARAMETER_TEXT`).

    Returns
    -------
    Verdict
        The result, with the reason, the deciding parameter and the margin.
    """
    _check(points)
    missing = [s for s in SCENARIOS if not any(p.scenario == s for p in points)]
    if missing:
        raise InputError("points", f"no {missing[0]} points", "points of both scenarios")
    sw = swings(points)
    empty = [s for s in SCENARIOS if not any(p.found and p.scenario == s for p in points)]
    if empty:
        return Verdict(False, f"not discriminating: the {' and '.join(empty)} scenario shows no pair of positive and negative ΔXAS "
                       "features anywhere in the box", None, None, sw)
    gap = margin([p for p in points if p.scenario == "paired"], [p for p in points if p.scenario == "unpaired"])
    assert gap is not None
    largest = max(sw, key=sw.__getitem__) if sw else None
    if gap > 0:
        limit = f"; the largest swing of A − B within the box comes from {describe(largest)} ({sw[largest]:.2f} eV)" if largest else ""
        return Verdict(True, f"discriminating: the paired and unpaired A − B ranges (each point widened by its peak uncertainty) "
                       f"are {gap:.2f} eV apart over the whole box{limit}", largest, gap, sw)
    deciding = _decided_by(points)
    if deciding:
        names = " or ".join(describe(d) for d in deciding)
        text = (f"not discriminating: the A − B ranges overlap by {-gap:.2f} eV over the box; decided by {names}: "
                f"with it fixed, the scenarios separate at each of its scanned values, over its range they do not")
        return Verdict(False, text, deciding[0], gap, sw)
    biggest = f"; the largest swing comes from {describe(largest)} ({sw[largest]:.2f} eV)" if largest else ""
    text = (f"not discriminating: the A − B ranges overlap by {-gap:.2f} eV, and fixing any single nuisance parameter does not "
            f"separate them{biggest}")
    return Verdict(False, text, largest, gap, sw)


def convergence_rows(separations: Mapping[str, Mapping[int, float | None]], *, tolerance: float, missing: str | None = None) -> list[dict[str, Any]]:
    """Cluster-size convergence of A − B per scenario: the two sizes, the change and "converged"/"not converged".

    Parameters
    ----------
    separations
        ``separations[scenario][sites]``: A − B (eV; None: no features) at each computed size.
    tolerance
        Largest change (eV) called converged.
    missing
        The verdict of a scenario with fewer than two computed sizes (default: "not computed", naming the sizes computed).

    Returns
    -------
    list of dict
        Per scenario: ``sizes``, ``values``, ``change`` (last two sizes; None without it), ``tolerance``, ``verdict``, ``note``.
    """
    require(tolerance >= 0, "tolerance", tolerance, "a tolerance ≥ 0 in eV")
    rows = []
    for scenario, by_size in separations.items():
        sizes = sorted(by_size)
        row: dict[str, Any] = {"scenario": scenario, "sizes": sizes, "values": [by_size[n] for n in sizes], "change": None, "tolerance": tolerance}
        if len(sizes) < 2:
            row["verdict"], row["note"] = (missing, f"only {sizes} sites computed") if missing else ("not computed", f"only {sizes} sites computed")
        elif any(by_size[n] is None for n in sizes[-2:]):
            empty = ", ".join(str(n) for n in sizes[-2:] if by_size[n] is None)
            row["verdict"], row["note"] = "no A − B at one size", f"no pair of features above threshold at {empty} sites"
        else:
            change = float(by_size[sizes[-1]] - by_size[sizes[-2]])  # type: ignore[operator]
            row["change"] = change
            row["verdict"] = "converged" if abs(change) <= tolerance else "not converged"
            row["note"] = f"{sizes[-2]} → {sizes[-1]} sites"
        rows.append(row)
    return rows
