"""Ground-state study: energies, pair binding and gaps, site charges, LPDW order, correlations.

With ``[sector] momentum = "scan"`` every sector (N₀ and the ladder N₀ + d) is solved by
translation blocks (:func:`~localpairs.solvers.lowest_by_momentum`), each (N, k) block
checkpointed; the report adds E(N, k) tables, the ground state's k, its degeneracy and the lowest
excitations over all k, and gives translation-averaged density observables (see
:data:`MOMENTUM_NOTE`).
"""

from __future__ import annotations

import json
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import xarray as xr
from tqdm import tqdm

from localpairs.analysis.figures import cluster_figure, ladder_figure, save_figure, site_charge_figure
from localpairs.analysis.pair_binding import GapTable, gap_table, pair_binding
from localpairs.io import write_text_atomic, write_with
from localpairs.solvers import EDResult, MomentumBlock, MomentumScan, Sector, StateObservables, lowest_by_momentum, measure, solve
from localpairs.solvers.ed.momentum import block_maps, stars, translation_names
from localpairs.solvers.ed.observables import measure_translation_averaged
from localpairs.solvers.hilbert.lattice_symmetry import translation_group
from localpairs.spec import RunSpec

from localpairs.studies.common import Checkpoints, System, build_system, progress, provenance, spec_hash


def ladder_electrons(spec: RunSpec, system: System) -> list[int]:
    """N₀ + d for the offsets d of ``[ground_state] ladder`` that exist on the cluster (N₀ excluded)."""
    n0 = system.sector.n_electrons
    return [n0 + d for d in spec.ground_state.ladder if 0 <= n0 + d <= 2 * system.cluster.n_sites]


def checkpointed_ladder(spec: RunSpec, system: System, checkpoints: Checkpoints) -> dict[int, float]:
    """E(N) for N = N₀ + d, d in ``[ground_state] ladder`` (default ±1, ±2), each sector checkpointed."""
    wanted = ladder_electrons(spec, system)
    energies: dict[int, float] = {}
    for n in tqdm(wanted, desc="charge ladder E(N₀ + d)", unit="sector", leave=False):
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


def pair_binding_rows(energies: dict[int, float]) -> str:
    """Markdown rows ``| N | E(N+2) + E(N) − 2E(N+1) |`` for every N whose three sectors are solved."""
    rows = [f"| {n} | {pair_binding(energies, n):+.6f} |" for n in sorted(energies) if n + 1 in energies and n + 2 in energies]
    return "\n".join(rows) or "| — | needs N, N+1, N+2 |"


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
| N | E(N+2) + E(N) − 2E(N+1) (eV) |
|---|---|
{pair_binding_rows(ladder)}

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
    if spec.sector.momentum == "scan":
        return run_momentum(spec, system, checkpoints, outdir, start)
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


# --- momentum scans (``[sector] momentum = "scan"``) -------------------------------------------

MOMENTUM_NOTE = (
    "Solved one translation block at a time. Density-type observables (site charges, double "
    "occupancy, ⟨n_i n_j⟩, LPDW order) are averaged over the translation group, which is exact for a "
    "momentum eigenstate: the sum of an operator over its translation orbit is diagonal and invariant, "
    "so its value follows from the weights on the block's representative states. Pair correlations "
    "⟨Δ†_i Δ_j⟩ are off-diagonal and are not computed in momentum blocks."
)


