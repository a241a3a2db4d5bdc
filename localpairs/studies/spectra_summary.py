"""The spectra study's checks before any work, and the derived numbers its report shows.

:func:`validate` is what ``localpairs check`` and ``run`` both call; :func:`report_summary` puts
every number of the report that is not a raw spectrum (energy scales against the review, sum-rule
deviations, f-sum fractions, the XAS peak and its core-hole shift) into the results.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from localpairs.analysis.experiment import load_reference
from localpairs.analysis.spectral_edges import EnergyScales, curve_peak
from localpairs.errors import InputError
from localpairs.solvers import check_memory, estimate_memory
from localpairs.solvers.spectra.conductivity import _twists, peierls_model
from localpairs.solvers.spectra.xas import _channels
from localpairs.spec import RunSpec
from localpairs.studies.common import System, check_ladder_fits, ladder_electrons
from localpairs.studies.spectra_spec import spectra_section


def validate(spec: RunSpec, system: System) -> None:
    """Run every check the spectra study makes before solving anything.

    Whole sectors only (no momentum scan); N ± 1 (N ± 2) in the ladder for single-particle (pair)
    spectra; twists only along a periodic polarization axis; an oxygen next to a fermionic site for
    the XAS; the memory of every sector built (ladder, twisted N-sector).

    Parameters
    ----------
    spec : RunSpec
        The validated run spec.
    system : System
        Its built system.

    Raises
    ------
    InputError
        Naming the key of a value the study cannot run with (reported as a SpecError).
    """
    cfg, model, n = spectra_section(spec), system.model, system.sector.n_electrons
    if spec.sector.momentum != "none":
        raise InputError("sector.momentum", spec.sector.momentum, "'none' for the spectra study (it solves whole sectors)")
    electrons = ladder_electrons(spec, system)
    for name, d in (("single_particle", 1), ("pair", 2)):
        if name in cfg.compute and not (n - d in electrons and n + d in electrons):
            raise InputError("spectra.compute", name, f"spectra whose sectors N ± {d} exist on this cluster and in [ground_state] ladder "
                             f"(N = {n}, {2 * model.n_sites} electrons at most, ladder {spec.ground_state.ladder})")
    check_ladder_fits(spec, system, electrons)
    if "optical" in cfg.compute:
        polarization = np.asarray(cfg.polarization, dtype=float) / np.linalg.norm(cfg.polarization)
        try:
            twists = _twists(model, polarization, cfg.twists)
        except InputError as err:
            raise InputError(f"spectra.{err.field}", err.value, err.allowed) from None
        if cfg.twists > 1:  # each twist solves its own (complex) ground state in sector N
            twisted = peierls_model(model, twists[0][2])
            estimate = estimate_memory(twisted, system.sector, dense_threshold=spec.solver.dense_threshold)
            check_memory(twisted, system.sector, estimate, spec.solver.memory_budget_gb)
    core_hole = cfg.core_hole if isinstance(cfg.core_hole, str) else tuple(cfg.core_hole)
    if "xas" in cfg.compute and not _channels(model, cfg.coherence, core_hole)[0]:
        raise InputError("spectra.compute", "xas", "a cluster with at least one oxygen next to an octahedron that can take an electron")


def _energy_scales(g: dict) -> dict[str, float | None]:
    """E_a, E_b, E_b + 2E_a of the model and of the review (Menushenkov & Kagan 2026), in eV."""
    s = EnergyScales(g["single_particle_gap"], g["two_particle_gap"], g.get("optical_gap"))
    ref = load_reference()
    rv = {name: ref[key].number for name, key in (("E_G", "optical_gap"), ("E_a", "activation_energy"), ("E_b", "pair_binding_energy"))}
    return {
        "E_a": s.E_a, "two_E_a": 2 * s.E_a, "E_b": s.E_b, "E_b_plus_2E_a": s.E_b_plus_2E_a,
        "E_G_minus_E_b_plus_2E_a": None if s.optical_gap is None else s.optical_gap - s.E_b_plus_2E_a,
        "reference_E_G": rv["E_G"], "reference_E_a": rv["E_a"], "reference_two_E_a": 2 * rv["E_a"], "reference_E_b": rv["E_b"],
        "reference_E_b_plus_2E_a": rv["E_b"] + 2 * rv["E_a"],
    }


def _sum_rules(groups: dict[str, xr.Dataset]) -> xr.Dataset:
    """Per spectrum with a zeroth-moment check: channels, Σ weight·m0, max relative deviation, convergence."""
    rows = {}
    for name, ds in groups.items():
        if "m0" in ds and "m0_expected" in ds and ds.sizes.get("channel", 0):
            m0, expected = ds["m0"].values, ds["m0_expected"].values
            rows[name] = (ds.sizes["channel"], float((ds["weight"] * ds["m0"]).sum()),
                          float(np.max(np.abs(m0 - expected) / np.maximum(1.0, np.abs(expected)))), float(ds["convergence"].max()))
    cols = list(zip(*rows.values())) or [(), (), (), ()]
    return xr.Dataset(
        {
            "sum_rule_channels": (("spectrum",), np.array(cols[0], dtype=np.int64)),
            "sum_rule_total_m0": (("spectrum",), np.array(cols[1], dtype=float), {"long_name": "sum of weight * m0"}),
            "sum_rule_max_deviation": (("spectrum",), np.array(cols[2], dtype=float), {"long_name": "max |m0 - m0_expected| / max(1, |m0_expected|)"}),
            "sum_rule_convergence": (("spectrum",), np.array(cols[3], dtype=float)),
        },
        coords={"spectrum": list(rows)},
    )


def report_summary(root: xr.Dataset, groups: dict[str, xr.Dataset], g: dict) -> tuple[xr.Dataset, dict[str, xr.Dataset]]:
    """Add the report's derived numbers to ``root`` and ``groups`` (nothing existing changes).

    Parameters
    ----------
    root : xarray.Dataset
        The results' root.
    groups : dict of str to xarray.Dataset
        The spectrum groups.
    g : dict
        The gaps and edges in eV (single- and two-particle gap, ...).

    Returns
    -------
    tuple of (xarray.Dataset, dict)
        The extended root and groups (sum rules, energy scales, f-sum fractions).
    """
    root = root.merge(_sum_rules(groups))
    if g.get("single_particle_gap") is not None and g.get("two_particle_gap") is not None:
        root.attrs.update({f"{k}_eV": ("none" if v is None else float(v)) for k, v in _energy_scales(g).items()})
    groups = dict(groups)
    if "optical" in groups:
        opt = groups["optical"]
        groups["optical"] = opt.assign(
            twist_over_pi=(("twist",), opt["twist"].values / np.pi),
            f_sum_fraction=(("twist",), opt["f_sum_regular"].values / opt["f_sum_total"].values, {"long_name": "regular f-sum / (<d2H/dA2>/2)"}),
        )
    if "xas" in groups:
        x = groups["xas"]
        root.attrs["xas_main_peak_eV"] = curve_peak(x["omega"].values, x["total"].values)
        root.attrs["reference_pre_edge_eV"] = load_reference()["pre_edge"].number
        if "xas_no_core_hole" in groups:
            root.attrs["xas_core_hole_shift_eV"] = root.attrs["xas_main_peak_eV"] - curve_peak(x["omega"].values, groups["xas_no_core_hole"]["total"].values)
    return root, groups
