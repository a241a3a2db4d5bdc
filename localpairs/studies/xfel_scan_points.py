"""XFEL study, nuisance scan: what one point of the box computes (run on Dask workers, :mod:`.xfel_scan`).

- :func:`prepare_model`: one scenario model (the paired fit, or the unpaired hypothesis at one U):
  its fit (the study's own fits are reused; at another U, Δ alone is fitted at that fixed U) and
  its pumped state (:func:`~.xfel_points.pumped_scenario`: linear-response excited part at the
  fluence that gives the measured α, calibrated there), stored as JSON;
- :func:`evolve_model`: the same model's evolved pumped state (the full evolution through the
  pulse at the calibrated fluence), once per model, for the box's pumped-state axis;
- :func:`scan_point`: the strongest positive and negative ΔXAS features of a prepared model at one
  (U_c, lattice, probe) and every Γ of the box (:func:`~.xfel_points.dxas_points`: chains built
  once, every Γ by continued fractions; each line a Voigt of the Lorentzian HWHM Γ and the
  instrument's Gaussian resolution);
- :func:`doping_shift`: the static pre-edge shift between the parent and a hole-doped cluster at
  one U_c and every Γ (:mod:`localpairs.analysis.doping_constraint`).

The pumped state and its ΔXAS have one implementation, :mod:`.xfel_points`; this module only
carries them to and from the workers. The probe models it accepts are :data:`SUPPORTED_PROBES`.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from functools import lru_cache
from typing import Any

import numpy as np
import xarray as xr

from localpairs.analysis.doping_constraint import pre_edge_shift
from localpairs.analysis.xas_peaks import voigt_fwhm
from localpairs.errors import InputError
from localpairs.solvers import solve
from localpairs.solvers.dynamics.breathing_relaxation import DEFAULT_CAPTURED_TOL
from localpairs.solvers.lanczos import pole_spectrum
from localpairs.solvers.spectra.xas import xas
from localpairs.spec import parse_spec, spec_data
from localpairs.studies.common import build_system
from localpairs.studies.xfel_fit import Context, fit_scenario
from localpairs.studies.xfel_points import PumpedScenario, dxas_points, pumped_scenario
from localpairs.studies.xfel_pumped import linear_response_check

#: Probe models :func:`~.xfel_points.dxas_point` computes ("long": each eigencomponent from its own energy, windowed;
#: "instantaneous": one reference energy for χ̂). The finite probe needs ψ(t) (the study's probe step computes it).
SUPPORTED_PROBES = ("instantaneous", "long")
#: The grid handed to ``xas`` when only its poles are used (spectra are broadened per Γ from them).
DUMMY_OMEGA = np.linspace(-1.0, 1.0, 3)
#: Photon-energy step (eV) of the static pre-edge spectra of the doping constraint.
DOPING_STEP = 0.005


@lru_cache(maxsize=4)
def _context(spec_json: str) -> Context:
    spec = parse_spec(json.loads(spec_json), source="xfel scan point")
    return Context(spec, build_system(spec))


def context_of(data: dict[str, Any]) -> Context:
    """The study context of a spec given as data (built once per worker process).

    Parameters
    ----------
    data
        The spec as plain data (:func:`spec_as_data`).

    Returns
    -------
    Context
        The context (cached per process).
    """
    return _context(json.dumps(data, sort_keys=True))


def doped_context(data: dict[str, Any], x: float) -> Context:
    """The context of the same spec at doping ``x`` (same placement rule, electrons = 2 × large octahedra).

    Parameters
    ----------
    data
        The spec as plain data.
    x
        The K concentration.

    Returns
    -------
    Context
        The doped cluster's context.
    """
    sector = {k: v for k, v in data.get("sector", {}).items() if k not in ("electrons", "n_up", "n_down")}  # counted from the doping
    return context_of({**data, "doping": {**data.get("doping", {}), "x": float(x)}, "sector": sector})


def _complex(part: dict[str, list[float]]) -> np.ndarray:
    return np.asarray(part["re"], dtype=float) + 1j * np.asarray(part["im"], dtype=float)


def _parts(v: np.ndarray) -> dict[str, list[float]]:
    return {"re": np.real(v).tolist(), "im": np.imag(v).tolist()}


def _record(sc: PumpedScenario) -> dict[str, Any]:
    """A pumped scenario's fields as JSON-able data (what ``_scenario`` rebuilds it from)."""
    return {"name": sc.name, "fit": sc.fit, "fluence": sc.fluence, "psi0": _parts(sc.psi0), "e0": sc.e0, "chi": _parts(sc.chi), "alpha": sc.alpha,
            "time": sc.time, "state": sc.state, "validity": sc.validity, "captured_tol": sc.captured_tol}


