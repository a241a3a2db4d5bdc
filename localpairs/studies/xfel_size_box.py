"""XFEL study: the cluster-size axis of the box (issue 12 items 2 and 5) — A − B on 12 sites over (model, U_c, Γ).

The 8-site box is a property of the 8-site cluster unless the 12-site cluster says the same. With
``[xfel.scan] twelve_sites = true`` every scenario model of the box (the paired fit and the unpaired
hypothesis at each U) is put on the 12-site cluster of :mod:`.xfel_sizes` (same U, V, Δ, not refitted;
normalised linear-response χ̂; unrelaxed lattice; exact long probe) at the U_c of
:meth:`twelve_site_U_c` and every Γ of the box.

What is shared and what is not (measured in ``benchmarks/bench_xfel_size_box.py``):

- once per model: bases, the N-electron matrix, ψ₀ and χ⁽¹⁾ (:func:`twelve_site_model`);
- once per model for all U_c: the (N + 1)-electron hopping matrix of every channel's target sector
  (the model's :class:`~localpairs.solvers.spectra.spectral_functions.SectorCache`): U_c enters each chain
  as a diagonal ``U_c Σ_s w_s n_s`` added in the Lanczos recursion
  (:func:`~localpairs.solvers.spectra.spectral_functions.chain_of`), the matrix is never rebuilt;
- per U_c: the Lanczos chains of the ground and of χ̂'s energy windows (U_c changes the final-state
  Hamiltonian: each U_c needs its own chains), freed after the point;
- per Γ: nothing but broadening — the poles of every chain are found once
  (:meth:`~localpairs.solvers.lanczos_chain.LanczosChain.poles`) and broadened for every Γ and the
  instrument's resolution (:func:`~.xfel_points.dxas_points`).

Cost (``benchmarks/bench_xfel_size_box.py``, 2026-11-29, machine shared at load 5–14, so CPU seconds are the figures; on
an idle 2-core machine the OpenMP products give wall ≈ CPU/2 (the lead's idle 61 s wall against ≈ 130 s CPU for the same
chains), at load ≈ 4 wall ≈ CPU): a model's state 114 s CPU (paired; χ⁽¹⁾ 90 s of it) and 89 s (unpaired U = 0.5 eV),
1.5 GB peak; per U_c 0.039 CPU-s per Lanczos step of one chain (731,808 N + 1 states) × (8 ground + 8 per component of χ̂)
chains: paired 24 chains (χ̂ in 2 components; ≈ 100 s CPU at 100 steps, scaled from its 300-step run), unpaired U = 0.5 eV
40 chains (4 components; measured at 100 steps, U_c = −3 eV: 175 s CPU, 157 s of it chains, 7.5 s the symmetries now
shared); every Γ after the first milliseconds. The 4 U_c of ``runs/babio3_xfel.toml`` over the 3 models (unpaired U = 2 eV
taken as U = 0.5 eV): ≈ 2,060 s CPU, ≈ 17 min on an idle 2-core machine; the other 3 U_c would add ≈ 1,300 s CPU
(≈ 11 min): all 7 do not fit the study's 30 min with the rest of it (≈ 4–5.5 min).

Each (model, U_c) is one checkpoint (``size12_<model>_Uc<U_c>``; the model's 12-site record
``size12_model_<model>``), so a rerun from checkpoints builds no 12-site state.
"""

from __future__ import annotations

import logging
import time
from functools import partial
from typing import Any

from localpairs.analysis.xas_peaks import voigt_fwhm
from localpairs.hamiltonians.driven_model import gaussian_pulse
from localpairs.spec import RunSpec
from localpairs.studies.common import Checkpoints
from localpairs.studies.xfel_points import LR_PROBE_FLUENCE, POLARIZATION, PumpedScenario, dxas_points, pumped_scenario
from localpairs.studies.xfel_scan_points import feature_record
from localpairs.studies.xfel_spec import ScanSpec

logger = logging.getLogger(__name__)


def twelve_site_U_c(scan: ScanSpec, headline_U_c: float | None) -> list[float]:
    """The U_c values run on 12 sites: ``twelve_sites_U_c`` (default: every U_c of the box) and the headline U_c, ascending.

    Parameters
    ----------
    scan
        ``[xfel.scan]``.
    headline_U_c
        The box's U_c nearest to ``[xfel.probe] U_c`` (eV; None: no headline point).

    Returns
    -------
    list of float
        The values (eV); empty when ``twelve_sites`` is off.
    """
    if not scan.twelve_sites:
        return []
    chosen = {float(u) for u in (scan.U_c if scan.twelve_sites_U_c is None else scan.twelve_sites_U_c)}
    return sorted(chosen | ({float(headline_U_c)} if headline_U_c is not None else set()))


