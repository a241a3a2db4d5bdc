"""The derived numbers of the pump study's report, computed once from the trajectory dataset.

:func:`summarize` returns the ``summary`` group of ``results.nc``: scalars as attributes and the
small tables (shown optical transitions, large sites, ΔXAS peak separations) as variables, so
that ``templates/pump.md.j2`` only formats stored numbers.
"""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from localpairs.hamiltonians.pulse import Pulse
from localpairs.solvers.dynamics.finite_probe import probe_bandwidth
from localpairs.solvers.dynamics.linear_response import ALPHA_LINEAR_MAX
from localpairs.solvers.spectra.optical_transitions import OpticalTransitions
from localpairs.spec import RunSpec
from localpairs.studies.common import System
from localpairs.studies.pump_spec import pump_section
from localpairs.units import HBAR_EV_FS

#: Number of optical transitions shown in the report (the strongest, ordered by energy).
SHOWN_TRANSITIONS = 8
#: The pulse is over after t0 + this many σ of its envelope (field envelope below 1.5e-8 E0).
PULSE_END_SIGMAS = 6
#: Below this excited weight at the last delay no shift of the excited lines is reported.
SHIFT_NOTE_WEIGHT = 1e-6
#: Linear regime: absorbed energy/(α ħω) within this of 1 (one photon per excitation), besides
#: α ≤ :data:`~localpairs.solvers.dynamics.linear_response.ALPHA_LINEAR_MAX` after the pulse.
ENERGY_RATIO_TOL = 0.1


def _transition_table(tr: OpticalTransitions, gap: float) -> xr.Dataset:
    """The strongest transitions (at most :data:`SHOWN_TRANSITIONS`), by energy, with the chosen one flagged."""
    if tr.omega.size == 0:
        empty = np.zeros(0)
        return xr.Dataset({k: ("transition", empty) for k in ("transition_omega", "transition_weight", "transition_relative_absorption")}
                          | {"transition_chosen": ("transition", np.zeros(0, dtype=np.int8))})
    absorption = tr.absorption
    order = sorted(np.argsort(-absorption)[:SHOWN_TRANSITIONS], key=lambda k: tr.omega[k])
    return xr.Dataset({
        "transition_omega": ("transition", tr.omega[order], {"units": "eV"}),
        "transition_weight": ("transition", tr.weight[order], {"units": "(e·Å/fs)²", "long_name": "|<n|j|0>|²"}),
        "transition_relative_absorption": ("transition", absorption[order] / absorption.max()),
        "transition_chosen": ("transition", np.array([abs(tr.omega[k] - gap) < 1e-12 for k in order], dtype=np.int8)),
    })


def _dynamics(ds: xr.Dataset, pulse: Pulse | None) -> dict[str, float]:
    t = ds["time"].values
    absorbed = ds["absorbed_energy"].values
    after = t >= (pulse.center + PULSE_END_SIGMAS * pulse.sigma if pulse else t[0])
    return {
        "t_final_fs": float(t[-1]), "absorbed_final_eV": float(absorbed[-1]), "absorbed_max_eV": float(absorbed.max()),
        "absorbed_photons": float(absorbed[-1] / pulse.photon_energy) if pulse is not None else float("nan"),
        "field_work_final_eV": float(ds["field_work"].values[-1]), "output_step_max_fs": float(np.diff(t).max()),
        "double_occupancy_min": float(ds["double_occupancy"].values.min()), "unpaired_max": float(ds["unpaired"].values.max()),
        "lpdw_order_min": float(ds["lpdw_order"].values.min()), "norm_error_max": float(np.max(np.abs(ds["norm"].values - 1))),
        "energy_drift_after_pulse_eV": float(np.ptp(ds["total_energy"].values[after])) if after.sum() > 1 else float("nan"),
        "pulse_period_fs": float(2 * np.pi / pulse.omega) if pulse is not None else float("nan"),
    }


