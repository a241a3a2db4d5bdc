"""Solvers, by family: ``hilbert`` (sectors, bases, memory), ``ed`` (eigenpairs, momentum scans,
observables), ``spectra`` (Lanczos spectra, σ(ω), XAS) and ``dynamics`` (driven evolution).
The shared Lanczos recursion is :mod:`localpairs.solvers.lanczos`.

Imports :mod:`localpairs.hamiltonians` only; never :mod:`localpairs.analysis`.

The names below are imported on first use (PEP 562): ``import localpairs.solvers`` then costs
no xarray or pandas (~43 MB of resident memory that an evolution or a diagonalization does not
need; the evolution benchmark compares peak memory with plain QuSpin).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from localpairs.solvers.dynamics.driven_operator import DrivenOperator
    from localpairs.solvers.dynamics.evolution import CFM4Integrator, EvolutionOptions, EvolutionResult, evolve
    from localpairs.solvers.dynamics.trajectory import run_trajectory
    from localpairs.solvers.ed.eigensolve import EDResult, charge_ladder, solve
    from localpairs.solvers.ed.momentum import MomentumBlock, MomentumScan, lowest_by_momentum
    from localpairs.solvers.ed.observables import StateObservables, energy, lpdw_order, measure, occupations
    from localpairs.solvers.hilbert.basis import build_basis, hamiltonian_matrix, hermiticity_residual, operator_matrix, sector_dimension
    from localpairs.solvers.hilbert.memory import MemoryEstimate, available_memory_gb, check_memory, default_budget_gb, estimate_memory
    from localpairs.solvers.hilbert.sector import Sector, sector
    from localpairs.solvers.spectra.conductivity import optical_conductivity
    from localpairs.solvers.spectra.excitations import KINDS, Excitation, make_excitation
    from localpairs.solvers.spectra.optical_transitions import optical_transitions
    from localpairs.solvers.spectra.spectral_functions import SectorCache, SpectraWarning, spectra
    from localpairs.solvers.spectra.xas import xas

# The function ``spectra`` shares its name with the sub-package ``localpairs.solvers.spectra``: import
# the (empty) sub-package now, so that a later import of one of its modules does not rebind the
# name, and drop the module binding so that ``spectra`` resolves to the function below.
importlib.import_module("localpairs.solvers.spectra")
del globals()["spectra"]

#: Public name → module defining it.
_MODULES: dict[str, str] = {
    "DrivenOperator": "localpairs.solvers.dynamics.driven_operator",
    "CFM4Integrator": "localpairs.solvers.dynamics.evolution",
    "EvolutionOptions": "localpairs.solvers.dynamics.evolution",
    "EvolutionResult": "localpairs.solvers.dynamics.evolution",
    "evolve": "localpairs.solvers.dynamics.evolution",
    "run_trajectory": "localpairs.solvers.dynamics.trajectory",
    "EDResult": "localpairs.solvers.ed.eigensolve",
    "charge_ladder": "localpairs.solvers.ed.eigensolve",
    "solve": "localpairs.solvers.ed.eigensolve",
    "MomentumBlock": "localpairs.solvers.ed.momentum",
    "MomentumScan": "localpairs.solvers.ed.momentum",
    "lowest_by_momentum": "localpairs.solvers.ed.momentum",
    "StateObservables": "localpairs.solvers.ed.observables",
    "energy": "localpairs.solvers.ed.observables",
    "lpdw_order": "localpairs.solvers.ed.observables",
    "measure": "localpairs.solvers.ed.observables",
    "occupations": "localpairs.solvers.ed.observables",
    "build_basis": "localpairs.solvers.hilbert.basis",
    "hamiltonian_matrix": "localpairs.solvers.hilbert.basis",
    "hermiticity_residual": "localpairs.solvers.hilbert.basis",
    "operator_matrix": "localpairs.solvers.hilbert.basis",
    "sector_dimension": "localpairs.solvers.hilbert.basis",
    "MemoryEstimate": "localpairs.solvers.hilbert.memory",
    "available_memory_gb": "localpairs.solvers.hilbert.memory",
    "check_memory": "localpairs.solvers.hilbert.memory",
    "default_budget_gb": "localpairs.solvers.hilbert.memory",
    "estimate_memory": "localpairs.solvers.hilbert.memory",
    "Sector": "localpairs.solvers.hilbert.sector",
    "sector": "localpairs.solvers.hilbert.sector",
    "optical_conductivity": "localpairs.solvers.spectra.conductivity",
    "KINDS": "localpairs.solvers.spectra.excitations",
    "Excitation": "localpairs.solvers.spectra.excitations",
    "make_excitation": "localpairs.solvers.spectra.excitations",
    "optical_transitions": "localpairs.solvers.spectra.optical_transitions",
    "SectorCache": "localpairs.solvers.spectra.spectral_functions",
    "SpectraWarning": "localpairs.solvers.spectra.spectral_functions",
    "spectra": "localpairs.solvers.spectra.spectral_functions",
    "xas": "localpairs.solvers.spectra.xas",
}

__all__ = [
    "KINDS",
    "CFM4Integrator",
    "DrivenOperator",
    "EDResult",
    "EvolutionOptions",
    "EvolutionResult",
    "Excitation",
    "MemoryEstimate",
    "MomentumBlock",
    "MomentumScan",
    "Sector",
    "SectorCache",
    "SpectraWarning",
    "StateObservables",
    "available_memory_gb",
    "build_basis",
    "charge_ladder",
    "check_memory",
    "default_budget_gb",
    "energy",
    "estimate_memory",
    "evolve",
    "hamiltonian_matrix",
    "hermiticity_residual",
    "lowest_by_momentum",
    "lpdw_order",
    "make_excitation",
    "measure",
    "occupations",
    "operator_matrix",
    "optical_conductivity",
    "optical_transitions",
    "run_trajectory",
    "sector",
    "sector_dimension",
    "solve",
    "spectra",
    "xas",
]


def __getattr__(name: str) -> Any:
    """Import a public name of :data:`__all__` from its module on first use.

    Parameters
    ----------
    name : str
        The attribute asked for.

    Returns
    -------
    Any
        The object (cached in the package namespace).

    Raises
    ------
    AttributeError
        For a name that is not public here.
    """
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'localpairs.solvers' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
