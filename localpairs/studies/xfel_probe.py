"""XFEL study, step 2: pump each scenario at its optical gap and probe it by O K-edge XAS.

Pump
----
An x-polarized Gaussian pulse (Peierls phases) at ħω = the scenario's E_G. The probe step's states
are the linear-response ones (:mod:`.xfel_pumped`: χ⁽¹⁾ after the pulse, freely evolved to the
delays; α = ‖χ⁽¹⁾‖², absorbed energy ⟨χ⁽¹⁾|H − E0|χ⁽¹⁾⟩); the full evolution (:func:`pump_states`,
CFM4, α = 1 − |⟨ψ0|ψ⟩|², absorbed ⟨H⟩_ψ − E0) serves the fluence scan, where α(F) beyond first
order is the point, and the finite probe, which needs ψ(t) on its time grid. In the linear
(one-photon) regime α ∝ fluence and absorbed energy / (α ħω) = 1; a Rabi-saturated or two-photon
pulse breaks both.

Calibrated fluence: a bare 8-site cluster absorbs far more per octahedron than the 90 nm film
(no reflection, no screening, a single discrete resonance), so the nominal 8 mJ/cm² saturates it.
With ``calibrate_fluence`` the ΔXAS fluence is the one giving the measured α at 8 mJ/cm² in
linear response (α ∝ F exactly at first order: one evaluation).

Probe
-----
After the pulse ψ(t) = c0 ψ0 + χ(t) with χ ⟂ ψ0 (weight α = ‖χ‖²) and

    ΔXAS(ω, t) = α (I[χ̂; H_lat] − I[ψ0; H]),

with I[χ̂] given by ``[xfel.probe] probe_model`` (:mod:`.xfel_probe_models`: ``"long"``, each
eigencomponent from its own energy by energy windows; ``"instantaneous"``, one reference
⟨χ̂|H|χ̂⟩; ``"finite"``, the two-time formula on ψ(t) with the ground reference convolved with the
probe's bandwidth) and the core hole placed by ``core_hole``. H_lat is H (unrelaxed lattice) or
H(Δ*) (relaxed lattice): the excited clusters' breathing relaxed on their Born–Oppenheimer surface
with the ground state held at the fitted Δ
(:func:`~localpairs.solvers.dynamics.breathing_relaxation.relax_breathing`, from χ at the last
delay), χ̂ carried to that geometry; the unexcited majority keeps the fitted lattice. The relaxed
rows of the finite probe use the long probe at Δ* with the probe's bandwidth (a stationary
population seen by a finite probe). One offset per scenario puts the lowest strong peak of
XAS[ψ0] at ``pre_edge_peak`` (:func:`localpairs.analysis.xas_peaks.pre_edge_peak`). Recorded in
``probe``: the window width against Γ and the change when it is halved (long), χ̂'s energy spread
σ_χ (what the instantaneous probe neglects), the relaxed Δ.
"""

from __future__ import annotations

import itertools
import logging
from typing import Any

import numpy as np

from localpairs.analysis.xas_peaks import find_ab_peaks, pre_edge_peak
from localpairs.errors import InputError, require
from localpairs.hamiltonians import Cluster
from localpairs.hamiltonians.driven_model import drive, gaussian_pulse
from localpairs.solvers import solve
from localpairs.solvers.dynamics.breathing_relaxation import relax_breathing
from localpairs.solvers.dynamics.driven_operator import DrivenOperator
from localpairs.solvers.dynamics.evolution import EvolutionOptions, evolve
from localpairs.solvers.dynamics.finite_probe import finite_probe_xas, probe_bandwidth, probe_grid
from localpairs.solvers.spectra.spectral_functions import SectorCache
from localpairs.solvers.spectra.windowed_chains import WindowedXasChains
from localpairs.solvers.spectra.xas import describe_core_hole, excited_part
from localpairs.studies.xfel_fit import Context
from localpairs.studies.xfel_probe_models import energy_spread, excited_chains, ground_chains, reorthogonalize_for
from localpairs.studies.xfel_pumped import linear_response_check, linear_response_run
from localpairs.studies.xfel_spec import XfelSpec

