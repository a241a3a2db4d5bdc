"""Ground-state study: energies, pair binding and gaps, site charges, LPDW order, correlations.

With ``[sector] momentum = "scan"`` every sector (N₀ and the ladder N₀ + d) is solved by
translation blocks (:mod:`localpairs.studies.ground_state_momentum`); the report then adds E(N, k)
tables, the ground state's k, its degeneracy and the lowest excitations over all k.

Everything the report shows is in ``results.nc``: besides the physics variables, the root holds
``pair_binding_vs_N`` (E(N+2) + E(N) − 2E(N+1), NaN where a sector is missing), ``gap_rows``
(JSON: name, definition, value) and the system's descriptions as attributes.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import xarray as xr

from localpairs.analysis.figures import cluster_figure, ladder_figure, save_figure, site_charge_figure
from localpairs.analysis.pair_binding import GapTable, gap_table
from localpairs.output_size import FIGURE_BYTES, OutputEstimate, json_bytes, netcdf_bytes
from localpairs.solvers import EDResult, StateObservables, measure, solve
from localpairs.spec import RunSpec
from localpairs.studies.common import (
    System,
    check_ladder_fits,
    checkpointed_ladder,
    cluster_of_results,
    ladder_electrons,
    pair_binding_vs_n,
    system_attrs,
)
from localpairs.studies.framework import Results, RunContext, Study, render
from localpairs.studies.ground_state_momentum import compute_momentum

logger = logging.getLogger(__name__)


def validate(spec: RunSpec, system: System) -> None:
    """Check that the ladder sectors N₀ + d fit the memory budget (N₀ itself is checked by build_system).

    Parameters
    ----------
    spec : RunSpec
        The validated run spec.
    system : System
        Its built system.

    Raises
    ------
    TooLargeError
        When a ladder sector does not fit.
    """
    if spec.ground_state.pair_binding:
        check_ladder_fits(spec, system, ladder_electrons(spec, system))


def _dataset(spec: RunSpec, system: System, result: EDResult, ladder: dict[int, float], gaps: GapTable, obs: StateObservables) -> xr.Dataset:
    L = system.cluster.n_sites
    ns = sorted(ladder)
    data = {
        "energy": (("state",), result.energies, {"units": "eV", "long_name": "lowest eigenvalues in the sector"}),
        "ground_energy_vs_N": (("n_electrons",), np.array([ladder[n] for n in ns]), {"units": "eV"}),
        "pair_binding_vs_N": (("n_electrons",), pair_binding_vs_n(ladder), {"units": "eV", "long_name": "E(N+2) + E(N) - 2E(N+1)"}),
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
    ds.attrs.update(system_attrs(spec, system), gap_rows=json.dumps(gaps.rows()))
    return ds


def compute(ctx: RunContext) -> Results:
    """Solve N₀ (whole sector, or by momentum blocks), the ladder and the ground-state observables.

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
    if spec.sector.momentum == "scan":
        return compute_momentum(ctx)
    result = solve(system.model, system.sector, n_states=spec.solver.n_states, dense_threshold=spec.solver.dense_threshold,
                   memory_budget_gb=spec.solver.memory_budget_gb)
    logger.info("ground state: E0 = %.6f eV (dimension %s, %s)", result.ground_energy, f"{result.dimension:,}", result.method)
    ladder = {system.sector.n_electrons: result.ground_energy}
    if spec.ground_state.pair_binding:
        ladder.update(checkpointed_ladder(spec, system, ctx.checkpoints))
    gaps = gap_table(ladder, system.sector.n_electrons)
    obs = measure(system.model, result.basis, result.ground_state, with_pairs=spec.ground_state.pair_correlations)
    return Results(_dataset(spec, system, result, ladder, gaps, obs))


def figures(results: Results, outdir: Path, title: str) -> list[str]:
    """Draw the cluster with its site charges, the site-charge bars and the charge ladder.

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
    root = results.root
    large = root["large"].values.astype(bool)
    charge = root["site_charge"].values
    pb = root.attrs["pair_binding_eV"]
    ladder = dict(zip(root["n_electrons"].values.tolist(), root["ground_energy_vs_N"].values.tolist()))
    save_figure(cluster_figure(cluster_of_results(root), large, site_charge=charge, title=f"{title}: ground-state ⟨n_i⟩"), outdir / "cluster.png")
    save_figure(site_charge_figure(charge, root["double_occupancy"].values, large), outdir / "site_charge.png")
    save_figure(ladder_figure(ladder, int(root.attrs["N0"]), pair_binding=None if pb == "none" else float(pb)), outdir / "charge_ladder.png")
    return ["cluster.png", "site_charge.png", "charge_ladder.png"]


def report(results: Results) -> str:
    """Render the report of either path (whole sector or momentum scan).

    Parameters
    ----------
    results : Results
        The results (as read back from results.nc).

    Returns
    -------
    str
        The report's Markdown text.
    """
    momentum = results.root.attrs["method"] == "momentum scan"
    return render("ground_state_momentum.md.j2" if momentum else "ground_state.md.j2", results)


def output(spec: RunSpec, system: System) -> OutputEstimate:
    """Estimate what the study writes.

    Site and site-pair arrays, three figures, one JSON checkpoint per ladder sector (per (N, k)
    block with a momentum scan, N₀'s blocks with their observables).

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
    L = system.cluster.n_sites
    sectors = 1 + (len(ladder_electrons(spec, system)) if spec.ground_state.pair_binding else 0)
    per_site = 3 * L * L + 6 * L + 3 * sectors + spec.solver.n_states
    if spec.sector.momentum == "scan":
        cluster = system.cluster
        n_k = int(np.prod([n if p else 1 for n, p in zip(cluster.shape, cluster.periodic)]))
        results = netcdf_bytes(per_site + 2 * n_k * sectors * spec.solver.n_states)
        checkpoints = json_bytes(n_k * (L * L + 3 * L + 2 * spec.solver.n_states), files=n_k) + json_bytes(n_k * (sectors - 1), files=n_k * (sectors - 1))
    else:
        results, checkpoints = netcdf_bytes(per_site), json_bytes(sectors - 1, files=sectors - 1)
    return OutputEstimate({"results.nc": results, "figures": 3 * FIGURE_BYTES, "checkpoints": checkpoints})


STUDY = Study(name="ground_state", section=None, validate=validate, compute=compute, figures=figures, report=report, output=output)
