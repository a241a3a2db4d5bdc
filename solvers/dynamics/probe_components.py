r"""Frequency components of a probed wavepacket and the rules that size their computation.

Used by :mod:`~localpairs.solvers.dynamics.finite_probe`: the probed core-excited wavepacket
``φ(t_k)`` (columns, uniform step h) is split into frequency components by one FFT of M points
(:func:`frequency_components`); M is set by the periodization bound :func:`fft_length`; light
components are dropped by :func:`kept`; each kept component's Lanczos chain stops when its
Lorentzian spectrum has converged (:class:`SpectrumConvergence`, the ``until`` rule of
:func:`~localpairs.solvers.lanczos.lanczos_chain`).

Why these three sizes and not fixed ones (measured on the pumped 2×2×2 cube, probe FWHM 10 fs,
h = 0.2 fs, Γ = 0.2 eV, one channel at delay 100 fs):

- FFT length. The number of components kept grows ∝ M. The first rule ("window": whole window
  plus ħ ln(1/tol)/Γ, rounded to a power of two) gave M = 1024; the periodization images of a
  pair (k, l) are also weighted by the probe envelope ``s_k s_l``, which is already ≤ 1e-10 where
  ``|t_k − t_l| ≳ 40 fs``: the envelope rule gives M = 539 for the same bound (3,640 → 1,920 kept
  components over the 8 channels).
- Chain length. The error of a component's spectrum after m steps falls ~10× per 30 steps
  (1e-3 of its peak at 60 steps, 1.5e-6 at 150): the heavy components need the 150 steps, the
  light ones (weights down to 1e-10 of the total) do not. Stopping each chain when its spectrum
  moves by ≤ ``tol`` × (the channel's peak bound Σ‖φ̃_j‖² du/πΓ) between checks 10 steps apart
  halved the products (70,050 → 34,940) at a channel difference of 7e-7 of its peak against the
  fixed 150 steps, the size of the fixed chains' own error (6e-7 against 300 steps).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.fft

from localpairs.units import HBAR_EV_FS

#: Rules for the FFT length (:func:`fft_length`): envelope-weighted bound (default) or the whole window plus the kernel's decay.
FFT_PADDINGS = ("envelope", "window")
#: Steps between two convergence checks of a chain, and the first check.
CHECK_EVERY, FIRST_CHECK = 10, 20
#: Convergence checks sample ω with spacing ≥ Γ × this (the spectra are smooth on the scale Γ).
CHECK_SPACING_GAMMA = 0.25


def fft_length(phi_norms: np.ndarray, *, h: float, Gamma: float, tol: float, padding: str = "envelope") -> int:
    """Number M of FFT points (period ``M h`` of the kernel in ``t_1 − t_2``) bounding the periodization error by ``tol``.

    ``"envelope"``: the images of the pair (k, l) are damped by ``e^{−Γ(|m| M h − |t_k − t_l|)/ħ}`` and
    weighted by ``‖φ_k‖‖φ_l‖``; their sum over pairs and images m ≠ 0, relative to the equal-time
    sum ``Σ_k ‖φ_k‖²``, is ``2q/(1 − q) S`` with ``q = e^{−ΓMh/ħ}`` and
    ``S = Σ_{k,l} ‖φ_k‖‖φ_l‖ e^{Γ|t_k − t_l|/ħ} / Σ_k ‖φ_k‖²``; M is the smallest fast FFT length
    with ``2q/(1 − q) S ≤ tol`` (and ``M ≥ n_t``). A probe envelope keeps S small: distant pairs are light.
    ``"window"`` (the first implementation): the whole window plus ``ħ ln(1/tol)/Γ``, rounded up to
    a power of two (a multiple of 1024 from 4096 on), whatever the envelope.

    Parameters
    ----------
    phi_norms : numpy.ndarray
        ``‖φ_k‖`` on the time grid.
    h : float
        Time step (fs).
    Gamma : float
        Lorentzian half width (eV).
    tol : float
        Bound on the periodization error (relative).
    padding : str
        ``"envelope"`` or ``"window"``.

    Returns
    -------
    int
        M.
    """
    n_t = phi_norms.size
    if padding == "window":
        m = n_t + math.ceil(HBAR_EV_FS * math.log(1.0 / tol) / Gamma / h)
        return int(2 ** math.ceil(math.log2(m))) if m < 4096 else m + (-m) % 1024
    lags = np.arange(-(n_t - 1), n_t)
    pairs = np.correlate(phi_norms, phi_norms, mode="full") * np.exp(Gamma * np.abs(lags) * h / HBAR_EV_FS)
    weight = float(np.sum(pairs) / max(float(phi_norms @ phi_norms), np.finfo(float).tiny))
    period = HBAR_EV_FS / Gamma * math.log((2.0 * weight + tol) / tol)
    return int(scipy.fft.next_fast_len(max(n_t, math.ceil(period / h))))


def frequency_components(phi: np.ndarray, *, h: float, m: int) -> tuple[np.ndarray, np.ndarray]:
    """``φ̃(ν_j) = h Σ_k e^{iν_j t_k/ħ} φ_k`` (up to a phase per j) on ``m`` FFT points, and ``ν_j`` (eV).

    Parameters
    ----------
    phi : numpy.ndarray
        ``(dim, n_t)``: the columns are the times.
    h : float
        Time step (fs).
    m : int
        FFT length (≥ n_t; zero padded).

    Returns
    -------
    tuple of numpy.ndarray
        ``(dim, m)`` components and the ``(m,)`` frequencies ν_j (eV).
    """
    spectrum = scipy.fft.ifft(phi, n=m, axis=1) * (m * h)
    nu = 2.0 * math.pi * HBAR_EV_FS * np.fft.fftfreq(m, d=h)
    return spectrum, nu


def kept(weights: np.ndarray, tol: float) -> np.ndarray:
    """Indices of the heaviest components; the dropped ones sum to at most ``tol`` × total.

    Parameters
    ----------
    weights : numpy.ndarray
        Non-negative weights.
    tol : float
        Largest dropped fraction of the total.

    Returns
    -------
    numpy.ndarray
        Sorted indices kept.
    """
    order = np.argsort(weights)
    dropped = np.cumsum(weights[order]) <= tol * weights.sum()
    return np.sort(order[~dropped])


def check_points(omega: np.ndarray, Gamma: float) -> np.ndarray:
    """A subset of ``omega`` with spacing ≥ :data:`CHECK_SPACING_GAMMA` × Γ (all of it if coarser).

    Parameters
    ----------
    omega : numpy.ndarray
        Energies (eV).
    Gamma : float
        Lorentzian half width (eV).

    Returns
    -------
    numpy.ndarray
        The check energies (eV), sorted.
    """
    grid = np.unique(omega)
    step = CHECK_SPACING_GAMMA * Gamma
    idx = np.searchsorted(grid, np.arange(grid[0], grid[-1] + step, step))
    return grid[np.unique(np.clip(idx, 0, grid.size - 1))]


class SpectrumConvergence:
    """Stopping rule of continued-fraction chains: the Lorentzian spectrum has converged.

    Every :data:`CHECK_EVERY` steps from :data:`FIRST_CHECK` on, ``−Im G(z)/π`` of the chain so far
    (``norm2`` times the continued fraction) is compared at ``z`` with the previous check; the
    chain stops when it moved by at most ``tol`` (absolute, the spectrum's units). The fraction is
    evaluated forward (Wallis: convergents ``A_n/B_n`` updated once per step, rescaled by ``|B_n|``),
    so a check costs no re-evaluation of the whole fraction.

    One rule serves one chain (called as ``until(alpha, beta)`` by
    :func:`~localpairs.solvers.lanczos.lanczos_chain`) or J chains advanced together
    (:func:`~localpairs.solvers.dynamics.parallel_chains.parallel_chains`: :meth:`step`,
    :meth:`converged`, :meth:`select`).

    Parameters
    ----------
    z
        Complex energies (eV) of the check: ``(n_z,)`` for one chain, ``(n_z, J)`` for J chains.
    norm2
        ``‖φ‖²`` of the chain's start vector (or ``(J,)``).
    tol
        Largest change of the spectrum (1/eV, absolute) between two checks of a converged chain.
    """

    def __init__(self, z: np.ndarray, *, norm2: float | np.ndarray, tol: float) -> None:
        z = np.asarray(z, dtype=complex)
        self.z = z[:, None] if z.ndim == 1 else z
        self.norm2 = np.broadcast_to(np.asarray(norm2, dtype=float), self.z.shape[1:]).copy()
        self.tol = float(tol)
        self.previous: np.ndarray | None = None
        self.n = 0  # convergents A_n/B_n processed
        self.a_prev, self.a = np.ones_like(self.z), np.zeros_like(self.z)
        self.b_prev, self.b = np.zeros_like(self.z), np.ones_like(self.z)

    def greens_function(self) -> np.ndarray:
        """``norm2 × A_n/B_n``: the chains' ``⟨φ|(z − H)^{-1}|φ⟩`` after the steps seen so far (``z``'s shape).

        Returns
        -------
        numpy.ndarray
            ``(n_z,)`` for one chain, ``(n_z, J)`` for J chains.
        """
        g = self.norm2 * self.a / self.b
        return g[:, 0] if g.shape[1] == 1 else g

    def step(self, alpha: np.ndarray, beta_previous: np.ndarray | None) -> None:
        """Take one more step of every chain: its ``α_n`` and the ``β_{n−1}`` before it (None at the first step).

        Parameters
        ----------
        alpha
            ``(J,)`` diagonal coefficients of this step (eV).
        beta_previous
            ``(J,)`` off-diagonal coefficients of the previous step (eV), None at the first step.
        """
        factor = self.z - alpha
        partial = 1.0 if beta_previous is None else -np.asarray(beta_previous) ** 2
        a, b = factor * self.a + partial * self.a_prev, factor * self.b + partial * self.b_prev
        scale = 1.0 / np.abs(b)
        self.a_prev, self.b_prev, self.a, self.b = self.a * scale, self.b * scale, a * scale, b * scale
        self.n += 1

    def converged(self) -> np.ndarray:
        """Which chains have converged: all False except at a check step (every :data:`CHECK_EVERY` from :data:`FIRST_CHECK`).

        Returns
        -------
        numpy.ndarray
            ``(J,)`` booleans.
        """
        if self.n < FIRST_CHECK or self.n % CHECK_EVERY:
            return np.zeros(self.z.shape[1], dtype=bool)
        curve = -(self.norm2 * self.a / self.b).imag / math.pi
        done = np.zeros(curve.shape[1], dtype=bool) if self.previous is None else np.abs(curve - self.previous).max(axis=0) <= self.tol
        self.previous = curve
        return done

    def select(self, keep: np.ndarray) -> None:
        """Keep only the chains ``keep`` (booleans over the current chains) from now on.

        Parameters
        ----------
        keep
            ``(J,)`` booleans.
        """
        self.z, self.norm2 = self.z[:, keep], self.norm2[keep]
        self.a_prev, self.a, self.b_prev, self.b = (x[:, keep] for x in (self.a_prev, self.a, self.b_prev, self.b))
        if self.previous is not None:
            self.previous = self.previous[:, keep]

    def __call__(self, alpha: np.ndarray, beta: np.ndarray) -> bool:
        """The ``until`` rule of one chain: catch up with ``alpha[:m]``, ``beta[:m − 1]`` and check.

        Parameters
        ----------
        alpha, beta
            The chain's coefficients so far (eV).

        Returns
        -------
        bool
            Whether the chain has converged.
        """
        for n in range(self.n, alpha.size):
            self.step(alpha[n : n + 1], None if n == 0 else beta[n - 1 : n])
        return bool(self.converged()[0])