logger = logging.getLogger(__name__)

#: Pump polarization of the study (x).
POLARIZATION = (1.0, 0.0, 0.0)
#: Probe model of the fluence scan's XAS (the α of the XAS fit): one reference energy for χ̂. The long probe of an
#: evolved χ, whose pulse tails spread over hundreds of levels, took over 10 min per fluence at load ≈ 16.
FLUENCE_SCAN_PROBE = "instantaneous"


def check_pump_axis(cluster: Cluster, polarization: tuple[float, float, float] = POLARIZATION) -> None:
    """Refuse a polarization with a component along a periodic axis of length 2.

    On such an axis the two bonds joining a pair of octahedra carry opposite Peierls phases, so
    the current operator vanishes identically and the pulse couples only at second order
    (through cos(eAa/ħ)): no one-photon absorption, an excited fraction ∝ fluence² that means
    nothing for the experiment.

    Parameters
    ----------
    cluster
        The cluster.
    polarization
        Pump polarization (x, y, z).

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


def pump_states(ctx: Context, fit: dict[str, Any], fluence: float, *, probe_windows: bool = False) -> dict[str, Any]:
    """The ground state ψ0 and ψ at the delays for one scenario's model and fluence, by the full evolution.

    With ``probe_windows`` also ψ(t) on the finite probe's time grid around each delay
    (:func:`~localpairs.solvers.dynamics.finite_probe.probe_grid`, ``[xfel.probe] probe_fwhm`` and
    ``finite_time_step``).

    Parameters
    ----------
    ctx
        The study context.
    fit
        The scenario's fit with ``E_G`` = the photon energy (eV).
    fluence
        Fluence (mJ/cm²).
    probe_windows
        Also ψ(t) on the finite probe's time grids.

    Returns
    -------
    dict
        ``times`` (fs, first entry 0 = ψ0), ``states`` (dim × n_times), ``E0``, ``pulse`` info,
        ``population`` α per delay, ``absorbed`` energy per delay (eV per cluster); with
        ``probe_windows``, ``windows`` (per delay: states as rows) and ``window_times`` (fs).
    """
    cfg, sec = ctx.cfg, ctx.system.sector
    model = ctx.model(fit["U"], fit["V"], fit["breathing"])
    gs = solve(model, sec)
    psi0 = gs.ground_state.astype(np.complex128)
    pulse = gaussian_pulse(photon_energy=fit["E_G"], duration=cfg.pump.duration, fluence=fluence, polarization=list(POLARIZATION))
    end = pulse.center + cfg.pump.duration
    times = np.concatenate([[0.0], end + np.asarray(cfg.pump.delays, dtype=float)])
    op = DrivenOperator(drive(model, pulse=pulse), gs.basis)
    grids = [probe_grid(t, cfg.probe.probe_fwhm, dt=cfg.probe.finite_time_step) for t in times[1:]] if probe_windows else []  # type: ignore[arg-type]
    if grids and grids[0][0] <= 0:
        raise InputError("xfel.probe.probe_fwhm", cfg.probe.probe_fwhm, f"a probe whose time grid starts after t = 0 (it starts at {grids[0][0]:.4g} fs)")
    every, where = np.unique(np.concatenate([times, *grids]), return_inverse=True)
    evolved = evolve(op, psi0, every, options=EvolutionOptions(tol=cfg.pump.evolution_tol)).states
    states = evolved[:, where[: times.size]]
    out: dict[str, Any] = {}
    if grids:
        cut = np.cumsum([times.size] + [g.size for g in grids])
        out = {"windows": [evolved[:, where[a:b]].T for a, b in itertools.pairwise(cut)], "window_times": grids}
    pop = [float(1.0 - abs(np.vdot(states[:, 0], states[:, k])) ** 2) for k in range(1, len(times))]
    absorbed = [float(op.energy(float(times[k]), states[:, k]) - gs.ground_energy) for k in range(1, len(times))]
    return {**out, "times": times, "states": states, "E0": float(gs.ground_energy), "population": pop, "absorbed": absorbed,
            "pulse": {"fluence": float(fluence), "center_fs": float(pulse.center), "end_fs": float(end), "peak_field": float(pulse.peak_field)}}


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


def _lattice_probe(ctx: Context, fit: dict[str, Any], run: dict[str, Any], lattices: tuple[str, ...]) -> dict[str, Any]:
    """The final-state model, its sector cache and the carrier of χ̂ per lattice; the relaxation (None when unrelaxed only)."""
    model = ctx.model(fit["U"], fit["V"], fit["breathing"])
    out: dict[str, Any] = {"unrelaxed": (model, SectorCache(model), lambda chi: chi), "relaxation": None}
    if "relaxed" in lattices:
        psi0 = run["states"][:, 0]
        # χ⁽¹⁾ (the study always gives it: the surface of the first-order populations, module docstring of .xfel_pumped), else the last χ
        chi = run["relax_state"] if "relax_state" in run else run["states"][:, -1] - np.vdot(psi0, run["states"][:, -1]) * psi0
        basis = out["unrelaxed"][1].basis(ctx.system.sector)
        rel = relax_breathing(ctx.model(fit["U"], fit["V"], 0.0), basis, ctx.system.doping.large, fit["breathing"], psi0=psi0, state=chi)
        logger.info("relaxed breathing %.4f eV (fitted %.4f eV) on the excited part's surface, %.1f s", rel.relaxed_breathing, fit["breathing"], rel.seconds)
        out["relaxed"] = (rel.relaxed_model, SectorCache(rel.relaxed_model), rel.carry)
        out["relaxation"] = rel
    return out


def _excited_xas(ctx: Context, lat: tuple, chi_hat: np.ndarray, omega: np.ndarray, rel: np.ndarray, offset: float, *, model_name: str,
                 finite: tuple | None) -> tuple[np.ndarray, dict[str, float]]:
    """I[χ̂] on ``omega`` for one lattice and the probe model's diagnostics (σ_χ; window width and halving change of the long probe)."""
    p, sec = ctx.cfg.probe, ctx.system.sector
    model, cache, carry = lat
    chi_hat = carry(chi_hat)
    mean, spread = energy_spread(cache, sec, chi_hat)
    info = {"excited_energy": mean, "excited_energy_spread": spread}
    if finite is not None:  # (states, times, t_probe): the unrelaxed lattice's ψ(t)
        states, times, t_probe = finite
        ds = finite_probe_xas(model, sec, states, times, omega, t_probe=t_probe, fwhm=float(p.probe_fwhm or 0.0), U_c=p.U_c, Gamma=p.Gamma,
                              offset=offset, cache=cache, n_steps=p.lanczos_steps)
        return ds["total"].values, {**info, "finite_components": float(ds.attrs["n_components"]), "finite_seconds": float(ds.attrs["seconds"])}
    probe_model = "long" if model_name == "finite" else model_name
    chains = excited_chains(model, sec, chi_hat, probe_model=probe_model, U_c=p.U_c, core_hole=p.core_hole_value, n_steps=p.lanczos_steps,
                            Gamma_check=p.Gamma, check_grid=rel, cache=cache)
    fwhm = probe_bandwidth(p.probe_fwhm) if model_name == "finite" and p.probe_fwhm is not None else 0.0
    if isinstance(chains, WindowedXasChains):
        info.update(window_width=chains.width, halving_change=chains.halving_change(rel, Gamma=p.Gamma), n_windows=float(len(chains.part.heavy)))
    return chains.spectrum(omega, Gamma=p.Gamma, gaussian_fwhm=fwhm, offset=offset), info


