r"""Driven steps in the length gauge: ``H(0) + E(t)·D`` instead of the Peierls-phase ``H(A(t))``.

Gauge transformation
--------------------
With the dipole ``D = Σ_i (x_i − x̄) n_i`` (``x_i`` the position of site ``i`` along the
polarization in Å, ``n_i`` its electron number) and ``G(A) = exp(+iA D/ħ)`` (diagonal in the
occupation basis), a hop moving ``q`` electrons from ``j`` to ``i`` picks up
``G† c†_i c_j G = e^{iqA(x_j − x_i)/ħ} c†_i c_j``: the Peierls factor of
:mod:`~localpairs.hamiltonians.driven_model` whenever ``x_j − x_i`` is the bond's displacement along
the polarization. That holds on every bond exactly when each axis with a polarization component
is open (a bond wrapping round a periodic axis has displacement +a but positions differing by
−(L − 1)a). Then

.. math:: H_V(A) = G(A)^† H(0)\, G(A),\qquad ψ_L = G(A(t))\,ψ_V,\qquad
          iħ∂_t ψ_L = [H(0) + E(t) D]\,ψ_L,\quad E = −\dot A .

The premise is not assumed: :func:`length_gauge` checks ``max |G†H(0)G − H(A)| ≤``
:data:`GAUGE_CHECK_TOL` ``· max |H(0)|`` entry by entry on the built matrices at a generic ``A``
(phase 1.3 rad on the fastest hop), for every quench segment, and that H(0) is real.

Why it is cheaper
-----------------
H(0) is real for the models here: a product is a real CSR matrix times a complex vector
(:mod:`~localpairs.solvers.matvec`, half the value bytes of the complex Peierls matrix), and the
field enters only through the diagonal ``g·D`` that the Lanczos recursion adds in the pass it makes
anyway (:func:`~localpairs.solvers.lanczos.lanczos_recursion`'s ``diagonal``): no refill of the
field's matrix entries per exponential. From
:data:`~localpairs.solvers.dynamics.driven_operator.SERIAL_MATVEC_MAX_DIM` states on, as in the
velocity gauge, QuSpin's OpenMP kernel multiplies (:func:`static_operator`).

Exponents
---------
An exponent of a commutator-free scheme is ``Σ_m g_m H_L(t + c_m h) = w H(0) + f D`` with
``w = Σ_m g_m`` and ``f = Σ_m g_m E(t + c_m h)``. It is exponentiated as ``w·[H(0) + (f/w) D]``
over the time ``w h/ħ``, with the Lanczos tolerance divided by ``|w|`` (the a-posteriori estimate
scales with the matrix; the same convention as the velocity gauge's scaled generators). ``w`` may
be negative (CF6's middle exponent, −0.093): the sub-step then runs backwards. For
``|w| ≤`` :data:`SMALL_WEIGHT` (no scheme here has one) the generator is applied unscaled.

The integrator's state stays in the velocity gauge at the ends of every step (checkpoints,
outputs, field-free stretches): a driven step converts ψ to the length gauge at ``t`` and back at
``t + h`` (one diagonal phase each, from the few distinct values of D).
"""

from __future__ import annotations

import logging
from typing import NamedTuple

import numba
import numpy as np
import scipy.sparse as sp
from quspin.tools.misc import get_matvec_function

from localpairs.errors import InputError
from localpairs.solvers.dynamics.driven_operator import SERIAL_MATVEC_MAX_DIM, DrivenOperator
from localpairs.solvers.dynamics.krylov import KrylovWorkspace, expm_lanczos
from localpairs.solvers.lanczos import Matvec, Operator
from localpairs.solvers.matvec import serial_product
from localpairs.units import HBAR_EV_FS

logger = logging.getLogger(__name__)

#: Largest accepted ``max |G†H(0)G − H(A)| / max |H(0)|`` (round-off of the phases is ~1e-15).
GAUGE_CHECK_TOL = 1e-12
#: Peierls phase (rad) of the fastest hop at the test potential of the gauge check: generic (not a multiple of π/2).
CHECK_PHASE = 1.3
#: Exponents whose total weight ``|Σ_m g_m|`` is at most this are applied unscaled.
SMALL_WEIGHT = 1e-8


