"""Sparse matrices of a driven model: ``H(t) = Σ_k c_k(t) P_k + diag(shift)`` on one sparsity pattern.

Every piece ``P_k`` of a :class:`~localpairs.hamiltonians.driven_model.DrivenModel` is built once as a
sparse matrix (:func:`~localpairs.solvers.hilbert.basis.operator_matrix`) and mapped onto the union of
all sparsity patterns. Pieces whose coefficient is constant within a quench segment (interactions,
site energies, hops with no component along the polarization) are summed once into a *base* per
segment; each field-dependent piece keeps only its values and their positions in the union
(pieces with identical entries, such as the forward and backward hops of a periodic length-2
axis, are stored once with their coefficients added). One complex CSR matrix with the union
pattern is refilled ("assembled") for any coefficients by a compiled loop
(:mod:`~localpairs.solvers.dynamics.assembly_kernel`), and multiplied by scipy's serial CSR kernel
(small dimensions) or QuSpin's OpenMP kernel. The integrator's generators (weighted sums of H at a
step's nodes) are filled scaled by their base weight w (:meth:`DrivenOperator.assemble_scaled`):
the base then stays in place at weight 1 and only the field's entries are rewritten, in one pass
over their positions with the base's values there kept alongside (2×2×2 cube, 22,400 of 72,100
entries: 55 µs against 77 µs for a full fill, one product taking 75 µs; CPU times, 2026-11-29).
A first version that read the base anew at those positions (two scattered passes) took 92 µs.

Memory: the union CSR (16 + 4 bytes per non-zero), one base per segment (16 bytes per non-zero)
and 12 bytes per non-zero of every field-dependent piece (28 with the base's values kept for the
scaled refill): about 2–3 complex Hamiltonians, nothing
quadratic in the dimension. The assembled matrix is a shared buffer holding the last coefficients.

Site-energy shifts (the lattice of :mod:`~localpairs.hamiltonians.oxygen_lattice`) enter as a diagonal
``Σ_i δε_i n_i`` built from the occupations of the basis states.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import scipy.sparse as sp
from quspin.tools.misc import get_matvec_function
from scipy.sparse import _sparsetools

from localpairs.errors import LocalPairsError
from localpairs.hamiltonians.driven_model import DrivenModel
from localpairs.solvers.dynamics.assembly_kernel import assemble_pieces, refill_pieces
from localpairs.solvers.dynamics.operator_observables import OperatorObservables
from localpairs.solvers.hilbert.basis import operator_matrix

#: Below this dimension scipy's serial kernel is called directly (QuSpin's OpenMP kernel has
#: ~25 µs of Python overhead per call and threads do not pay off below ~1e5 states).
SERIAL_MATVEC_MAX_DIM = 20000


def _piece_dtype(static: tuple, basis: Any) -> type:
    complex_coupling = any(isinstance(c[0], complex) and c[0].imag != 0 for _, cs in static for c in cs)
    if complex_coupling or getattr(basis, "localpairs_dtype", np.float64) == np.complex128:
        return np.complex128
    return np.float64


class DrivenOperator(OperatorObservables):
    """The pieces of ``driven`` on ``basis`` and their sum for any coefficients.

    Parameters
    ----------
    driven
        The driven model.
    basis
        QuSpin basis of the sector (from :func:`~localpairs.solvers.hilbert.basis.build_basis`).
    window
        ``(t_start, t_end)`` in fs: pieces of a quench segment never active in it are not built.
    """

    def __init__(self, driven: DrivenModel, basis: Any, *, window: tuple[float, float] | None = None) -> None:
        self.driven = driven
        self.basis = basis
        self.dim = dim = int(basis.Ns)
        segments = [0, 1] if driven.quench is not None else [0]
        if driven.quench is not None and window is not None:
            if driven.quench.time <= window[0]:
                segments = [1]
            elif driven.quench.time >= window[1]:
                segments = [0]
        self.segments = segments
        self.active = np.array([k for k, p in enumerate(driven.pieces) if p.segment in segments], dtype=np.int64)
        mats = {}
        for k in self.active:
            piece = driven.pieces[k]
            static = [[op, [list(c) for c in cs]] for op, cs in piece.static]
            mat = sp.csr_matrix(operator_matrix(driven.model, basis, static, dtype=_piece_dtype(piece.static, basis)))
            mat.sum_duplicates()
            mats[int(k)] = mat
        pattern = sp.identity(dim, format="csr", dtype=np.float32)
        for mat in mats.values():
            pattern = pattern + sp.csr_matrix((np.ones(mat.nnz, dtype=np.float32), mat.indices, mat.indptr), shape=mat.shape)
        pattern.sum_duplicates()
        itype = np.int32 if pattern.nnz < 2**31 - 1 else np.int64
        indptr, indices = pattern.indptr.astype(np.int64), pattern.indices.astype(itype)
        del pattern
        keys = np.repeat(np.arange(dim, dtype=np.int64), np.diff(indptr)) * dim + indices

        def place(mat: sp.csr_matrix, keys: np.ndarray) -> np.ndarray:
            rows = np.repeat(np.arange(dim, dtype=np.int64), np.diff(mat.indptr))
            return np.searchsorted(keys, rows * dim + mat.indices).astype(itype)

        self._diag_pos = place(sp.identity(dim, format="csr"), keys)
        constant = driven.constant
        self._bases = np.zeros((len(segments), len(indices)), dtype=np.complex128)
        self._const_of = {s: [int(k) for k in self.active if constant[k] and driven.pieces[k].segment == s] for s in segments}
        groups: list[list[int]] = []
        positions: list[np.ndarray] = []
        values: list[np.ndarray] = []
        for k, mat in mats.items():
            pos = place(mat, keys)
            if constant[k]:
                self._bases[segments.index(driven.pieces[k].segment), pos] += mat.data
                continue
            for g, members in enumerate(groups):  # merge pieces with identical entries
                if driven.pieces[members[0]].segment == driven.pieces[k].segment and np.array_equal(positions[g], pos) and np.array_equal(values[g], mat.data):
                    members.append(k)
                    break
            else:
                groups.append([k])
                positions.append(pos)
                values.append(mat.data)
        del keys, mats
        self._groups = groups
        vtype = np.complex128 if any(v.dtype == np.complex128 for v in values) else np.float64
        self._pos = np.concatenate(positions) if positions else np.zeros(0, dtype=itype)
        self._val = np.concatenate(values).astype(vtype, copy=False) if values else np.zeros(0, dtype=vtype)
        self._ptr = np.concatenate([[0], np.cumsum([len(p) for p in positions])]).astype(np.int64)
        self.matrix = sp.csr_matrix((np.zeros(len(indices), dtype=np.complex128), indices, indptr), shape=(dim, dim))
        self.matrix.has_sorted_indices = True
        self._matvec = get_matvec_function(self.matrix)
        #: What the shared matrix holds outside the pieces (shared with retargeted copies): the
        #: segment whose base fills it at weight 1 (None: unknown), and whether a diagonal was added.
        self._filled: dict[str, Any] = {"base": None, "diag": False}
        #: The pieces' positions are distinct and off the diagonal: :meth:`assemble_scaled` may refill them in one pass.
        self._refillable = bool(np.unique(self._pos).size == self._pos.size and not np.isin(self._pos, self._diag_pos).any())
        self._base_values: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._occupations = None
        self._no_diag = np.zeros(0)
        self._sensitivity: float | None = None

    def retarget(self, driven: DrivenModel) -> DrivenOperator:
        """The same matrices for another description with identical pieces; shares the assembly buffer.

        Parameters
        ----------
        driven : DrivenModel
            Another description with the same pieces (e.g. another photon energy or field along
            the same polarization).

        Returns
        -------
        DrivenOperator
            A shallow copy bound to ``driven``.

        Raises
        ------
        LocalPairsError
            When the pieces or their field dependence differ.
        """
        mine = [(p.name, p.segment, p.static) for p in self.driven.pieces]
        theirs = [(p.name, p.segment, p.static) for p in driven.pieces]
        if mine != theirs or not np.array_equal(driven.constant, self.driven.constant):
            raise LocalPairsError("retarget needs the same pieces and the same field-dependent ones")
        new = copy.copy(self)
        new.driven = driven
        new._sensitivity = None  # the Peierls rates depend on the polarization
        return new

    # -- assembly and products -------------------------------------------------------------
    @property
    def nbytes(self) -> int:
        """Bytes held by the bases, the field-dependent pieces and the union matrix."""
        m = self.matrix
        arrays = (m.data, m.indices, m.indptr, self._bases, self._pos, self._val, self._diag_pos)
        return int(sum(a.nbytes for a in arrays))

    def _weights(self, coefs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Coefficient of each segment's base and of each piece group (constant pieces of a segment must agree)."""
        weights = np.zeros(len(self.segments), dtype=np.complex128)
        for n, s in enumerate(self.segments):
            const = coefs[self._const_of[s]]
            if const.size:
                if np.any(const != const[0]):
                    raise LocalPairsError("constant pieces of one segment need one common coefficient")
                weights[n] = const[0]
        return weights, np.array([coefs[g].sum() for g in self._groups], dtype=np.complex128)

    def _base_at(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Base ``n``'s values at the pieces' positions and on the diagonal (cached: 16 bytes per piece entry and state)."""
        if n not in self._base_values:
            self._base_values[n] = (self._bases[n][self._pos], self._bases[n][self._diag_pos])
        return self._base_values[n]

    def assemble(self, coefs: np.ndarray, diag: np.ndarray | None = None) -> sp.csr_matrix:
        """Fill the shared matrix with ``Σ_k coefs[k] P_k + diag(diag)``; return it.

        ``coefs`` has one entry per piece of the driven model. Constant pieces of one segment
        share one coefficient (true for every ``c(t)``, combination of them and ``−∂c/∂A``);
        ``diag`` is a real vector of length ``dim`` or None.

        Parameters
        ----------
        coefs : numpy.ndarray
            One complex coefficient per piece of the driven model.
        diag : numpy.ndarray, optional
            Real diagonal added (eV), length ``dim``.

        Returns
        -------
        scipy.sparse.csr_matrix
            The shared matrix (overwritten by the next assembly).

        Raises
        ------
        LocalPairsError
            When constant pieces of one segment get different coefficients.
        """
        weights, gcoefs = self._weights(np.asarray(coefs, dtype=np.complex128))
        d = self._no_diag if diag is None else np.ascontiguousarray(diag, dtype=np.float64)
        assemble_pieces(self.matrix.data, self._bases, weights, self._pos, self._val, self._ptr, gcoefs, self._diag_pos, d)
        self._filled["base"], self._filled["diag"] = None, False
        return self.matrix

    def assemble_scaled(self, coefs: np.ndarray, diag: np.ndarray | None = None) -> float:
        """Fill the shared matrix with ``(Σ_k coefs[k] P_k + diag(diag)) / w``, ``w`` the constant pieces' coefficient; return ``w``.

        With the base at weight 1 only the entries of the field-dependent pieces (and the
        diagonal) change from one generator to the next: they are refilled, the rest of the
        matrix stays (a third of the entries on the 2×2×2 cube). ``w`` is real for the weighted
        sums of H(t) a commutator-free scheme exponentiates; it multiplies the exponential's time.
        Falls back to :meth:`assemble` (``w = 1``) when two segments or none carry a base, or
        ``w`` is not real.

        Parameters
        ----------
        coefs : numpy.ndarray
            One complex coefficient per piece of the driven model.
        diag : numpy.ndarray, optional
            Real diagonal added (eV), length ``dim``.

        Returns
        -------
        float
            ``w``: the generator is ``w`` times the matrix.

        Raises
        ------
        LocalPairsError
            When constant pieces of one segment get different coefficients.
        """
        coefs = np.asarray(coefs, dtype=np.complex128)
        weights, gcoefs = self._weights(coefs)
        active = np.flatnonzero(weights)
        if active.size != 1 or weights[active[0]].imag != 0.0 or not self._refillable:
            self.assemble(coefs, diag)
            return 1.0
        n, w = int(active[0]), float(weights[active[0]].real)
        if self._filled["base"] != n:
            self.matrix.data[:] = self._bases[n]
            self._filled["base"], self._filled["diag"] = n, False
        base_at, diag_base = self._base_at(n)
        d = self._no_diag if diag is None else np.ascontiguousarray(diag, dtype=np.float64) / w
        refill_pieces(self.matrix.data, base_at, self._pos, self._val, self._ptr, gcoefs / w, self._diag_pos, diag_base, d, self._filled["diag"])
        self._filled["diag"] = diag is not None
        return w

    def field_sensitivity(self) -> float:
        """Upper bound on ``‖H(A) − H(0)‖ / |A|`` in eV per (V·fs/Å).

        ``|e^{iφA} − 1| ≤ |φ||A|`` for every field-dependent piece ``P`` and ``‖P‖₂ ≤
        √(‖P‖₁‖P‖_∞)`` (largest column and row sums of ``|P|``; Schur's test). Cached.

        Returns
        -------
        float
            The bound S in eV·Å/(V·fs).
        """
        if self._sensitivity is None:
            rates = self.driven.peierls_rates()
            rows = np.repeat(np.arange(self.dim, dtype=np.int64), np.diff(self.matrix.indptr))
            total = 0.0
            for g, members in enumerate(self._groups):
                sel = slice(self._ptr[g], self._ptr[g + 1])
                r = rows[self._pos[sel]]
                c = self.matrix.indices[self._pos[sel]]
                a = np.abs(self._val[sel])
                norm = float(np.sqrt(np.bincount(r, a, self.dim).max() * np.bincount(c, a, self.dim).max())) if a.size else 0.0
                total += norm * float(sum(rates[k] for k in members))
            self._sensitivity = total
        return self._sensitivity

    def matvec(self, v: np.ndarray, out: np.ndarray) -> np.ndarray:
        """``out = M v`` with the last assembled matrix M.

        Parameters
        ----------
        v : numpy.ndarray
            Complex vector of length ``dim``.
        out : numpy.ndarray
            Complex output vector of length ``dim`` (overwritten).

        Returns
        -------
        numpy.ndarray
            ``out``.
        """
        m = self.matrix
        if self.dim < SERIAL_MATVEC_MAX_DIM:
            out[:] = 0.0
            _sparsetools.csr_matvec(self.dim, self.dim, m.indptr, m.indices, m.data, v, out)
        else:
            self._matvec(m, v, out=out, overwrite_out=True)
        return out

    def hamiltonian(self, t: float, site_shifts: np.ndarray | None = None) -> sp.csr_matrix:
        """A copy of H(t) as CSR (for dense checks and eigensolvers).

        Parameters
        ----------
        t : float
            Time in fs.
        site_shifts : numpy.ndarray, optional
            Site-energy shifts in eV.

        Returns
        -------
        scipy.sparse.csr_matrix
            H(t) in eV.
        """
        return self.assemble(self.driven.coefficients(t), self.shift_diagonal(site_shifts)).copy()

    def static_matrix(self, segment: int) -> sp.csr_matrix:
        """Sum of the constant pieces of ``segment`` as CSR (a copy).

        Parameters
        ----------
        segment : int
            Quench segment (0 before, 1 after).

        Returns
        -------
        scipy.sparse.csr_matrix
            The static part in eV.
        """
        mat = self.matrix.copy()
        mat.data = self._bases[self.segments.index(segment)].copy()
        mat.eliminate_zeros()
        return mat

    def piece_matrix(self, k: int) -> sp.csr_matrix:
        """Field-dependent piece ``k`` as CSR (a copy).

        Parameters
        ----------
        k : int
            Index into ``driven.pieces``.

        Returns
        -------
        scipy.sparse.csr_matrix
            The piece's matrix (eV).
        """
        g = next(n for n, members in enumerate(self._groups) if k in members)
        data = np.zeros(self.matrix.nnz, dtype=np.complex128)
        sel = slice(self._ptr[g], self._ptr[g + 1])
        data[self._pos[sel]] = self._val[sel]
        mat = sp.csr_matrix((data, self.matrix.indices.copy(), self.matrix.indptr.copy()), shape=self.matrix.shape)  # eliminate_zeros works in place
        mat.eliminate_zeros()
        return mat
