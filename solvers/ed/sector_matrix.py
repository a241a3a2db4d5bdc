"""A sector's Hamiltonian matrix built for the eigensolver: basis, matrix and the form it is in.

:func:`build_sector_matrix` checks the memory estimate, builds the basis and the matrix (the
compiled block builder of :mod:`~localpairs.solvers.hilbert.block_matrix` in a symmetry block of a
spinful-fermion model, QuSpin otherwise; a complex block of a real model in its real standing-wave
form, :mod:`~localpairs.solvers.hilbert.real_form`) and checks hermiticity.
:func:`~localpairs.solvers.ed.eigensolve.solve` and
:mod:`~localpairs.solvers.ed.sub_block_levels` solve what it builds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from localpairs.errors import LocalPairsError, require
from localpairs.hamiltonians import Model
from localpairs.solvers.hilbert.basis import build_basis, hamiltonian_matrix, hermiticity_residual, sector_dtype
from localpairs.solvers.hilbert.block_matrix import BlockBasis, Representatives, block_matrix, supported
from localpairs.solvers.hilbert.lattice_symmetry import resolve_blocks
from localpairs.solvers.hilbert.memory import DENSE_THRESHOLD, MemoryEstimate, check_memory, estimate_memory
from localpairs.solvers.hilbert.real_form import RealForm, reflection_for, standing_wave_form
from localpairs.solvers.hilbert.sector import Sector
from localpairs.solvers.hilbert.standing_wave_matrix import standing_wave_matrix

#: Largest accepted relative hermiticity residual of a built matrix (round-off is ~1e-16).
HERMITICITY_TOL = 1e-10
#: How :func:`solve` builds basis and matrix: ``"auto"`` (compiled where it applies), or forced.
BUILDERS = ("auto", "compiled", "quspin")



def compiled_applies(model: Model, sec: Sector) -> bool:
    """Tell whether the compiled block builder handles ``sec``.

    Parameters
    ----------
    model : Model
        The model.
    sec : Sector
        The sector.

    Returns
    -------
    bool
        True for a spinful-fermion model in a symmetry block.
    """
    return bool(sec.blocks) and supported(model)


@dataclass
class SectorMatrix:
    """A sector's Hamiltonian matrix as the eigensolver sees it, with its basis and how it was built.

    Parameters
    ----------
    model : Model
        The model.
    sector : Sector
        The sector.
    matrix : scipy.sparse.csr_matrix
        The matrix in eV (the real standing-wave form of a complex block when ``form`` is set).
    basis : Any
        The basis of the block (QuSpin's, or a compiled :class:`BlockBasis`).
    form : RealForm or None
        The standing-wave form ``matrix`` is in (None: the block's own basis).
    estimate : MemoryEstimate
        The memory estimate made before building.
    hermiticity : float
        Relative hermiticity residual of the built matrix.
    builder : str
        ``"compiled"`` or ``"quspin"``.
    seconds : dict
        Wall time in s of basis and matrix build (the eigensolver adds ``solve``).
    """

    model: Model
    sector: Sector
    matrix: sp.csr_matrix
    basis: Any
    form: RealForm | None
    estimate: MemoryEstimate
    hermiticity: float
    builder: str
    seconds: dict

    @property
    def dimension(self) -> int:
        """Sector dimension."""
        return int(self.matrix.shape[0])


def build_sector_matrix(model: Model, sec: Sector, *, n_states: int = 1, dense_threshold: int = DENSE_THRESHOLD,
                        memory_budget_gb: float | None = None, builder: str = "auto", representatives: Representatives | None = None,
                        real_form: bool = True) -> SectorMatrix:
    """Check the memory estimate, then build the basis and the matrix of ``model`` in ``sec``.

    Parameters
    ----------
    model, sec : Model, Sector
        The Hamiltonian and the sector.
    n_states, dense_threshold : int, optional
        Eigenpairs to be found and the dense threshold (for the memory estimate).
    memory_budget_gb : float or None, optional
        As for :func:`~localpairs.solvers.ed.eigensolve.solve` (GB).
    builder : str, optional
        As for :func:`~localpairs.solvers.ed.eigensolve.solve`.
    representatives : Representatives or None, optional
        As for :func:`~localpairs.solvers.ed.eigensolve.solve`.
    real_form : bool, optional
        As for :func:`~localpairs.solvers.ed.eigensolve.solve`.

    Returns
    -------
    SectorMatrix
        The matrix, its basis and build times.

    Raises
    ------
    InputError
        For a bad ``n_states``, ``dense_threshold`` or ``builder``.
    LocalPairsError
        When the sector is empty or the built matrix is not Hermitian.
    """
    require(isinstance(n_states, int) and n_states >= 1, "n_states", n_states, "an integer ≥ 1")
    require(dense_threshold >= 0, "dense_threshold", dense_threshold, "a non-negative integer")
    require(builder in BUILDERS, "builder", builder, " or ".join(BUILDERS))
    compiled = builder == "compiled" or (builder == "auto" and compiled_applies(model, sec))
    require(not compiled or compiled_applies(model, sec), "builder", builder,
            "'auto' or 'quspin' here (the compiled builder needs a spinful-fermion model in a symmetry block)")
    estimate = estimate_memory(model, sec, n_states=n_states, dense_threshold=dense_threshold)
    if estimate.dimension == 0:
        raise LocalPairsError(f"sector {sec.label()} of {model.kind} on {model.cluster.describe()} has no states")
    check_memory(model, sec, estimate, memory_budget_gb)
    seconds = {}
    t0 = time.perf_counter()
    compiled_reps: Representatives | None = None  # set when the compiled block build is used
    if compiled:
        resolved = resolve_blocks(model, sec.blocks)
        if representatives is None or representatives.names != tuple(resolved):
            representatives = Representatives(resolved, n_sites=model.n_sites, n_up=sec.n_up, n_down=sec.n_down)
        compiled_reps = representatives
        basis = representatives.block({n: q for n, (_, _, q) in resolved.items()}, sector_dtype(model, sec))
    else:
        basis = build_basis(model, sec)
    seconds["basis"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    if compiled_reps is not None:
        matrix, form = _compiled_matrix(model, sec, compiled_reps, basis, real_form=real_form)
    else:
        matrix, form = hamiltonian_matrix(model, basis), None
    seconds["matrix"] = time.perf_counter() - t0
    herm = hermiticity_residual(matrix) if matrix.shape[0] else 0.0
    if herm > HERMITICITY_TOL:
        raise LocalPairsError(f"Hamiltonian is not Hermitian: relative residual {herm:.2e}")
    return SectorMatrix(model=model, sector=sec, matrix=matrix, basis=basis, form=form, estimate=estimate, hermiticity=herm,
                        builder="compiled" if compiled else "quspin", seconds=seconds)


def _compiled_matrix(model: Model, sec: Sector, reps: Representatives, basis: BlockBasis, *,
                     real_form: bool) -> tuple[sp.csr_matrix, RealForm | None]:
    """The block's matrix by the compiled builder: its real form built directly (and that form) for a
    complex block where :func:`~localpairs.solvers.hilbert.real_form.reflection_for` finds one, else as built."""
    reflection = reflection_for(model, sec.blocks) if real_form and np.dtype(basis.localpairs_dtype).kind == "c" else None
    if reflection is None:
        return block_matrix(model, reps, basis), None
    form = standing_wave_form(reps, basis, reflection)
    return standing_wave_matrix(model, reps, basis, form), form
