"""Reference backend: QuSpin's ``hamiltonian.evolve`` (scipy's dop853) on the same piece matrices.

``H(t)/ħ`` is a QuSpin ``hamiltonian`` whose static part is the sum of the field-independent
pieces and whose dynamic part holds each hopping piece with its Peierls factor as the time
function (``[matrix, f, args]``). A quench is handled by restarting the ODE solver at its time.
QuSpin's ``rtol``/``atol`` are local (per step) tolerances of dop853, not a bound on the error at
the end: the benchmark finds the tolerance that reaches a given final error.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import warnings

import numpy as np
from quspin.operators import hamiltonian

from localpairs.hamiltonians.pulse import Pulse
from localpairs.solvers.dynamics.driven_operator import DrivenOperator
from localpairs.units import HBAR_EV_FS


def _factor(t: float, pulse: Pulse, charge_proj: float, sign: float) -> complex | np.ndarray:
    return np.exp(sign * 1j * charge_proj * pulse.vector_potential(t) / HBAR_EV_FS)


def quspin_hamiltonian(op: DrivenOperator, segment: int) -> hamiltonian:
    """QuSpin ``hamiltonian`` of ``H(t)/ħ`` (1/fs) in one quench segment.

    Parameters
    ----------
    op : DrivenOperator
        The driven model's matrices.
    segment : int
        0 before a quench, 1 after.

    Returns
    -------
    quspin.operators.hamiltonian
        Static part and Peierls-phase dynamic terms.
    """
    driven = op.driven
    pol = driven.polarization
    constant = driven.constant
    static = op.static_matrix(segment) / HBAR_EV_FS
    dynamic = []
    for k in op.active:
        piece = driven.pieces[k]
        if piece.segment != segment or constant[k]:
            continue
        proj = piece.channel.charge * float(pol @ np.array(piece.channel.displacement))
        dynamic.append([op.piece_matrix(int(k)) / HBAR_EV_FS, _factor, (driven.pulse, proj, -1.0 if piece.conjugate else 1.0)])
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        return hamiltonian([static], dynamic, dtype=np.complex128, check_herm=False, check_symm=False, check_pcon=False)


def evolve_quspin(op: DrivenOperator, psi0: np.ndarray, times: np.ndarray, *, rtol: float, atol: float) -> np.ndarray:
    """Evolve by QuSpin's ``evolve`` (dop853), restarting at quench times.

    Parameters
    ----------
    op : DrivenOperator
        The driven model's matrices.
    psi0 : numpy.ndarray
        State at ``times[0]``.
    times : numpy.ndarray
        Increasing output times in fs.
    rtol, atol : float
        dop853's local tolerances.

    Returns
    -------
    numpy.ndarray
        States, dim × len(times).
    """
    driven = op.driven
    cuts = [b for b in driven.breakpoints if times[0] < b < times[-1]]
    bounds = [times[0], *cuts, times[-1]]
    out = np.empty((op.dim, times.size), dtype=np.complex128)
    out[:, 0] = psi0
    psi = np.asarray(psi0, dtype=np.complex128)
    for a, b in itertools.pairwise(bounds):
        H = quspin_hamiltonian(op, driven.segment(0.5 * (a + b)))
        sel = np.flatnonzero((times > a) & (times <= b))
        grid = np.concatenate([times[sel], [b]]) if (sel.size == 0 or times[sel[-1]] != b) else times[sel]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            states = H.evolve(psi, a, grid, rtol=rtol, atol=atol)
        states = np.asarray(states).reshape(op.dim, -1)
        out[:, sel] = states[:, : sel.size]
        psi = states[:, -1]
    return out