def checkpointed_scan(spec: RunSpec, system: System, checkpoints: Checkpoints, n: int, *, n_states: int, observe: bool) -> tuple[MomentumScan, dict]:
    """The momentum scan of N = n (lowest |S_z|, or the spec's spins at N₀), each (N, k) block checkpointed.

    Returns the scan and, when ``observe``, each block's ground-state observables (by k label).
    """
    model = system.model
    n_up, n_down = (system.sector.n_up, system.sector.n_down) if n == system.sector.n_electrons else ((n + 1) // 2, n // 2)
    names, periods = translation_names(model)
    perms = translation_group(model.cluster, names)
    key = lambda k: f"kblock_N{n}_{n_up}u{n_down}d_k{'-'.join(map(str, k))}"  # noqa: E731
    done, observed = {}, {}
    for star in stars(periods, block_maps(model, names, periods)):
        cached = checkpoints.load(key(star[0]))
        if cached is not None and (cached["observables"] is not None or not observe):
            done[star[0]] = MomentumBlock.from_dict(cached["block"])
            observed[star[0]] = cached["observables"]

    def on_block(block: MomentumBlock, result: EDResult) -> None:
        obs = None
        if observe and result.dimension:
            o = measure_translation_averaged(model, result.matrix_basis, result.ground_state, perms)
            obs = {f: np.asarray(getattr(o, f)).tolist() for f in ("site_charge", "double_occupancy", "unpaired", "lpdw_order", "charge_correlations")}
        observed[block.k] = obs
        checkpoints.save(key(block.k), {"block": block.as_dict(), "observables": obs})

    scan = lowest_by_momentum(model, n_up=n_up, n_down=n_down, n_states=n_states, dense_threshold=spec.solver.dense_threshold,
                              memory_budget_gb=spec.solver.memory_budget_gb, done=done, on_block=on_block)
    return scan, observed


def _k_label(scan: MomentumScan, k: tuple) -> str:
    """``q=(0, 1, 3) K=(0, π, π/2)`` (K in units of 1/a, from ``k_over_pi``)."""
    parts = []
    for v in scan.k_over_pi(k):
        f = Fraction(v).limit_denominator(64)
        num = {0: "0", 1: "π", -1: "−π"}.get(f.numerator, f"{f.numerator}π".replace("-", "−"))
        parts.append(num if f.denominator == 1 or f.numerator == 0 else f"{num}/{f.denominator}")
    return f"q={tuple(int(x) for x in k)} K=({', '.join(parts)})"


def _momentum_dataset(spec: RunSpec, system: System, scans: dict[int, MomentumScan], gaps: GapTable, obs: StateObservables) -> xr.Dataset:
    n0 = system.sector.n_electrons
    s0 = scans[n0]
    ns = sorted(scans)
    levels = np.full((len(s0.blocks), s0.n_states), np.nan)
    for b, block in enumerate(s0.blocks):
        levels[b, : len(block.energies)] = block.energies
    by_n = np.array([[blk.energies[0] if blk.energies else np.nan for blk in scans[n].blocks] for n in ns])
    L = system.cluster.n_sites
    ds = xr.Dataset(
        {
            "kblock_energy": (("kblock", "level"), levels, {"units": "eV", "long_name": f"lowest levels of each k-block at N = {n0}"}),
            "kblock_ground_energy": (("n_electrons", "kblock"), by_n, {"units": "eV", "long_name": "lowest level of each k-block"}),
            "kblock_dimension": (("n_electrons", "kblock"), np.array([[blk.dimension for blk in scans[n].blocks] for n in ns])),
            "kblock_multiplicity": (("kblock",), np.array([blk.multiplicity for blk in s0.blocks])),
            "ground_energy_vs_N": (("n_electrons",), np.array([scans[n].ground_energy for n in ns]), {"units": "eV"}),
            "site_charge": (("site",), obs.site_charge, {"long_name": "<n_i> (translation average)"}),
            "double_occupancy": (("site",), obs.double_occupancy),
            "charge_correlation": (("site", "site_j"), obs.charge_correlations),
        },
        coords={"kblock": [str(b.k) for b in s0.blocks], "level": np.arange(s0.n_states), "n_electrons": ns, "site": np.arange(L), "site_j": np.arange(L)},
    )
    scalars = {"pair_binding_eV": gaps.pair_binding, "single_particle_gap_eV": gaps.single_particle_gap, "two_particle_gap_eV": gaps.two_particle_gap,
               "ground_k": str(s0.ground_k), "degeneracy": s0.degeneracy, "dimension": s0.dimension, "lpdw_order": obs.lpdw_order,
               "unpaired_sites": obs.unpaired, "method": "momentum scan", "note": MOMENTUM_NOTE}
    ds.attrs.update({k: ("none" if v is None else v) for k, v in scalars.items()})
    ds.attrs["title"] = spec.title
    ds.attrs["provenance"] = json.dumps(provenance(spec, system))
    return ds


def _momentum_report(spec: RunSpec, system: System, scans: dict[int, MomentumScan], gaps: GapTable, obs: StateObservables, seconds: float) -> str:
    n0 = system.sector.n_electrons
    s0 = scans[n0]
    ns = sorted(scans)
    head = " | ".join(f"E₀(N={n}) (eV)" for n in ns)
    rows = []
    for b, block in enumerate(s0.blocks):
        cells = " | ".join(f"{scans[n].blocks[b].energies[0]:.6f}" if scans[n].blocks[b].energies else "—" for n in ns)
        levels = ", ".join(f"{e:.6f}" for e in block.energies)
        rows.append(f"| {_k_label(s0, block.k)} | {block.multiplicity} | {block.dimension:,} | {levels} | {cells} |")
    excitations = ", ".join(f"{de:.6f} ({_k_label(s0, k)} ×{m})" for de, k, m in s0.excitations(6)) or "none below the computed levels"
    deg = f"{'≥ ' if s0.degeneracy_is_lower_bound else ''}{s0.degeneracy}"
    pb = pair_binding_rows(energies_of(scans))
    gap_rows = "\n".join(f"| {name} | {definition} | {_fmt(v)} |" for name, definition, v in gaps.rows())
    vers = ", ".join(f"{k} {v}" for k, v in provenance(spec, system)["versions"].items())
    charges = ", ".join(f"{q:.3f}" for q in obs.site_charge)
    return f"""# {spec.title}

{spec.description}

## System
- Cluster: {system.cluster.describe()}
- Model: `{system.model.kind}`; sector {system.sector.label()}, dimension {s0.dimension:,} in {len(s0.blocks)} distinct k-blocks
  (of {sum(b.multiplicity for b in s0.blocks)}; blocks related by {", ".join(s0.symmetries) or "no symmetry"} share a spectrum)
- Labels q: QuSpin's translation blocks; crystal momentum K = −2πq/(La) per axis, shown in units of 1/a.

## Ground state (N = {n0})
- E₀ = {s0.ground_energy:.8f} eV at {_k_label(s0, s0.ground_k)}; degeneracy {deg} (in this S_z sector)
- Lowest excitations E − E₀ (eV): {excitations}

## E(N, k)
| k | star | dim (N={n0}) | lowest levels at N={n0} (eV) | {head} |
|---|---|---|---|{"---|" * len(ns)}
{chr(10).join(rows)}

## Pair binding and gaps (N₀ = {n0})
| N | E(N+2) + E(N) − 2E(N+1) (eV) |
|---|---|
{pb}

| quantity | definition | value |
|---|---|---|
{gap_rows}

With attractive U the pair binding is negative at even N and positive at odd N (E(N₀+1) + E(N₀−1) − 2E(N₀)
is the single-particle gap Δ1 at N₀); both signal local pairs.

## Ground-state observables (translation averages)
{MOMENTUM_NOTE}
- LPDW order (staggered charge): {round(obs.lpdw_order, 12) + 0.0:+.4f}; unpaired sites: {obs.unpaired:.4f} of {system.cluster.n_sites}
- Site charges ⟨n_i⟩: {charges}

![cluster](cluster.png)
![site charge](site_charge.png)
![charge ladder](charge_ladder.png)

## Provenance
Results: `results.nc`. Versions: {vers}. Wall time {seconds:.1f} s.
"""


def energies_of(scans: dict[int, MomentumScan]) -> dict[int, float]:
    """{N: lowest energy over all k}."""
    return {n: scan.ground_energy for n, scan in scans.items()}


def run_momentum(spec: RunSpec, system: System, checkpoints: Checkpoints, outdir: Path, start: float) -> Path:
    """The ground-state study with every sector solved by momentum blocks; returns report.md."""
    n0 = system.sector.n_electrons
    scans, observed = {}, {}
    scans[n0], observed = checkpointed_scan(spec, system, checkpoints, n0, n_states=spec.solver.n_states, observe=True)
    s0 = scans[n0]
    progress(f"N={n0}: E0 = {s0.ground_energy:.8f} eV at k = {s0.ground_k}, degeneracy {s0.degeneracy}")
    if spec.ground_state.pair_binding:
        for n in ladder_electrons(spec, system):
            scans[n], _ = checkpointed_scan(spec, system, checkpoints, n, n_states=1, observe=False)
            progress(f"N={n}: E0 = {scans[n].ground_energy:.8f} eV at k = {scans[n].ground_k}")
    energies = energies_of(scans)
    gaps = gap_table(energies, n0)
    o = observed[s0.ground_k]
    obs = StateObservables(np.array(o["site_charge"]), np.array(o["double_occupancy"]), o["unpaired"], o["lpdw_order"], np.array(o["charge_correlations"]), None)
    outdir.mkdir(parents=True, exist_ok=True)
    ds = _momentum_dataset(spec, system, scans, gaps, obs)
    write_with(outdir / "results.nc", lambda tmp: ds.to_netcdf(tmp, engine="h5netcdf"))
    save_figure(cluster_figure(system.cluster, system.doping.large, site_charge=obs.site_charge, title=f"{spec.title}: ground-state ⟨n_i⟩"), outdir / "cluster.png")
    save_figure(site_charge_figure(obs.site_charge, obs.double_occupancy, system.doping.large), outdir / "site_charge.png")
    save_figure(ladder_figure(energies, n0, pair_binding=gaps.pair_binding), outdir / "charge_ladder.png")
    report = outdir / "report.md"
    write_text_atomic(report, _momentum_report(spec, system, scans, gaps, obs, time.perf_counter() - start))
    progress(f"wrote {report}")
    return report