def _nanmax(values: np.ndarray) -> float:
    values = np.asarray(values, dtype=float)
    return float(np.nanmax(values)) if np.isfinite(values).any() else float("nan")


def _xas(ds: xr.Dataset, pulse: Pulse | None) -> tuple[dict[str, float | int | str], dict[str, tuple]]:
    """Derived numbers of the time-resolved XAS section (empty without XAS), with the numbers of its approximations."""
    if ds.attrs["xas"] != "recorded":
        return {}, {}
    cfg = json.loads(ds.attrs["xas_settings"])
    omega, delay = ds["omega"].values, ds["delay"].values
    reported = ds["dxas_reported"]
    fwhm, alpha = float(reported.attrs["probe_fwhm_fs"]), float(reported.attrs["excited_fraction"])
    spacing = float(np.max(np.diff(delay))) if delay.size > 1 else float("inf")
    spread = ds["xas_excited_energy_spread"].values
    w_last, e_last = float(ds["xas_excited_population"].values[-1]), float(ds["xas_excess_energy"].values[-1])
    width = _nanmax(ds["xas_window_width"].values)
    probe_times = ds["probe_time"].values
    during = np.abs(probe_times - pulse.center) < PULSE_END_SIGMAS * pulse.sigma if pulse is not None else np.zeros(delay.size, dtype=bool)
    attrs = {
        "xas_ground_peak_eV": float(omega[int(np.argmax(ds["xas_ground"].values))]),
        "dxas_max_abs": float(np.max(np.abs(ds["dxas"].values))),
        "core_hole_lifetime_fs": HBAR_EV_FS / cfg["Gamma"],
        "delay_spacing_max_fs": spacing, "probe_resolved": int(spacing <= fwhm / 2), "reported_differs": int(fwhm > 0 or alpha != 1),
        "energy_reference": cfg.get("energy_reference", "ground"), "probe_model": cfg.get("probe", "instantaneous"),
        "excited_spread_max_eV": _nanmax(spread),
        "excited_spread_over_gamma": _nanmax(spread) / cfg["Gamma"],
        "window_width_max_eV": width, "window_width_over_gamma": width / cfg["Gamma"], "window_time_fs": HBAR_EV_FS / width,
        "halving_change_max": _nanmax(ds["xas_halving_change"].values),
        "probe_bandwidth_eV": probe_bandwidth(cfg["probe_fwhm"]) if cfg["probe_fwhm"] > 0 else float("nan"),
        "delays_during_pulse": int(during.sum()), "reorthogonalized": int(cfg.get("reorthogonalized", 0)),
        "excited_weight_last": w_last, "excited_energy_per_weight_last_eV": e_last / w_last if w_last >= SHIFT_NOTE_WEIGHT else float("nan"),
    }
    separation = ds["dxas_positive_energy"].values - ds["dxas_negative_energy"].values
    return attrs, {"xas_peak_separation": ("delay", separation, {"units": "eV", "long_name": "E+ - E- (NaN: a peak missing)"})}


