"""XFEL study, nuisance scan: what one point of the box computes (run on Dask workers, :mod:`.xfel_scan`).

- :func:`prepare_model`: one scenario model (the paired fit, or the unpaired control at one U):
  its fit (the study's own fits are reused; another unpaired U is fitted here alike), fluence
  (calibrated as in the study) and pumped state;
- :func:`dxas_features`: the strongest positive and negative ΔXAS features of a pumped state at
  one (U_c, lattice, probe) and every Γ of the box;
- :func:`doping_shift`: the static pre-edge shift between the parent and a hole-doped cluster at
  one U_c and every Γ (:mod:`localpairs.analysis.doping_constraint`).

Adapter
-------
:func:`pumped_state` and :func:`dxas_features` are the only two functions that know *how* the
pumped state and its ΔXAS are computed; today they use :mod:`.xfel_probe`'s pump (full CFM4
evolution) and probe (the pumped state split into ψ0 and χ̂, each measured from its own energy:
``split_xas``, a long probe with one reference energy for χ̂). The probe issue's per-point
function (linear-response state, exact long probe, finite probe) replaces these two; the
probe models they accept are :data:`SUPPORTED_PROBES`.

Γ costs nothing extra: the Lanczos chains do not depend on it, so each spectrum is computed once
as poles (energies and weights) and broadened per Γ (Lorentzian HWHM Γ convolved with the
instrument's Gaussian resolution: a Voigt line, :func:`localpairs.solvers.lanczos.pole_spectrum`).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import numpy as np
import xarray as xr

from localpairs.analysis.doping_constraint import pre_edge_shift
from localpairs.analysis.xas_peaks import Extremum, pre_edge_peak, strongest_extrema, voigt_fwhm
from localpairs.errors import InputError
from localpairs.solvers import solve
from localpairs.solvers.dynamics.transient_xas import EXCITED_FLOOR
from localpairs.solvers.lanczos import pole_spectrum
from localpairs.solvers.spectra.spectral_functions import SectorCache
from localpairs.solvers.spectra.xas import excited_part, xas
from localpairs.spec import parse_spec, spec_data
from localpairs.studies.common import build_system
from localpairs.studies.xfel_fit import Context, fit_scenario
from localpairs.studies.xfel_probe import calibrate, pump_states

#: Probe models the adapter computes today ("long": ψ0 and χ̂ each from its own energy, one reference for χ̂).
SUPPORTED_PROBES = ("long",)
#: Which delay each lattice is probed at (index into ``xfel.pump.delays``): unrelaxed early, relaxed late (as the study's A−B rows).
LATTICE_DELAY = {"unrelaxed": 0, "relaxed": -1}
#: The grid handed to ``xas`` when only its poles are used (spectra are broadened per Γ from them).
DUMMY_OMEGA = np.linspace(-1.0, 1.0, 3)
#: Photon-energy step (eV) of the static pre-edge spectra of the doping constraint.
DOPING_STEP = 0.005


@lru_cache(maxsize=4)
def _context(spec_json: str) -> Context:
    spec = parse_spec(json.loads(spec_json), source="xfel scan point")
    return Context(spec, build_system(spec))


def context_of(data: dict[str, Any]) -> Context:
    """The study context of a spec given as data (built once per worker process)."""
    return _context(json.dumps(data, sort_keys=True))


def doped_context(data: dict[str, Any], x: float) -> Context:
    """The context of the same spec at doping ``x`` (same placement rule, electrons = 2 × large octahedra)."""
    sector = {k: v for k, v in data.get("sector", {}).items() if k not in ("electrons", "n_up", "n_down")}  # counted from the doping
    return context_of({**data, "doping": {**data.get("doping", {}), "x": float(x)}, "sector": sector})


def _complex(re: list[float], im: list[float]) -> np.ndarray:
    return np.asarray(re, dtype=float) + 1j * np.asarray(im, dtype=float)


def pumped_state(ctx: Context, fit: dict[str, Any], fluence: float) -> dict[str, Any]:
    """ADAPTER: ψ0, E0 and the pumped state probed with each lattice (JSON-able: real and imaginary parts)."""
    run = pump_states(ctx, fit, fluence)
    out: dict[str, Any] = {"E0": run["E0"], "fluence": float(fluence), "population": run["population"], "delays": list(ctx.cfg.pump.delays)}
    n = len(ctx.cfg.pump.delays)
    columns = {"psi0": 0, **{lat: 1 + (i % n) for lat, i in LATTICE_DELAY.items()}}  # column 0 is ψ0, column 1 + k the k-th delay
    for name, k in columns.items():
        psi = np.asarray(run["states"][:, k])
        out[name] = {"re": psi.real.tolist(), "im": psi.imag.tolist()}
    return out


def prepare_model(data: dict[str, Any], *, scenario: str, U: float, fit: dict[str, Any] | None, fluence: float | None,
                  targets: dict[str, float], photon_energy: float, alpha_target: float) -> dict[str, Any]:
    """One scenario model of the box: fit (``fit`` if given, else Δ fitted at fixed ``U``), fluence and pumped state.

    An unpaired model at a scanned U is fitted to ``targets`` with U held fixed and Δ free
    (:func:`~.xfel_fit.fit_scenario` with ``U``: one free parameter), pumped at ``photon_energy``
    (eV, the measured ħω, as the study's scenarios; a given ``fit`` keeps its own ``photon_energy``)
    and its fluence calibrated to ``alpha_target`` when ``xfel.pump.calibrate_fluence``
    (:func:`~.xfel_probe.calibrate`).
    """
    ctx = context_of(data)
    if fit is None:
        fit = {**fit_scenario(ctx, scenario, targets, U=U), "photon_energy": float(photon_energy)}
    pump = {**fit, "E_G": fit.get("photon_energy", photon_energy)}  # the pump reads its photon energy from E_G (xfel.pump_view)
    try:
        calibration, pumped = _pump(ctx, pump, fluence, alpha_target)
    except InputError as err:  # as the study (xfel._scenarios): beyond the model's validity at ħω, pumped at its own E_G
        if err.field != "pump.peak_field" or fluence is not None:
            raise
        fit = pump = {**fit, "photon_energy": fit["E_G"], "photon_energy_note": f"pumped at its own E_G: {err.allowed}"}
        calibration, pumped = _pump(ctx, pump, fluence, alpha_target)
    return {"fit": {k: v for k, v in fit.items() if k != "evaluations"}, "calibration": calibration, "pumped": pumped}


def _pump(ctx: Context, pump: dict[str, Any], fluence: float | None, alpha_target: float) -> tuple[dict[str, float] | None, dict[str, Any]]:
    """Calibration (``fluence`` None and ``xfel.pump.calibrate_fluence``) and the pumped state at ``pump["E_G"]``."""
    calibration = None
    if fluence is None:
        if ctx.cfg.pump.calibrate_fluence:
            calibration = calibrate(ctx, pump, alpha_target)
            fluence = calibration["fluence"]
        else:
            fluence = ctx.cfg.pump.fluence
    return calibration, pumped_state(ctx, pump, fluence)


def _poles(ds: xr.Dataset) -> tuple[np.ndarray, np.ndarray]:
    """Pole energies (eV on the dataset's axis) and weights × channel weight, flattened."""
    w = ds["pole_weight"].values * ds["weight"].values[:, None]
    keep = w.ravel() != 0.0
    return ds["pole_energy"].values.ravel()[keep], w.ravel()[keep]


def _broaden(poles: tuple[np.ndarray, np.ndarray], omega: np.ndarray, gamma: float, resolution_fwhm: float) -> np.ndarray:
    """Σ w V(ω − E): Lorentzian HWHM ``gamma`` convolved with the Gaussian resolution (FWHM, eV)."""
    return pole_spectrum(poles[0], poles[1], omega, eta=gamma, gaussian_fwhm=resolution_fwhm)


def _feature(x: Extremum | None) -> dict[str, Any] | None:
    return None if x is None else {"energy": x.energy, "energy_error": x.energy_error, "amplitude": x.amplitude, "at_edge": x.at_edge}


def dxas_spectra(ctx: Context, fit: dict[str, Any], pumped: dict[str, Any], *, U_c: float, gammas: list[float], lattice: str,
                 core_hole: str, resolution_fwhm: float) -> tuple[np.ndarray, list[tuple[float, float, np.ndarray]]]:
    """ADAPTER: photon energies and, per Γ, (offset, α, ΔXAS) of the pumped state probed with ``lattice``.

    ΔXAS = α (I[χ̂; ⟨χ̂|H_lat|χ̂⟩] − I[ψ0; E0]) as :func:`~localpairs.solvers.dynamics.transient_xas.split_xas`
    (H_lat: the fitted H, or H at Δ = 0 for the relaxed lattice), one offset per Γ putting the
    ground-state pre-edge peak at ``xfel.probe.pre_edge_peak`` (as :func:`~.xfel_probe.probe_states`).
    """
    cfg, sec = ctx.cfg, ctx.system.sector
    model = ctx.model(fit["U"], fit["V"], fit["breathing"])
    lat_model = model if lattice == "unrelaxed" else ctx.model(fit["U"], fit["V"], 0.0)
    psi0, psi = _complex(**pumped["psi0"]), _complex(**pumped[lattice])
    alpha, chi = excited_part(psi0, psi)
    if alpha < EXCITED_FLOOR:
        raise ValueError(f"the pumped state is ψ0 to round-off (α = {alpha:.3g}): no ΔXAS")
    ground = _poles(xas(model, sec, psi0, DUMMY_OMEGA, U_c=U_c, core_hole=core_hole, n_steps=cfg.probe.lanczos_steps, e_ref=pumped["E0"],
                        cache=SectorCache(model)))
    excited = _poles(xas(lat_model, sec, chi, DUMMY_OMEGA, U_c=U_c, core_hole=core_hole, n_steps=cfg.probe.lanczos_steps,
                         cache=SectorCache(lat_model)))  # e_ref = ⟨χ̂|H_lat|χ̂⟩
    rel = np.arange(cfg.probe.omega_span[0] - 4.0, cfg.probe.omega_span[1], cfg.probe.omega_step)
    target = cfg.probe.pre_edge_peak
    omega = target + np.arange(cfg.probe.omega_span[0], cfg.probe.omega_span[1] + 1e-9, cfg.probe.omega_step)
    out = []
    for g in gammas:
        offset = target - pre_edge_peak(rel, _broaden(ground, rel, g, resolution_fwhm))
        d = alpha * (_broaden(excited, omega - offset, g, resolution_fwhm) - _broaden(ground, omega - offset, g, resolution_fwhm))
        out.append((offset, alpha, d))
    return omega, out


def dxas_features(ctx: Context, fit: dict[str, Any], pumped: dict[str, Any], *, U_c: float, gammas: list[float], probe: str,
                  lattice: str, core_hole: str, resolution_fwhm: float) -> list[dict[str, Any]]:
    """The strongest positive (A) and negative (B) ΔXAS features at every Γ, for one (U_c, probe, lattice).

    Features of :func:`dxas_spectra` in ``xfel.peaks.window`` above ``xfel.peaks.min_amplitude``
    (no order imposed), position uncertainty from the Voigt FWHM of the line.
    """
    if probe not in SUPPORTED_PROBES:
        raise ValueError(f"probe {probe!r} is not computed by this build (supported: {SUPPORTED_PROBES})")
    cfg = ctx.cfg
    omega, curves = dxas_spectra(ctx, fit, pumped, U_c=U_c, gammas=gammas, lattice=lattice, core_hole=core_hole, resolution_fwhm=resolution_fwhm)
    target = cfg.probe.pre_edge_peak
    window = (target + cfg.peaks.window[0], target + cfg.peaks.window[1])
    out = []
    for g, (offset, alpha, d) in zip(gammas, curves):
        fwhm = voigt_fwhm(2.0 * g, resolution_fwhm)
        a, b = strongest_extrema(omega, d, window=window, broadening_fwhm=fwhm, min_amplitude=cfg.peaks.min_amplitude)
        missing = [n for n, x in (("positive", a), ("negative", b)) if x is None]
        reason = f"no {' and no '.join(missing)} feature above {cfg.peaks.min_amplitude:g} × max|ΔXAS| in {list(window)} eV" if missing else ""
        out.append({"Gamma": g, "fwhm": fwhm, "offset": offset, "alpha": alpha, "A": _feature(a), "B": _feature(b), "reason": reason})
    return out


def _ground_poles(ctx: Context, fit: dict[str, Any], *, U_c: float, core_hole: str) -> tuple[np.ndarray, np.ndarray]:
    """Poles of the static XAS of the ground state of ``ctx``'s cluster (offset 0, reference E0)."""
    model = ctx.model(fit["U"], fit["V"], fit["breathing"])
    memo = ctx.__dict__.setdefault("_scan_ground_states", {})  # the contexts are built once per worker: each ground state solved once there
    key = (fit["U"], fit["V"], fit["breathing"])
    if key not in memo:
        memo[key] = solve(model, ctx.system.sector)
    gs = memo[key]
    ds = xas(model, ctx.system.sector, gs.ground_state, DUMMY_OMEGA, U_c=U_c, core_hole=core_hole, e_ref=gs.ground_energy,
             n_steps=ctx.cfg.probe.lanczos_steps)
    return _poles(ds)


def doping_shift(data: dict[str, Any], fit: dict[str, Any], *, x: float, U_c: float, gammas: list[float], core_hole: str,
                 resolution_fwhm: float) -> list[dict[str, Any]]:
    """Static pre-edge peak of the parent and the doped cluster (one axis, offset 0) and their shift, at every Γ.

    Both ground states are those of the scenario's fitted U, V, Δ; the doped cluster has the
    large octahedra of ``doping_config(x)`` (breathing −Δ on them, +Δ elsewhere) and two electrons
    per large octahedron.
    """
    parent = _ground_poles(context_of(data), fit, U_c=U_c, core_hole=core_hole)
    doped = _ground_poles(doped_context(data, x), fit, U_c=U_c, core_hole=core_hole)
    lo = min(parent[0].min(), doped[0].min()) - 1.0
    hi = max(parent[0].max(), doped[0].max()) + 1.0
    grid = np.arange(lo, hi, DOPING_STEP)
    out = []
    for g in gammas:
        fwhm = voigt_fwhm(2.0 * g, resolution_fwhm)
        sh = pre_edge_shift(grid, _broaden(parent, grid, g, resolution_fwhm), _broaden(doped, grid, g, resolution_fwhm), broadening_fwhm=fwhm)
        out.append({"Gamma": g, "parent": sh.parent, "doped": sh.doped, "shift": sh.shift, "error": sh.error})
    return out


def spec_as_data(ctx: Context) -> dict[str, Any]:
    """The context's spec as plain data (what a worker rebuilds it from)."""
    return spec_data(ctx.spec, exclude_none=True)


def scan_point(data: dict[str, Any], model: dict[str, Any], *, U_c: float, gammas: list[float], probe: str, lattice: str, core_hole: str,
               resolution_fwhm: float) -> list[dict[str, Any]]:
    """One point of the box on a worker: :func:`dxas_features` of a prepared model (:func:`prepare_model`'s record)."""
    return dxas_features(context_of(data), model["fit"], model["pumped"], U_c=U_c, gammas=gammas, probe=probe, lattice=lattice,
                         core_hole=core_hole, resolution_fwhm=resolution_fwhm)
