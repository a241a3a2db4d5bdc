"""Three-exponential kinetics of a ΔXAS delay trace (review Sec. 4, Fig. 8; Mitrano et al. 2019).

    ΔXAS(t) = [Θ(s)(1 − e^{−s/τ1})(A1 + A2 e^{−s/τ2} + A3 e^{−s/τ3})]²,   s = t − t_d,

optionally convolved with a Gaussian instrument response of FWHM ``irf_fwhm``. The square is
expanded into a sum of terms c·Θ(s)e^{−ks}, each convolved with the Gaussian in closed form
(exponentially modified Gaussian, evaluated with ``erfcx`` so it never overflows).

Time unit: all functions work in whatever unit the delays are given in (the experiment uses ps);
τ's, t_d and ``irf_fwhm`` are in that same unit. :class:`KineticsFit` records the unit name only
for its report.

The model is unchanged by (A1, A2, A3) → −(A1, A2, A3) and by swapping (A2, τ2) with (A3, τ3); the
fit returns the representative with A1 ≥ 0 and τ2 ≤ τ3.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from lmfit import Minimizer, Parameters, fit_report
from lmfit.minimizer import MinimizerResult
from numpy.typing import ArrayLike, NDArray
from scipy import special

from localpairs.analysis.delay_trace import DelayTrace, read_delay_trace
from localpairs.errors import LocalPairsError, require

__all__ = ["PARAMETERS", "DelayTrace", "FitError", "KineticsFit", "fit_three_exponential", "read_delay_trace", "three_exponential"]

#: Parameter order of the model.
PARAMETERS: tuple[str, ...] = ("t_d", "tau1", "tau2", "tau3", "A1", "A2", "A3")
_FWHM_TO_SIGMA = 1.0 / (2.0 * np.sqrt(2.0 * np.log(2.0)))


class FitError(LocalPairsError):
    """A fit did not converge or gave an undefined covariance."""


def _theta_exp_conv(s: NDArray[np.float64], k: float, sigma: float) -> NDArray[np.float64]:
    """(Θ(s)e^{−ks}) ⊗ Gaussian(σ), normalised Gaussian; σ = 0 gives Θ(s)e^{−ks}."""
    if sigma == 0.0:
        return np.where(s >= 0, np.exp(-k * np.maximum(s, 0.0)), 0.0)
    u = (k * sigma * sigma - s) / (sigma * np.sqrt(2.0))
    # ½ e^{−ks + k²σ²/2} erfc(u) = ½ e^{−s²/(2σ²)} erfcx(u) for u ≥ 0 (no overflow either way)
    pos = 0.5 * np.exp(-(s * s) / (2 * sigma * sigma)) * special.erfcx(np.maximum(u, 0.0))
    neg = 0.5 * np.exp(np.minimum(-k * s + 0.5 * (k * sigma) ** 2, 0.0)) * special.erfc(np.minimum(u, 0.0))
    return np.where(u >= 0, pos, neg)


def three_exponential(t: ArrayLike, *, t_d: float, tau1: float, tau2: float, tau3: float,
                      A1: float, A2: float, A3: float, irf_fwhm: float = 0.0) -> NDArray[np.float64]:
    """Evaluate the three-exponential model (module docstring) at delays ``t``.

    Parameters
    ----------
    t
        Delays (any unit; all times below in the same unit).
    t_d, tau1, tau2, tau3
        Onset and the three time constants (τ's > 0).
    A1, A2, A3
        Amplitudes inside the square.
    irf_fwhm
        FWHM of the Gaussian instrument response; 0 means no convolution.

    Returns
    -------
    numpy.ndarray
        ΔXAS at ``t``.

    Raises
    ------
    InputError
        For a time constant ≤ 0 or a negative ``irf_fwhm``.
    """
    for name, tau in (("tau1", tau1), ("tau2", tau2), ("tau3", tau3)):
        require(tau > 0, name, tau, "a positive time constant")
    require(irf_fwhm >= 0, "irf_fwhm", irf_fwhm, "a non-negative FWHM")
    s = np.asarray(t, dtype=float) - t_d
    sigma = irf_fwhm * _FWHM_TO_SIGMA
    rise = ((0.0, 1.0), (1.0 / tau1, -2.0), (2.0 / tau1, 1.0))  # (1 − e^{−s/τ1})²
    amps = ((0.0, A1), (1.0 / tau2, A2), (1.0 / tau3, A3))
    out = np.zeros_like(s)
    for kr, cr in rise:
        for i, (ki, ai) in enumerate(amps):
            for kj, aj in amps[i:]:
                c = cr * ai * aj * (1.0 if ki == kj and ai is aj else 2.0)
                out += c * _theta_exp_conv(s, kr + ki + kj, sigma)
    return out


@dataclass(frozen=True)
class KineticsFit:
    """Result of :func:`fit_three_exponential`: lmfit's result with the model's settings.

    Parameters
    ----------
    result
        The :class:`lmfit.minimizer.MinimizerResult` of the canonical representative (its ``params``,
        ``covar``, ``uvars`` and :func:`lmfit.fit_report` work as usual); the properties are shortcuts to it.
    irf_fwhm
        FWHM of the instrument response used (time unit of the delays).
    time_unit
        Name of the time unit, for the report.
    absolute_sigma
        Whether the errors are taken as absolute (else scaled by the reduced χ²).
    nfev
        Model evaluations of all fit passes.
    residuals
        Model − data (unweighted).
    delays, data, sigma
        The fitted trace and its errors (σ = 1 when none were given).
    """

    result: MinimizerResult = field(repr=False)
    irf_fwhm: float
    time_unit: str
    absolute_sigma: bool
    nfev: int
    residuals: NDArray[np.float64] = field(repr=False)
    delays: NDArray[np.float64] = field(repr=False, default_factory=lambda: np.zeros(0))
    data: NDArray[np.float64] = field(repr=False, default_factory=lambda: np.zeros(0))
    sigma: NDArray[np.float64] = field(repr=False, default_factory=lambda: np.zeros(0))

    @property
    def values(self) -> dict[str, float]:
        """Best-fit value of every parameter (free and fixed), in :data:`PARAMETERS` order."""
        return {name: float(self.result.params[name].value) for name in PARAMETERS}

    @property
    def stderr(self) -> dict[str, float]:
        """Linearised standard error of each free parameter, √diag((JᵀJ)⁻¹).

        Too small for τ1, τ2 and A2 of a typical trace: they are 0.98–0.9999 correlated and χ²
        is far from quadratic along that valley (pulls of sd ≈ 2 over seeds). Use
        :func:`localpairs.analysis.kinetics_profile.profile_interval` for their intervals.
        """
        return {name: float(self.result.params[name].stderr) for name in self.free}

    @property
    def covariance(self) -> NDArray[np.float64]:
        """Covariance of the free parameters, in :attr:`free` order."""
        return np.asarray(self.result.covar)

    @property
    def free(self) -> tuple[str, ...]:
        """Names of the fitted (not fixed) parameters."""
        return tuple(self.result.var_names)

    @property
    def chi2(self) -> float:
        """Σ((model − y)/σ)², σ = 1 when no errors were given."""
        return float(self.result.chisqr)

    @property
    def dof(self) -> int:
        """Data points minus free parameters."""
        return int(self.result.nfree)

    @property
    def n_data(self) -> int:
        """Number of data points."""
        return int(self.result.ndata)

    @property
    def message(self) -> str:
        """The optimiser's closing message."""
        return str(self.result.message)

    @property
    def reduced_chi2(self) -> float:
        """The reduced chi-square χ²/dof."""
        return self.chi2 / self.dof

    def model(self, t: ArrayLike) -> NDArray[np.float64]:
        """Evaluate the fitted model at ``t``.

        Parameters
        ----------
        t
            Delays (the fit's time unit).

        Returns
        -------
        numpy.ndarray
            The model at ``t``.
        """
        return three_exponential(t, irf_fwhm=self.irf_fwhm, **self.values)

    def report(self) -> str:
        """The fit report of lmfit, preceded by the model, its time unit and how errors were scaled.

        Returns
        -------
        str
            The report text.
        """
        errors = "from sigma (absolute)" if self.absolute_sigma else "scaled by reduced chi-square"
        head = (f"[[Model]]\n    three-exponential, IRF FWHM {self.irf_fwhm:g} {self.time_unit}; t_d and tau in "
                f"{self.time_unit}; errors {errors}; {self.nfev} function evaluations in all passes")
        return f"{head}\n{fit_report(self.result, min_correl=0.5)}"


def _default_guess(t: NDArray[np.float64], y: NDArray[np.float64]) -> dict[str, float]:
    span = float(t[-1] - t[0])
    ipk = int(np.argmax(y))
    ymax = float(y[ipk])
    above = np.flatnonzero(y > 0.1 * ymax)
    t_d = float(t[above[0]]) if above.size else float(t[0])
    rise = max(float(t[ipk]) - t_d, span / 200.0)
    late = np.sqrt(max(float(np.mean(y[-max(2, t.size // 5):])), 0.0))
    top = np.sqrt(max(ymax, 0.0))
    return {"t_d": t_d - 0.3 * rise, "tau1": rise / 2.0, "tau2": rise, "tau3": max(span / 10.0, 4 * rise),
            "A1": late, "A2": max(top - late, 1e-3 * top) * 0.5, "A3": max(top - late, 1e-3 * top) * 0.5}


def _checked_trace(t: ArrayLike, y: ArrayLike, sigma: ArrayLike | None) -> tuple[NDArray[np.float64], ...]:
    """(t, y, σ) as float arrays after checking shapes, order and finiteness (σ = 1 if None)."""
    tt = np.asarray(t, dtype=float)
    yy = np.asarray(y, dtype=float)
    require(tt.ndim == 1 and tt.shape == yy.shape, "y", f"shape {yy.shape}", f"a 1D array shaped like t {tt.shape}")
    require(bool(np.all(np.isfinite(tt)) and np.all(np.isfinite(yy))), "t/y", "NaN/inf", "finite values")
    require(bool(np.all(np.diff(tt) > 0)), "t", "not strictly increasing", "strictly increasing delays")
    ss = np.ones_like(yy) if sigma is None else np.broadcast_to(np.asarray(sigma, dtype=float), yy.shape)
    require(bool(np.all(ss > 0) and np.all(np.isfinite(ss))), "sigma", "non-positive or NaN", "positive finite errors")
    return tt, yy, ss


def _weighted_residual(params: Parameters, t: NDArray[np.float64], y: NDArray[np.float64], sigma: NDArray[np.float64],
                       irf_fwhm: float) -> NDArray[np.float64]:
    v = params.valuesdict()
    if min(v["tau1"], v["tau2"], v["tau3"]) <= 0:  # on the bound τ = 0: a wall, not an exception
        return np.full_like(y, 1e10)
    return (three_exponential(t, irf_fwhm=irf_fwhm, **v) - y) / sigma


def _mirror(values: Mapping[str, float], fixed: Mapping[str, float]) -> dict[str, float] | None:
    """The canonical partner (A1 ≥ 0, τ2 ≤ τ3) of ``values`` under the model's symmetries, or None if
    ``values`` is canonical already (or the symmetry is broken by fixed parameters)."""
    v, changed = dict(values), False
    if v["tau2"] > v["tau3"] and not ({"tau2", "tau3", "A2", "A3"} & fixed.keys()):
        v["tau2"], v["tau3"], v["A2"], v["A3"] = v["tau3"], v["tau2"], v["A3"], v["A2"]
        changed = True
    if v["A1"] < 0 and not ({"A1", "A2", "A3"} & fixed.keys()):
        v.update(A1=-v["A1"], A2=-v["A2"], A3=-v["A3"])
        changed = True
    return v if changed else None


def _require_determined(result: MinimizerResult, nfev: int) -> None:
    """Raise :class:`FitError` unless the fit converged with a well-conditioned, positive covariance."""
    if result.aborted or not result.success or not all(np.isfinite(p.value) for p in result.params.values()):
        raise FitError(f"three-exponential fit did not converge after {nfev} evaluations: {result.message}")
    jtj = result.jac.T @ result.jac
    diag = np.diag(jtj)
    dead = [p for p, d in zip(result.var_names, diag) if not d > 0]
    if dead or np.linalg.cond(jtj / np.sqrt(np.outer(diag, diag))) > 1e15:  # scale-free conditioning
        raise FitError("three-exponential fit: singular Jacobian, parameters not determined by the data"
                       + (f" ({', '.join(dead)} have no effect)" if dead else "") + "; fix some parameters")
    cov = result.covar
    if cov is None or not np.all(np.isfinite(cov)) or not np.all(np.diag(cov) > 0):
        raise FitError("three-exponential fit: covariance not finite or not positive; fix some parameters")


def fit_three_exponential(t: ArrayLike, y: ArrayLike, *, sigma: ArrayLike | None = None, irf_fwhm: float = 0.0,
                          initial: Mapping[str, float] | None = None, fixed: Mapping[str, float] | None = None,
                          time_unit: str = "ps", max_nfev: int = 20000) -> KineticsFit:
    """Least-squares fit of :func:`three_exponential` to a delay trace, with lmfit.

    lmfit's ``least_squares`` (SciPy's trust-region reflective method; τ's bounded below by 0).
    The result is the canonical representative (module docstring): a fit that ends elsewhere is
    refitted from its mirror image, the same minimum, so that lmfit's covariance and report refer
    to the canonical parameters.

    Parameters
    ----------
    t, y
        Delays (sorted, any unit) and ΔXAS values.
    sigma
        Standard errors of ``y``. If given, χ² = Σ(r/σ)² and the standard errors are the square
        roots of the diagonal of (JᵀJ)⁻¹ (absolute σ); if not, σ = 1 and the covariance is
        scaled by χ²/dof (lmfit's ``scale_covar``, as ``curve_fit(absolute_sigma=False)``).
    irf_fwhm
        FWHM of the Gaussian instrument response (same unit as ``t``); held fixed.
    initial
        Starting values for any of :data:`PARAMETERS`; missing ones come from a heuristic.
    fixed
        Parameters held at the given values (e.g. ``{"t_d": 0.0}``).
    time_unit
        Name of the unit of ``t``, used only in :meth:`KineticsFit.report`.
    max_nfev
        Limit on model evaluations per fit pass (finite-difference Jacobians included).

    Returns
    -------
    KineticsFit
        The canonical representative (A1 ≥ 0, τ2 ≤ τ3) with its lmfit result.

    Raises
    ------
    InputError
        Bad arrays or unknown parameter names.
    FitError
        If the optimiser does not converge or the covariance is singular / not finite.
    """
    tt, yy, ss = _checked_trace(t, y, sigma)
    fixed = dict(fixed or {})
    for name in list(fixed) + list(initial or {}):
        require(name in PARAMETERS, "parameter", name, f"one of {PARAMETERS}")
    start = _default_guess(tt, yy) | dict(initial or {}) | fixed
    require(len(PARAMETERS) - len(fixed) < tt.size, "y", f"{tt.size} points",
            f"more points than the {len(PARAMETERS) - len(fixed)} free parameters")
    params = Parameters()
    for name in PARAMETERS:
        tau, free = name.startswith("tau"), name not in fixed
        value = max(start[name], 1e-9 * (tt[-1] - tt[0])) if tau and free else start[name]  # strictly inside the bound
        params.add(name, value=value, vary=free, min=0.0 if tau else -np.inf)
    minimizer = Minimizer(_weighted_residual, params, fcn_args=(tt, yy, ss, irf_fwhm), scale_covar=sigma is None,
                          max_nfev=max_nfev)
    options = dict(x_scale="jac", xtol=1e-12, ftol=1e-12, gtol=1e-12)
    result = minimizer.minimize(method="least_squares", **options)
    nfev = result.nfev
    mirror = _mirror(result.params.valuesdict(), fixed) if result.success else None
    if mirror is not None:
        for name, value in mirror.items():
            params[name].set(value=value)
        result = minimizer.minimize(method="least_squares", params=params, **options)
        nfev += result.nfev
    _require_determined(result, nfev)
    return KineticsFit(result=result, irf_fwhm=irf_fwhm, time_unit=time_unit, absolute_sigma=sigma is not None,
                       nfev=nfev, residuals=result.residual * ss, delays=tt, data=yy, sigma=ss)