def probe_states(ctx: Context, fit: dict[str, Any], run: dict[str, Any], *, full: bool = True, probe_model: str | None = None) -> dict[str, Any]:
    """ΔXAS (unrelaxed and relaxed lattice) and peaks A/B of the pumped states of one scenario (module docstring).

    ``run`` is :func:`pump_states`'s (``states[:, 0]`` = ψ0, the others the states at the delays;
    ``windows``: ψ(t) around each delay for the finite probe). With ``full = False`` only what the
    fluence scan needs: the unrelaxed lattice at the last delay.

    Parameters
    ----------
    ctx
        The study context.
    fit
        The scenario's fit (U, V, breathing, E_G in eV).
    run
        :func:`pump_states`'s record (or :func:`~.xfel_pumped.linear_response_run`'s).
    full
        Both lattices at every delay (else the unrelaxed lattice at the last delay).
    probe_model
        The probe model (default ``[xfel.probe] probe_model``).

    Returns
    -------
    dict
        Photon energies, ground XAS, offset, per lattice ΔXAS and peaks per delay, probe diagnostics, the relaxation.
    """
    cfg, sec = ctx.cfg, ctx.system.sector
    p = cfg.probe
    name = probe_model or p.probe_model
    states, times = run["states"], run["times"]
    ks = list(range(1, len(times))) if full else [len(times) - 1]
    lattices = ("unrelaxed", "relaxed") if full else ("unrelaxed",)
    lat = _lattice_probe(ctx, fit, run, lattices)
    model, cache, _ = lat["unrelaxed"]
    psi0 = states[:, 0]
    ground = ground_chains(model, sec, psi0, e0=run["E0"], U_c=p.U_c, core_hole=p.core_hole_value, n_steps=p.lanczos_steps, cache=cache)
    rel = np.arange(p.omega_span[0] - 4.0, p.omega_span[1], p.omega_step)
    offset = float(p.pre_edge_peak - pre_edge_peak(rel, ground.spectrum(rel, Gamma=p.Gamma)))
    omega = p.pre_edge_peak + np.arange(p.omega_span[0], p.omega_span[1] + 1e-9, p.omega_step)
    finite = name == "finite"
    ground_xas = ground.spectrum(omega, Gamma=p.Gamma, offset=offset)
    reference = ground.spectrum(omega, Gamma=p.Gamma, gaussian_fwhm=probe_bandwidth(p.probe_fwhm), offset=offset) if finite else ground_xas  # type: ignore[arg-type]
    window = (p.pre_edge_peak + cfg.peaks.window[0], p.pre_edge_peak + cfg.peaks.window[1])
    out: dict[str, Any] = {"omega": omega.tolist(), "ground": ground_xas.tolist(), "offset": offset, "times": [float(times[k]) for k in ks],
                           "delays": [cfg.pump.delays[k - 1] for k in ks], "pulse": run["pulse"], "E0": run["E0"],
                           "population": [run["population"][k - 1] for k in ks], "absorbed": [run["absorbed"][k - 1] for k in ks],
                           "excitation_energy": [], "window": list(window), "probe": {lt: [] for lt in lattices}}
    for lt in lattices:
        out[lt] = {"dxas": [], "peaks": []}
    same = bool(run.get("free")) and name == "long"  # free evolution keeps χ̂'s populations: one long probe per lattice
    done: dict[str, tuple[np.ndarray, dict[str, float]]] = {}
    for k in ks:
        alpha, chi_hat = excited_part(psi0, states[:, k])
        for lt in lattices:
            use = (run["windows"][k - 1], run["window_times"][k - 1], float(times[k])) if finite and lt == "unrelaxed" else None
            if lt not in done or not same:
                done[lt] = _excited_xas(ctx, lat[lt], chi_hat, omega, rel, offset, model_name=name, finite=use)
            excited, info = done[lt]
            d = excited - reference if use is not None else alpha * (excited - ground_xas)  # the finite probe sees all of ψ(t)
            out[lt]["dxas"].append(d.tolist())
            out[lt]["peaks"].append(_peaks(omega, d, window, cfg))
            out["probe"][lt].append(info)
            if lt == "unrelaxed":
                out["excitation_energy"].append(info["excited_energy"] - run["E0"])
                if k == ks[-1]:
                    out["excited_component_xas"] = (excited if use is None else ground_xas + d / alpha).tolist()
                    out["last_xas"] = (ground_xas + d).tolist()
    out["relaxation"] = None if lat["relaxation"] is None else lat["relaxation"].record()
    out["probe_settings"] = {"model": name, "core_hole": describe_core_hole(p.core_hole_value), "Gamma": p.Gamma, "U_c": p.U_c,
                             "probe_fwhm": p.probe_fwhm, "probe_bandwidth": probe_bandwidth(p.probe_fwhm) if finite else None,  # type: ignore[arg-type]
                             "reorthogonalized": bool(reorthogonalize_for(psi0.size, p.lanczos_steps)), "lanczos_steps": p.lanczos_steps}
    return out