def _pumped(ctx: Context, pump: dict[str, Any], name: str, alpha_target: float) -> dict[str, Any]:
    """:func:`~.xfel_points.pumped_scenario` at ``pump["E_G"]``, α calibrated to ``alpha_target``, as JSON-able fields."""
    return _record(pumped_scenario(ctx.spec, pump, name=name, alpha=alpha_target))


def prepare_model(data: dict[str, Any], *, scenario: str, U: float, fit: dict[str, Any] | None, targets: dict[str, float],
                  photon_energy: float, alpha_target: float) -> dict[str, Any]:
    """One scenario model of the box: fit (``fit`` if given, else Δ fitted at fixed ``U``) and pumped state.

    An unpaired model at a scanned U is fitted to ``targets`` with U held fixed and Δ free
    (:func:`~.xfel_fit.fit_scenario` with ``U``: one free parameter). The pumped state is
    :func:`~.xfel_points.pumped_scenario`'s (linear response at the fluence that gives
    ``alpha_target``), pumped at ``photon_energy`` (eV, the measured ħω, as the study's scenarios;
    a given ``fit`` keeps its own ``photon_energy``) or, as the study does where the field at ħω
    would exceed the model's validity, at the model's own E_G (``photon_energy_note`` says so).

    Parameters
    ----------
    data
        The spec as plain data.
    scenario
        ``"paired"`` or ``"unpaired"``.
    U
        The model's U (eV; held fixed when ``fit`` is None).
    fit
        The study's fit of this model, or None (Δ fitted here at fixed U).
    targets
        Measured values of the fit targets (eV).
    photon_energy
        The pump's ħω (eV).
    alpha_target
        The excited fraction the fluence is calibrated to.

    Returns
    -------
    dict
        ``fit``, ``calibration`` and ``pumped`` (the JSON-able pumped state).
    """
    ctx = context_of(data)
    if fit is None:
        fit = {**fit_scenario(ctx, scenario, targets, U=U), "photon_energy": float(photon_energy), "photon_energy_note": ""}
    fit = {k: v for k, v in fit.items() if k != "evaluations"}
    try:
        pumped = _pumped(ctx, {**fit, "E_G": fit.get("photon_energy", photon_energy)}, scenario, alpha_target)  # the pump reads ħω from E_G
    except InputError as err:
        if err.field != "pump.peak_field":
            raise
        fit = {**fit, "photon_energy": fit["E_G"], "photon_energy_note": f"pumped at its own E_G: at ħω the field would exceed {err.allowed}"}
        pumped = _pumped(ctx, fit, scenario, alpha_target)
    calibration = {"fluence": pumped["fluence"], "alpha_target": float(alpha_target), "method": "linear response (α ∝ F)"}
    return {"fit": fit, "calibration": calibration, "pumped": {**pumped, "population": [pumped["alpha"]]}}


