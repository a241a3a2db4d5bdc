"""From a model and a sector to a QuSpin basis and the Hamiltonian's sparse matrix.

Hubbard models use QuSpin's ``spinful_fermion_basis_general``; models with bosonic sites
(the Fermi–Bose mixture) use :func:`~localpairs.solvers.hilbert.pair_basis.pair_constrained_basis`.
Both are built only after :func:`~localpairs.solvers.hilbert.memory.check_memory` has passed.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Mapping
from functools import cache
from math import comb
from typing import Any

import numpy as np
import scipy.sparse as sp
from numba import cfunc, int32, uint64
from numpy.typing import DTypeLike
from quspin.basis import spinful_fermion_basis_general
from quspin.basis.user import map_sig_64
from quspin.operators import hamiltonian

from localpairs.errors import InputError, LocalPairsError
from localpairs.hamiltonians import Model
from localpairs.solvers.hilbert.group_action import SPIN_FLIP
from localpairs.solvers.hilbert.lattice_symmetry import is_complex_block, resolve_blocks
from localpairs.solvers.hilbert.pair_basis import constrained_dimension, pair_constrained_basis, spinless_terms
from localpairs.solvers.hilbert.sector import Sector, check_sector_fits

_NO_CHECKS = dict(check_symm=False, check_herm=False, check_pcon=False)


def sector_dimension(model: Model, sec: Sector) -> int:
    """Dimension of ``sec`` for ``model``, computed by counting (nothing is allocated).

    With symmetry blocks this is the particle-sector count divided by the group order, rounded
    up: exact up to states with non-trivial stabilizers, a few per cent on these clusters.

    Parameters
    ----------
    model : Model
        The Hamiltonian (its cluster and bosonic sites).
    sec : Sector
        The sector.

    Returns
    -------
    int
        The (estimated, with blocks) number of basis states.
    """
    check_sector_fits(sec, model.n_sites)
    if model.bosonic_sites:
        full = constrained_dimension(model.n_sites, model.bosonic_sites, sec.n_up, sec.n_down)
    else:
        full = comb(model.n_sites, sec.n_up) * comb(model.n_sites, sec.n_down)
    if not sec.blocks or full == 0:
        return full
    order = int(np.prod([period for _, period, _ in resolve_blocks(model, sec.blocks).values()]))
    return -(-full // order)


def sector_dtype(model: Model, sec: Sector) -> type:
    """Return complex128 when the model's couplings or any symmetry block is complex, else float64.

    Parameters
    ----------
    model : Model
        The Hamiltonian.
    sec : Sector
        The sector.

    Returns
    -------
    type
        ``numpy.complex128`` or ``numpy.float64``.
    """
    if model.is_complex:
        return np.complex128
    resolved = resolve_blocks(model, sec.blocks) if sec.blocks else {}
    return np.complex128 if any(is_complex_block(n, q, p) for n, (_, p, q) in resolved.items()) else np.float64


def build_basis(model: Model, sec: Sector) -> Any:
    """QuSpin basis of ``sec`` for ``model`` (no memory check: call the solvers, not this).

    The basis carries ``localpairs_dtype``, the dtype its operators must use (complex momentum
    blocks with a real dtype give wrong spectra in QuSpin, see QUSPIN.md).

    Parameters
    ----------
    model : Model
        The Hamiltonian.
    sec : Sector
        The sector (QuSpin-supported blocks only: no spin flip).

    Returns
    -------
    Any
        A QuSpin basis (``spinful_fermion_basis_general`` or the pair-constrained user basis).
    """
    check_sector_fits(sec, model.n_sites)
    resolved = resolve_blocks(model, sec.blocks) if sec.blocks else {}
    blocks = quspin_blocks(resolved, user_basis=bool(model.bosonic_sites), n_sites=model.n_sites)
    if model.bosonic_sites:
        basis = pair_constrained_basis(model.n_sites, model.bosonic_sites, sec.n_up, sec.n_down, blocks=blocks)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            basis = spinful_fermion_basis_general(model.n_sites, Nf=(sec.n_up, sec.n_down), **blocks)
    basis.localpairs_dtype = sector_dtype(model, sec)
    return basis


def is_pair_basis(model: Model) -> bool:
    """True when ``model`` lives on the pair-constrained (user) basis.

    Parameters
    ----------
    model : Model
        The Hamiltonian.

    Returns
    -------
    bool
        Whether the model has bosonic (pair) sites.
    """
    return bool(model.bosonic_sites)


def quspin_terms(model: Model, static: list) -> list:
    """Spinful terms in the notation of ``model``'s basis.

    Parameters
    ----------
    model : Model
        The Hamiltonian.
    static : list
        QuSpin static list of spinful terms.

    Returns
    -------
    list
        ``static``, or its spinless form on the pair-constrained basis.
    """
    return spinless_terms(static, model.n_sites) if is_pair_basis(model) else static


def matrix_dtype(model: Model, basis: Any = None) -> type:
    """Return complex128 for complex couplings or a complex symmetry block, else float64.

    Parameters
    ----------
    model : Model
        The Hamiltonian.
    basis : Any
        A basis from :func:`build_basis` (its ``localpairs_dtype``), or None.

    Returns
    -------
    type
        ``numpy.complex128`` or ``numpy.float64``.
    """
    if model.is_complex or getattr(basis, "localpairs_dtype", np.float64) == np.complex128:
        return np.complex128
    return np.float64


def operator_matrix(model: Model, basis: Any, static: list, dtype: DTypeLike | None = None) -> sp.csr_matrix:
    """CSR matrix of the spinful ``static`` terms on ``basis`` (QuSpin's checks off, silenced).

    Parameters
    ----------
    model : Model
        The Hamiltonian whose basis this is.
    basis : Any
        A basis from :func:`build_basis`.
    static : list
        QuSpin static list of spinful terms (eV).
    dtype : numpy.typing.DTypeLike or None
        Matrix dtype; default :func:`matrix_dtype`.

    Returns
    -------
    scipy.sparse.csr_matrix
        The operator's matrix (eV).

    Raises
    ------
    LocalPairsError
        When complex couplings are asked for as a real matrix.
    """
    dtype = dtype or matrix_dtype(model, basis)
    if np.dtype(dtype).kind != "c" and _has_imaginary(static):  # QuSpin would drop the imaginary parts silently
        raise LocalPairsError(f"complex couplings of {model.kind} asked for as a real ({np.dtype(dtype).name}) matrix: the imaginary "
                              "parts would be dropped; use complex128 (matrix_dtype does for a complex model)")
    if not static:
        return sp.csr_matrix((basis.Ns, basis.Ns), dtype=dtype)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        op = hamiltonian(quspin_terms(model, static), [], basis=basis, dtype=dtype, **_NO_CHECKS)
    mat = op.static
    if not sp.isspmatrix_csr(mat):
        mat = sp.csr_matrix(mat)
    return mat


def _has_imaginary(static: list) -> bool:
    return any(complex(c[0]).imag != 0.0 for _, cs in static for c in cs)


def hamiltonian_matrix(model: Model, basis: Any) -> sp.csr_matrix:
    """CSR matrix of ``model`` on ``basis``.

    Parameters
    ----------
    model : Model
        The Hamiltonian.
    basis : Any
        A basis from :func:`build_basis`.

    Returns
    -------
    scipy.sparse.csr_matrix
        The Hamiltonian's matrix (eV).
    """
    return operator_matrix(model, basis, model.static_list())


def hermiticity_residual(matrix: sp.spmatrix, *, seed: int = 0, probes: int = 2) -> float:
    """Largest relative |⟨x|H y⟩ − ⟨Hx|y⟩| / (‖H‖_probe ‖x‖‖y‖) over random probes: O(dim) memory.

    The full ‖H − H†‖ needs a transposed copy of the matrix; this matrix-free check is what the
    solvers run on every matrix they build. Tests also compute the full norm on small matrices.

    Parameters
    ----------
    matrix : scipy.sparse.spmatrix
        The matrix.
    seed : int
        Seed of the random probes.
    probes : int
        Number of probe pairs.

    Returns
    -------
    float
        The largest relative residual (0 for a Hermitian matrix, up to round-off).
    """
    rng = np.random.default_rng(seed)
    n = matrix.shape[0]
    worst = 0.0

    def probe() -> np.ndarray:
        # probes of the matrix's own dtype: a complex probe would make scipy copy a real matrix
        v = rng.standard_normal(n)
        return v + 1j * rng.standard_normal(n) if np.iscomplexobj(matrix.data) else v

    for _ in range(probes):
        x, y = probe(), probe()
        hx, hy = matrix @ x, matrix @ y
        scale = max(np.linalg.norm(hx) * np.linalg.norm(y), np.linalg.norm(hy) * np.linalg.norm(x), 1e-300)
        worst = max(worst, abs(np.vdot(x, hy) - np.vdot(hx, y)) / scale)
    return float(worst)


@cache
def _permute_modes_cfunc():
    """Compile the user-basis permutation map once, on first use (cached on disk by numba)."""

    @cfunc(map_sig_64, cache=True, locals=dict(out=uint64, m=int32, mp=int32, tm=uint64, inversions=int32, one=uint64))
    def _permute_modes(x, N, sign_ptr, args):
        # args[m] = target mode of mode m; mode m lives in bit N − 1 − m. Sign: parity of the
        # reordering of the occupied modes' images into Jordan–Wigner order.
        one = uint64(1)
        out = uint64(0)
        inversions = 0
        for m in range(N):
            if (x >> uint64(N - 1 - m)) & one:
                tm = args[m]
                out |= one << (uint64(N - 1) - tm)
                for mp in range(m):
                    if (x >> uint64(N - 1 - mp)) & one and args[mp] > tm:
                        inversions += 1
        if inversions & 1:
            sign_ptr[0] *= -1
        return out

    return _permute_modes


def quspin_blocks(resolved: Mapping[str, tuple[np.ndarray, int, int]], *, user_basis: bool, n_sites: int) -> dict[str, Any]:
    """Keyword arguments for a QuSpin basis: ``{name}block=(perm, q)`` or the user-basis form.

    Parameters
    ----------
    resolved : Mapping[str, tuple[numpy.ndarray, int, int]]
        From :func:`resolve_blocks`.
    user_basis : bool
        For the pair-constrained user basis (mode maps as compiled functions).
    n_sites : int
        Number of sites.

    Returns
    -------
    dict[str, Any]
        Keyword arguments of the QuSpin basis constructor.

    Raises
    ------
    InputError
        When the spin flip is among the blocks (not offered on QuSpin's bases).
    """
    out: dict[str, Any] = {}
    for name, (perm, period, q) in resolved.items():
        if name == SPIN_FLIP:
            raise InputError(f"sector.{name}", q, "a sector without the spin flip on QuSpin's bases (only the compiled block builder has it)")
        if user_basis:
            modes = np.concatenate([perm, perm + n_sites]).astype(np.uint64)
            out[f"{name}block"] = (_permute_modes_cfunc(), period, q, modes)
        else:
            out[f"{name}block"] = (perm, q)
    return out
