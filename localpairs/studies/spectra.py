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

Each spectrum group is checkpointed (JSON, tied to the spec hash) so an interrupted run resumes.
Outputs: ``results.nc`` (one netCDF group per spectrum, gap table and provenance at the root),
PNG figures and ``report.md``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable

import numpy as np
import xarray as xr

from localpairs.analysis.experiment import load_reference
from localpairs.analysis.figures import save_figure
from localpairs.analysis.pair_binding import gap_table
from localpairs.analysis.spectra_figures import charge_spectra_figure, conductivity_figure, momentum_spectra_figure, xas_figure
from localpairs.analysis.spectral_edges import EnergyScales, conductivity_gap, curve_onset, curve_peak, edge_of, gap_from_edges
from localpairs.errors import InputError
from localpairs.io import write_text_atomic, write_with
from localpairs.solvers import solve
from localpairs.solvers.spectra.excitations import electron_addition, electron_removal, momentum_grid, pair_addition, pair_removal
from localpairs.solvers.spectra.conductivity import optical_conductivity
from localpairs.solvers.spectra.spectral_functions import SectorCache, spectra
from localpairs.solvers.spectra.xas import xas
from localpairs.spec import RunSpec

from localpairs.studies.common import Checkpoints, System, build_system, progress, provenance, spec_hash
from localpairs.studies.ground_state import checkpointed_ladder
from localpairs.studies.spectra_spec import SpectraSpec

SPINS = ("up", "down")


class _Run:
    """State shared by the steps of one study run."""

    def __init__(self, spec: RunSpec, system: System, cfg: SpectraSpec, checkpoints: Checkpoints) -> None:
        self.spec, self.system, self.cfg, self.checkpoints = spec, system, cfg, checkpoints
        self.model = system.model
        self.gs = solve(system.model, system.sector, n_states=spec.solver.n_states, dense_threshold=spec.solver.dense_threshold, memory_budget_gb=spec.solver.memory_budget_gb)
        self.cache = SectorCache(system.model, memory_budget_gb=spec.solver.memory_budget_gb)
        self.cache.add(system.sector, self.gs.basis)
        self.omega_rel = np.linspace(cfg.omega_min, cfg.omega_max, cfg.n_omega)

    def cached(self, name: str, compute: Callable[[], xr.Dataset]) -> xr.Dataset:
        """The Dataset of step ``name`` from its checkpoint, or computed and checkpointed."""
        stored = self.checkpoints.load(f"spectra_{name}")
        if stored is not None:
            progress(f"{name}: from checkpoint")
            return xr.Dataset.from_dict(stored)
        t0 = time.perf_counter()
        ds = compute()
        self.checkpoints.save(f"spectra_{name}", ds.to_dict(data="list"))
        progress(f"{name}: {time.perf_counter() - t0:.1f} s")
        return ds

    def charge(self, operators: list, mu: float, sign: int) -> xr.Dataset:
        """Spectra of ``operators`` on the axis ω − μ (sign −1: mirrored removal)."""
        c = self.cfg
        ds = spectra(self.model, self.system.sector, self.gs.ground_state, operators, mu + self.omega_rel, eta=c.eta, gaussian_fwhm=c.gaussian_fwhm, e_ref=self.gs.ground_energy, sign=sign, n_steps=c.lanczos_steps, cache=self.cache)
        ds = ds.assign_coords(omega=("omega", self.omega_rel, {"units": "eV", "long_name": "ω − nμ"}))
        ds.attrs["mu_eV"] = mu
        return ds


def _electron_sites(model) -> list[int]:
    return [i for i in range(model.n_sites) if i not in model.bosonic_sites]