class NodeValues(NamedTuple):
    """What the exponentials of one driven step need at the scheme's nodes ``t + c_m h``.

    Parameters
    ----------
    coefs : list of numpy.ndarray or None
        Velocity gauge: piece coefficients per node; None in the length gauge.
    shifts : list of numpy.ndarray or None
        Lattice site-energy shifts (eV) per node, None without a lattice.
    fields : list of float or None
        Length gauge: E(t + c_m h) in V/Å per node; None in the velocity gauge.
    potentials : tuple of float
        A(t) and A(t + h) in V·fs/Å (the gauge transformations at the step's ends).
    segment : int
        Quench segment of the step.
    """

    coefs: list[np.ndarray] | None
    shifts: list[np.ndarray] | None
    fields: list[float] | None
    potentials: tuple[float, float]
    segment: int


def weighted_sum(weights: tuple[float, ...], arrays: list[np.ndarray]) -> np.ndarray:
    """``Σ_m weights[m] arrays[m]``, summed in order (node values of one exponent).

    Parameters
    ----------
    weights : tuple of float
        ``g_m`` of one exponent.
    arrays : list of numpy.ndarray
        One array per node.

    Returns
    -------
    numpy.ndarray
        The weighted sum.
    """
    total = weights[0] * arrays[0]
    for w, a in zip(weights[1:], arrays[1:]):
        total = total + w * a
    return total


@numba.njit(cache=True)
def _gauge_deviation(indptr, indices, h0, ha, dipole, a_over_hbar):  # pragma: no cover - compiled
    """max |H(A)_rc − H(0)_rc e^{iA(D_c − D_r)/ħ}| over the stored entries (no temporaries)."""
    worst = 0.0
    for r in range(indptr.size - 1):
        for e in range(indptr[r], indptr[r + 1]):
            c = indices[e]
            dev = abs(ha[e] - h0[e] * np.exp(1j * a_over_hbar * (dipole[c] - dipole[r])))
            worst = max(worst, dev)
    return worst


def static_matrices(op: DrivenOperator) -> dict[int, sp.csr_matrix]:
    """H(0) (the field-free Hamiltonian) of every segment of ``op`` whose values are real, as real CSR.

    The matrices share the index arrays of ``op.matrix`` (its pattern never changes) and hold
    their own values: 8 bytes per stored entry and segment.

    Parameters
    ----------
    op : DrivenOperator
        The driven model's matrices.

    Returns
    -------
    dict
        Segment → H(0) in eV; segments with a complex H(0) are left out.
    """
    out = {}
    for s in op.segments:
        data = op.assemble(op.driven.coefficients_at(0.0, s)).data
        if np.any(data.imag):
            continue
        mat = sp.csr_matrix((data.real.copy(), op.matrix.indices, op.matrix.indptr), shape=op.matrix.shape, copy=False)
        mat.has_sorted_indices = True
        out[s] = mat
    return out


def static_operator(matrix: sp.csr_matrix) -> Operator:
    """Choose how the Lanczos recursion multiplies by a real H(0).

    The matrix itself below :data:`~localpairs.solvers.dynamics.driven_operator.SERIAL_MATVEC_MAX_DIM`
    states (the recursion's serial real×complex kernel), QuSpin's OpenMP kernel from there on (it
    takes the real matrix with complex vectors without upcasting: 48 ms against 71 ms for the complex
    copy at 2 × 10⁵ states and 4 × 10⁶ entries, 2 threads, load ~6).

    Parameters
    ----------
    matrix : scipy.sparse.csr_matrix
        Real H(0) in eV.

    Returns
    -------
    scipy.sparse.csr_matrix or callable
        The operator to pass to :func:`~localpairs.solvers.dynamics.krylov.expm_lanczos`.
    """
    if matrix.shape[0] < SERIAL_MATVEC_MAX_DIM:
        return matrix
    kernel = get_matvec_function(matrix)

    def threaded(x: np.ndarray, out: np.ndarray) -> np.ndarray:
        kernel(matrix, x, out=out, overwrite_out=True)
        return out

    return threaded


