"""The sections of a run spec that every study shares: cluster, doping, model, sector, solver, ground state, sweep.

Each is a strict pydantic model (:class:`localpairs.spec_base.Strict`: unknown keys forbidden, no
coercion); the meaning of each key is the attribute docstring under its field, from which the
guide's key tables are generated. The whole spec, which adds the study sections, and its loading
are :mod:`localpairs.spec`, which re-exports these classes.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, field_validator, model_serializer

from localpairs.errors import InputError
from localpairs.hamiltonians.cluster import bond_multiplicity_request
from localpairs.hamiltonians.hopping import hopping_amplitudes
from localpairs.spec_base import MAX_ENERGY_EV, Energy, Strict

#: Largest lattice constant (Å): BaBiO3 has 4.35 Å; 100 Å is no crystal of octahedra.
MAX_LATTICE_CONSTANT = 100.0


class ClusterSpec(Strict):
    """``[cluster]``: shape (preset or ``"LxxLyxLz"`` or [Lx, Ly, Lz]), boundaries, lattice constant (Å).

    ``bond_multiplicity``: oxygens joining each pair on a periodic axis of length 2 (absent: 2, the
    crystal's count; see :mod:`localpairs.hamiltonians.cluster`). One value (``1`` or ``2``) sets
    every such axis; ``[2, 1, 1]`` sets each axis (every axis then periodic with length 2); a
    table such as ``{ y = 1, z = 2 }`` sets the named axes. A value on an axis without a choice is
    refused when the cluster is built. Left out, the spec (and its hash) is as before the key.
    """

    shape: str | list[int] = "cube"
    """Cluster of octahedra: a preset ("dimer", "plaquette", "cube", "2x2x3", "2x2x4"), a string "LxxLyxLz" such as "3x2x2", or [Lx, Ly, Lz]."""
    periodic: bool | list[bool] = True
    """Periodic boundaries: one value for every axis or one per axis [x, y, z]. An axis along the pump polarization should be open (a periodic length-2
    axis carries no current).
    """
    lattice_constant: Annotated[float, Field(gt=0, le=MAX_LATTICE_CONSTANT)] = 4.35
    """Bi–Bi distance a in Å (BaBiO3: 4.35 Å); sets the Peierls phase e·A·a/ħ of a pulse."""
    bond_multiplicity: int | list[int] | dict[str, int] | None = None
    """Oxygens joining each pair of octahedra on a periodic axis of length 2: 2 (the crystal's count, default when absent) or 1 (an isotropic cluster);
    one value, one per axis, or a table such as { y = 1 }.
    """

    @field_validator("bond_multiplicity", mode="before")
    @classmethod
    def _one_or_two(cls, value: Any) -> Any:
        try:
            bond_multiplicity_request(value)
        except InputError as err:  # the message names the axis when one entry is wrong
            raise ValueError(err.allowed if err.field == "cluster.bond_multiplicity" else f"{err.field} = {err.value!r}: {err.allowed}") from None
        return value

    @model_serializer(mode="wrap")
    def _omit_unset_multiplicity(self, handler: Any) -> dict[str, Any]:
        data = handler(self)
        if self.bond_multiplicity is None:  # keeps every earlier spec's dump and hash
            data.pop("bond_multiplicity", None)
        return data


class DopingSpec(Strict):
    """``[doping]``: K concentration x and the placement of large octahedra."""

    x: Annotated[float, Field(ge=0, le=1)] = 0.0
    """K concentration x of Ba1−xKxBiO3: the number of large octahedra is floor((1 − x)/2 · N + 1/2) and the default electron count 2·n_large."""
    placement: Literal["rock_salt", "random", "random_rock_salt"] = "rock_salt"
    """Where the large octahedra sit: "rock_salt" (the parent order, deterministic), "random" (seeded, any site) or "random_rock_salt" (seeded, on the
    parent sublattice).
    """
    seed: Annotated[int, Field(ge=0, lt=2**63)] | None = None
    """Seed of the random placements (ignored by rock_salt)."""


class HubbardSpec(Strict):
    """``[model]`` with ``kind = "extended_hubbard"``; energies in eV."""

    kind: Literal["extended_hubbard"]
    """The model: "extended_hubbard" (H = −Σ t_ij c†_iσ c_jσ + h.c. + U Σ n_i↑n_i↓ + V Σ n_i n_j + Σ ε_i n_i + J_p Σ pair hops − μN;
    localpairs.hamiltonians.hubbard).
    """
    t: float | list[float] | list[list[float]] = 1.0
    """Hopping in eV (enters with a minus sign): one value, one per bond, or one [re, im] pair per bond for a complex t (flux or twist;
    TOML has no complex numbers).
    """

    @field_validator("t", mode="before")
    @classmethod
    def _hopping_form(cls, value: Any) -> Any:
        try:
            amplitudes = hopping_amplitudes(value, field="model.t")
        except InputError as err:
            raise ValueError(err.allowed) from None
        if not np.all(np.abs(amplitudes) <= MAX_ENERGY_EV):  # also refuses nan
            raise ValueError(f"finite hoppings with |t| ≤ {MAX_ENERGY_EV:g} eV (see localpairs.spec_base)")
        return value

    U: Energy = 0.0
    """On-site interaction in eV; U < 0 is the local-pair attraction."""
    V: Energy = 0.0
    """Nearest-neighbour density interaction in eV (V > 0 repulsive)."""
    breathing: Energy = 0.0
    """Breathing amplitude Δ in eV: ε = −Δ on large octahedra, +Δ on small ones."""
    eps: list[Energy] | None = None
    """Site energies ε_i in eV, one per site (overrides breathing)."""
    J_p: Energy = 0.0
    """Pair hopping between neighbouring octahedra in eV."""
    mu: Energy = 0.0
    """Chemical potential μ in eV (enters as −μN)."""


class FermiBoseSpec(Strict):
    """``[model]`` with ``kind = "fermi_bose"``; energies in eV."""

    kind: Literal["fermi_bose"]
    """The model: "fermi_bose", local pairs (hard-core bosons) on large octahedra and spin-½ fermions on small ones (localpairs.hamiltonians.fermi_bose)."""
    t_B: Energy = 0.0
    """Pair tunnelling between neighbouring bosonic (large) octahedra in eV (enters with a minus sign)."""
    t_F: Energy = 1.0
    """Fermion hopping between neighbouring fermionic (small) octahedra in eV (enters with a minus sign)."""
    E_B: Energy = 0.0
    """Energy of a local pair on a bosonic octahedron in eV."""
    g: Energy = 0.0
    """Boson–fermion conversion b†_i c_j↓ c_j↑ + h.c. between neighbouring large and small octahedra, in eV."""
    V_BB: Energy = 0.0
    """Density interaction between neighbouring pairs in eV."""
    V_BF: Energy = 0.0
    """Density interaction between a pair and a neighbouring fermion in eV."""
    U_F: Energy = 0.0
    """On-site interaction of fermions on small octahedra in eV."""
    eps_F: Energy = 0.0
    """Site energy of fermions on small octahedra in eV."""
    mu: Energy = 0.0
    """Chemical potential μ in eV (enters as −μ(2N_B + N_F))."""


class SectorSpec(Strict):
    """``[sector]``: electron number (default: the doping's nominal 2·n_large) or per-spin numbers.

    ``momentum = "scan"`` solves every sector of the study (N₀ and the pair-binding ladder) one
    translation block (kx, ky, kz) at a time, only one block per set related by time reversal or
    a point-group symmetry of the model (:func:`localpairs.solvers.lowest_by_momentum`): the report
    gets E(N, k) tables and the ground state's k. It needs a periodic cluster whose translations
    the model keeps (no breathing, no doping pattern); ``"none"`` (default) solves each sector whole.
    """

    electrons: Annotated[int, Field(ge=0)] | None = None
    """Electron number N₀ of the study's sector (default: the doping's nominal 2·n_large)."""
    n_up: Annotated[int, Field(ge=0)] | None = None
    """Spin-up electron number (with n_down instead of electrons; default: S_z = 0 or ½)."""
    n_down: Annotated[int, Field(ge=0)] | None = None
    """Spin-down electron number (with n_up instead of electrons)."""
    momentum: Literal["none", "scan"] = "none"
    """"none" (default): solve each sector whole; "scan": one translation block (kx, ky, kz) at a time, blocks related by symmetry solved once (needs
    translation-invariant models).
    """


#: Largest memory budget (GB) a spec may give: far above any single machine, far below nonsense.
MAX_MEMORY_BUDGET_GB = 100_000.0


class SolverSpec(Strict):
    """``[solver]``: eigenpairs, dense/Lanczos threshold, memory budget (GB)."""

    n_states: Annotated[int, Field(ge=1, le=200)] = 4
    """Number of lowest eigenpairs per sector."""
    dense_threshold: Annotated[int, Field(ge=0)] = 3000
    """Sector dimension up to which a dense eigensolver is used; above it Lanczos (eigsh)."""
    memory_budget_gb: Annotated[float, Field(gt=0, le=MAX_MEMORY_BUDGET_GB)] | None = None
    """Memory budget in GB that every matrix and basis is checked against before it is built (default: 80 % of available memory or
    $LOCALPAIRS_MEMORY_GB).
    """


class GroundStateSpec(Strict):
    """``[ground_state]``: what to compute about the ground state.

    ``ladder`` lists the offsets d of the sectors N₀ + d solved for pair binding and gaps (default
    ±1, ±2; e.g. ``[-1, 1]`` when N₀ + 2 is too large): pair binding E(N+2) + E(N) − 2E(N+1) is
    reported for every N whose three sectors are solved.
    """

    pair_binding: bool = True
    """Compute the charge ladder E(N₀ + d) and the pair binding E(N+2) + E(N) − 2E(N+1) (negative: bound)."""
    pair_correlations: bool = True
    """Compute pair correlations ⟨b†_i b_j⟩ and charge correlations in the ground state."""
    ladder: Annotated[list[Annotated[int, Field(ge=-4, le=4)]], Field(min_length=1)] = [-2, -1, 1, 2]
    """Offsets d of the sectors N₀ + d solved for pair binding and gaps (N₀ itself is always solved)."""

    @field_validator("ladder")
    @classmethod
    def _nonzero_unique(cls, value: list[int]) -> list[int]:
        if 0 in value or len(set(value)) != len(value):
            raise ValueError("distinct non-zero offsets from N₀ (N₀ itself is always solved), e.g. [-1, 1]")
        return sorted(value)


class SweepSpec(Strict):
    """``[sweep]``: parameter grids (``[sweep.parameters]``, dotted keys → lists) and local workers."""

    parameters: dict[str, Annotated[list[float | int | bool | str], Field(min_length=1)]]
    """Parameter grids: dotted spec keys → lists of values, e.g. "model.U" = [-2.0, -1.0]; the sweep runs every combination."""
    workers: Annotated[int, Field(ge=1, le=64)] = 2
    """Workers of the local Dask cluster (one process each)."""