def _compute(r: _Run, ladder: dict[int, float]) -> dict[str, xr.Dataset]:
    cfg, model, n = r.cfg, r.model, r.system.sector.n_electrons
    for name, d in (("single_particle", 1), ("pair", 2)):
        if name in cfg.compute and not (n - d in ladder and n + d in ladder):
            raise InputError("spectra.compute", name, f"spectra whose sectors N ± {d} exist on this cluster (N = {n}, {2 * model.n_sites} electrons at most)")
    out: dict[str, xr.Dataset] = {}
    if "single_particle" in cfg.compute:
        mu1 = 0.5 * (ladder[n + 1] - ladder[n - 1])
        sites = _electron_sites(model)
        out["electron_addition"] = r.cached("electron_addition", lambda: r.charge([electron_addition(model, site=i, spin=s) for i in sites for s in SPINS], mu1, +1))
        out["electron_removal"] = r.cached("electron_removal", lambda: r.charge([electron_removal(model, site=i, spin=s) for i in sites for s in SPINS], mu1, -1))
        if cfg.momentum_resolved and not model.bosonic_sites and all(p or L == 1 for p, L in zip(model.cluster.periodic, model.cluster.shape)):
            ks = momentum_grid(model.cluster)
            out["electron_addition_k"] = r.cached("electron_addition_k", lambda: r.charge([electron_addition(model, k=k) for k in ks], mu1, +1))
            out["electron_removal_k"] = r.cached("electron_removal_k", lambda: r.charge([electron_removal(model, k=k) for k in ks], mu1, -1))
    if "pair" in cfg.compute:
        mu2 = 0.5 * (ladder[n + 2] - ladder[n - 2])
        sites = range(model.n_sites)
        out["pair_addition"] = r.cached("pair_addition", lambda: r.charge([pair_addition(model, site=i) for i in sites], mu2, +1))
        out["pair_removal"] = r.cached("pair_removal", lambda: r.charge([pair_removal(model, site=i) for i in sites], mu2, -1))
    if "optical" in cfg.compute:
        omega = np.linspace(cfg.optical_omega_max / cfg.n_omega, cfg.optical_omega_max, cfg.n_omega)
        out["optical"] = r.cached(
            "optical",
            lambda: optical_conductivity(model, r.system.sector, omega, eta=cfg.eta, gaussian_fwhm=cfg.gaussian_fwhm, polarization=cfg.polarization, twists=cfg.twists, basis=r.gs.basis, n_steps=cfg.lanczos_steps, memory_budget_gb=r.spec.solver.memory_budget_gb),
        )
    if "xas" in cfg.compute:
        out.update(_xas(r))
    return out


def _xas(r: _Run) -> dict[str, xr.Dataset]:
    cfg, gs = r.cfg, r.gs
    common = dict(Gamma=cfg.Gamma, gaussian_fwhm=cfg.xas_gaussian_fwhm, coherence=cfg.coherence, use_symmetry=cfg.use_symmetry, e_ref=gs.ground_energy, n_steps=cfg.xas_lanczos_steps, cache=r.cache)
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
        g["addition_edge"] = edge_of(groups["electron_addition"], rel_threshold=thr)
        g["removal_edge"] = edge_of(groups["electron_removal"], rel_threshold=thr)
        g["single_particle_gap"] = gap_from_edges(g["addition_edge"], g["removal_edge"])
    if "pair_addition" in groups:
        g["pair_addition_edge"] = edge_of(groups["pair_addition"], rel_threshold=thr)
        g["pair_removal_edge"] = edge_of(groups["pair_removal"], rel_threshold=thr)
        g["two_particle_gap"] = 0.5 * gap_from_edges(g["pair_addition_edge"], g["pair_removal_edge"])
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


