"""The ground-state study's momentum path (``[sector] momentum = "scan"``).

Every sector (N₀ and the ladder N₀ + d) is solved by translation blocks
(:func:`~localpairs.solvers.lowest_by_momentum`), each (N, k) block checkpointed. Density
observables are translation averages (see :data:`MOMENTUM_NOTE`). Besides the physics variables
the results hold what the report shows: k labels of the blocks, the lowest excitations and the
degeneracy of the ground level.
"""

from __future__ import annotations

import json
import logging
from fractions import Fraction

import numpy as np
import xarray as xr

from localpairs.analysis.pair_binding import GapTable, gap_table
from localpairs.solvers import EDResult, MomentumBlock, MomentumScan, StateObservables, lowest_by_momentum
from localpairs.solvers.ed.charge_ladder import ladder_sector
from localpairs.solvers.ed.little_group import group_site_permutations
from localpairs.solvers.ed.momentum import block_maps, stars, translation_names
from localpairs.solvers.ed.observables import measure_translation_averaged
from localpairs.spec import RunSpec
from localpairs.studies.common import Checkpoints, System, ladder_electrons, pair_binding_vs_n, system_attrs
from localpairs.studies.framework import Results, RunContext

logger = logging.getLogger(__name__)

MOMENTUM_NOTE = (
    "Solved one translation block at a time. Density-type observables (site charges, double "
    "occupancy, ⟨n_i n_j⟩, LPDW order) are averaged over the translation group, which is exact for a "
    "momentum eigenstate: the sum of an operator over its translation orbit is diagonal and invariant, "
    "so its value follows from the weights on the block's representative states. Pair correlations "
    "⟨Δ†_i Δ_j⟩ are off-diagonal and are not computed in momentum blocks."
)

#: lowest excitations listed in the report
N_EXCITATIONS = 6


def checkpointed_scan(spec: RunSpec, system: System, checkpoints: Checkpoints, n: int, *, n_states: int, observe: bool) -> tuple[MomentumScan, dict]:
    """The momentum scan of N = n (lowest |S_z|, or the spec's spins at N₀), each (N, k) block checkpointed.

    Parameters
    ----------
    spec : RunSpec
        The run spec (solver options).
    system : System
        Cluster, model and sector of the run.
    checkpoints : Checkpoints
        Where each block is saved and looked up.
    n : int
        Electron number.
    n_states : int
        Levels per block.
    observe : bool
        Measure each block's ground-state density observables.

    Returns
    -------
    tuple
        The :class:`MomentumScan` and, when ``observe``, each block's observables by k label.
    """
    model = system.model
    sec = system.sector if n == system.sector.n_electrons else ladder_sector(n)
    n_up, n_down = sec.n_up, sec.n_down
    names, periods = translation_names(model)
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
            perms = group_site_permutations(model, result.sector.blocks)  # the (sub-)block's whole group
            o = measure_translation_averaged(model, result.matrix_basis, result.ground_state, perms)
            obs = {f: np.asarray(getattr(o, f)).tolist() for f in ("site_charge", "double_occupancy", "unpaired", "lpdw_order", "charge_correlations")}
        observed[block.k] = obs
        checkpoints.save(key(block.k), {"block": block.as_dict(), "observables": obs})

    scan = lowest_by_momentum(model, n_up=n_up, n_down=n_down, n_states=n_states, dense_threshold=spec.solver.dense_threshold,
                              memory_budget_gb=spec.solver.memory_budget_gb, done=done, on_block=on_block, states=observe)
    return scan, observed


def k_label(scan: MomentumScan, k: tuple) -> str:
    """Label ``q=(0, 1, 3) K=(0, π, π/2)`` of a block (K in units of 1/a, from ``k_over_pi``).

    Parameters
    ----------
    scan : MomentumScan
        The scan (its periods).
    k : tuple
        QuSpin labels.

    Returns
    -------
    str
        The label.
    """
    parts = []
    for v in scan.k_over_pi(k):
        f = Fraction(v).limit_denominator(64)
        num = {0: "0", 1: "π", -1: "−π"}.get(f.numerator, f"{f.numerator}π".replace("-", "−"))
        parts.append(num if f.denominator == 1 or f.numerator == 0 else f"{num}/{f.denominator}")
    return f"q={tuple(int(x) for x in k)} K=({', '.join(parts)})"


def _report_variables(s0: MomentumScan) -> dict[str, tuple]:
    """k labels of the blocks and the lowest excitations, for the report."""
    excitations = s0.excitations(N_EXCITATIONS)
    return {
        "kblock_label": (("kblock",), np.array([k_label(s0, b.k) for b in s0.blocks], dtype=object)),
        "excitation_energy": (("excitation",), np.array([de for de, _, _ in excitations], dtype=float), {"units": "eV", "long_name": "E - E0"}),
        "excitation_k_label": (("excitation",), np.array([k_label(s0, k) for _, k, _ in excitations], dtype=object)),
        "excitation_multiplicity": (("excitation",), np.array([m for _, _, m in excitations], dtype=np.int64)),
    }


