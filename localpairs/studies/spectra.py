"""Spectra study: single-particle and pair spectra with their gaps, σ(ω) and O K-edge XAS of the ground state.

The ground state of the spec's sector is solved; E(N±1), E(N±2) are solved too (for the mid-gap
chemical potentials and the ground-state-energy gaps of :mod:`localpairs.analysis.pair_binding`). Then,
as the ``[spectra]`` section asks (:class:`~localpairs.studies.spectra_spec.SpectraSpec`):

- electron addition ``c†_iσ`` and removal ``c_iσ`` on every site and spin (and ``c_kσ`` on the
  k-grid of a periodic cluster), pair addition ``Δ†_i`` and removal ``Δ_i`` on every site, all on
  the axis ``ω − nμ`` with removal mirrored (photoemission convention);
- Re σ(ω) from the current along the polarization, twist-averaged;
- the O K-edge XAS with core-hole potential U_c, placed so that its main (σ*) peak sits at
  ``pre_edge_eV`` unless ``offset_eV`` is given.

Each spectrum group is checkpointed (netCDF, tied to the spec hash) so an interrupted run resumes.
Outputs: ``results.nc`` (one netCDF group per spectrum; at the root E(N), the gaps, the energy
scales, the sum-rule table and every other number the report shows), PNG figures and ``report.md``
(rendered from the results by ``templates/spectra.md.j2``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from localpairs.analysis.experiment import load_reference
from localpairs.analysis.figures import save_figure
from localpairs.analysis.pair_binding import gap_table
from localpairs.analysis.spectra_figures import charge_spectra_figure, conductivity_figure, momentum_spectra_figure, xas_figure
from localpairs.analysis.spectral_edges import conductivity_gap, curve_onset, curve_peak, edge_of, gap_from_edges
from localpairs.errors import LocalPairsError
from localpairs.hamiltonians import Model
from localpairs.output_size import FIGURE_BYTES, OutputEstimate, json_bytes, netcdf_bytes
from localpairs.solvers import solve
from localpairs.solvers.spectra.conductivity import optical_conductivity
from localpairs.solvers.spectra.excitations import electron_addition, electron_removal, momentum_grid, pair_addition, pair_removal
from localpairs.solvers.spectra.spectral_functions import SectorCache, spectra
from localpairs.solvers.spectra.xas import xas
from localpairs.spec import RunSpec
from localpairs.studies.common import Checkpoints, System, checkpointed_ladder, ladder_electrons, system_attrs
from localpairs.studies.framework import Results, RunContext, Study, render, spec_of
from localpairs.studies.spectra_spec import SpectraSpec, spectra_section
from localpairs.studies.spectra_summary import report_summary, validate

logger = logging.getLogger(__name__)

SPINS = ("up", "down")


class _Run:
    """State shared by the steps of one study run."""

    def __init__(self, spec: RunSpec, system: System, cfg: SpectraSpec, checkpoints: Checkpoints) -> None:
        self.spec, self.system, self.cfg, self.checkpoints = spec, system, cfg, checkpoints
        self.model = system.model
        self.gs = solve(system.model, system.sector, n_states=spec.solver.n_states, dense_threshold=spec.solver.dense_threshold,
                        memory_budget_gb=spec.solver.memory_budget_gb)
        self.cache = SectorCache(system.model, memory_budget_gb=spec.solver.memory_budget_gb)
        self.cache.add(system.sector, self.gs.basis)
        self.omega_rel = np.linspace(cfg.omega_min, cfg.omega_max, cfg.n_omega)

    def cached(self, name: str, compute: Callable[[], xr.Dataset]) -> xr.Dataset:
        """The Dataset of step ``name`` from its checkpoint, or computed and checkpointed."""

        def timed() -> xr.Dataset:
            t0 = time.perf_counter()
            ds = compute()
            logger.info("%s: %.1f s", name, time.perf_counter() - t0)
            return ds

        return self.checkpoints.dataset(f"spectra_{name}", timed)

    def charge(self, operators: list, mu: float, sign: int) -> xr.Dataset:
        """Spectra of ``operators`` on the axis ω − μ (sign −1: mirrored removal)."""
        c = self.cfg
        ds = spectra(self.model, self.system.sector, self.gs.ground_state, operators, mu + self.omega_rel, eta=c.eta,
                     gaussian_fwhm=c.gaussian_fwhm, e_ref=self.gs.ground_energy, sign=sign, n_steps=c.lanczos_steps, cache=self.cache)
        ds = ds.assign_coords(omega=("omega", self.omega_rel, {"units": "eV", "long_name": "ω − nμ"}))
        ds.attrs["mu_eV"] = mu
        return ds


def _electron_sites(model: Model) -> list[int]:
    return [i for i in range(model.n_sites) if i not in model.bosonic_sites]


def _spectra(r: _Run, ladder: dict[int, float]) -> dict[str, xr.Dataset]:
    cfg, model, n = r.cfg, r.model, r.system.sector.n_electrons  # N ± 1, N ± 2 in the ladder: checked by validate
    out: dict[str, xr.Dataset] = {}
    if "single_particle" in cfg.compute:
        mu1 = 0.5 * (ladder[n + 1] - ladder[n - 1])
        sites = _electron_sites(model)
        out["electron_addition"] = r.cached(
            "electron_addition", lambda: r.charge([electron_addition(model, site=i, spin=s) for i in sites for s in SPINS], mu1, +1))
        out["electron_removal"] = r.cached(
            "electron_removal", lambda: r.charge([electron_removal(model, site=i, spin=s) for i in sites for s in SPINS], mu1, -1))
        if cfg.momentum_resolved and not model.bosonic_sites and all(p or L == 1 for p, L in zip(model.cluster.periodic, model.cluster.shape)):
            ks = momentum_grid(model.cluster)
            out["electron_addition_k"] = r.cached("electron_addition_k", lambda: r.charge([electron_addition(model, k=k) for k in ks], mu1, +1))
            out["electron_removal_k"] = r.cached("electron_removal_k", lambda: r.charge([electron_removal(model, k=k) for k in ks], mu1, -1))
    if "pair" in cfg.compute:
        mu2 = 0.5 * (ladder[n + 2] - ladder[n - 2])
        pair_sites = range(model.n_sites)
        out["pair_addition"] = r.cached("pair_addition", lambda: r.charge([pair_addition(model, site=i) for i in pair_sites], mu2, +1))
        out["pair_removal"] = r.cached("pair_removal", lambda: r.charge([pair_removal(model, site=i) for i in pair_sites], mu2, -1))
    if "optical" in cfg.compute:
        omega = np.linspace(cfg.optical_omega_max / cfg.n_omega, cfg.optical_omega_max, cfg.n_omega)
        out["optical"] = r.cached(
            "optical",
            lambda: optical_conductivity(model, r.system.sector, omega, eta=cfg.eta, gaussian_fwhm=cfg.gaussian_fwhm,
                                         polarization=cfg.polarization, twists=cfg.twists, basis=r.gs.basis, n_steps=cfg.lanczos_steps,
                                         memory_budget_gb=r.spec.solver.memory_budget_gb),
        )
    if "xas" in cfg.compute:
        out.update(_xas(r))
    return out


def _xas(r: _Run) -> dict[str, xr.Dataset]:
    cfg, gs = r.cfg, r.gs
    core_hole = cfg.core_hole if isinstance(cfg.core_hole, str) else tuple(cfg.core_hole)
    common: dict[str, Any] = dict(Gamma=cfg.Gamma, gaussian_fwhm=cfg.xas_gaussian_fwhm, coherence=cfg.coherence, core_hole=core_hole,
                                  use_symmetry=cfg.use_symmetry, e_ref=gs.ground_energy, n_steps=cfg.xas_lanczos_steps, cache=r.cache)
    offset = cfg.offset_eV
    if offset is None:
        # locate the main peak on a wide grid with offset 0, then place it at pre_edge_eV
        def locate() -> xr.Dataset:
            probe = xas(r.model, r.system.sector, gs.ground_state, np.linspace(-20.0, 20.0, 8001), U_c=cfg.U_c, **common)
            return xr.Dataset(attrs={"peak_eV": curve_peak(probe["omega"].values, probe["total"].values)})

        offset = cfg.pre_edge_eV - float(r.cached("xas_locate", locate).attrs["peak_eV"])
    grid = cfg.pre_edge_eV + np.linspace(cfg.xas_window[0], cfg.xas_window[1], cfg.n_omega)
    out = {"xas": r.cached("xas", lambda: xas(r.model, r.system.sector, gs.ground_state, grid, U_c=cfg.U_c, offset=offset, **common))}
    if cfg.U_c != 0:
        out["xas_no_core_hole"] = r.cached("xas_no_core_hole", lambda: xas(r.model, r.system.sector, gs.ground_state, grid, U_c=0.0, offset=offset, **common))
    return out


def _gaps(cfg: SpectraSpec, groups: dict[str, xr.Dataset], ladder: dict[int, float], n: int) -> dict[str, float | None]:
    g: dict[str, float | None] = {}
    thr = cfg.edge_threshold
    if "electron_addition" in groups:
        add, rem = edge_of(groups["electron_addition"], rel_threshold=thr), edge_of(groups["electron_removal"], rel_threshold=thr)
        g["addition_edge"], g["removal_edge"], g["single_particle_gap"] = add, rem, gap_from_edges(add, rem)
    if "pair_addition" in groups:
        add, rem = edge_of(groups["pair_addition"], rel_threshold=thr), edge_of(groups["pair_removal"], rel_threshold=thr)
        g["pair_addition_edge"], g["pair_removal_edge"], g["two_particle_gap"] = add, rem, 0.5 * gap_from_edges(add, rem)
    if "optical" in groups:
        opt = groups["optical"]
        g["optical_gap"] = conductivity_gap(opt, fraction=cfg.optical_threshold) if float(opt["sigma"].max()) > 0 else None
        if g["optical_gap"] is not None:
            g["optical_onset"] = curve_onset(opt["omega"].values, opt["sigma"].values)
            g["optical_peak"] = curve_peak(opt["omega"].values, opt["sigma"].values)
    table = gap_table(ladder, n)
    g["single_particle_gap_from_energies"] = table.single_particle_gap
    g["two_particle_gap_from_energies"] = table.two_particle_gap
    g["pair_binding_from_energies"] = table.pair_binding
    return g


def _edge(root: xr.Dataset, key: str) -> float | None:
    value = root.attrs.get(f"{key}_eV", "none")
    return None if isinstance(value, str) else float(value)


def _computed_edge(root: xr.Dataset, key: str) -> float:
    """An edge or gap the results must hold (its spectra were computed); an error naming it otherwise."""
    value = _edge(root, key)
    if value is None:
        raise LocalPairsError(f"results attribute {key}_eV is 'none', but the spectra it comes from were computed")
    return value


def figures(results: Results, outdir: Path, title: str) -> list[str]:
    """Draw the charge spectra with their edges, k-resolved spectra, σ(ω) and the XAS, as far as computed.

    Parameters
    ----------
    results : Results
        What :func:`compute` returned.
    outdir : pathlib.Path
        Folder the PNG files are written into.
    title : str
        The spec's title, heading the figures.

    Returns
    -------
    list of str
        Names of the files written.
    """
    cfg, groups, root = spectra_section(spec_of(results)), results.groups, results.root
    n_sites = int(root.attrs["n_sites"])
    names, panels = [], []
    for kind, label, gap_text, add_label, rem_label in (
        ("", "A(ω) per site (1/eV)", lambda: f"Δ1 = {_computed_edge(root, 'single_particle_gap'):.3f} eV", "c† (addition)", "c (removal, mirrored)"),
        ("pair_", "P(ω) per site (1/eV)", lambda: f"2Δ2 = {2 * _computed_edge(root, 'two_particle_gap'):.3f} eV", "Δ† (pair addition)",
         "Δ (pair removal, mirrored)"),
    ):
        name = "electron_addition" if not kind else "pair_addition"
        if name not in groups:
            continue
        a, rm = groups[name], groups[name.replace("addition", "removal")]
        mu = a.attrs["mu_eV"]
        edges = (-_computed_edge(root, f"{kind}removal_edge") - mu, _computed_edge(root, f"{kind}addition_edge") - mu)
        panels.append(dict(addition=a["total"].values / n_sites, removal=rm["total"].values / n_sites, label=label, edges=edges,
                           gap_text=gap_text(), addition_label=add_label, removal_label=rem_label))
    if panels:
        omega = groups["electron_addition" if "electron_addition" in groups else "pair_addition"]["omega"].values
        save_figure(charge_spectra_figure(omega, panels, title=f"{title}: charge spectra (η = {cfg.eta:g} eV)"), outdir / "charge_spectra.png")
        names.append("charge_spectra.png")
    if "electron_addition_k" in groups:
        a, rm = groups["electron_addition_k"], groups["electron_removal_k"]
        curves = a["spectrum"].values + rm["spectrum"].values
        save_figure(momentum_spectra_figure(a["omega"].values, curves, [f"k = ({k}) 2π/(L a)" for k in a["k"].values]), outdir / "momentum_spectra.png")
        names.append("momentum_spectra.png")
    if "optical" in groups:
        opt = groups["optical"]
        figure = conductivity_figure(opt["omega"].values, opt["sigma"].values, optical_gap=_edge(root, "optical_gap"),
                                     reference_gap=load_reference()["optical_gap"].number, twist_curves=opt["sigma_twist"].values,
                                     title=f"{title}: Re σ(ω), {int(opt.attrs['twists'])} twist(s)")
        save_figure(figure, outdir / "optical_conductivity.png")
        names.append("optical_conductivity.png")
    if "xas" in groups:
        x = groups["xas"]
        none = groups.get("xas_no_core_hole")
        figure = xas_figure(x["omega"].values, x["total"].values, n_oxygens=int(x.attrs["n_oxygens"]),
                            reference_pre_edge=load_reference()["pre_edge"].number, no_core_hole=None if none is None else none["total"].values,
                            title=f"{title}: O K-edge XAS, U_c = {cfg.U_c:g} eV, Γ = {cfg.Gamma:g} eV")
        save_figure(figure, outdir / "xas.png")
        names.append("xas.png")
    return names


def _root(spec: RunSpec, system: System, ladder: dict[int, float], g: dict, r: _Run) -> xr.Dataset:
    ns = sorted(ladder)
    attrs = {f"{k}_eV": ("none" if v is None else float(v)) for k, v in g.items()}
    attrs.update(title=spec.title, ground_energy_eV=r.gs.ground_energy, ground_dimension=r.gs.dimension, ground_method=r.gs.method,
                 **system_attrs(spec, system))
    return xr.Dataset({"ground_energy_vs_N": (("n_electrons",), np.array([ladder[k] for k in ns]), {"units": "eV"})}, coords={"n_electrons": ns}, attrs=attrs)


def compute(ctx: RunContext) -> Results:
    """Compute the ground state, the E(N) ladder, the spectra of ``[spectra] compute``, their gaps and the report's numbers.

    Parameters
    ----------
    ctx : RunContext
        Spec, system, checkpoints and output folder.

    Returns
    -------
    Results
        The root Dataset and its groups.
    """
    spec, system = ctx.spec, ctx.system
    cfg = spectra_section(spec)
    r = _Run(spec, system, cfg, ctx.checkpoints)
    logger.info("ground state: E0 = %.6f eV (dimension %s); spectra %s", r.gs.ground_energy, f"{r.gs.dimension:,}", cfg.compute)
    n = system.sector.n_electrons
    ladder = {n: r.gs.ground_energy, **checkpointed_ladder(spec, system, ctx.checkpoints)}
    groups = _spectra(r, ladder)
    g = _gaps(cfg, groups, ladder, n)
    root, groups = report_summary(_root(spec, system, ladder, g, r), groups, g)
    return Results(root, groups)


def report(results: Results) -> str:
    """Render the report from the results by ``templates/spectra.md.j2``.

    Parameters
    ----------
    results : Results
        The results (as read back from results.nc).

    Returns
    -------
    str
        The report's Markdown text.
    """
    return render("spectra.md.j2", results, spec=spec_of(results))


def _channels(spec: RunSpec, system: System) -> dict[str, tuple[int, int, int]]:
    """Spectrum group → (channels, frequencies, poles per channel) the study computes; the XAS counted
    without its symmetry reduction (every bond, both core-hole placements for ``"site"``): an upper bound."""
    cfg, model = spectra_section(spec), system.model
    electron, grid = 2 * len(_electron_sites(model)), (cfg.n_omega, cfg.lanczos_steps)
    groups: dict[str, tuple[int, int, int]] = {}
    if "single_particle" in cfg.compute:
        groups.update(electron_addition=(electron, *grid), electron_removal=(electron, *grid))
        if cfg.momentum_resolved and not model.bosonic_sites and all(p or n == 1 for p, n in zip(model.cluster.periodic, model.cluster.shape)):
            n_k = len(momentum_grid(model.cluster))
            groups.update(electron_addition_k=(n_k, *grid), electron_removal_k=(n_k, *grid))
    if "pair" in cfg.compute:
        groups.update(pair_addition=(model.n_sites, *grid), pair_removal=(model.n_sites, *grid))
    if "optical" in cfg.compute:
        groups["optical"] = (cfg.twists, cfg.n_omega, int(1.5 * cfg.lanczos_steps))
    if "xas" in cfg.compute:
        xas_channels = system.cluster.n_bonds * (2 if cfg.core_hole == "site" else 1)
        groups["xas"] = (xas_channels, cfg.n_omega, cfg.xas_lanczos_steps)
        if cfg.U_c != 0:
            groups["xas_no_core_hole"] = groups["xas"]
    return groups


def output(spec: RunSpec, system: System) -> OutputEstimate:
    """Estimate what the study writes.

    Each spectrum group (per channel its curve and its poles) in results.nc and in its own
    checkpoint, E(N) checkpoints, one figure per kind of spectrum.

    Parameters
    ----------
    spec : RunSpec
        The validated run spec.
    system : System
        Its built system.

    Returns
    -------
    OutputEstimate
        Bytes by part.
    """
    groups = {name: c * (n + 2 * p + 8) + 2 * n for name, (c, n, p) in _channels(spec, system).items()}
    sectors = len(ladder_electrons(spec, system))
    checkpoints = sum(netcdf_bytes(v) for v in groups.values()) + json_bytes(sectors, files=sectors) + netcdf_bytes(0)
    kinds = {"electron_addition", "pair_addition"} & set(groups), "electron_addition_k" in groups, "optical" in groups, "xas" in groups
    return OutputEstimate({"results.nc": netcdf_bytes(sum(groups.values()) + 100, groups=len(groups) + 1), "checkpoints": checkpoints,
                           "figures": sum(map(bool, kinds)) * FIGURE_BYTES}, hint="a smaller spectra.n_omega or fewer spectra in spectra.compute")


STUDY = Study(name="spectra", section="spectra", validate=validate, compute=compute, figures=figures, report=report, output=output)