def _figures(outdir: Path, cfg: SpectraSpec, groups: dict[str, xr.Dataset], g: dict, n_sites: int, title: str) -> list[str]:
    names = []
    panels = []
    if "electron_addition" in groups:
        a, rm = groups["electron_addition"], groups["electron_removal"]
        mu = a.attrs["mu_eV"]
        edges = (-g["removal_edge"] - mu, g["addition_edge"] - mu)
        panels.append(dict(addition=a["total"].values / n_sites, removal=rm["total"].values / n_sites, label="A(ω) per site (1/eV)", edges=edges, gap_text=f"Δ1 = {g['single_particle_gap']:.3f} eV", addition_label="c† (addition)", removal_label="c (removal, mirrored)"))
    if "pair_addition" in groups:
        a, rm = groups["pair_addition"], groups["pair_removal"]
        mu = a.attrs["mu_eV"]
        edges = (-g["pair_removal_edge"] - mu, g["pair_addition_edge"] - mu)
        panels.append(dict(addition=a["total"].values / n_sites, removal=rm["total"].values / n_sites, label="P(ω) per site (1/eV)", edges=edges, gap_text=f"2Δ2 = {2 * g['two_particle_gap']:.3f} eV", addition_label="Δ† (pair addition)", removal_label="Δ (pair removal, mirrored)"))
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
        ref = load_reference()["optical_gap"].value
        save_figure(conductivity_figure(opt["omega"].values, opt["sigma"].values, optical_gap=g.get("optical_gap"), reference_gap=ref, twist_curves=opt["sigma_twist"].values, title=f"{title}: Re σ(ω), {int(opt.attrs['twists'])} twist(s)"), outdir / "optical_conductivity.png")
        names.append("optical_conductivity.png")
    if "xas" in groups:
        x = groups["xas"]
        none = groups.get("xas_no_core_hole")
        save_figure(xas_figure(x["omega"].values, x["total"].values, n_oxygens=int(x.attrs["n_oxygens"]), reference_pre_edge=load_reference()["pre_edge"].value, no_core_hole=None if none is None else none["total"].values, title=f"{title}: O K-edge XAS, U_c = {cfg.U_c:g} eV, Γ = {cfg.Gamma:g} eV"), outdir / "xas.png")
        names.append("xas.png")
    return names


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.4f} eV"


