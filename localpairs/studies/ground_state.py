"""Ground-state study: energies, pair binding and gaps, site charges, LPDW order, correlations."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import xarray as xr
from tqdm import tqdm

from localpairs.analysis.figures import cluster_figure, ladder_figure, save_figure, site_charge_figure
from localpairs.analysis.gaps import GapTable, gap_table
from localpairs.io import write_text_atomic, write_with
from localpairs.solvers import EDResult, Sector, measure, solve
from localpairs.spec import RunSpec

from .common import Checkpoints, System, build_system, progress, provenance, spec_hash


def checkpointed_ladder(spec: RunSpec, system: System, checkpoints: Checkpoints) -> dict[int, float]:
    """E(N) for N = N0 ± 1, ± 2 (not N0), each sector checkpointed so a rerun reuses it."""
    n0 = system.sector.n_electrons
    wanted = [n for n in range(n0 - 2, n0 + 3) if 0 <= n <= 2 * system.cluster.n_sites and n != n0]
    energies: dict[int, float] = {}
    for n in tqdm(wanted, desc="charge ladder E(N±1, N±2)", unit="sector", leave=False):
        cached = checkpoints.load(f"ground_energy_N{n}")
        if cached is not None:
            energies[n] = float(cached)
            continue
        sec = Sector(n_up=(n + 1) // 2, n_down=n // 2)
        result = solve(system.model, sec, dense_threshold=spec.solver.dense_threshold, memory_budget_gb=spec.solver.memory_budget_gb)
        energies[n] = result.ground_energy
        checkpoints.save(f"ground_energy_N{n}", energies[n])
    return energies


def _dataset(spec: RunSpec, system: System, result: EDResult, ladder: dict[int, float], gaps: GapTable, obs) -> xr.Dataset:
    L = system.cluster.n_sites
    ns = sorted(ladder)
    data = {
        "energy": (("state",), result.energies, {"units": "eV", "long_name": "lowest eigenvalues in the sector"}),
        "ground_energy_vs_N": (("n_electrons",), np.array([ladder[n] for n in ns]), {"units": "eV"}),
        "site_charge": (("site",), obs.site_charge, {"long_name": "<n_i>"}),
        "double_occupancy": (("site",), obs.double_occupancy, {"long_name": "<n_i_up n_i_down>"}),
        "charge_correlation": (("site", "site_j"), obs.charge_correlations, {"long_name": "<n_i n_j> - <n_i><n_j>"}),
        "large": (("site",), np.array(system.doping.large, dtype=np.int8), {"long_name": "1 = large (bosonic) octahedron"}),
        "sublattice": (("site",), system.cluster.sublattice.astype(np.int8)),
        "position": (("site", "xyz"), system.cluster.positions, {"units": "angstrom"}),
    }
    if obs.pair_correlations is not None:
        data["pair_correlation_real"] = (("site", "site_j"), obs.pair_correlations.real, {"long_name": "Re <Delta_i^dag Delta_j>"})
        data["pair_correlation_imag"] = (("site", "site_j"), obs.pair_correlations.imag, {"long_name": "Im <Delta_i^dag Delta_j>"})
    scalars = {
        "pair_binding_eV": gaps.pair_binding,
        "single_particle_gap_eV": gaps.single_particle_gap,
        "two_particle_gap_eV": gaps.two_particle_gap,
        "lpdw_order": obs.lpdw_order,
        "unpaired_sites": obs.unpaired,
        "dimension": result.dimension,
        "method": result.method,
        "hermiticity_residual": result.hermiticity,
    }
    ds = xr.Dataset(
        {k: xr.Variable(*v) for k, v in data.items()},
        coords={"state": np.arange(len(result.energies)), "n_electrons": ns, "site": np.arange(L), "site_j": np.arange(L), "xyz": ["x", "y", "z"]},
        attrs={k: ("none" if v is None else v) for k, v in scalars.items()},
    )
    ds.attrs["title"] = spec.title
    ds.attrs["provenance"] = json.dumps(provenance(spec, system))
    return ds


def _fmt(value: float | None, unit: str = "eV") -> str:
    return "n/a (sector missing)" if value is None else f"{value:+.5f} {unit}"


def _report(spec: RunSpec, system: System, result: EDResult, ladder: dict[int, float], gaps: GapTable, obs, seconds: float) -> str:
    prov = provenance(spec, system)
    params = "\n".join(f"| {k} | {v if not isinstance(v, list) else ', '.join(f'{x:g}' for x in v)} |" for k, v in system.model.parameters.items())
    energies = ", ".join(f"{e:.6f}" for e in result.energies)
    ladder_rows = "\n".join(f"| {n} | {ladder[n]:.6f} |" for n in sorted(ladder))
    gap_rows = "\n".join(f"| {name} | {definition} | {_fmt(v)} |" for name, definition, v in gaps.rows())
    charges = ", ".join(f"{q:.3f}" for q in obs.site_charge)
    vers = ", ".join(f"{k} {v}" for k, v in prov["versions"].items())
    return f"""# {spec.title}