def _premise_failure(op: DrivenOperator, statics: dict[int, sp.csr_matrix], dipole: np.ndarray) -> str | None:
    """Why the length gauge is not exact for ``op`` (None when it is), checked on the matrices."""
    driven = op.driven
    if driven.pulse is None:
        return "there is no pulse"
    pol = driven.polarization
    cluster = driven.model.cluster
    periodic = [ax for ax in range(3) if abs(pol[ax]) > 1e-12 and cluster.periodic[ax]]
    if periodic:
        return f"axis {'xyz'[periodic[0]]} along the polarization {tuple(pol)} is periodic (no position operator: open it)"
    rates = driven.peierls_rates()
    if not np.any(rates):
        return "no hop has a component along the polarization"
    a_test = CHECK_PHASE / float(rates.max())
    m = op.matrix
    for s in op.segments:
        h0 = statics.get(s)
        if h0 is None:
            return f"H(0) of segment {s} is complex"
        ha = op.assemble(driven.coefficients_at(a_test, s)).data
        worst = _gauge_deviation(m.indptr, m.indices, h0.data, ha, dipole, a_test / HBAR_EV_FS)
        scale = float(np.abs(h0.data).max()) if h0.nnz else 1.0
        if worst > GAUGE_CHECK_TOL * scale:
            return f"G†H(0)G differs from H(A) by {worst:.2e} eV in segment {s} (the Peierls phases are not position differences)"
    return None


def length_gauge(op: DrivenOperator, *, statics: dict[int, sp.csr_matrix] | None = None, required: bool = False) -> LengthGauge | None:
    """The length-gauge form of ``op``'s driven steps, or None where it is not exact (module docstring).

    Parameters
    ----------
    op : DrivenOperator
        The driven model's matrices.
    statics : dict, optional
        H(0) per segment from :func:`static_matrices` (built here when not given).
    required : bool, optional
        Raise instead of returning None (``EvolutionOptions.gauge = "length"``).

    Returns
    -------
    LengthGauge or None
        None (logged) when a premise fails: no pulse, a periodic axis along the polarization, a
        complex H(0), or a failed gauge identity.

    Raises
    ------
    InputError
        When ``required`` and a premise fails, naming ``gauge`` and why.
    """
    statics = static_matrices(op) if statics is None else statics
    positions = op.driven.model.cluster.positions @ op.driven.polarization
    dipole = op.shift_diagonal(positions - positions.mean())
    assert dipole is not None  # shift_diagonal returns None only for None
    why = _premise_failure(op, statics, dipole)
    if why is not None:
        if required:
            raise InputError("gauge", "length", f"'velocity' or 'auto' here: the length gauge is not exact because {why}")
        logger.info("driven steps in the velocity gauge: the length gauge is not exact because %s", why)
        return None
    logger.info("driven steps in the length gauge (H(0) real, gauge identity checked on the matrices)")
    return LengthGauge(op, statics, dipole)


