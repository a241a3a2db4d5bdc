"""Profile-likelihood intervals of the three-exponential kinetics fit (:mod:`.kinetics`).

Why not the linearised standard errors: on a trace like the experiment's (τ1 = 0.15, τ2 = 0.24,
τ3 = 1.5 ps) τ1, τ2 and A2 are 0.98–0.9999 correlated and χ² is far from quadratic along that
valley. The curvature at the minimum then depends strongly on where in the valley the noise puts
the minimum: over 40 noise seeds the pulls (estimate − truth)/stderr of τ1 had a standard
deviation of 2.2 (1 for honest errors), although the spread of the estimates themselves was about
the typical stderr. The linear error is right on average and wrong fit by fit.

The profile interval does not use the curvature: for a parameter p the profile
χ²_p(v) = min over all other free parameters of χ² at p = v, and the interval at confidence level
γ is {v : χ²_p(v) − χ²_min ≤ Δ}, Δ the γ-quantile of χ² with one degree of freedom (1 for
68.27 %, 3.84 for 95 %). Without given σ (errors scaled by χ²/dof) Δ is multiplied by χ²_min/dof.
The interval is exact for a linear model and, by Wilks' theorem, asymptotically right otherwise;
tests/test_kinetics_profile.py checks its coverage with a seeded Monte Carlo.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, stats

from localpairs.analysis.kinetics import KineticsFit, three_exponential
from localpairs.errors import require

logger = logging.getLogger(__name__)

#: Growth factor of the outward search for a bracket, in units of the linearised standard error.
_GROWTH = 1.6
#: Interval ends are located to this fraction of the linearised standard error.
_XTOL = 0.01
#: Largest excursion searched, in linearised standard errors (beyond: "not bounded by the data").
_MAX_EXCURSION = 60.0


@dataclass(frozen=True)
class ProfileInterval:
    """A profile-likelihood interval [lower, upper] of one parameter at confidence ``level``.

    Parameters
    ----------
    name
        The parameter.
    value
        Its best-fit value.
    lower, upper
        The interval's ends; None when χ²_p stays below the threshold up to the parameter's bound
        (τ → 0) or the search limit: the data do not bound the parameter on that side.
    level
        Confidence level.
    delta_chi2
        The χ² rise that defines the interval (scaled by χ²/dof when the errors are not absolute).
    linear_stderr
        The curvature error of the same fit, for comparison.
    """

    name: str
    value: float
    lower: float | None
    upper: float | None
    level: float
    delta_chi2: float
    linear_stderr: float

    def covers(self, truth: float) -> bool:
        """Whether ``truth`` lies in the interval (an open side counts as unbounded).

        Parameters
        ----------
        truth
            The value to test.

        Returns
        -------
        bool
            True inside the interval.
        """
        return (self.lower is None or truth >= self.lower) and (self.upper is None or truth <= self.upper)

    def describe(self, unit: str = "") -> str:
        """Describe the interval in words, e.g. ``0.143 (68 % profile interval 0.09–0.26 ps; linearised ±0.063)``.

        Parameters
        ----------
        unit
            Unit appended to the numbers ("" for none).

        Returns
        -------
        str
            The description.
        """
        lo = "0" if self.lower is None and self.name.startswith("tau") else ("−∞" if self.lower is None else f"{self.lower:.3g}")
        hi = "not bounded by the data" if self.upper is None else f"{self.upper:.3g}"
        u = f" {unit}" if unit else ""
        return f"{self.value:.3g}{u} ({100 * self.level:.0f} % profile interval {lo}–{hi}{u}; linearised ±{self.linear_stderr:.2g})"


class _Profile:
    """χ² minimised over all free parameters but one, warm-started from the nearest solved point.

    The other τ's are refitted as ln τ (unbounded), so MINPACK's Levenberg–Marquardt applies.
    """

    def __init__(self, fit: KineticsFit, name: str) -> None:
        self.fit, self.name = fit, name
        self.others = [p for p in fit.free if p != name]
        self.base = fit.values
        self.log = np.array([p.startswith("tau") for p in self.others])
        start = np.array([self.base[p] for p in self.others])
        self.solved: dict[float, NDArray[np.float64]] = {self.base[name]: np.where(self.log, np.log(np.where(self.log, start, 1.0)), start)}

    def _residual(self, x: NDArray[np.float64], value: float) -> NDArray[np.float64]:
        v = dict(self.base)
        v.update(zip(self.others, np.where(self.log, np.exp(np.clip(x, -60.0, 60.0)), x)))
        v[self.name] = value
        return (three_exponential(self.fit.delays, irf_fwhm=self.fit.irf_fwhm, **v) - self.fit.data) / self.fit.sigma

    def chi2(self, value: float) -> float:
        """χ²_p(value), refitting the other free parameters."""
        near = min(self.solved, key=lambda v: abs(v - value))
        sol = optimize.least_squares(self._residual, self.solved[near], args=(value,), method="lm", x_scale="jac",
                                     xtol=1e-9, ftol=1e-9, gtol=1e-9, max_nfev=4000)
        self.solved[value] = sol.x
        return float(2.0 * sol.cost)


def profile_interval(fit: KineticsFit, name: str, *, level: float = 0.6827) -> ProfileInterval:
    """Profile-likelihood interval of the free parameter ``name`` of ``fit`` (module docstring).

    Parameters
    ----------
    fit
        A :func:`~localpairs.analysis.kinetics.fit_three_exponential` result.
    name
        One of its free parameters (:attr:`KineticsFit.free`).
    level
        Confidence level in (0, 1): 0.6827 (one standard deviation) or 0.95, say.

    Returns
    -------
    ProfileInterval
        The interval, with open sides where the data do not bound the parameter.

    Raises
    ------
    InputError
        If ``name`` is not a free parameter or ``level`` is outside (0, 1).
    """
    require(name in fit.free, "name", name, f"a free parameter of the fit {fit.free}")
    require(0.0 < level < 1.0, "level", level, "a confidence level in (0, 1)")
    require(fit.delays.size > 0, "fit", "without data", "a KineticsFit from fit_three_exponential (it keeps its data)")
    delta = float(stats.chi2.ppf(level, 1)) * (1.0 if fit.absolute_sigma else fit.chi2 / fit.dof)
    prof = _Profile(fit, name)
    best, step = fit.values[name], fit.stderr[name]
    chi2_min = fit.chi2

    def excess(value: float) -> float:
        return prof.chi2(value) - chi2_min - delta

    ends: list[float | None] = []
    for sign in (-1.0, 1.0):
        inside, k, end = best, 0, None
        while (excursion := 0.7 * np.sqrt(delta) * step * _GROWTH**k) <= _MAX_EXCURSION * step:
            trial = best + sign * excursion
            if name.startswith("tau") and trial <= 0:
                break
            if excess(trial) > 0:
                end = optimize.brentq(excess, min(inside, trial), max(inside, trial), xtol=_XTOL * step)
                break
            inside, k = trial, k + 1
        ends.append(end)
    if min(prof.chi2(best), chi2_min) < chi2_min - 1e-6 * max(1.0, chi2_min):
        logger.warning("profile of %s found χ² below the fit's minimum: the fit had not converged to it", name)
    return ProfileInterval(name=name, value=best, lower=ends[0], upper=ends[1], level=level, delta_chi2=delta, linear_stderr=step)


def correlated_parameters(fit: KineticsFit, *, threshold: float = 0.9) -> list[tuple[str, str, float]]:
    """Pairs of free parameters whose linearised correlation exceeds ``threshold`` in magnitude.

    Parameters
    ----------
    fit
        A :func:`~localpairs.analysis.kinetics.fit_three_exponential` result.
    threshold
        Smallest |correlation| reported.

    Returns
    -------
    list of tuple
        ``(name_i, name_j, correlation)`` for each such pair.
    """
    cov = fit.covariance
    sd = np.sqrt(np.diag(cov))
    corr = cov / np.outer(sd, sd)
    names = fit.free
    return [(names[i], names[j], float(corr[i, j])) for i in range(len(names)) for j in range(i + 1, len(names))
            if abs(corr[i, j]) > threshold]