{spec.description}

## System
- Cluster: {system.cluster.describe()}
- Doping: x = {system.doping.x:g}, placement {system.doping.placement}; large octahedra at sites {list(system.doping.bosonic_sites)}
- Model: `{system.model.kind}`; sector {system.sector.label()}, dimension {result.dimension:,}, solved by {result.method}
- Hermiticity residual of H: {result.hermiticity:.1e}

| parameter (eV) | value |
|---|---|
{params}

## Energies
Lowest eigenvalues (eV): {energies}

| N | E(N) (eV) |
|---|---|
{ladder_rows}

## Pair binding and gaps (N = {gaps.n})
| quantity | definition | value |
|---|---|---|
{gap_rows}

Negative pair binding means two added electrons bind.

## Ground-state observables
- LPDW order (staggered charge, + on rock-salt sublattice 0): {obs.lpdw_order:+.4f}
- Unpaired (singly occupied) sites: {obs.unpaired:.4f} of {system.cluster.n_sites}
- Site charges ⟨n_i⟩: {charges}

## Figures
![cluster](cluster.png)
![site charge](site_charge.png)
![charge ladder](charge_ladder.png)

## Provenance
Results: `results.nc` (labelled arrays; attribute `provenance` holds the full resolved spec).
Versions: {vers}. Wall time {seconds:.1f} s.
"""


def run(spec: RunSpec, outdir: Path, *, resume: bool = True) -> Path:
    """Run a ground-state study into ``outdir``; return the path of report.md."""
    start = time.perf_counter()
    system = build_system(spec)
    progress(f"{system.cluster.describe()}; {system.model.kind}; sector {system.sector.label()}")
    checkpoints = Checkpoints(outdir, spec_hash(spec), enabled=resume)
    result = solve(
        system.model,
        system.sector,
        n_states=spec.solver.n_states,
        dense_threshold=spec.solver.dense_threshold,
        memory_budget_gb=spec.solver.memory_budget_gb,
    )
    progress(f"ground state: E0 = {result.ground_energy:.6f} eV (dimension {result.dimension:,}, {result.method})")
    ladder = {system.sector.n_electrons: result.ground_energy}
    if spec.ground_state.pair_binding:
        ladder.update(checkpointed_ladder(spec, system, checkpoints))
    gaps = gap_table(ladder, system.sector.n_electrons)
    obs = measure(system.model, result.basis, result.ground_state, with_pairs=spec.ground_state.pair_correlations)
    outdir.mkdir(parents=True, exist_ok=True)
    ds = _dataset(spec, system, result, ladder, gaps, obs)
    write_with(outdir / "results.nc", lambda tmp: ds.to_netcdf(tmp, engine="h5netcdf"))
    save_figure(cluster_figure(system.cluster, system.doping.large, site_charge=obs.site_charge, title=f"{spec.title}: ground-state ⟨n_i⟩"), outdir / "cluster.png")
    save_figure(site_charge_figure(obs.site_charge, obs.double_occupancy, system.doping.large), outdir / "site_charge.png")
    save_figure(ladder_figure(ladder, system.sector.n_electrons, pair_binding=gaps.pair_binding), outdir / "charge_ladder.png")
    report = outdir / "report.md"
    write_text_atomic(report, _report(spec, system, result, ladder, gaps, obs, time.perf_counter() - start))
    progress(f"wrote {report}")
    return report