def evolve_model(data: dict[str, Any], model: dict[str, Any]) -> dict[str, Any]:
    """The evolved pumped state of a prepared model: the full evolution through the pulse at the model's calibrated fluence.

    The state is :func:`~.xfel_points.pumped_scenario`'s with ``state = "evolved"`` (the CFM4 evolution the study's fluence
    scan runs, :func:`~localpairs.solvers.dynamics.evolution.evolve`, to the time at which the linear-response state is
    taken), at the same fluence and photon energy as the prepared linear-response state; its excited part
    χ_ev = ψ − ⟨ψ₀|ψ⟩ψ₀ is probed like χ⁽¹⁾. The comparison with linear response is
    :func:`~.xfel_pumped.linear_response_check`'s (α, absorbed energy, |⟨χ̂⁽¹⁾|χ̂_ev⟩|).

    Parameters
    ----------
    data
        The spec as plain data.
    model
        The prepared model (:func:`prepare_model`'s record).

    Returns
    -------
    dict
        ``fit`` and ``calibration`` of ``model``, ``pumped`` (the JSON-able evolved state) and ``check`` (the comparison, with
        ``absorbed_per_photon`` = absorbed energy / (α ħω) and the evolution's ``seconds``).
    """
    t0 = time.perf_counter()
    ctx, lr = context_of(data), model["pumped"]
    sc = pumped_scenario(ctx.spec, lr["fit"], name=lr["name"], fluence=lr["fluence"], state="evolved")
    seconds = time.perf_counter() - t0
    _, cache, _ = sc.model("unrelaxed")
    absorbed = float(np.vdot(sc.chi, cache.matrix(ctx.system.sector) @ sc.chi).real) - sc.e0 * sc.alpha  # ⟨ψ|H − E₀|ψ⟩ = ⟨χ|H − E₀|χ⟩ (Hψ₀ = E₀ψ₀)
    psi = np.sqrt(1.0 - sc.alpha) * sc.psi0 + sc.chi
    check = linear_response_check(ctx, sc.fit, {"times": np.array([0.0, sc.time]), "states": np.stack([sc.psi0, psi], axis=1),
                                                "absorbed": [absorbed], "pulse": {"fluence": sc.fluence}})
    check.update(absorbed_per_photon=absorbed / (sc.alpha * float(sc.fit["E_G"])), evolution_seconds=seconds,
                 two_photon_ratio=float(sc.validity["two_photon_ratio"]), linear_regime=bool(sc.validity["linear_regime"]))
    return {"fit": model["fit"], "calibration": model["calibration"], "pumped": {**_record(sc), "population": [sc.alpha]}, "check": check}


@lru_cache(maxsize=8)
def _scenario(data_json: str, pumped_json: str) -> PumpedScenario:
    """The pumped scenario rebuilt on a worker (once per process: its chains and relaxation are cached on it; 8 holds the
    box's three models in both pumped states, so a worker relaxes each at most once)."""
    p = json.loads(pumped_json)
    return PumpedScenario(p["name"], context_of(json.loads(data_json)).spec, p["fit"], p["fluence"], _complex(p["psi0"]), p["e0"], _complex(p["chi"]),
                          p["alpha"], p["time"], p["state"], p["validity"], p.get("captured_tol", DEFAULT_CAPTURED_TOL))


def _kept_separations(sc: PumpedScenario, **kw: Any) -> list[float | None]:
    """A − B per Γ on the unrelaxed lattice of χ̂ cut to the levels its relaxation keeps (renormalised); against the unrelaxed
    point of the whole χ̂, the effect of the populations the relaxed lattice drops (None: no pair of features)."""
    kept = sc.relaxation.kept_part(sc.chi)
    cut = replace(sc, chi=kept * np.sqrt(sc.alpha) / np.linalg.norm(kept), _cache={"context": sc.context})
    return [p["separation"] if p["found"] else None for p in dxas_points(scenario=cut, lattice="unrelaxed", **kw)]


def _poles(ds: xr.Dataset) -> tuple[np.ndarray, np.ndarray]:
    """Pole energies (eV on the dataset's axis) and weights × channel weight, flattened."""
    w = ds["pole_weight"].values * ds["weight"].values[:, None]
    keep = w.ravel() != 0.0
    return ds["pole_energy"].values.ravel()[keep], w.ravel()[keep]


def _broaden(poles: tuple[np.ndarray, np.ndarray], omega: np.ndarray, gamma: float, resolution_fwhm: float) -> np.ndarray:
    """Σ w V(ω − E): Lorentzian HWHM ``gamma`` convolved with the Gaussian resolution (FWHM, eV)."""
    return pole_spectrum(poles[0], poles[1], omega, eta=gamma, gaussian_fwhm=resolution_fwhm)


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

    Parameters
    ----------
    data
        The spec as plain data.
    fit
        The scenario model (U, V, breathing in eV).
    x
        The doped cluster's K concentration.
    U_c
        Core-hole potential (eV).
    gammas
        Lorentzian half widths (eV).
    core_hole
        Placement of U_c.
    resolution_fwhm
        The instrument's Gaussian resolution FWHM (eV).

    Returns
    -------
    list of dict
        Per Γ: ``Gamma``, ``parent``, ``doped`` (pre-edge peaks, eV at offset 0), ``shift`` and its ``error``.
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
    """The context's spec as plain data (what a worker rebuilds it from).

    Parameters
    ----------
    ctx
        The study context.

    Returns
    -------
    dict
        The spec without None values.
    """
    return spec_data(ctx.spec, exclude_none=True)




