"""XFEL study, step 2: pump each scenario at its optical gap and probe it by O K-edge XAS.

Pump
----
An x-polarized Gaussian pulse (Peierls phases) at ħω = the scenario's E_G; ψ(t) by the CFM4
integrator. Reported per delay: the excited fraction ``α = 1 − |⟨ψ0|ψ⟩|²`` and the absorbed
energy ``⟨H⟩_ψ − E0`` (the pulse is over: A ≈ 0). In the linear (one-photon) regime α ∝ fluence
and absorbed energy / (α ħω) = 1; a Rabi-saturated pulse breaks both.

Calibrated fluence: a bare 8-site cluster absorbs far more per octahedron than the 90 nm film
(no reflection, no screening, a single discrete resonance), so the nominal 8 mJ/cm² saturates it.
With ``calibrate_fluence`` a probe run at ``[xfel] fluence`` (refused unless α <
``max_probe_excitation``) gives α per mJ/cm², and the ΔXAS fluence is the one giving the measured
α at 8 mJ/cm²; the achieved α and the exponent d ln α / d ln F between the two runs are reported.

Probe
-----
After the pulse ψ(t) = c0 ψ0 + χ(t) with χ ⟂ ψ0 (weight α = ‖χ‖²); each part is measured from its
own energy (:func:`localpairs.solvers.dynamics.transient_xas.split_xas`, the pipeline the pump study
uses too):

    ΔXAS(ω, t) = α (I[χ̂; H_lat] − I[ψ0; H]),

with H_lat = H (unrelaxed lattice) or H at Δ = 0 (relaxed lattice: the excited clusters'
octahedra identical, sudden limit — same χ̂; the unexcited majority keeps its lattice). One
offset per scenario puts the lowest strong peak of XAS[ψ0] at ``pre_edge_peak``
(:func:`localpairs.analysis.xas_peaks.pre_edge_peak`). χ spans the pump bandwidth (≈ 0.1 eV ≪ Γ),
so one reference energy ⟨χ̂|H|χ̂⟩ is accurate to within it.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from localpairs.analysis.xas_peaks import find_ab_peaks, pre_edge_peak
from localpairs.errors import InputError
from localpairs.hamiltonians import Cluster
from localpairs.hamiltonians.driven_model import drive, gaussian_pulse
from localpairs.solvers import solve
from localpairs.solvers.dynamics.driven_operator import DrivenOperator
from localpairs.solvers.dynamics.evolution import EvolutionOptions, evolve
from localpairs.solvers.dynamics.transient_xas import XasSettings, ground_offset, split_xas, state_xas
from localpairs.solvers.spectra.spectral_functions import SectorCache
from localpairs.studies.xfel_fit import Context
from localpairs.studies.xfel_spec import XfelSpec

logger = logging.getLogger(__name__)

#: Pump polarization of the study (x).
POLARIZATION = (1.0, 0.0, 0.0)
#: Below this excited fraction the probe run is taken as "no coupling" (nothing to calibrate from).
MIN_PROBE_EXCITATION = 1e-10


def check_pump_axis(cluster: Cluster, polarization: tuple[float, float, float] = POLARIZATION) -> None:
    """Refuse a polarization with a component along a periodic axis of length 2.

    On such an axis the two bonds joining a pair of octahedra carry opposite Peierls phases, so
    the current operator vanishes identically and the pulse couples only at second order
    (through cos(eAa/ħ)): no one-photon absorption, an excited fraction ∝ fluence² that means
    nothing for the experiment.

    Raises
    ------
    InputError
        Naming ``cluster.periodic`` and the axis.
    """
    names = "xyz"
    bad = [names[ax] for ax in range(3) if abs(polarization[ax]) > 1e-12 and cluster.doubled_axes[ax]]
    if bad:
        raise InputError(
            "cluster.periodic", list(cluster.periodic),
            f"an open boundary along the pump polarization {list(polarization)} (axis {', '.join(bad)}): on {cluster.describe()} "
            f"the {'/'.join(bad)} axis is periodic with length 2, its two bonds per pair of octahedra carry opposite Peierls "
            "phases, the current vanishes identically and the pump would couple only at second order (no one-photon "
            "absorption). Use e.g. periodic = [false, true, true]",
        )


def pump_states(ctx: Context, fit: dict[str, Any], fluence: float) -> dict[str, Any]:
    """ψ0 and ψ at the delays for one scenario's model and fluence.

    Returns
    -------
    dict
        ``times`` (fs, first entry 0 = ψ0), ``states`` (dim × n_times), ``E0``, ``pulse`` info,
        ``population`` α per delay, ``absorbed`` energy per delay (eV per cluster).
    """
    cfg, sec = ctx.cfg, ctx.system.sector
    model = ctx.model(fit["U"], fit["V"], fit["breathing"])
    gs = solve(model, sec)
    psi0 = gs.ground_state.astype(np.complex128)
    pulse = gaussian_pulse(photon_energy=fit["E_G"], duration=cfg.pump.duration, fluence=fluence, polarization=list(POLARIZATION))
    end = pulse.center + cfg.pump.duration
    times = np.concatenate([[0.0], end + np.asarray(cfg.pump.delays, dtype=float)])
    op = DrivenOperator(drive(model, pulse=pulse), gs.basis)
    states = evolve(op, psi0, times, options=EvolutionOptions(tol=cfg.pump.evolution_tol)).states
    pop = [float(1.0 - abs(np.vdot(states[:, 0], states[:, k])) ** 2) for k in range(1, len(times))]
    absorbed = [float(op.energy(float(times[k]), states[:, k]) - gs.ground_energy) for k in range(1, len(times))]
    return {"times": times, "states": states, "E0": float(gs.ground_energy), "population": pop, "absorbed": absorbed,
            "pulse": {"fluence": float(fluence), "center_fs": float(pulse.center), "end_fs": float(end), "peak_field": float(pulse.peak_field)}}


def calibrate(ctx: Context, fit: dict[str, Any], alpha_target: float) -> dict[str, float]:
    """Fluence giving the excited fraction ``alpha_target``, from a probe run at ``[xfel] fluence``.

    Raises
    ------
    InputError
        If the probe run excites nothing (no coupling) or too much (not in the linear regime).
    """
    cfg = ctx.cfg
    run = pump_states(ctx, fit, cfg.pump.fluence)
    p = run["population"][-1]
    if p < MIN_PROBE_EXCITATION:
        raise InputError("xfel.pump.fluence", cfg.pump.fluence, f"a pulse that excites the cluster: α = {p:.3g} at the last delay, "
                         "check the photon energy (E_G) and the boundary along x")
    if p > cfg.pump.max_probe_excitation:
        raise InputError("xfel.pump.fluence", cfg.pump.fluence, f"a probe fluence in the linear regime: it excites α = {p:.3g} > "
                         f"xfel.pump.max_probe_excitation = {cfg.pump.max_probe_excitation:g}; lower it")
    return {"probe_fluence": float(cfg.pump.fluence), "probe_population": p, "probe_absorbed": run["absorbed"][-1],
            "fluence": float(cfg.pump.fluence * alpha_target / p), "alpha_target": float(alpha_target)}


def xas_settings(cfg: XfelSpec) -> XasSettings:
    """The settings of every XAS of the study: ``[xfel.probe]`` U_c, Γ and Lanczos steps (no resolution, incoherent, symmetric)."""
    return XasSettings(U_c=cfg.probe.U_c, Gamma=cfg.probe.Gamma, n_steps=cfg.probe.lanczos_steps)


def _peaks(omega: np.ndarray, d: np.ndarray, window: tuple[float, float], cfg: XfelSpec) -> dict[str, Any]:
    """A and B of one ΔXAS, or ``found = False`` with the reason (never NaN).

    ``A_anywhere`` is the largest positive peak in the whole window (None if none), reported
    when A is sought below B only and the two differ.
    """
    kw: dict[str, Any] = {"window": window, "broadening_fwhm": 2 * cfg.probe.Gamma, "min_amplitude": cfg.peaks.min_amplitude}
    try:
        anywhere = find_ab_peaks(omega, d, **kw).a.energy
    except InputError:
        anywhere = None
    try:
        pp = find_ab_peaks(omega, d, a_below_b=cfg.peaks.a_below_b, **kw)
    except InputError as err:
        return {"found": False, "reason": str(err), "A": None, "B": None, "A_amp": None, "B_amp": None, "separation": None,
                "A_anywhere": anywhere}
    return {"found": True, "reason": "", "A": pp.a.energy, "B": pp.b.energy, "A_amp": pp.a.amplitude, "B_amp": pp.b.amplitude,
            "A_at_edge": pp.a.at_edge, "B_at_edge": pp.b.at_edge, "separation": abs(pp.separation), "signed": pp.separation,
            "A_anywhere": anywhere}


def probe_states(ctx: Context, fit: dict[str, Any], run: dict[str, Any], *, full: bool = True) -> dict[str, Any]:
    """ΔXAS (unrelaxed and relaxed lattice) and peaks A/B of the pumped states of one scenario.

    ``run`` is :func:`pump_states`'s (``states[:, 0]`` = ψ0, the others the states at the delays).
    With ``full = False`` only what the fluence scan needs: the unrelaxed lattice at the last delay.
    The spectra come from :func:`localpairs.solvers.dynamics.transient_xas.split_xas`.
    """
    cfg, sec = ctx.cfg, ctx.system.sector
    states, times = run["states"], run["times"]
    model = ctx.model(fit["U"], fit["V"], fit["breathing"])
    caches = {"unrelaxed": SectorCache(model), "relaxed": SectorCache(ctx.model(fit["U"], fit["V"], 0.0))}
    settings = xas_settings(cfg)
    psi0 = states[:, 0]
    rel = np.arange(cfg.probe.omega_span[0] - 4.0, cfg.probe.omega_span[1], cfg.probe.omega_step)
    offset = ground_offset(caches["unrelaxed"], sec, psi0, settings, e_ground=run["E0"], grid=rel, target=cfg.probe.pre_edge_peak, feature=pre_edge_peak)
    omega = cfg.probe.pre_edge_peak + np.arange(cfg.probe.omega_span[0], cfg.probe.omega_span[1] + 1e-9, cfg.probe.omega_step)
    ground = state_xas(caches["unrelaxed"], sec, psi0, omega, settings, offset=offset, e_ref=run["E0"])["total"].values
    window = (cfg.probe.pre_edge_peak + cfg.peaks.window[0], cfg.probe.pre_edge_peak + cfg.peaks.window[1])
    ks = list(range(1, len(times))) if full else [len(times) - 1]
    lattices = ("unrelaxed", "relaxed") if full else ("unrelaxed",)
    out: dict[str, Any] = {"omega": omega.tolist(), "ground": ground.tolist(), "offset": offset, "times": [float(times[k]) for k in ks],
                           "delays": [cfg.pump.delays[k - 1] for k in ks], "pulse": run["pulse"], "E0": run["E0"],
                           "population": [run["population"][k - 1] for k in ks], "absorbed": [run["absorbed"][k - 1] for k in ks],
                           "excitation_energy": [], "window": list(window)}
    for lat in lattices:
        out[lat] = {"dxas": [], "peaks": []}
    for k in ks:
        for lat in lattices:
            split = split_xas(psi0, states[:, k], ground=ground, cache=caches[lat], sec=sec, omega=omega, offset=offset, settings=settings)
            d = split.difference
            out[lat]["dxas"].append(d.tolist())
            out[lat]["peaks"].append(_peaks(omega, d, window, cfg))
            if lat == "unrelaxed":
                out["excitation_energy"].append(split.excited_energy - run["E0"])
                if k == ks[-1]:
                    out["excited_component_xas"] = split.excited.tolist()
                    out["last_xas"] = (ground + d).tolist()
    return out


def scenario_xas(ctx: Context, fit: dict[str, Any], fluence: float, *, full: bool = True) -> dict[str, Any]:
    """Pump one scenario at ``fluence`` (mJ/cm²) and probe it (:func:`pump_states`, :func:`probe_states`)."""
    out = probe_states(ctx, fit, pump_states(ctx, fit, fluence), full=full)
    u, r = out["unrelaxed"]["peaks"], out.get("relaxed", {"peaks": [None]})["peaks"]
    sep = lambda p: "no peak" if p is None or not p["found"] else f"{p['separation']:.3f} eV"  # noqa: E731
    logger.info(f"ΔXAS at {fluence:.4g} mJ/cm²: α = {out['population'][-1]:.3g}, absorbed {out['absorbed'][-1]:.3g} eV, "
             f"⟨H⟩_χ − E0 = {out['excitation_energy'][-1]:.3f} eV (ħω = {fit['E_G']:.3f}); |A−B| unrelaxed (first delay) {sep(u[0])}"
             + (f", relaxed (last delay) {sep(r[-1])}" if full else ""))
    return out
