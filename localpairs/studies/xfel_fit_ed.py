"""The ED of one fit evaluation with the matrices built once per sector (XFEL study, :mod:`.xfel_fit`).

A fit evaluation needs the ground energies E(N − 2 … N + 2) and σ(ω) of the N-electron ground
state at one (U, V, Δ). Building the five Hamiltonian matrices with QuSpin took 2.5–5.5 s each on
the 8-site cube (load ≈ 4), against 0.05 s for each ground state: 90 % of an evaluation. U, V and
the breathing Δ enter the extended Hubbard model only through terms diagonal in the occupation
basis (``n_i↑ n_i↓``, ``n_i n_j``, ``n_i``), so

    H(U, V, Δ) = H_off + diag(h(U, V, Δ)),

with H_off (the hopping) built once per sector and the diagonal ``h`` evaluated from the basis
states' occupations at every point (:func:`number_diagonal`, microseconds). Whether a model's
off-diagonal terms are those of the cached H_off is checked at every evaluation (their QuSpin
static list is the cache key): a model whose hopping changes gets its own H_off, never a wrong one.
The ground energies then come from the same Lanczos (``eigsh``) as
:func:`~localpairs.solvers.ed.eigensolve.solve`; σ(ω) from
:func:`~localpairs.solvers.spectra.conductivity.optical_conductivity` on the cached matrix.
Tests: the matrix equals QuSpin's full build at other parameter points, the evaluation equals the
direct one (:func:`~localpairs.solvers.charge_ladder`, ``optical_conductivity``) to the Lanczos tolerance.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
import xarray as xr

from localpairs.hamiltonians import Model
from localpairs.solvers.ed.charge_ladder import ladder_electrons, ladder_sector
from localpairs.solvers.ed.eigensolve import lowest_eigenpairs
from localpairs.solvers.ed.observables import occupations
from localpairs.solvers.hilbert.basis import build_basis, is_pair_basis, operator_matrix
from localpairs.solvers.hilbert.memory import DENSE_THRESHOLD
from localpairs.solvers.hilbert.sector import Sector
from localpairs.solvers.spectra.conductivity import optical_conductivity
from localpairs.solvers.spectra.spectral_functions import SectorCache

#: Lanczos tolerance of the ground energies (as :func:`~localpairs.solvers.ed.eigensolve.solve`'s default).
GROUND_TOL = 0.0


def _diagonal_term(opstr: str) -> bool:
    """True for an operator string of number operators only (``n`` on either spin, ``|`` between them)."""
    return set(opstr) <= {"n", "|"} and opstr.count("|") == 1


def number_diagonal(static: list, up: np.ndarray, dn: np.ndarray) -> np.ndarray:
    """The diagonal of the number-operator terms of ``static`` on basis states with occupations ``up``, ``dn``.

    Parameters
    ----------
    static
        QuSpin static list of spinful terms whose operator strings hold only ``n`` (left of ``|``:
        spin up, right: spin down), e.g. ``[["n|n", [[U, 0, 0]]]]``.
    up, dn
        (dim, L) occupations of every basis state (:func:`~localpairs.solvers.ed.observables.occupations`).

    Returns
    -------
    numpy.ndarray
        (dim,) float64: Σ over couplings of coefficient × product of the occupations named.

    Raises
    ------
    ValueError
        If an operator string holds another operator than ``n`` or a complex coefficient.
    """
    out = np.zeros(up.shape[0])
    for opstr, couplings in static:
        if not _diagonal_term(opstr):
            raise ValueError(f"operator string {opstr!r} is not a product of number operators")
        left, right = opstr.split("|")
        spins = [up] * len(left) + [dn] * len(right)
        for coef, *sites in couplings:
            if complex(coef).imag != 0.0:
                raise ValueError(f"complex coefficient {coef!r} of the diagonal term {opstr!r}")
            value = np.full(up.shape[0], float(np.real(coef)))
            for occ, site in zip(spins, sites):
                value = value * occ[:, site]
            out += value
    return out


class FitMatrices:
    """Bases, hopping matrices and occupations per sector, shared by every evaluation of the fits.

    Parameters
    ----------
    template
        A model of the family the fits vary (its cluster and kind; the basis depends on nothing else).
    """

    def __init__(self, template: Model) -> None:
        self.template = template
        self._sectors: dict[tuple[int, int], dict[str, Any]] = {}
        self.builds = 0

    def _sector(self, sec: Sector) -> dict[str, Any]:
        key = (sec.n_up, sec.n_down)
        if key not in self._sectors:
            basis = build_basis(self.template, sec)
            up, dn = occupations(basis, self.template.n_sites)
            self._sectors[key] = {"basis": basis, "up": up, "dn": dn, "off": {}}
        return self._sectors[key]

    def matrix(self, model: Model, sec: Sector) -> tuple[sp.csr_matrix, Any]:
        """The Hamiltonian matrix of ``model`` on ``sec`` and its basis (QuSpin's full build for a hard-core-boson model).

        Parameters
        ----------
        model
            A model on the template's cluster (extended Hubbard: spinful fermions).
        sec
            The sector (no symmetry blocks).

        Returns
        -------
        tuple
            (CSR matrix in eV, the sector's basis).
        """
        entry = self._sector(sec)
        static = model.static_list()
        if is_pair_basis(model) or model.is_complex or sec.blocks:
            return operator_matrix(model, entry["basis"], static), entry["basis"]
        diag = [t for t in static if _diagonal_term(t[0])]
        off = [t for t in static if not _diagonal_term(t[0])]
        key = repr(off)
        if key not in entry["off"]:
            entry["off"][key] = operator_matrix(model, entry["basis"], off, dtype=np.float64)
            self.builds += 1
        h = entry["off"][key] + sp.diags(number_diagonal(diag, entry["up"], entry["dn"]), format="csr")
        return h.tocsr(), entry["basis"]

    def ground(self, model: Model, sec: Sector) -> tuple[float, np.ndarray]:
        """Ground energy (eV) and state of ``model`` on ``sec`` (Lanczos as :func:`~localpairs.solvers.solve` above its dense threshold).

        Parameters
        ----------
        model
            The model.
        sec
            The sector.

        Returns
        -------
        tuple
            (E0 in eV, the ground state).
        """
        h, _ = self.matrix(model, sec)
        energies, states, _ = lowest_eigenpairs(h, 1, dense_threshold=DENSE_THRESHOLD, tol=GROUND_TOL)
        return float(energies[0]), states[:, 0]

    def ladder(self, model: Model, electrons: int, *, spread: int = 2) -> dict[int, float]:
        """E(N) for N = electrons − spread … electrons + spread (lowest-|S_z| sectors), eV, as :func:`~localpairs.solvers.charge_ladder`.

        Parameters
        ----------
        model
            The model.
        electrons
            The electron number N.
        spread
            How far around N (electrons).

        Returns
        -------
        dict of float
            {N: E(N)} in eV.
        """
        offsets = range(-spread, spread + 1)
        return {n: self.ground(model, ladder_sector(n))[0] for n in ladder_electrons(electrons, offsets, model.n_sites)}

    def conductivity(self, model: Model, sec: Sector, omega: np.ndarray, *, eta: float, polarization: tuple[float, float, float]) -> xr.Dataset:
        """The optical conductivity σ(ω) of the ground state of ``sec`` (``optical_conductivity`` on the cached matrix).

        Parameters
        ----------
        model, sec
            The model and the sector of its ground state.
        omega
            Photon energies (eV).
        eta
            Lorentzian half width (eV).
        polarization
            Field direction.

        Returns
        -------
        xarray.Dataset
            As ``optical_conductivity``.
        """
        h, basis = self.matrix(model, sec)
        _, psi = self.ground(model, sec)
        cache = SectorCache(model)
        cache.add(sec, basis, h)
        return optical_conductivity(model, sec, omega, eta=eta, polarization=polarization, psi=psi, cache=cache)
