"""Applying an :class:`~localpairs.solvers.spectra.excitation_terms.Excitation` to a state: target sector and checked action.

The method (QuSpin's ``Op_shift_sector``, the norm check, the block rule) is described in the
module docstring of :mod:`~localpairs.solvers.spectra.excitations`, which re-exports everything
defined here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from localpairs.errors import InputError, LocalPairsError
from localpairs.hamiltonians import Model
from localpairs.solvers.hilbert.lattice_symmetry import shifted_blocks
from localpairs.solvers.hilbert.sector import Sector
from localpairs.solvers.spectra.excitation_terms import Excitation, _coef_dtype, expectation, op_list, operator_on, product

#: Relative tolerance of ‖O ψ‖² against ⟨O†O⟩ (round-off of sums over ≤ 1e6 amplitudes is ~1e-13).
NORM_CHECK_TOL = 1e-9


# ---------------------------------------------------------------- action on states
def target_sector(sec: Sector, exc: Excitation, model: Model | int) -> Sector:
    """Find the sector ``O`` maps ``sec`` to.

    Parameters
    ----------
    sec, exc : Sector, Excitation
        Source sector and operator.
    model : Model or int
        The model; a site count is enough for a sector without symmetry blocks. With blocks the
        target labels follow from O's character under each generator
        (:func:`~localpairs.solvers.hilbert.lattice_symmetry.shifted_blocks`).

    Returns
    -------
    Sector
        The target sector (with its block labels).

    Raises
    ------
    InputError
        When the target sector does not exist on the cluster, O is not an eigenoperator of a
        block's generators, or a site count is given for a sector with blocks.
    """
    n_sites = int(model) if isinstance(model, (int, np.integer)) else model.n_sites
    n_up, n_down = sec.n_up + exc.shift[0], sec.n_down + exc.shift[1]
    if not (0 <= n_up <= n_sites and 0 <= n_down <= n_sites):
        raise InputError(
            "excitation",
            f"{exc.label} on {sec.label()}",
            f"an operator whose target sector exists on {n_sites} sites (0 ≤ n_up, n_down ≤ {n_sites}); it would give {n_up}↑{n_down}↓",
        )
    if not sec.blocks:
        return sec.shifted(*exc.shift)
    if isinstance(model, (int, np.integer)):
        raise InputError("sector", dict(sec.blocks), "a sector without symmetry blocks, or the model instead of a site count: "
                         f"the block {exc.label} maps to follows from the model's symmetry generators")
    return Sector(n_up, n_down, shifted_blocks(model, sec.blocks, exc.terms, exc.label))


def apply_excitation(model: Model, exc: Excitation, psi: np.ndarray, basis_in: Any, basis_out: Any) -> tuple[np.ndarray, float]:
    """Apply O to a normalized ψ with QuSpin's ``Op_shift_sector``, checked against ``⟨ψ|O†O|ψ⟩``.

    ``basis_out`` must be the basis of :func:`target_sector`. The check value is computed without
    ``Op_shift_sector``: as ``‖O ψ‖²`` with O's matrix in the sector when O keeps the sector
    (same particle numbers and block labels), else as ``⟨ψ|O†O|ψ⟩`` with the product terms' matrix.
    The vector is complex whenever O, ψ or either block is.

    Parameters
    ----------
    model : Model
        The model.
    exc : Excitation
        The operator O.
    psi : numpy.ndarray
        The normalized state in ``basis_in``.
    basis_in, basis_out : Any
        Bases of the source sector and of the target sector.

    Returns
    -------
    phi : numpy.ndarray
        ``O|ψ⟩`` in ``basis_out``.
    norm2 : float
        ``⟨ψ|O†O|ψ⟩``, the check value.

    Raises
    ------
    LocalPairsError
        When ``‖O ψ‖²`` from QuSpin differs from the check value by more than
        :data:`NORM_CHECK_TOL` (relative): ``basis_out`` is not the sector O maps to.
    """
    psi = np.asarray(psi)
    block_dtypes = [getattr(b, "localpairs_dtype", np.float64) for b in (basis_in, basis_out)]
    dtype = np.result_type(_coef_dtype(exc.terms), psi.dtype, *block_dtypes, np.float64)
    psi = psi.astype(dtype, copy=False)
    phi = np.asarray(basis_out.Op_shift_sector(basis_in, op_list(model, exc.terms), psi), dtype=dtype).reshape(-1)
    if exc.shift == (0, 0) and getattr(basis_in, "blocks", {}) == getattr(basis_out, "blocks", {}):
        other = operator_on(model, basis_in, exc.terms, dtype) @ psi
        expected = complex(np.vdot(other, other))
    else:
        expected = expectation(model, basis_in, psi, product(exc.dagger(), exc.terms))
    norm2 = float(np.vdot(phi, phi).real)
    scale = NORM_CHECK_TOL * max(1.0, abs(expected))
    if abs(expected.imag) > scale or abs(norm2 - expected.real) > scale:
        raise LocalPairsError(
            f"{exc.label}: ‖O ψ‖² = {norm2:.12g} from QuSpin's Op_shift_sector differs from ⟨O†O⟩ = {expected:.12g}; "
            "the target basis is not the sector O maps to"
        )
    return phi, float(expected.real)