def feature_record(p: dict[str, float], side: str) -> dict[str, Any]:
    """The JSON-able record of one ΔXAS feature of a point.

    Parameters
    ----------
    p
        One point of :func:`~.xfel_points.dxas_points` (keys ``{side}_energy``, ``{side}_error``, ``{side}_amplitude``, ``{side}_at_edge``).
    side
        ``"A"`` or ``"B"``.

    Returns
    -------
    dict
        ``energy``, ``energy_error``, ``amplitude`` and ``at_edge``.
    """
    return {"energy": p[f"{side}_energy"], "energy_error": p[f"{side}_error"], "amplitude": p[f"{side}_amplitude"], "at_edge": bool(p[f"{side}_at_edge"])}


def scan_point(data: dict[str, Any], model: dict[str, Any], *, U_c: float, gammas: list[float], probe: str, lattice: str, core_hole: str,
               resolution_fwhm: float) -> list[dict[str, Any]]:
    """One point of the box on a worker: :func:`~.xfel_points.dxas_points` of a prepared model (:func:`prepare_model`'s record), every Γ.

    Parameters
    ----------
    data
        The spec as plain data.
    model
        The prepared model (:func:`prepare_model`'s record).
    U_c
        Core-hole potential (eV).
    gammas
        Lorentzian half widths (eV).
    probe
        Probe model (one of :data:`SUPPORTED_PROBES`).
    lattice
        ``"unrelaxed"`` or ``"relaxed"``.
    core_hole
        Placement of U_c.
    resolution_fwhm
        The instrument's Gaussian resolution FWHM (eV).

    Returns
    -------
    list of dict
        Per Γ: the Voigt FWHM of the line, the offset, α, the features A (strongest positive) and B (strongest negative)
        with position uncertainties, or None and the reason when there is no peak; on the relaxed lattice also the weight of χ̂
        its relaxation keeps (``kept_weight``) and, for an evolved state, ``kept_separation`` (A − B on the unrelaxed lattice
        of χ̂ cut to the kept levels, ``_kept_separations``).

    Raises
    ------
    ValueError
        If the probe model is not computed by this build.
    """
    if probe not in SUPPORTED_PROBES:
        raise ValueError(f"probe {probe!r} is not computed by this build (supported: {SUPPORTED_PROBES})")
    sc = _scenario(json.dumps(data, sort_keys=True), json.dumps(model["pumped"], sort_keys=True))
    kw: dict[str, Any] = {"U_c": U_c, "Gammas": gammas, "core_hole": core_hole, "probe_model": probe, "resolution_fwhm": resolution_fwhm}
    points = dxas_points(scenario=sc, lattice=lattice, **kw)
    kept = _kept_separations(sc, **kw) if lattice == "relaxed" and sc.state == "evolved" else [None] * len(gammas)
    cfg = sc.context.cfg
    out = []
    for g, p, k in zip(gammas, points, kept):
        found = bool(p["found"])
        reason = "" if found else (f"no positive and negative feature above {cfg.peaks.min_amplitude:g} × max|ΔXAS| in "
                                   f"{[cfg.probe.pre_edge_peak + w for w in cfg.peaks.window]} eV")
        out.append({"Gamma": g, "fwhm": voigt_fwhm(2.0 * g, resolution_fwhm), "offset": p["offset"], "alpha": p["alpha"],
                    "A": feature_record(p, "A") if found else None, "B": feature_record(p, "B") if found else None, "reason": reason,
                    "breathing": p["breathing"], "window_width": p["window_width"], "halving_change": p["halving_change"],
                    **({"kept_weight": sc.relaxation.captured, "kept_separation": k} if lattice == "relaxed" else {})})
    return out