def _report(spec: RunSpec, system: System, cfg: SpectraSpec, r: _Run, ladder: dict[int, float], groups: dict[str, xr.Dataset], g: dict, figures: list[str], seconds: float) -> str:
    ref = load_reference()
    params = ", ".join(f"{k} = {v}" for k, v in system.model.parameters.items() if k != "eps")
    rows = [
        ("addition edge ε₊", "E(N+1) − E(N), lowest c† pole", g.get("addition_edge")),
        ("removal edge ε₋", "E(N−1) − E(N), lowest c pole", g.get("removal_edge")),
        ("single-particle gap Δ1", "ε₊ + ε₋ (spectra)", g.get("single_particle_gap")),
        ("  same from E(N)", "E(N+1) + E(N−1) − 2E(N) (analysis.gaps)", g.get("single_particle_gap_from_energies")),
        ("pair addition edge", "E(N+2) − E(N), lowest Δ† pole", g.get("pair_addition_edge")),
        ("pair removal edge", "E(N−2) − E(N), lowest Δ pole", g.get("pair_removal_edge")),
        ("two-particle gap Δ2", "(pair edges)/2, per electron", g.get("two_particle_gap")),
        ("  same from E(N)", "[E(N+2) + E(N−2) − 2E(N)]/2 (analysis.gaps)", g.get("two_particle_gap_from_energies")),
        ("pair binding E_pb", "E(N+2) + E(N) − 2E(N+1)", g.get("pair_binding_from_energies")),
        ("optical gap E_G", f"lowest σ pole with ≥ {cfg.optical_threshold:g} of ∫σ", g.get("optical_gap")),
        ("σ onset", "first ω with σ ≥ 0.1 max σ", g.get("optical_onset")),
        ("σ peak", "ω at max σ", g.get("optical_peak")),
    ]
    table = "\n".join(f"| {a} | {b} | {_fmt(v)} |" for a, b, v in rows)
    scales = ""
    if g.get("single_particle_gap") is not None and g.get("two_particle_gap") is not None:
        s = EnergyScales(g["single_particle_gap"], g["two_particle_gap"], g.get("optical_gap"))
        rv = {name: ref[key].value for name, key in (("E_G", "optical_gap"), ("E_a", "activation_energy"), ("E_b", "pair_binding_energy"))}
        scales = f"""
## E_G against E_b + 2E_a (model vs review)
Definitions (`analysis/spectral_edges.py`): 2E_a := Δ2 (two-particle transport gap per electron),
E_b := Δ1 − Δ2 (mean binding energy of an electron pair and a hole pair), so E_b + 2E_a = Δ1;
E_G is the optical gap of σ(ω). Model numbers are from the spectra; nothing is fitted.

| quantity | model | review (Menushenkov & Kagan 2026) |
|---|---|---|
| E_G | {_fmt(s.optical_gap)} | {rv['E_G']:.2f} eV |
| E_a | {_fmt(s.E_a)} | {rv['E_a']:.2f} eV |
| 2E_a | {_fmt(2 * s.E_a)} | {2 * rv['E_a']:.2f} eV |
| E_b | {_fmt(s.E_b)} | ≈ {rv['E_b']:.1f} eV |
| E_b + 2E_a | {_fmt(s.E_b_plus_2E_a)} | {rv['E_b'] + 2 * rv['E_a']:.2f} eV |
| E_G − (E_b + 2E_a) | {_fmt(None if s.optical_gap is None else s.optical_gap - s.E_b_plus_2E_a)} | ≈ 0 (review's relation) |

A negative E_G − (E_b + 2E_a) means the photon creates a bound (excitonic) neutral excitation
below the energy of two separated charges.
"""
    sums = []
    for name, ds in groups.items():
        if "m0" in ds and "m0_expected" in ds and ds.sizes.get("channel", 0):
            dev = float(np.max(np.abs(ds["m0"].values - ds["m0_expected"].values) / np.maximum(1.0, np.abs(ds["m0_expected"].values))))
            conv = float(ds["convergence"].max())
            sums.append(f"| {name} | {ds.sizes['channel']} | {float((ds['weight'] * ds['m0']).sum()):.6f} | {dev:.1e} | {conv:.1e} |")
    sum_table = "\n".join(sums)
    extra = []
    if "optical" in groups:
        opt = groups["optical"]
        extra.append(f"- σ(ω): polarization {opt.attrs['polarization']}, {int(opt.attrs['twists'])} boundary twist(s); twist Φ/π = {', '.join(f'{p / np.pi:.3f}' for p in opt['twist'].values)}; regular f-sum fraction Σ|j|²/ω ÷ ⟨∂²H/∂A²⟩/2 = {', '.join(f'{a / b:.3f}' for a, b in zip(opt['f_sum_regular'].values, opt['f_sum_total'].values))} (1 on open clusters; a twisted ground state is not at the minimum of E(A), so values ≠ 1 are expected).")
    if "xas" in groups:
        x = groups["xas"]
        extra.append(f"- XAS: U_c = {x.attrs['U_c_eV']:g} eV on both octahedra next to the oxygen, Γ = {x.attrs['Gamma_eV']:g} eV (half width), {x.attrs['coherence']} sum over i/j; offset {x.attrs['offset_eV']:.3f} eV places the main σ* peak at {curve_peak(x['omega'].values, x['total'].values):.2f} eV (measured pre-edge ≈ {ref['pre_edge'].value:g} eV). Channels computed: {int(x.attrs['n_channels_computed'])} of {int(x.attrs['n_channels_all'])} ({int(x.attrs['n_symmetries'])} symmetries of model and state).")
        if "xas_no_core_hole" in groups:
            shift = curve_peak(x["omega"].values, x["total"].values) - curve_peak(x["omega"].values, groups["xas_no_core_hole"]["total"].values)
            extra.append(f"- The core hole moves the main peak by {shift:+.3f} eV (same offset, U_c = 0 for comparison).")
    ladder_rows = "\n".join(f"| {k} | {v:.6f} |" for k, v in sorted(ladder.items()))
    figs = "\n".join(f"![{f}]({f})" for f in figures)
    vers = ", ".join(f"{k} {v}" for k, v in provenance(spec, system)["versions"].items())
    return f"""# {spec.title}

{spec.description}

## System
- Cluster: {system.cluster.describe()}; model `{system.model.kind}`: {params}
- Ground state: sector {system.sector.label()}, dimension {r.gs.dimension:,}, E0 = {r.gs.ground_energy:.6f} eV ({r.gs.method})
- Spectra: η = {cfg.eta:g} eV (Lorentzian half width), Gaussian FWHM {cfg.gaussian_fwhm:g} eV, {cfg.lanczos_steps} Lanczos steps per channel; edges need ≥ {cfg.edge_threshold:g} of a spectrum's weight.

| N | E(N) (eV) |
|---|---|
{ladder_rows}

## Gaps
| quantity | definition | value |
|---|---|---|
{table}
{scales}
## Sum rules and convergence
Zeroth moment ‖Oψ‖² against ⟨ψ|O†O|ψ⟩ computed independently; convergence = max|S_m − S_3m/4|/max S_m.

| spectrum | channels | Σ weight·m0 | max rel. deviation | convergence |
|---|---|---|---|---|
{sum_table}

{chr(10).join(extra)}

## Figures
{figs}

## Provenance
Results: `results.nc` (netCDF groups {', '.join(sorted(groups))}; the root holds E(N), the gaps and the resolved spec).
Versions: {vers}. Wall time {seconds:.1f} s.
"""


