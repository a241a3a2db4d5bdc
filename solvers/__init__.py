"""Sectors, QuSpin bases, exact diagonalization and observables.

Imports :mod:`localpairs.hamiltonians` only; never :mod:`localpairs.analysis`.
"""

from .basis import build_basis, hamiltonian_matrix, hermiticity_residual, operator_matrix, sector_dimension
from .ed import EDResult, charge_ladder, solve
from .momentum import MomentumBlock, MomentumScan, lowest_by_momentum
from .memory import MemoryEstimate, available_memory_gb, check_memory, default_budget_gb, estimate_memory
from .observables import StateObservables, energy, lpdw_order, measure, occupations
from .sector import Sector, sector
from .driven import DrivenOperator
from .evolution import CFM4Integrator, EvolutionOptions, EvolutionResult, evolve
from .lattice import Lattice, oxygen_lattice, relax_lattice
from .optical import optical_transitions
from .trajectory import run_trajectory
from .excitations import KINDS, Excitation, make_excitation
from .optics import optical_conductivity
from .spectra import SectorCache, SpectraWarning, spectra
from .xas import xas

__all__ = [
    "CFM4Integrator",
    "DrivenOperator",
    "EvolutionOptions",
    "EvolutionResult",
    "Lattice",
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
    "evolve",
    "hamiltonian_matrix",
    "hermiticity_residual",
    "lpdw_order",
    "measure",
    "occupations",
    "operator_matrix",
    "optical_transitions",
    "oxygen_lattice",
    "relax_lattice",
    "run_trajectory",
    "sector",
    "sector_dimension",
    "solve",
    # spectra (appended)
    "KINDS",
    "Excitation",
    "SectorCache",
    "SpectraWarning",
    "make_excitation",
    "optical_conductivity",
    "spectra",
    "xas",
    # momentum scans (appended)
    "MomentumBlock",
    "MomentumScan",
    "lowest_by_momentum",
]
