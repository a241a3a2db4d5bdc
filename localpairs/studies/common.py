"""Pieces every study shares: building the system from a spec, checkpoints, provenance."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from localpairs.analysis.pair_binding import pair_binding
from localpairs.errors import InputError
from localpairs.hamiltonians import (
    Cluster,
    DopingConfig,
    Model,
    doping_config,
    extended_hubbard,
    fermi_bose_mixture,
    make_cluster,
)
from localpairs.io import versions
from localpairs.solvers import Sector, check_memory, estimate_memory, sector
from localpairs.solvers.ed.charge_ladder import check_ladder_memory, ladder_sector, solve_ladder
from localpairs.solvers.ed.charge_ladder import ladder_electrons as solver_ladder_electrons
from localpairs.solvers.ed.momentum import block_estimates
from localpairs.spec import RunSpec, SpecError
from localpairs.studies.checkpoints import Checkpoints


@dataclass(frozen=True, eq=False)
class System:
    """Everything built from a spec before any heavy work.

    Attributes
    ----------
    cluster : Cluster
        The cluster of octahedra.
    doping : DopingConfig
        K concentration and the placement of large octahedra.
    model : Model
        The Hamiltonian.
    sector : Sector
        The study's electron-number (and S_z) sector.
    """

    cluster: Cluster
    doping: DopingConfig
    model: Model
    sector: Sector


def _hubbard_from_spec(cluster: Cluster, doping: DopingConfig, params: dict[str, Any]) -> Model:
    return extended_hubbard(cluster, doping=doping, **params)


def _fermi_bose_from_spec(cluster: Cluster, doping: DopingConfig, params: dict[str, Any]) -> Model:
    return fermi_bose_mixture(cluster, doping, **params)


#: The builder of every ``[model] kind``.
MODEL_BUILDERS = {"extended_hubbard": _hubbard_from_spec, "fermi_bose": _fermi_bose_from_spec}


def build_model(spec: RunSpec, cluster: Cluster, doping: DopingConfig, **overrides: Any) -> Model:
    """Build the model of ``spec``, with optional parameter overrides (e.g. for a relaxed lattice).

    Parameters
    ----------
    spec : RunSpec
        The validated run spec.
    cluster : Cluster
        The cluster of octahedra.
    doping : DopingConfig
        The doping (which octahedra are large).
    **overrides : Any
        Model parameters replacing the spec's (energies in eV).

    Returns
    -------
    Model
        The model of ``[model] kind``.

    Raises
    ------
    InputError
        When ``model.kind`` has no builder in :data:`MODEL_BUILDERS`.
    """
    builder = MODEL_BUILDERS.get(spec.model.kind)
    if builder is None:
        raise InputError("model.kind", spec.model.kind, f"one of {sorted(MODEL_BUILDERS)}")
    params = spec.model.model_dump(exclude={"kind"})
    params.update(overrides)
    return builder(cluster, doping, params)


def cluster_of_spec(section: dict[str, Any]) -> Cluster:
    """Build the cluster of a spec's ``[cluster]`` section.

    Parameters
    ----------
    section : dict
        The section as a dict (e.g. from a results file's provenance); lattice constant in Å.

    Returns
    -------
    Cluster
        The cluster.
    """
    shape, periodic = section["shape"], section["periodic"]
    return make_cluster(
        shape if isinstance(shape, str) else tuple(shape),
        periodic=periodic if isinstance(periodic, bool) else tuple(periodic),
        lattice_constant=section["lattice_constant"],
        bond_multiplicity=section.get("bond_multiplicity"),
    )


def cluster_of_results(root: xr.Dataset) -> Cluster:
    """Rebuild the cluster a results file was computed on.

    Parameters
    ----------
    root : xarray.Dataset
        The results' root Dataset (its ``provenance`` attribute holds the spec).

    Returns
    -------
    Cluster
        The cluster.
    """
    return cluster_of_spec(json.loads(root.attrs["provenance"])["spec"]["cluster"])


def build_system(spec: RunSpec, *, source: str = "spec") -> System:
    """Build cluster, doping, model and sector; check the physics and the memory estimate.

    Parameters
    ----------
    spec : RunSpec
        The validated run spec.
    source : str
        Where the spec came from, named in messages.

    Returns
    -------
    System
        The built system.

    Raises
    ------
    SpecError
        Naming the key for any non-physical value (e.g. more electrons than 2 per site), or a
        sector over the memory budget, before anything heavy is allocated.
    """
    try:
        cluster = cluster_of_spec(spec.cluster.model_dump())
        doping = doping_config(cluster, x=spec.doping.x, placement=spec.doping.placement, seed=spec.doping.seed)
        model = build_model(spec, cluster, doping)
        s = spec.sector
        if s.n_up is not None or s.n_down is not None:
            if s.electrons is not None:
                raise InputError("sector", s.model_dump(), "either electrons or (n_up, n_down), not both")
            for name, count in (("sector.n_up", s.n_up), ("sector.n_down", s.n_down)):
                if count is not None and count > cluster.n_sites:
                    raise InputError(name, count, f"at most one electron of each spin per site: ≤ {cluster.n_sites}")
            sec = sector(n_up=s.n_up, n_down=s.n_down)
        else:
            n = doping.n_electrons if s.electrons is None else s.electrons
            if n > 2 * cluster.n_sites:
                raise InputError("sector.electrons", n, f"at most 2 × {cluster.n_sites} sites = {2 * cluster.n_sites}")
            sec = sector(electrons=n)
        if s.momentum == "scan":  # solved one k-block at a time: the largest block must fit
            estimates = block_estimates(model, n_up=sec.n_up, n_down=sec.n_down, n_states=spec.solver.n_states, dense_threshold=spec.solver.dense_threshold)
            estimate = max(estimates.values(), key=lambda e: e.total_gb)
        else:
            estimate = estimate_memory(model, sec, n_states=spec.solver.n_states, dense_threshold=spec.solver.dense_threshold)
        check_memory(model, sec, estimate, spec.solver.memory_budget_gb)
    except InputError as err:
        raise SpecError(f"{source}: {err}") from None
    return System(cluster, doping, model, sec)


def ladder_electrons(spec: RunSpec, system: System) -> list[int]:
    """List N₀ + d for the offsets d of ``[ground_state] ladder`` that exist on the cluster.

    Parameters
    ----------
    spec : RunSpec
        The validated run spec.
    system : System
        Its built system.

    Returns
    -------
    list of int
        The electron numbers (N₀ excluded).
    """
    return solver_ladder_electrons(system.sector.n_electrons, spec.ground_state.ladder, system.cluster.n_sites)


def check_ladder_fits(spec: RunSpec, system: System, electrons: list[int]) -> None:
    """Refuse a ladder sector over the memory budget.

    With ``[sector] momentum = "scan"`` each sector is solved one k-block at a time, so its
    largest block must fit; otherwise the whole lowest-|S_z| sector must.

    Parameters
    ----------
    spec : RunSpec
        The validated run spec.
    system : System
        Its built system.
    electrons : list of int
        The ladder's electron numbers (:func:`ladder_electrons`).

    Raises
    ------
    TooLargeError
        When a sector (or its largest k-block) does not fit the budget.
    """
    if spec.sector.momentum != "scan":
        check_ladder_memory(system.model, electrons, dense_threshold=spec.solver.dense_threshold, memory_budget_gb=spec.solver.memory_budget_gb)
        return
    for n in electrons:
        sec = ladder_sector(n)
        estimates = block_estimates(system.model, n_up=sec.n_up, n_down=sec.n_down, dense_threshold=spec.solver.dense_threshold)
        check_memory(system.model, sec, max(estimates.values(), key=lambda e: e.total_gb), spec.solver.memory_budget_gb)


def checkpointed_ladder(spec: RunSpec, system: System, checkpoints: Checkpoints) -> dict[int, float]:
    """Solve the ground energy of every ladder sector, each checkpointed.

    Parameters
    ----------
    spec : RunSpec
        The validated run spec.
    system : System
        Its built system.
    checkpoints : Checkpoints
        The run's checkpoints (one per sector).

    Returns
    -------
    dict of int to float
        E(N) in eV for N = N₀ + d, d in ``[ground_state] ladder`` (default ±1, ±2).
    """
    return solve_ladder(
        system.model,
        ladder_electrons(spec, system),
        dense_threshold=spec.solver.dense_threshold,
        memory_budget_gb=spec.solver.memory_budget_gb,
        stored=lambda n: checkpoints.load(f"ground_energy_N{n}", expect=float),
        on_solved=lambda n, energy: checkpoints.save(f"ground_energy_N{n}", energy),
    )


def system_attrs(spec: RunSpec, system: System) -> dict[str, Any]:
    """Describe the spec and the built system as netCDF attributes for reports.

    Parameters
    ----------
    spec : RunSpec
        The validated run spec.
    system : System
        Its built system.

    Returns
    -------
    dict
        Attribute name → value (numbers, strings, JSON text).
    """
    return {
        "description": spec.description,
        "cluster_description": system.cluster.describe(),
        "doping_x": system.doping.x,
        "doping_placement": system.doping.placement,
        "large_sites": json.dumps(list(system.doping.bosonic_sites)),
        "model_kind": system.model.kind,
        "model_parameters": json.dumps(dict(system.model.parameters)),
        "sector_label": system.sector.label(),
        "N0": system.sector.n_electrons,
        "n_sites": system.cluster.n_sites,
    }


def pair_binding_vs_n(energies: dict[int, float]) -> np.ndarray:
    """Compute the pair binding E(N+2) + E(N) − 2E(N+1) for every N of ``energies``.

    Parameters
    ----------
    energies : dict of int to float
        Ground energy in eV by electron number.

    Returns
    -------
    numpy.ndarray
        Pair binding in eV for the sorted N; NaN where N+1 or N+2 is missing (negative: bound).
    """
    return np.array([pair_binding(energies, n) if n + 1 in energies and n + 2 in energies else np.nan for n in sorted(energies)])


def spec_hash(spec: RunSpec) -> str:
    """Hash the resolved spec: checkpoints are reused only for the same spec.

    Parameters
    ----------
    spec : RunSpec
        The validated run spec.

    Returns
    -------
    str
        16 hex digits of the SHA-256 of its JSON.
    """
    blob = json.dumps(spec.model_dump(mode="json"), sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def provenance(spec: RunSpec, system: System) -> dict[str, Any]:
    """Collect the resolved parameters and versions recorded in every results file.

    Parameters
    ----------
    spec : RunSpec
        The validated run spec.
    system : System
        Its built system.

    Returns
    -------
    dict
        ``spec``, ``resolved`` (cluster, doping, model, sector) and ``versions``.
    """
    return {
        "spec": spec.model_dump(mode="json"),
        "resolved": {
            "cluster": system.cluster.as_dict(),
            "doping": system.doping.as_dict(),
            "model": {"kind": system.model.kind, **dict(system.model.parameters)},
            "sector": system.sector.as_dict(),
        },
        "versions": versions(),
    }




def progress(message: str) -> None:
    """Log one progress message at INFO (logger ``localpairs.studies.common``).

    The command line shows these on stderr as ``[localpairs] message``; a library user sees
    them only after configuring logging (e.g. ``logging.basicConfig(level=logging.INFO)``).

    Parameters
    ----------
    message : str
        The message.
    """
    logging.getLogger(__name__).info(message)