def _root(spec: RunSpec, system: System, ladder: dict[int, float], g: dict, gs_energy: float) -> xr.Dataset:
    ns = sorted(ladder)
    attrs = {f"{k}_eV": ("none" if v is None else float(v)) for k, v in g.items()}
    attrs.update(title=spec.title, ground_energy_eV=gs_energy, provenance=json.dumps(provenance(spec, system)))
    return xr.Dataset({"ground_energy_vs_N": (("n_electrons",), np.array([ladder[k] for k in ns]), {"units": "eV"})}, coords={"n_electrons": ns}, attrs=attrs)


def _write(path: Path, root: xr.Dataset, groups: dict[str, xr.Dataset]) -> None:
    def writer(tmp: Path) -> None:
        root.to_netcdf(tmp, engine="h5netcdf")
        for name, ds in groups.items():
            ds.to_netcdf(tmp, mode="a", group=name, engine="h5netcdf")

    write_with(path, writer)


def run(spec: RunSpec, outdir: Path, *, resume: bool = True) -> Path:
    """Run a spectra study into ``outdir``; return the path of report.md."""
    start = time.perf_counter()
    cfg = spec.spectra if spec.spectra is not None else SpectraSpec()
    system = build_system(spec)
    progress(f"{system.cluster.describe()}; {system.model.kind}; sector {system.sector.label()}; spectra {cfg.compute}")
    checkpoints = Checkpoints(outdir, spec_hash(spec), enabled=resume)
    r = _Run(spec, system, cfg, checkpoints)
    progress(f"ground state: E0 = {r.gs.ground_energy:.6f} eV (dimension {r.gs.dimension:,})")
    n = system.sector.n_electrons
    ladder = {n: r.gs.ground_energy, **checkpointed_ladder(spec, system, checkpoints)}
    groups = _compute(r, ladder)
    g = _gaps(cfg, groups, ladder, n)
    outdir.mkdir(parents=True, exist_ok=True)
    _write(outdir / "results.nc", _root(spec, system, ladder, g, r.gs.ground_energy), groups)
    figures = _figures(outdir, cfg, groups, g, system.cluster.n_sites, spec.title)
    report = outdir / "report.md"
    write_text_atomic(report, _report(spec, system, cfg, r, ladder, groups, g, figures, time.perf_counter() - start))
    progress(f"wrote {report}")
    return report
