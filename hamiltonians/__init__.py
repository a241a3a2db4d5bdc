"""Clusters of octahedra, doping configurations and model Hamiltonians (as operator terms).

This is the lowest layer: it imports nothing from :mod:`localpairs.solvers` or
:mod:`localpairs.analysis`.
"""

from .cluster import DEFAULT_LATTICE_CONSTANT, PRESETS, Bond, Cluster, hopping_matrix, make_cluster
from .doping import PLACEMENTS, DopingConfig, doping_config, large_count
from .fermi_bose import fermi_bose_mixture
from .hubbard import extended_hubbard, site_energies
from .model import Model, Term
from .pump import DrivenModel, Pulse, Quench, drive, field_to_fluence, fluence_to_field, gaussian_pulse

__all__ = [
    "DEFAULT_LATTICE_CONSTANT",
    "PRESETS",
    "PLACEMENTS",
    "Bond",
    "Cluster",
    "DopingConfig",
    "DrivenModel",
    "Model",
    "Pulse",
    "Quench",
    "Term",
    "doping_config",
    "drive",
    "extended_hubbard",
    "fermi_bose_mixture",
    "field_to_fluence",
    "fluence_to_field",
    "gaussian_pulse",
    "hopping_matrix",
    "large_count",
    "make_cluster",
    "site_energies",
]