def _momentum_dataset(spec: RunSpec, system: System, scans: dict[int, MomentumScan], gaps: GapTable, obs: StateObservables) -> xr.Dataset:
    n0 = system.sector.n_electrons
    s0 = scans[n0]
    ns = sorted(scans)
    levels = np.full((len(s0.blocks), s0.n_states), np.nan)
    for b, block in enumerate(s0.blocks):
        levels[b, : len(block.energies)] = block.energies
    by_n = np.array([[blk.energies[0] if blk.energies else np.nan for blk in scans[n].blocks] for n in ns])
    energies = {n: scan.ground_energy for n, scan in scans.items()}
    L = system.cluster.n_sites
    ds = xr.Dataset(
        {
            "kblock_energy": (("kblock", "level"), levels, {"units": "eV", "long_name": f"lowest levels of each k-block at N = {n0}"}),
            "kblock_ground_energy": (("n_electrons", "kblock"), by_n, {"units": "eV", "long_name": "lowest level of each k-block"}),
            "kblock_dimension": (("n_electrons", "kblock"), np.array([[blk.dimension for blk in scans[n].blocks] for n in ns])),
            "kblock_multiplicity": (("kblock",), np.array([blk.multiplicity for blk in s0.blocks])),
            "ground_energy_vs_N": (("n_electrons",), np.array([energies[n] for n in ns]), {"units": "eV"}),
            "pair_binding_vs_N": (("n_electrons",), pair_binding_vs_n(energies), {"units": "eV", "long_name": "E(N+2) + E(N) - 2E(N+1)"}),
            "site_charge": (("site",), obs.site_charge, {"long_name": "<n_i> (translation average)"}),
            "double_occupancy": (("site",), obs.double_occupancy),
            "charge_correlation": (("site", "site_j"), obs.charge_correlations),
            "large": (("site",), np.array(system.doping.large, dtype=np.int8), {"long_name": "1 = large (bosonic) octahedron"}),
            **_report_variables(s0),
        },
        coords={"kblock": [str(b.k) for b in s0.blocks], "level": np.arange(s0.n_states), "n_electrons": ns, "site": np.arange(L), "site_j": np.arange(L)},
    )
    scalars = {"pair_binding_eV": gaps.pair_binding, "single_particle_gap_eV": gaps.single_particle_gap, "two_particle_gap_eV": gaps.two_particle_gap,
               "ground_k": str(s0.ground_k), "degeneracy": s0.degeneracy, "dimension": s0.dimension, "lpdw_order": obs.lpdw_order,
               "unpaired_sites": obs.unpaired, "method": "momentum scan", "note": MOMENTUM_NOTE}
    ds.attrs.update({k: ("none" if v is None else v) for k, v in scalars.items()})
    ds.attrs["title"] = spec.title
    ds.attrs.update(system_attrs(spec, system), gap_rows=json.dumps(gaps.rows()), ground_k_label=k_label(s0, s0.ground_k),
                    degeneracy_is_lower_bound=int(s0.degeneracy_is_lower_bound), n_kblocks_all=sum(b.multiplicity for b in s0.blocks),
                    symmetries=", ".join(s0.symmetries) or "no symmetry")
    return ds


def compute_momentum(ctx: RunContext) -> Results:
    """The ground-state study with every sector solved by momentum blocks.

    Parameters
    ----------
    ctx : RunContext
        Spec, system and checkpoints of the run.

    Returns
    -------
    Results
        The study's dataset.
    """
    spec, system, checkpoints = ctx.spec, ctx.system, ctx.checkpoints
    n0 = system.sector.n_electrons
    scans = {}
    scans[n0], observed = checkpointed_scan(spec, system, checkpoints, n0, n_states=spec.solver.n_states, observe=True)
    s0 = scans[n0]
    logger.info("N=%d: E0 = %.8f eV at k = %s, degeneracy %d", n0, s0.ground_energy, s0.ground_k, s0.degeneracy)
    if spec.ground_state.pair_binding:
        for n in ladder_electrons(spec, system):
            scans[n], _ = checkpointed_scan(spec, system, checkpoints, n, n_states=1, observe=False)
            logger.info("N=%d: E0 = %.8f eV at k = %s", n, scans[n].ground_energy, scans[n].ground_k)
    gaps = gap_table({n: scan.ground_energy for n, scan in scans.items()}, n0)
    o = observed[s0.ground_k]
    obs = StateObservables(np.array(o["site_charge"]), np.array(o["double_occupancy"]), o["unpaired"], o["lpdw_order"],
                           np.array(o["charge_correlations"]), None)
    return Results(_momentum_dataset(spec, system, scans, gaps, obs))
