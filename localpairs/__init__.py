"""localpairs: exact diagonalization and pump-probe studies of real-space electron pairing.

The package is one import name with three layers, imported in this order only:

``localpairs.hamiltonians``
    clusters of octahedra, doping configurations and model Hamiltonians as plain operator terms;
``localpairs.solvers``
    sectors, QuSpin bases, exact diagonalization and observables (states, spectra, trajectories);
``localpairs.analysis``
    pure functions of energies, arrays and results (pair binding, gaps, figures, experiment).

The small core here holds units (:mod:`localpairs.units`), errors (:mod:`localpairs.errors`)
and the command line (:mod:`localpairs.cli`).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("localpairs")
except PackageNotFoundError:  # pragma: no cover - running from an uninstalled tree
    __version__ = "0+unknown"

__all__ = ["__version__"]
