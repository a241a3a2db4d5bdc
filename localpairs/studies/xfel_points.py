r"""One point of the XFEL verdict scan: the strongest ΔXAS features of a fitted scenario's pumped state.

Use: ``sc = pumped_scenario(spec, fit)`` once per scenario, then ``dxas_point(scenario=sc, U_c=-1.0, Gamma=0.2,
lattice="relaxed")["separation"]`` (and the other keys of :func:`dxas_point`) per nuisance point.

The pumped state
----------------
:func:`pumped_scenario` computes, once, ψ₀ and the linear-response excited part
χ⁽¹⁾ = −(i/ħ) e^{−iH₀t/ħ} Ã(H₀ − E₀)(∂H/∂A)ψ₀ (:func:`~localpairs.solvers.dynamics.linear_response.linear_response`,
no time stepping) for the study's pump (x-polarized Gaussian at ħω = the scenario's E_G, the
``[xfel.pump]`` duration) at the fluence that gives the measured α (0.05 at 8 mJ/cm², the
reference data) — in linear response α ∝ F exactly, so one evaluation calibrates it. Its validity
(α, the two-photon estimate, :attr:`LinearResponseState.linear_regime`) is recorded; the time is
the first at which the pulse is over to 1e-6 of its envelope (the instantaneous probe depends on
it, the long probe does not). With ``state = "evolved"`` the full evolution is used instead.
If the lattice is relaxed, the excited part's breathing is relaxed once per scenario
(:func:`~localpairs.solvers.dynamics.breathing_relaxation.relax_breathing`, module docstring
there for the surface; populations below ``PumpedScenario.captured_tol`` dropped, :data:`EVOLVED_CAPTURED_TOL`
for an evolved state): χ̂ carried to the relaxed geometry and renormalised, final states of H(Δ*).

Cost model
----------
Lanczos chains are computed once per (U_c, core-hole placement, lattice, probe model) and
reused for every Γ (:mod:`~localpairs.solvers.spectra.xas_chains`): a new Γ costs continued
fractions, the offset and the peak search (milliseconds). The chains of the long probe are
converged in the window width at the first Γ asked for, or rebuilt if a smaller Γ comes later:
call :func:`dxas_points` with all Γ of one (U_c, placement, lattice, model) to build them once at
the smallest. Caches live on the scenario object (not pickled: a worker that receives a scenario
rebuilds its own), so schedule the Γ values of one chain set on one worker.

Cost (8 sites, shared machine): ground state and χ⁽¹⁾ 3–60 s (a second fluence is a rescaling, :func:`scaled_response`);
a chain set 2–17 s (long; an evolved paired χ̂ 32 s); a further Γ 0.1–0.2 s; the relaxation once per scenario 14–84 s.

Features (no forced order)
--------------------------
A: the largest positive local maximum of ΔXAS in ``[xfel.peaks] window``; B: the deepest negative local minimum there
(:func:`~localpairs.analysis.xas_peaks.find_ab_peaks` without ``a_below_b``), above ``min_amplitude`` × max|ΔXAS|.
Position uncertainties ``sqrt(h²/12 + (f/2)²)`` (grid and line FWHM f: 2Γ, or the Voigt FWHM of 2Γ and ``resolution_fwhm``
when the instrument's Gaussian resolution is convolved in; :mod:`~localpairs.analysis.xas_peaks`), the separation's in
quadrature. ``a_below_b`` = 1.0 when A lies below B (the experiment's pattern).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from localpairs.analysis.experiment import load_reference
from localpairs.analysis.xas_peaks import find_ab_peaks, pre_edge_peak, voigt_fwhm
from localpairs.errors import InputError, require
from localpairs.hamiltonians.driven_model import Pulse, drive, gaussian_pulse
from localpairs.hamiltonians.model import Model
from localpairs.hamiltonians.pulse import DEFAULT_CENTER_SIGMAS
from localpairs.solvers import solve
from localpairs.solvers.dynamics.breathing_relaxation import DEFAULT_CAPTURED_TOL, BreathingRelaxation, relax_breathing
from localpairs.solvers.dynamics.driven_operator import DrivenOperator
from localpairs.solvers.dynamics.evolution import EvolutionOptions, evolve
from localpairs.solvers.dynamics.linear_response import LinearResponseState, linear_response, pulse_transform
from localpairs.solvers.spectra.spectral_functions import SectorCache
from localpairs.solvers.spectra.windowed_chains import WindowedXasChains
from localpairs.solvers.spectra.xas import check_core_hole
from localpairs.solvers.spectra.xas_chains import XasChains
from localpairs.spec import RunSpec
from localpairs.studies.common import build_system
from localpairs.studies.xfel_fit import Context
from localpairs.studies.xfel_probe_models import SpectrumChains, energy_spread, excited_chains, ground_chains
from localpairs.units import HBAR_EV_FS

logger = logging.getLogger(__name__)

#: Pump polarization of the study (x).
POLARIZATION = (1.0, 0.0, 0.0)
#: Lattices of a point.
LATTICES = ("unrelaxed", "relaxed")
#: Most Lanczos steps of the linear-response state: it converges after ≈ π W σ/(2ħ) (W the spectral range, σ the pulse's;
#: 800 steps on the 8-site fits with the 30 fs pump). Memory: (steps + 1) × dim complex numbers (120 MB on 8 sites).
LR_STEPS = 1500
#: Fluence (mJ/cm²) of the one linear-response evaluation that calibrates α (any value: α ∝ F).
LR_PROBE_FLUENCE = 0.01
STATES = ("linear_response", "evolved")
#: Populations of an evolved χ̂ below this are dropped from its relaxation surface: the paired 8-site χ_ev holds 2 % on
#: ħω and 96 % on one level at 2ħω, the rest on 3–5ħω (hundreds of ranks up; kept, they cost a 1,300-state eigsh per step).
EVOLVED_CAPTURED_TOL = 0.02


@dataclass(eq=False)
class PumpedScenario:
    """A fitted scenario's ground state and pumped excited part, with the caches of :func:`dxas_point`.

    Parameters
    ----------
    name, spec
        A label and the run spec.
    fit
        U, V, breathing and E_G (the pump's photon energy), eV.
    fluence
        mJ/cm².
    psi0, e0
        Ground state and its energy (eV).
    chi, alpha, time
        The excited part χ, its weight ‖χ‖² and its time (fs).
    state
        ``"linear_response"`` or ``"evolved"``.
    validity
        α, two-photon ratio, linear regime, absorbed energy.
    captured_tol
        Populations of χ̂ dropped from the relaxation surface below this (``relax_breathing``'s ``captured_tol``).
    _cache
        Chains, models and the relaxation computed on demand (not pickled).
    """

    name: str
    spec: RunSpec
    fit: dict[str, Any]
    fluence: float
    psi0: np.ndarray
    e0: float
    chi: np.ndarray
    alpha: float
    time: float
    state: str
    validity: dict[str, Any]
    captured_tol: float = DEFAULT_CAPTURED_TOL
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_cache": {}}

    @property
    def context(self) -> Context:
        """The study context (system built once per process)."""
        if "context" not in self._cache:
            self._cache["context"] = Context(self.spec, build_system(self.spec))
        return self._cache["context"]

    def model(self, lattice: str) -> tuple[Model, SectorCache, np.ndarray]:
        """The final-state model, its sector cache and χ̂ for ``lattice``.

        Parameters
        ----------
        lattice
            ``"unrelaxed"`` (the fitted Δ) or ``"relaxed"`` (Δ* of :attr:`relaxation`).

        Returns
        -------
        tuple
            (model, sector cache, normalized χ̂ on that lattice).
        """
        key = ("model", lattice)
        if key not in self._cache:
            f = self.fit
            if lattice == "unrelaxed":
                m = self.context.model(f["U"], f["V"], f["breathing"])
                self._cache[key] = (m, SectorCache(m), self.chi / np.sqrt(self.alpha))
            else:
                rel = self.relaxation
                self._cache[key] = (rel.relaxed_model, SectorCache(rel.relaxed_model), rel.relaxed_state / np.linalg.norm(rel.relaxed_state))
        return self._cache[key]

    @property
    def relaxation(self) -> BreathingRelaxation:
        """The breathing relaxed on the excited part's surface (computed once)."""
        if "relaxation" not in self._cache:
            f, ctx = self.fit, self.context
            basis = self.model("unrelaxed")[1].basis(ctx.system.sector)
            self._cache["relaxation"] = relax_breathing(ctx.model(f["U"], f["V"], 0.0), basis, ctx.system.doping.large, f["breathing"],
                                                        psi0=self.psi0, state=self.chi, captured_tol=self.captured_tol)
        return self._cache["relaxation"]


def scaled_response(lr: LinearResponseState, pulse: Pulse) -> LinearResponseState:
    """The first-order state of ``lr`` under ``pulse``, the same pulse at another fluence: χ⁽¹⁾ ∝ A₀ ∝ √F.

    Parameters
    ----------
    lr
        A linear-response state.
    pulse
        ``lr.pulse`` with another amplitude (same shape, centre and photon energy).

    Returns
    -------
    LinearResponseState
        χ⁽¹⁾ and Ã scaled by r = A₀'/A₀, α and the absorbed energy by r² (exact at first order).
    """
    same = (pulse.center, pulse.sigma, pulse.omega)
    require(np.allclose(same, (lr.pulse.center, lr.pulse.sigma, lr.pulse.omega), rtol=1e-12, atol=0.0), "pulse", same,
            f"the pulse of the linear-response state at another amplitude (centre, σ, ω = {(lr.pulse.center, lr.pulse.sigma, lr.pulse.omega)})")
    r = pulse.amplitude / lr.pulse.amplitude
    return replace(lr, chi=r * lr.chi, alpha=r * r * lr.alpha, absorbed_energy=r * r * lr.absorbed_energy, pulse_spectrum=r * lr.pulse_spectrum,
                   pulse=pulse, chi_centred=None if lr.chi_centred is None else r * lr.chi_centred)


def _pulse(spec: RunSpec, fit: dict[str, Any], fluence: float) -> Pulse:
    duration = spec.xfel.pump.duration  # type: ignore[union-attr]
    return gaussian_pulse(photon_energy=fit["E_G"], duration=duration, fluence=fluence, polarization=list(POLARIZATION))


def pumped_scenario(spec: RunSpec, fit: dict[str, Any], *, name: str = "", fluence: float | None = None, alpha: float | None = None,
                    state: str = "linear_response") -> PumpedScenario:
    """The ground state ψ₀ and the excited part of one fitted scenario after the pump (module docstring).

    Parameters
    ----------
    spec
        The run spec of the XFEL study (cluster, model, ``[xfel]``).
    fit
        The scenario's fit (``U``, ``V``, ``breathing``, ``E_G`` in eV), e.g. the ``fit_paired`` checkpoint.
    name
        A label ("paired", "unpaired").
    fluence, alpha
        Fluence in mJ/cm², or the excited fraction to calibrate it to (default: the measured α at
        8 mJ/cm² from the reference data, 0.05); not both.
    state
        ``"linear_response"`` (default) or ``"evolved"`` (the full evolution at that fluence).

    Returns
    -------
    PumpedScenario
        ψ₀, E₀, the excited part χ at the time after the pulse, the fluence and the linear-response validity record, with
        ``resonance_fraction`` = ‖χ⁽¹⁾‖/(‖∂H/∂A ψ₀‖ sup|Ã|/ħ) (1: all one-photon weight at ħω; the Lanczos round-off ≈ 1e-15).
    """
    require(state in STATES, "state", state, f"one of {STATES}")
    require(fluence is None or alpha is None, "fluence", fluence, "None when alpha is given (one of the two)")
    ctx = Context(spec, build_system(spec))
    sec = ctx.system.sector
    m = ctx.model(fit["U"], fit["V"], fit["breathing"])
    gs = solve(m, sec)
    psi0 = gs.ground_state.astype(np.complex128)
    pulse = _pulse(spec, fit, LR_PROBE_FLUENCE)
    op = DrivenOperator(drive(m, pulse=pulse), gs.basis)
    t = pulse.center + DEFAULT_CENTER_SIGMAS * pulse.sigma
    lr = linear_response(op, psi0, gs.ground_energy, t=t, lanczos_steps=LR_STEPS)
    if fluence is None:
        target = float(load_reference()["alpha_at_8"].number) if alpha is None else float(alpha)
        fluence = LR_PROBE_FLUENCE * target / lr.alpha
    lr = scaled_response(lr, _pulse(spec, fit, fluence))
    driven = drive(m, pulse=lr.pulse)  # refuses a field beyond the one-band model's validity (InputError "pump.peak_field")
    fraction = float(np.sqrt(lr.alpha / np.sum(lr.transition_weights)) * HBAR_EV_FS / abs(pulse_transform(lr.pulse, lr.pulse.omega * HBAR_EV_FS)))
    validity = {**lr.validity(), "absorbed_energy": lr.absorbed_energy, "resonance_fraction": fraction}
    if state == "linear_response":
        chi = lr.chi
    else:
        op = DrivenOperator(driven, gs.basis)
        psi = evolve(op, psi0, np.array([0.0, t]), options=EvolutionOptions(tol=spec.xfel.pump.evolution_tol)).states[:, -1]  # type: ignore[union-attr]
        chi = psi - np.vdot(psi0, psi) * psi0
    a = float(np.vdot(chi, chi).real)
    logger.info("pumped %s: F = %.4g mJ/cm², α = %.4g (%s; linear response α = %.4g, linear regime %s)", name, fluence, a, state, lr.alpha,
                validity["linear_regime"])
    return PumpedScenario(name, spec, dict(fit), float(fluence), psi0, float(gs.ground_energy), chi, a, float(t), state, validity,
                          DEFAULT_CAPTURED_TOL if state == "linear_response" else EVOLVED_CAPTURED_TOL)


def _grids(sc: PumpedScenario) -> tuple[np.ndarray, np.ndarray, tuple[float, float]]:
    """(relative grid at offset 0, photon energies, peak window) of ``[xfel.probe]``/``[xfel.peaks]``."""
    p, w = sc.spec.xfel.probe, sc.spec.xfel.peaks  # type: ignore[union-attr]
    rel = np.arange(p.omega_span[0] - 4.0, p.omega_span[1], p.omega_step)
    omega = p.pre_edge_peak + np.arange(p.omega_span[0], p.omega_span[1] + 1e-9, p.omega_step)
    return rel, omega, (p.pre_edge_peak + w.window[0], p.pre_edge_peak + w.window[1])


def _chains(sc: PumpedScenario, *, U_c: float, core_hole: Any, probe_model: str, lattice: str, Gamma: float) -> tuple[XasChains, SpectrumChains]:
    """Ground and excited chains (cached; the long probe's rebuilt if Γ is below the one it was converged at)."""
    sec, n_steps = sc.context.system.sector, sc.spec.xfel.probe.lanczos_steps  # type: ignore[union-attr]
    hole, (m0, cache0, _) = (core_hole if isinstance(core_hole, str) else tuple(core_hole)), sc.model("unrelaxed")
    gkey = ("ground", float(U_c), hole)
    if gkey not in sc._cache:
        sc._cache[gkey] = ground_chains(m0, sec, sc.psi0, e0=sc.e0, U_c=U_c, core_hole=hole, n_steps=n_steps, cache=cache0)
    xkey = ("excited", float(U_c), hole, probe_model, lattice)
    old = sc._cache.get(xkey)
    if old is None or (probe_model == "long" and old.Gamma_checked > Gamma + 1e-12):
        m, cache, chi_hat = sc.model(lattice)
        pkey = ("prepared", lattice, float(Gamma))  # χ̂'s symmetries and Ritz decomposition: the same at every U_c
        sc._cache[xkey] = excited_chains(m, sec, chi_hat, probe_model=probe_model, U_c=U_c, core_hole=hole, n_steps=n_steps, Gamma_check=Gamma,
                                         check_grid=_grids(sc)[0], cache=cache, prepared=sc._cache.get(pkey))
        sc._cache[pkey] = getattr(sc._cache[xkey], "prepared", None)
    return sc._cache[gkey], sc._cache[xkey]


def _features(omega: np.ndarray, d: np.ndarray, window: tuple[float, float], fwhm: float, min_amplitude: float) -> dict[str, float]:
    """A/B energies, amplitudes, uncertainties (line FWHM ``fwhm``) and separation (NaN and ``found`` = 0 without a peak)."""
    try:
        pp = find_ab_peaks(omega, d, window=window, broadening_fwhm=fwhm, min_amplitude=min_amplitude)
    except InputError:
        nan = float("nan")
        return {"found": 0.0, **{k: nan for k in ("A_energy", "A_amplitude", "A_error", "B_energy", "B_amplitude", "B_error", "separation",
                                                   "abs_separation", "separation_error", "a_below_b")}}
    return {"found": 1.0, "A_energy": pp.a.energy, "A_amplitude": pp.a.amplitude, "A_error": pp.a.energy_error, "B_energy": pp.b.energy,
            "B_amplitude": pp.b.amplitude, "B_error": pp.b.energy_error, "separation": pp.separation, "abs_separation": abs(pp.separation),
            "separation_error": pp.separation_error, "a_below_b": float(pp.separation < 0), "A_at_edge": float(pp.a.at_edge),
            "B_at_edge": float(pp.b.at_edge)}


def _check_point(*, U_c: float, Gamma: float, core_hole: Any, probe_model: str, lattice: str) -> None:
    """InputError naming the field for a value :func:`dxas_point` does not take."""
    for name, value in (("U_c", U_c), ("Gamma", Gamma)):
        require(isinstance(value, (int, float, np.floating)) and not isinstance(value, bool) and bool(np.isfinite(value)), name, value, "a finite number in eV")
    require(Gamma > 0, "Gamma", Gamma, "a half width > 0 in eV")
    check_core_hole(core_hole)
    require(probe_model in ("instantaneous", "long"), "probe_model", probe_model,
            "'instantaneous' or 'long' (the finite probe needs ψ(t) and minutes per point: the study's probe step computes it)")
    require(lattice in LATTICES, "lattice", lattice, f"one of {LATTICES}")


def dxas_point(*, scenario: PumpedScenario, U_c: float, Gamma: float, core_hole: Any = "both", probe_model: str = "long",
               lattice: str = "unrelaxed", resolution_fwhm: float = 0.0) -> dict[str, float]:
    """The strongest positive (A) and negative (B) ΔXAS features of ``scenario`` at one nuisance point.

    Parameters
    ----------
    scenario
        From :func:`pumped_scenario` (computed once per scenario; caches chains).
    U_c
        Core-hole potential in eV (< 0 attracts).
    Gamma
        Core-hole Lorentzian half width in eV.
    core_hole
        Placement: ``"both"``, ``"site"``, ``"site_i"``, ``"site_j"``, ``"receiving"`` or weights ``(w_i, w_j)``.
    probe_model
        ``"long"`` (each eigencomponent from its own energy) or ``"instantaneous"`` (one reference).
    lattice
        ``"unrelaxed"`` (the fitted Δ) or ``"relaxed"`` (Δ* on the excited part's surface).
    resolution_fwhm
        FWHM (eV) of the instrument's Gaussian resolution convolved with every line (a Voigt line;
        0: Lorentzian only); the position uncertainties use the Voigt FWHM.

    Returns
    -------
    dict of float
        ``found`` (1.0/0.0), ``A_energy``, ``A_amplitude``, ``A_error``, ``B_energy``, ``B_amplitude``,
        ``B_error`` (eV; amplitudes in the ΔXAS unit 1/eV), ``separation`` = E_A − E_B, ``abs_separation``,
        ``separation_error``, ``a_below_b`` (1.0 when A lies below B), ``A_at_edge``/``B_at_edge``;
        NaN for all of these when ``found`` = 0 (no peak above threshold). Always: ``alpha``,
        ``offset`` (eV), ``excited_energy_spread`` σ_χ (eV), ``window_width`` and ``halving_change``
        (long probe; NaN otherwise), ``breathing`` (Δ of the lattice probed, eV), ``hw`` (ħω, eV), ``seconds``.
    """
    _check_point(U_c=U_c, Gamma=Gamma, core_hole=core_hole, probe_model=probe_model, lattice=lattice)
    t0 = time.perf_counter()
    sc = scenario
    ground, excited = _chains(sc, U_c=float(U_c), core_hole=core_hole, probe_model=probe_model, lattice=lattice, Gamma=float(Gamma))
    rel, omega, window = _grids(sc)
    cfg = sc.spec.xfel
    assert cfg is not None
    res = float(resolution_fwhm)
    offset = float(cfg.probe.pre_edge_peak - pre_edge_peak(rel, ground.spectrum(rel, Gamma=Gamma, gaussian_fwhm=res)))
    d = sc.alpha * (excited.spectrum(omega, Gamma=Gamma, gaussian_fwhm=res, offset=offset)
                    - ground.spectrum(omega, Gamma=Gamma, gaussian_fwhm=res, offset=offset))
    fwhm = voigt_fwhm(2.0 * float(Gamma), res) if res > 0 else 2.0 * float(Gamma)  # the Voigt formula is good to 0.02 %, not exact at res = 0
    out = _features(omega, d, window, fwhm, cfg.peaks.min_amplitude)
    _, cache, chi_hat = sc.model(lattice)
    skey = ("spread", lattice)
    if skey not in sc._cache:
        sc._cache[skey] = energy_spread(cache, sc.context.system.sector, chi_hat)[1]
    width, change = float("nan"), float("nan")
    if isinstance(excited, WindowedXasChains):
        width, change = float(excited.width), float(excited.halving_change(rel, Gamma=Gamma, gaussian_fwhm=res))
    out.update(alpha=sc.alpha, offset=offset, excited_energy_spread=sc._cache[skey], hw=float(sc.fit["E_G"]), window_width=width, halving_change=change,
               breathing=float(sc.fit["breathing"]) if lattice == "unrelaxed" else sc.relaxation.relaxed_breathing,
               seconds=time.perf_counter() - t0)
    return out


def dxas_points(*, scenario: PumpedScenario, U_c: float, Gammas: Sequence[float], core_hole: Any = "both", probe_model: str = "long",
                lattice: str = "unrelaxed", resolution_fwhm: float = 0.0) -> list[dict[str, float]]:
    """:func:`dxas_point` for every Γ in ``Gammas`` with one set of chains (converged at the smallest Γ).

    Parameters
    ----------
    scenario
        From :func:`pumped_scenario`.
    U_c
        Core-hole potential (eV).
    Gammas
        Lorentzian half widths (eV).
    core_hole
        Placement of U_c.
    probe_model
        ``"instantaneous"`` or ``"long"``.
    lattice
        ``"unrelaxed"`` or ``"relaxed"``.
    resolution_fwhm
        FWHM of the instrument's Gaussian resolution (eV).

    Returns
    -------
    list of dict
        :func:`dxas_point`'s record per Γ, in the order given.
    """
    order = sorted(range(len(Gammas)), key=lambda k: Gammas[k])
    points: dict[int, dict[str, float]] = {}
    for k in order:
        points[k] = dxas_point(scenario=scenario, U_c=U_c, Gamma=Gammas[k], core_hole=core_hole, probe_model=probe_model, lattice=lattice,
                               resolution_fwhm=resolution_fwhm)
    return [points[k] for k in range(len(Gammas))]
