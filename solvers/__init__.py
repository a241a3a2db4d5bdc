"""Solvers, by family: ``hilbert`` (sectors, bases, memory), ``ed`` (eigenpairs, momentum scans,
observables), ``spectra`` (Lanczos spectra, σ(ω), XAS) and ``dynamics`` (driven evolution).
The shared Lanczos recursion is :mod:`localpairs.solvers.lanczos`.

Imports :mod:`localpairs.hamiltonians` only; never :mod:`localpairs.analysis`.
"""

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
