"""Sectors, QuSpin bases, exact diagonalization and observables.

Imports :mod:`localpairs.hamiltonians` only; never :mod:`localpairs.analysis`.
"""

from .basis import build_basis, hamiltonian_matrix, hermiticity_residual, operator_matrix, sector_dimension
from .ed import EDResult, charge_ladder, solve
from .memory import MemoryEstimate, available_memory_gb, check_memory, default_budget_gb, estimate_memory
from .observables import StateObservables, energy, lpdw_order, measure, occupations
from .sector import Sector, sector

__all__ = [
    "EDResult",
    "MemoryEstimate",
    "Sector",
    "StateObservables",
    "available_memory_gb",
    "build_basis",
    "charge_ladder",
    "check_memory",
    "default_budget_gb",
    "energy",
    "estimate_memory",
    "hamiltonian_matrix",
    "hermiticity_residual",
    "lpdw_order",
    "measure",
    "occupations",
    "operator_matrix",
    "sector",
    "sector_dimension",
    "solve",
]
