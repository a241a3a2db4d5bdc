r"""The Lanczos recursion of the package (:func:`lanczos_recursion`) and continued fractions for spectra.

Continued-fraction spectra (:func:`lanczos_chain`), Krylov exponentials
(:mod:`~localpairs.solvers.dynamics.krylov`) and optical transitions all run :func:`lanczos_recursion`.

For a start vector ``|φ⟩ = O|ψ⟩`` and a Hermitian matrix ``H`` the recursion builds the
tridiagonal matrix ``T`` (diagonal ``α``, off-diagonal ``β``) of ``H`` in the Krylov space of
``|φ⟩``, and

.. math::

    G(z) = \langle φ|(z - H)^{-1}|φ\rangle
         = \cfrac{\|φ\|^2}{z - α_0 - \cfrac{β_1^2}{z - α_1 - \cfrac{β_2^2}{z - α_2 - \dots}}}

is evaluated as a continued fraction. The poles and weights of the same ``G`` are the
eigenvalues of ``T`` and ``‖φ‖² |U_{0n}|²`` (Gauss quadrature): ``2m − 1`` spectral moments are
exact after ``m`` steps, so band edges and well separated peaks converge fastest.

Reorthogonalization
-------------------
In floating point the Lanczos vectors lose orthogonality once a Ritz value converges, and the
plain recursion then produces copies ("ghosts") of converged poles. The copies share the weight
of the pole they copy (Paige; Greenbaum), so broadened spectra and moments stay correct: the
plain three-term recursion is the standard Haydock method and costs one matrix–vector product
plus five vector passes per step. Full reorthogonalization (classical Gram–Schmidt, applied
twice) keeps every vector and costs ``4 k·dim`` operations at step k, against about ``15 dim``
for the matrix–vector product: at 150 steps it is 40× the cost of the recursion. It is the
default only where it is cheap in absolute terms: when ``m² × dim ≤`` :data:`FULL_REORTH_BUDGET`
with ``m = min(steps, dim)``. That covers sectors up to ~400 states run to exhaustion (the
Krylov space then ends cleanly and the continued fraction is exact, as the tests require).
Pass ``reorthogonalize`` to choose.

Vector operations are two fused single-threaded numba passes per step (``w −= β v_prev`` with
Re⟨v|w⟩; then ``w −= α v`` with ``‖w‖²``): on a machine shared with other jobs, threaded BLAS
calls (``numpy.vdot``, ``axpy``) next to QuSpin's OpenMP kernel cost 5–13 ms each at 4 × 10⁵
states, against 0.3 ms for a plain pass.

Matrix–vector products: from :data:`PARALLEL_MATVEC_MIN_DIM` states on, QuSpin's OpenMP kernel
(``quspin.tools.misc.get_matvec_function``) accumulates ``H v`` into the vector that already
holds ``−β v_prev`` (no temporaries); below it a single-threaded kernel (:mod:`~localpairs.solvers.matvec`) writes ``H v``
in place (on a machine shared with other jobs the OpenMP kernel was 80× slower than SciPy at
4,000 states; a real H with complex vectors is not upcast). A ``matvec(x, out)`` callable is used as given.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeAlias, cast

import numba
import numpy as np
import scipy.sparse as sp
from scipy.linalg import eigh_tridiagonal
from scipy.special import voigt_profile

from localpairs.errors import require
from localpairs.solvers.matvec import serial_product

#: β_k below this fraction of the largest |α|, β seen so far ends the recursion: the Krylov space
#: is exhausted. Dropping the rest of the fraction changes G by O(β²/η²) ≈ 1e-20 relative.
BREAKDOWN_TOL = 1e-10
#: Full reorthogonalization by default when ``min(steps, dim)² × dim`` is at most this (≲ 0.5 s).
FULL_REORTH_BUDGET = 70_000_000
#: Dimension from which QuSpin's OpenMP matrix–vector kernel is used (QUSPIN.md: threads help above ~1e5).
PARALLEL_MATVEC_MIN_DIM = 100_000
#: FWHM of a Gaussian per standard deviation, 2√(2 ln 2).
FWHM_PER_SIGMA = 2.0 * np.sqrt(2.0 * np.log(2.0))


@dataclass(frozen=True, eq=False)
class LanczosChain:
    """The tridiagonal representation of ``H`` seen from one start vector.

    Attributes
    ----------
    alpha
        (m,) diagonal of T in eV.
    beta
        (m − 1,) off-diagonal of T in eV (``beta[k]`` couples steps k and k + 1).
    norm2
        ``‖φ‖²``, the zeroth moment of the spectrum.
    reorthogonalized
        Whether full reorthogonalization was used.
    exhausted
        True when the Krylov space ended (the continued fraction is then exact).
    seconds
        Wall time of the recursion.
    """

    alpha: np.ndarray
    beta: np.ndarray
    norm2: float
    reorthogonalized: bool = False
    exhausted: bool = False
    seconds: float = 0.0
    _poles: list = field(default_factory=list, repr=False)

    @property
    def n_steps(self) -> int:
        """Number of Lanczos steps m (0 for a zero start vector)."""
        return len(self.alpha)

    def greens_function(self, z: np.ndarray) -> np.ndarray:
        """``⟨φ|(z − H)^{-1}|φ⟩`` by the continued fraction (backward recursion), for complex ``z``."""
        z = np.asarray(z, dtype=complex)
        if self.n_steps == 0:
            return np.zeros_like(z)
        g = np.zeros_like(z)
        b2 = np.append(np.abs(self.beta) ** 2, 0.0)
        for k in range(self.n_steps - 1, -1, -1):
            g = 1.0 / (z - self.alpha[k] - b2[k] * g)
        return self.norm2 * g

    def poles(self) -> tuple[np.ndarray, np.ndarray]:
        """Poles (eigenvalues of T, eV, ascending) and their weights (sum = ``norm2``)."""
        if not self._poles:
            if self.n_steps == 0:
                self._poles.extend([np.zeros(0), np.zeros(0)])
            else:
                e, u = eigh_tridiagonal(self.alpha, self.beta)
                self._poles.extend([e, self.norm2 * u[0, :] ** 2])
        return self._poles[0], self._poles[1]

    def first_moment(self, e_ref: float) -> float:
        """``⟨φ|H − E_ref|φ⟩`` in eV (exact after one step)."""
        return 0.0 if self.n_steps == 0 else float(self.norm2 * (self.alpha[0] - e_ref))

    def truncated(self, m: int) -> LanczosChain:
        """The chain of the first ``m`` steps (for convergence checks)."""
        m = max(0, min(m, self.n_steps))
        return LanczosChain(self.alpha[:m].copy(), self.beta[: max(m - 1, 0)].copy(), self.norm2, self.reorthogonalized, False)

    def as_dict(self) -> dict:
        """JSON-able form (for checkpoints)."""
        return {"alpha": self.alpha.tolist(), "beta": self.beta.tolist(), "norm2": self.norm2, "reorthogonalized": self.reorthogonalized,
                "exhausted": self.exhausted}

    @classmethod
    def from_dict(cls, data: dict) -> LanczosChain:
        """Inverse of :meth:`as_dict`."""
        return cls(np.asarray(data["alpha"], float), np.asarray(data["beta"], float), float(data["norm2"]), bool(data["reorthogonalized"]),
                   bool(data["exhausted"]))


@numba.njit(cache=True)
def _real_dot(v, w):  # pragma: no cover - compiled
    """Re ⟨v|w⟩ in one single-threaded pass."""
    s = 0.0
    for i in range(v.size):
        s += (np.conj(v[i]) * w[i]).real
    return s


@numba.njit(cache=True)
def _residual_dot(w, v_prev, beta, v, diag):  # pragma: no cover - compiled
    """w ← (w − β v_prev) + diag·v (``diag`` empty: no diagonal) and return Re ⟨v|w⟩, in one pass."""
    s = 0.0
    if diag.size:
        for i in range(v.size):
            w[i] = (w[i] - beta * v_prev[i]) + diag[i] * v[i]
            s += (np.conj(v[i]) * w[i]).real
    else:
        for i in range(v.size):
            w[i] = w[i] - beta * v_prev[i]
            s += (np.conj(v[i]) * w[i]).real
    return s


@numba.njit(cache=True)
def _axpy_norm2(a, v, w):  # pragma: no cover - compiled
    """w ← w − a v and return ‖w‖², fused in one single-threaded pass."""
    s = 0.0
    for i in range(v.size):
        w[i] -= a * v[i]
        s += w[i].real ** 2 + w[i].imag ** 2
    return s


#: ``matvec(x, out)`` writes ``H x`` into ``out`` (and returns it).
Matvec = Callable[[np.ndarray, np.ndarray], np.ndarray]
Operator: TypeAlias = "sp.spmatrix | Matvec"


def _residual_step(operator: Operator, start: np.ndarray, diagonal: np.ndarray | None) -> Callable[[np.ndarray, np.ndarray, float, np.ndarray], float]:
    """``step(v, v_prev, β, w)``: leaves ``w = H v − β v_prev (+ diag v)`` and returns ``Re⟨v|w⟩``.

    A CSR matrix from :data:`PARALLEL_MATVEC_MIN_DIM` states on accumulates QuSpin's OpenMP
    product into ``w = −β v_prev`` (``w`` may be ``v_prev``'s buffer); otherwise ``H v`` is
    written into ``w`` (SciPy's serial CSR kernel, or the callable) and one fused pass subtracts
    ``β v_prev``, adds the diagonal and takes the product. ``w`` must not alias ``v_prev`` then.
    """
    diag = np.zeros(0) if diagonal is None else np.asarray(diagonal, dtype=float)
    if not sp.issparse(operator):
        matvec = cast(Matvec, operator)

        def step_matvec(v, v_prev, beta, w):
            matvec(v, w)
            return _residual_dot(w, v_prev, beta, v, diag)
        return step_matvec
    matrix, dim = cast("sp.spmatrix", operator).tocsr(), start.size
    if dim >= PARALLEL_MATVEC_MIN_DIM:
        from quspin.tools.misc import get_matvec_function

        kernel = get_matvec_function(matrix)

        def step_openmp(v, v_prev, beta, w):
            np.multiply(v_prev, -beta, out=w)
            kernel(matrix, v, out=w, overwrite_out=False)
            if diag.size:
                w += diag * v
            return _real_dot(v, w)
        return step_openmp

    product = serial_product(matrix, start.dtype)  # a real matrix with complex vectors: no complex copy of its values

    def step_serial(v, v_prev, beta, w):
        product(v, w)
        return _residual_dot(w, v_prev, beta, v, diag)
    return step_serial


def lanczos_recursion(
    operator: Operator,
    start: np.ndarray,
    *,
    m_max: int,
    vectors: np.ndarray | None = None,
    reorthogonalize: bool = False,
    breakdown_tol: float = BREAKDOWN_TOL,
    diagonal: np.ndarray | None = None,
) -> Iterator[tuple[int, np.ndarray, np.ndarray, bool]]:
    """The Lanczos recursion of a Hermitian ``H`` from a unit vector: the one every solver uses.

    Step j: ``w = H v_j − β_{j−1} v_{j−1}``, ``α_j = Re⟨v_j|w⟩``, ``w −= α_j v_j``,
    ``β_j = ‖w‖``, ``v_{j+1} = w/β_j``. Yields ``(j, alpha, beta, invariant)`` after each step:
    ``alpha[:j+1]`` and ``beta[:j+1]`` are valid (``beta[j]`` the residual norm);
    ``invariant`` when ``β_j ≤ breakdown_tol × max(|α|, β seen)`` (Krylov space exhausted;
    ``v_{j+1}`` is then not formed and the caller must stop). At most ``m_max`` steps.

    Cost model: one matrix–vector product and two fused single-threaded vector passes per step
    (the module docstring says why not BLAS). Memory: three vectors of ``dim``, or
    ``vectors`` (``(m_max + 1, dim)``, caller-owned) when the Lanczos vectors are kept (Krylov
    exponentials; required for ``reorthogonalize``, which adds classical Gram–Schmidt against
    every kept vector, twice: ``4 j·dim`` operations at step j).

    Parameters
    ----------
    operator
        A Hermitian sparse matrix, or ``matvec(x, out)`` writing ``H x`` into ``out``.
    start
        The normalized start vector; its dtype (or ``vectors``') is the vectors' dtype.
    diagonal
        Optional real vector added to the diagonal of ``H`` (e.g. a core-hole potential).
    """
    require(not reorthogonalize or vectors is not None, "vectors", None, "an (m_max + 1, dim) array when reorthogonalize is set")
    step = _residual_step(operator, start, diagonal)
    kept = vectors is not None
    if vectors is None:
        vectors = np.empty((3, start.size), dtype=start.dtype)  # v_{j−1}, v_j, v_{j+1}, cycled
    vectors[0] = start
    alpha, beta = np.zeros(m_max), np.zeros(m_max)
    scale = 0.0
    for j in range(m_max):
        v, w = vectors[j if kept else j % 3], vectors[j + 1 if kept else (j + 1) % 3]
        v_prev = vectors[j - 1 if kept else (j - 1) % 3] if j else v
        a = step(v, v_prev, beta[j - 1] if j else 0.0, w)
        b2 = _axpy_norm2(a, v, w)
        if reorthogonalize:
            done = vectors[: j + 1]
            for _ in range(2):  # classical Gram–Schmidt, twice; ⟨v_i|w⟩ = conj(v_i^T conj(w))
                w -= (done @ w.conj()).conj() @ done
            b2 = float(np.vdot(w, w).real)
        b = float(np.sqrt(b2))
        alpha[j], beta[j] = a, b
        scale = max(scale, abs(a), b)
        invariant = b <= breakdown_tol * scale
        if not invariant:
            w *= 1.0 / b
        yield j, alpha, beta, invariant


def lanczos_chain(
    operator: Operator,
    phi: np.ndarray,
    *,
    n_steps: int,
    diagonal: np.ndarray | None = None,
    reorthogonalize: bool | None = None,
    until: Callable[[np.ndarray, np.ndarray], bool] | None = None,
) -> LanczosChain:
    """The :class:`LanczosChain` of ``operator (+ diag(diagonal))`` from ``phi`` (:func:`lanczos_recursion`).

    Parameters
    ----------
    operator
        Hermitian sparse matrix (CSR), real or complex, or ``matvec(x, out)``.
    phi
        Start vector (not necessarily normalized; a zero vector gives an empty chain).
    n_steps
        Largest number of steps; fewer when the Krylov space is exhausted.
    diagonal
        Optional real vector added to the diagonal (e.g. a core-hole potential).
    reorthogonalize
        Full reorthogonalization; default: when ``min(n_steps, dim)² × dim ≤``
        :data:`FULL_REORTH_BUDGET` (see the module docstring).
    until
        Optional stopping rule ``until(alpha, beta) → bool`` called after each step with the
        coefficients so far (``alpha[:m]``, ``beta[:m − 1]``): True ends the chain there (e.g. a
        converged spectrum); ``n_steps`` stays the cap.
    """
    require(isinstance(n_steps, (int, np.integer)) and n_steps >= 1, "n_steps", n_steps, "an integer ≥ 1")
    start = time.perf_counter()
    phi = np.asarray(phi)
    dim = phi.size
    if sp.issparse(operator):
        rows = cast("sp.spmatrix", operator).shape[0]
        require(phi.shape == (rows,), "phi", phi.shape, f"a vector of length {rows} (the sector dimension)")
    dtype = np.result_type(getattr(operator, "dtype", phi.dtype), phi.dtype, np.float64)
    norm = float(np.linalg.norm(phi))
    if norm == 0.0:
        return LanczosChain(np.zeros(0), np.zeros(0), 0.0, seconds=time.perf_counter() - start)
    m_max = int(min(n_steps, dim))
    full = m_max**2 * dim <= FULL_REORTH_BUDGET if reorthogonalize is None else bool(reorthogonalize)
    vectors = np.empty((m_max + 1, dim), dtype=dtype) if full else None
    m, exhausted = 0, False
    # alpha, beta are the recursion's coefficient buffers, read after the loop
    for j, alpha, beta, invariant in lanczos_recursion(operator, (phi / norm).astype(dtype), m_max=m_max, vectors=vectors,
                                                       reorthogonalize=full, diagonal=diagonal):
        m = j + 1
        if j == m_max - 1 or invariant:
            exhausted = invariant if j < m_max - 1 else (full and j == dim - 1)
            break
        if until is not None and until(alpha[:m], beta[: m - 1]):
            break
    return LanczosChain(alpha=alpha[:m].copy(), beta=beta[: m - 1].copy(), norm2=norm**2, reorthogonalized=full,
                        exhausted=exhausted, seconds=time.perf_counter() - start)


def lorentzian_spectrum(chain: LanczosChain, omega: np.ndarray, *, e_ref: float, eta: float, sign: int = 1) -> np.ndarray:
    r"""``Σ_n w_n L_η(ω − s(E_n − E_ref))`` with ``L_η(x) = (η/π)/(x² + η²)``, by the continued fraction.

    ``sign = s = +1``: ω is the excitation energy ``E_n − E_ref``; ``s = −1`` mirrors it
    (photoemission convention for removal spectra, ω = E_ref − E_n). Equals
    ``−Im G(E_ref + s ω + iη)/π``.
    """
    z = e_ref + sign * np.asarray(omega, dtype=float) + 1j * eta
    return -chain.greens_function(z).imag / np.pi


def pole_spectrum(
    energies: np.ndarray, weights: np.ndarray, omega: np.ndarray, *, eta: float, gaussian_fwhm: float = 0.0
) -> np.ndarray:
    """``Σ_n w_n V(ω − E_n)``: Lorentzian (HWHM ``eta``) convolved with a Gaussian of FWHM ``gaussian_fwhm``.

    ``V`` is the normalized Voigt profile (:func:`scipy.special.voigt_profile`), the exact
    convolution of the two; ``gaussian_fwhm = 0`` gives the plain Lorentzian.
    """
    omega = np.asarray(omega, dtype=float)
    out = np.zeros_like(omega)
    sigma = gaussian_fwhm / FWHM_PER_SIGMA
    for e, w in zip(energies, weights):
        if w != 0.0:
            out += w * voigt_profile(omega - e, sigma, eta)
    return out


def broadened_spectrum(
    chain: LanczosChain,
    omega: np.ndarray,
    *,
    e_ref: float,
    eta: float,
    gaussian_fwhm: float = 0.0,
    sign: int = 1,
) -> np.ndarray:
    """The spectrum of ``chain`` on ``omega``: continued fraction, or Voigt from its poles if ``gaussian_fwhm > 0``."""
    if gaussian_fwhm <= 0.0:
        return lorentzian_spectrum(chain, omega, e_ref=e_ref, eta=eta, sign=sign)
    energies, weights = chain.poles()
    return pole_spectrum(sign * (energies - e_ref), weights, omega, eta=eta, gaussian_fwhm=gaussian_fwhm)