def twelve_site_model(spec12: RunSpec, fit: dict[str, Any], *, alpha_target: float) -> tuple[PumpedScenario, dict[str, Any]]:
    """One scenario model on the 12-site cluster: its pumped scenario (normalised χ̂ at :data:`~.xfel_points.LR_PROBE_FLUENCE`) and record.

    Parameters
    ----------
    spec12
        The XFEL study's spec on the 12-site cluster (:func:`~.xfel_sizes.twelve_site_spec`; tests pass a small cluster).
    fit
        The model: ``U``, ``V``, ``breathing`` and ``E_G`` = the pump's photon energy (eV).
    alpha_target
        The measured excited fraction: only to report the fluence and field it would need on 12 sites.

    Returns
    -------
    tuple
        The scenario and the record: ``alpha`` at ``fluence`` (mJ/cm²), ``alpha_per_fluence`` (per mJ/cm²), ``chi_norm`` ‖χ⁽¹⁾‖,
        ``resonance_fraction``, ``fluence_for_alpha`` (mJ/cm²) and ``field_for_alpha`` (V/Å) for ``alpha_target``, ``dimension``,
        ``linear_regime`` and ``two_photon_ratio`` at ``fluence``, ``linear_fluence_max`` (mJ/cm², where the estimated two-photon ratio,
        ∝ √F, reaches its limit), ``seconds``.
    """
    t0 = time.perf_counter()
    sc = pumped_scenario(spec12, fit, name="12 sites", fluence=LR_PROBE_FLUENCE)
    per_fluence, ratio = sc.alpha / sc.fluence, float(sc.validity["two_photon_ratio"])
    f_alpha = float(alpha_target) / per_fluence
    field = gaussian_pulse(photon_energy=fit["E_G"], duration=spec12.xfel.pump.duration, fluence=f_alpha,  # type: ignore[union-attr]
                           polarization=list(POLARIZATION)).peak_field
    rec = {"alpha": sc.alpha, "fluence": sc.fluence, "alpha_per_fluence": per_fluence, "chi_norm": float(sc.alpha) ** 0.5,
           "resonance_fraction": float(sc.validity["resonance_fraction"]), "fluence_for_alpha": f_alpha, "field_for_alpha": float(field),
           "dimension": int(sc.psi0.size), "linear_regime": bool(sc.validity["linear_regime"]), "two_photon_ratio": ratio,
           "linear_fluence_max": sc.fluence * (float(sc.validity["two_photon_ratio_max"]) / ratio) ** 2, "seconds": time.perf_counter() - t0}
    logger.info("12 sites: α = %.3g per mJ/cm², resonance fraction %.3g (%.0f s)", per_fluence, rec["resonance_fraction"], rec["seconds"])
    return sc, rec


def _finite(x: float) -> float | None:
    return None if x != x else float(x)  # NaN → None (checkpoints hold finite numbers only)


def box_point(sc: PumpedScenario, *, U_c: float, gammas: list[float], core_hole: str, resolution_fwhm: float) -> dict[str, Any]:
    """A − B of a 12-site model at one U_c and every Γ: one set of chains, their poles broadened per Γ; the chains are freed after.

    Parameters
    ----------
    sc
        The model's 12-site scenario (:func:`twelve_site_model`).
    U_c
        Core-hole potential (eV).
    gammas
        Lorentzian half widths of the box (eV).
    core_hole
        Placement of U_c.
    resolution_fwhm
        The instrument's Gaussian resolution FWHM (eV).

    Returns
    -------
    dict
        ``U_c``, ``points`` (per Γ: ``Gamma``, ``fwhm`` of the Voigt line, ``A``/``B`` features or None, ``separation``,
        ``separation_error`` (None without both features), ``reason``, ``window_width``, ``halving_change``, ``offset``),
        ``n_steps`` (Lanczos steps per chain) and ``seconds``.
    """
    t0 = time.perf_counter()
    pts = dxas_points(scenario=sc, U_c=U_c, Gammas=gammas, core_hole=core_hole, probe_model="long", lattice="unrelaxed", resolution_fwhm=resolution_fwhm)
    for key in [k for k in sc._cache if isinstance(k, tuple) and k[0] in ("ground", "excited") and k[1] == float(U_c)]:
        del sc._cache[key]  # U_c's chains serve no other U_c
    out = []
    for g, p in zip(gammas, pts):
        found = bool(p["found"])
        out.append({"Gamma": float(g), "fwhm": voigt_fwhm(2.0 * g, resolution_fwhm), "A": feature_record(p, "A") if found else None,
                    "B": feature_record(p, "B") if found else None, "separation": float(p["separation"]) if found else None,
                    "separation_error": float(p["separation_error"]) if found else None,
                    "reason": "" if found else "no positive and negative feature above threshold in the peak window",
                    "window_width": _finite(p["window_width"]), "halving_change": _finite(p["halving_change"]), "offset": float(p["offset"])})
    n_steps = sc.spec.xfel.probe.lanczos_steps  # type: ignore[union-attr]
    rec = {"U_c": float(U_c), "points": out, "n_steps": int(n_steps), "seconds": time.perf_counter() - t0}
    logger.info("12 sites, U_c = %g eV: A − B = %s eV over Γ = %s (%.0f s)", U_c, [p["separation"] for p in out], gammas, rec["seconds"])
    return rec


