"""Clusters of octahedra, doping configurations and model Hamiltonians (as operator terms).

This is the lowest layer: it imports nothing from :mod:`localpairs.solvers` or
:mod:`localpairs.analysis`.
"""

from localpairs.hamiltonians.cluster import DEFAULT_LATTICE_CONSTANT, PRESETS, Bond, Cluster, make_cluster
from localpairs.hamiltonians.doping import PLACEMENTS, DopingConfig, doping_config, large_count
from localpairs.hamiltonians.driven_model import DrivenModel, Pulse, Quench, drive, field_to_fluence, fluence_to_field, gaussian_pulse
from localpairs.hamiltonians.fermi_bose import fermi_bose_mixture
from localpairs.hamiltonians.hopping import hopping_matrix
from localpairs.hamiltonians.hubbard import extended_hubbard, site_energies
from localpairs.hamiltonians.model import BondLabel, Model, Term
from localpairs.hamiltonians.oxygen_lattice import Lattice, oxygen_lattice, relax_lattice

__all__ = [
    "DEFAULT_LATTICE_CONSTANT",
    "PLACEMENTS",
    "PRESETS",
    "Bond",
    "BondLabel",
    "Cluster",
    "DopingConfig",
    "DrivenModel",
    "Lattice",
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
    "oxygen_lattice",
    "relax_lattice",
    "site_energies",
]