def _regime(ds: xr.Dataset, pulse: Pulse | None, absorbed_final: float) -> dict[str, float | int | str]:
    """Linear or nonlinear regime from α(t) at the delays, the absorbed energy and the linear response.

    Linear: α ≤ ALPHA_LINEAR_MAX at every delay after the pulse (t ≥ t0 + 6σ) and absorbed
    energy/(α ħω) within :data:`ENERGY_RATIO_TOL` of 1. ``regime`` is ``"linear"``,
    ``"nonlinear"``, ``"unsampled"`` (no delay after the pulse: α not known there) or ``"no pulse"``.
    """
    first = json.loads(ds.attrs["linear_response"])
    lr_alpha = float(first.get("alpha", np.nan)) if first.get("available", 0) else float("nan")
    calib = json.loads(ds.attrs["calibration"])
    out: dict[str, float | int | str] = {"alpha_linear_max": ALPHA_LINEAR_MAX, "energy_ratio_tol": ENERGY_RATIO_TOL,
                                         "lr_available": int(first.get("available", 0)), "lr_reason": first.get("reason", ""),
                                         "lr_alpha": lr_alpha, "lr_t_fs": float(first.get("t_fs", np.nan)),
                                         "lr_two_photon_ratio": float(first.get("two_photon_ratio", np.nan)),
                                         "lr_converged": int(first.get("lanczos_converged", 0)),
                                         "lr_absorbed_eV": float(first.get("absorbed_energy_eV", np.nan)),
                                         "calibrated": int(calib is not None)}
    if calib is not None:
        out.update({f"calibration_{k}": float(v) for k, v in calib.items()})
    if pulse is None:
        return {**out, "regime": "no pulse"}
    alpha = ds["xas_excited_population"].values if ds.attrs["xas"] == "recorded" else np.zeros(0)
    after = ds["probe_time"].values >= pulse.center + PULSE_END_SIGMAS * pulse.sigma if alpha.size else np.zeros(0, dtype=bool)
    out.update(alpha_max=_nanmax(alpha), alpha_max_during=_nanmax(alpha[~after]) if (~after).any() else float("nan"), n_after=int(after.sum()))
    if not after.any():
        return {**out, "regime": "unsampled", "alpha_after_max": float("nan"), "alpha_after": float("nan"), "energy_ratio": float("nan"),
                "lr_ratio": float("nan")}
    a_after = float(alpha[after][-1])
    ratio = absorbed_final / (a_after * pulse.photon_energy) if a_after > 0 else float("nan")
    linear = _nanmax(alpha[after]) <= ALPHA_LINEAR_MAX and abs(ratio - 1.0) <= ENERGY_RATIO_TOL
    return {**out, "regime": "linear" if linear else "nonlinear", "alpha_after_max": _nanmax(alpha[after]), "alpha_after": a_after,
            "energy_ratio": ratio, "lr_ratio": a_after / lr_alpha if lr_alpha > 0 else float("nan")}


def summarize(ds: xr.Dataset, spec: RunSpec, system: System, transitions: OpticalTransitions, pulse: Pulse | None) -> xr.Dataset:
    """Build the ``summary`` group: every number of the report that is not a stored variable or attribute of ``ds``.

    Parameters
    ----------
    ds : xarray.Dataset
        The pump study's root results (times in fs, energies in eV).
    spec : RunSpec
        The validated run spec.
    system : System
        Its built system.
    transitions : OpticalTransitions
        The optical transitions of the ground state.
    pulse : Pulse or None
        The pump pulse used (None: no pulse).

    Returns
    -------
    xarray.Dataset
        The summary numbers.
    """
    quench = json.loads(ds.attrs["quench"])
    ps = pump_section(spec)
    attrs: dict = {
        "description": spec.description, "cluster": system.cluster.describe(), "model_kind": system.model.kind, "sector": system.sector.label(),
        "model_parameters": json.dumps(dict(system.model.parameters)),
        "n_oxygens": system.cluster.n_bonds, "photon_energy_choice": "optical_gap" if ps.photon_energy == "optical_gap" else "spec",
        "optical_gap_fraction": ps.optical_gap_fraction, "has_pulse": int(pulse is not None),
        "quench_parameters": json.dumps(None if quench is None else {k: v for k, v in quench.items() if k not in ("time_fs", "eps")}),
        **_dynamics(ds, pulse),
    }
    xas_attrs, xas_vars = _xas(ds, pulse)
    attrs.update(_regime(ds, pulse, attrs["absorbed_final_eV"]))
    table = _transition_table(transitions, float(ds.attrs["optical_gap_eV"]))
    out = table.assign({"site_is_large": ("site", np.array([bool(v) for v in system.doping.large], dtype=np.int8)), **xas_vars})
    out.attrs = {**attrs, **xas_attrs}
    return out