def scenario_xas(ctx: Context, fit: dict[str, Any], fluence: float | None = None, *, alpha_target: float | None = None, full: bool = True,
                 compare: bool = False) -> dict[str, Any]:
    """Pump one scenario and probe it (:func:`probe_states`), at ``fluence`` (mJ/cm²) or calibrated to ``alpha_target``.

    Parameters
    ----------
    ctx
        The study context.
    fit
        The scenario's fit with ``E_G`` = the pump's photon energy (eV).
    fluence, alpha_target
        Fluence, or the excited fraction to calibrate it to (linear response); one of the two.
    full
        Both lattices at every delay (the probe step; the pumped states from linear response,
        :func:`~.xfel_pumped.linear_response_run`, unless the probe model is "finite"), or only the unrelaxed
        lattice at the last delay from the full evolution (:func:`pump_states`; the fluence scan).
    compare
        Also compare the evolved state with linear response (:func:`~.xfel_pumped.linear_response_check`), key ``linear_response_check``.

    Returns
    -------
    dict
        :func:`probe_states`'s record, with ``calibration`` (None at a given fluence) and ``linear_response`` (validity) where computed.
    """
    require((fluence is None) != (alpha_target is None), "fluence", fluence, "a fluence or an alpha_target (one of the two)")
    finite = ctx.cfg.probe.probe_model == "finite"
    extra: dict[str, Any] = {"calibration": None}
    if full and not finite:
        run, _ = linear_response_run(ctx, fit, fluence=fluence, alpha_target=alpha_target)
        extra.update(calibration=run["calibration"], linear_response=run["linear_response"])
    else:
        if fluence is None or full:
            lr_run, _ = linear_response_run(ctx, fit, fluence=fluence, alpha_target=alpha_target)
            fluence = lr_run["pulse"]["fluence"]
            extra.update(calibration=lr_run["calibration"], linear_response=lr_run["linear_response"])
        run = pump_states(ctx, fit, fluence, probe_windows=finite and full)
        if full:
            run["relax_state"] = lr_run["relax_state"]
        if compare:
            extra["linear_response_check"] = linear_response_check(ctx, fit, run)
    out = {**probe_states(ctx, fit, run, full=full, probe_model=None if full else FLUENCE_SCAN_PROBE), **extra}
    u, r = out["unrelaxed"]["peaks"], out.get("relaxed", {"peaks": [None]})["peaks"]
    sep = lambda p: "no peak" if p is None or not p["found"] else f"{p['separation']:.3f} eV"  # noqa: E731
    logger.info(f"ΔXAS at {out['pulse']['fluence']:.4g} mJ/cm²: α = {out['population'][-1]:.3g}, absorbed {out['absorbed'][-1]:.3g} eV, "
                f"⟨H⟩_χ − E0 = {out['excitation_energy'][-1]:.3f} eV (ħω = {fit['E_G']:.3f}); |A−B| unrelaxed (first delay) {sep(u[0])}"
                + (f", relaxed (last delay) {sep(r[-1])}" if full else ""))
    return out