class LengthGauge:
    """H(0) per segment as real CSR, the dipole D, and the exponentials of a driven step (module docstring).

    Build it with :func:`length_gauge` (which checks the premises).

    Parameters
    ----------
    op : DrivenOperator
        The driven model's matrices (for the lattice's site shifts).
    statics : dict
        Real H(0) per quench segment (eV).
    dipole : numpy.ndarray
        Diagonal of D in e·Å per basis state.
    """

    def __init__(self, op: DrivenOperator, statics: dict[int, sp.csr_matrix], dipole: np.ndarray) -> None:
        self.op, self.statics, self.dipole = op, statics, dipole
        self._operators = {s: static_operator(m) for s, m in statics.items()}
        self._levels, self._level_of = np.unique(dipole, return_inverse=True)  # D takes few distinct values

    def phase(self, a: float) -> np.ndarray:
        """The diagonal of ``G(A) = exp(+iA D/ħ)``.

        Parameters
        ----------
        a : float
            Vector potential along the polarization in V·fs/Å.

        Returns
        -------
        numpy.ndarray
            Complex phases, one per basis state.
        """
        return np.exp((1j * a / HBAR_EV_FS) * self._levels)[self._level_of]

    def to_length(self, psi: np.ndarray, a: float) -> np.ndarray:
        """``G(A) ψ``: a velocity-gauge state in the length gauge.

        Parameters
        ----------
        psi : numpy.ndarray
            Velocity-gauge state.
        a : float
            A(t) in V·fs/Å at the state's time.

        Returns
        -------
        numpy.ndarray
            The length-gauge state (new array).
        """
        return psi * self.phase(a)

    def to_velocity(self, psi: np.ndarray, a: float) -> np.ndarray:
        """``G(A)† ψ``: a length-gauge state in the velocity gauge.

        Parameters
        ----------
        psi : numpy.ndarray
            Length-gauge state.
        a : float
            A(t) in V·fs/Å at the state's time.

        Returns
        -------
        numpy.ndarray
            The velocity-gauge state (new array).
        """
        return psi * self.phase(a).conj()

    def generator_product(self, segment: int, weight: float, diagonal: np.ndarray) -> Matvec:
        """``matvec(x, out)`` of ``weight·H(0) + diag(diagonal)`` (unscaled; for tiny weights).

        Parameters
        ----------
        segment : int
            Quench segment.
        weight : float
            Weight of H(0).
        diagonal : numpy.ndarray
            Real diagonal in eV.

        Returns
        -------
        callable
            ``matvec(x, out)`` writing the product into ``out``.
        """
        product = serial_product(self.statics[segment], np.complex128)

        def matvec(x: np.ndarray, out: np.ndarray) -> np.ndarray:
            product(x, out)
            out *= weight
            out += diagonal * x
            return out

        return matvec

    def exponentials(
        self, rows: tuple[tuple[float, ...], ...], values: NodeValues, psi: np.ndarray, h: float, ktol: float, work: KrylovWorkspace,
    ) -> tuple[np.ndarray | None, int, int]:
        """The exponentials of one step with node weights ``rows`` applied to the velocity-gauge ``psi``.

        Parameters
        ----------
        rows : tuple of tuple of float
            ``rows[i][m] = g_{im}`` in the order the exponentials act.
        values : NodeValues
            The step's node fields, site shifts, end potentials and segment.
        psi : numpy.ndarray
            Velocity-gauge state at the start of the step.
        h : float
            Step in fs.
        ktol : float
            Lanczos tolerance of each exponential (for the unscaled exponent, as in the velocity gauge).
        work : KrylovWorkspace
            Lanczos vectors.

        Returns
        -------
        tuple
            ``(psi, matvecs, most_lanczos_steps)``, ``psi`` in the velocity gauge at ``t + h``;
            None when a Lanczos exponential did not converge within ``work.m_max`` vectors.
        """
        assert values.fields is not None  # built by the integrator's node_values in the length gauge
        h0 = self._operators[values.segment]
        psi = self.to_length(psi, values.potentials[0])
        matvecs, most = 0, 0
        for weights in rows:
            w = float(sum(weights))
            diag = float(np.dot(weights, values.fields)) * self.dipole
            if values.shifts is not None:
                shift = self.op.shift_diagonal(weighted_sum(weights, values.shifts))
                assert shift is not None  # shift_diagonal of an array is an array
                diag = diag + shift
            if abs(w) > SMALL_WEIGHT:
                res = expm_lanczos(h0, psi, w * h / HBAR_EV_FS, tol=ktol / abs(w), work=work, diagonal=diag / w)
            else:
                res = expm_lanczos(self.generator_product(values.segment, w, diag), psi, h / HBAR_EV_FS, tol=ktol, work=work)
            matvecs += res.steps
            most = max(most, res.steps)
            if not res.converged:
                return None, matvecs, most
            psi = res.vector
        return self.to_velocity(psi, values.potentials[1]), matvecs, most