class _LazyModel:
    """A model's 12-site state, built at the first point that needs it (never on a rerun from checkpoints)."""

    def __init__(self, spec12: RunSpec, fit: dict[str, Any], alpha_target: float) -> None:
        self.spec12, self.fit, self.alpha_target = spec12, fit, alpha_target
        self.built: tuple[PumpedScenario, dict[str, Any]] | None = None

    def _state(self) -> tuple[PumpedScenario, dict[str, Any]]:
        if self.built is None:
            self.built = twelve_site_model(self.spec12, self.fit, alpha_target=self.alpha_target)
        return self.built

    def record(self) -> dict[str, Any]:
        return self._state()[1]

    def point(self, **kw: Any) -> dict[str, Any]:
        return box_point(self._state()[0], **kw)


def point_name(model_id: str, U_c: float) -> str:
    """Checkpoint name of one 12-site (model, U_c) point.

    Parameters
    ----------
    model_id
        The box's model id (``paired``, ``unpaired_U0.5``).
    U_c
        Core-hole potential (eV).

    Returns
    -------
    str
        ``size12_<model>_Uc<U_c>``.
    """
    return f"size12_{model_id}_Uc{U_c:g}"


def run_size_box(spec12: RunSpec, cp: Checkpoints, models: dict[str, dict[str, Any]], *, U_cs: list[float], resolution_fwhm: float,
                 alpha_target: float, photon_energy: float) -> dict[str, Any]:
    """Every 12-site (model, U_c) point, checkpointed one by one; a model's 12-site state is built only if one of its points is missing.

    Models run one after the other (one 12-site state in memory at a time: ≈ 2.5 GB); within a model the U_c follow each other on
    the same state and N + 1 matrices (module docstring).

    Parameters
    ----------
    spec12
        The XFEL study's spec on the 12-site cluster (:func:`~.xfel_sizes.twelve_site_spec`).
    cp
        The study's checkpoints.
    models
        The box's models by id (:func:`~.xfel_scan.run_scan`'s ``models``: scenario, U and fit).
    U_cs
        The U_c values to run (eV; :func:`twelve_site_U_c`).
    resolution_fwhm
        The instrument's Gaussian resolution FWHM (eV).
    alpha_target
        The measured α (for the fluence the 12-site cluster would need).
    photon_energy
        ħω (eV) where a model does not record its own.

    Returns
    -------
    dict
        ``models``: per model id its ``scenario``, ``U``, 12-site ``record`` and ``points`` (U_c → :func:`box_point` record);
        ``U_c``; ``computed`` (points computed in this run); ``seconds``.
    """
    t0, computed, out = time.perf_counter(), 0, {}
    gammas = [float(g) for g in spec12.xfel.scan.Gamma]  # type: ignore[union-attr]
    core_hole = spec12.xfel.scan.core_hole  # type: ignore[union-attr]
    for mid, m in models.items():
        lazy = _LazyModel(spec12, {**m["fit"], "E_G": m["fit"].get("photon_energy") or photon_energy}, alpha_target)
        record = cp.json(f"size12_model_{mid}", lazy.record)
        points = {}
        for uc in U_cs:
            computed += cp.load(point_name(mid, uc)) is None
            points[uc] = cp.json(point_name(mid, uc), partial(lazy.point, U_c=uc, gammas=gammas, core_hole=core_hole, resolution_fwhm=resolution_fwhm))
        out[mid] = {"scenario": m["scenario"], "U": m["U"], "record": record, "points": points}  # lazy's state is dropped here
    return {"models": out, "U_c": list(U_cs), "computed": computed, "seconds": time.perf_counter() - t0}
