r"""The Lanczos chain of one start vector (the tridiagonal ``T``) and the spectra it gives.

:func:`~localpairs.solvers.lanczos.lanczos_chain` builds the chain; the module docstring of
:mod:`~localpairs.solvers.lanczos` states the continued fraction ``G(z)`` and why its poles and
weights (Gauss quadrature) converge from the band edges. Everything here is re-exported there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.linalg import eigh_tridiagonal
from scipy.special import voigt_profile

#: FWHM of a Gaussian per standard deviation, 2√(2 ln 2).
FWHM_PER_SIGMA = 2.0 * np.sqrt(2.0 * np.log(2.0))


@dataclass(frozen=True, eq=False)
class LanczosChain:
    """The tridiagonal representation of ``H`` seen from one start vector.

    Parameters
    ----------
    alpha : numpy.ndarray
        (m,) diagonal of T in eV.
    beta : numpy.ndarray
        (m − 1,) off-diagonal of T in eV (``beta[k]`` couples steps k and k + 1).
    norm2 : float
        ``‖φ‖²``, the zeroth moment of the spectrum.
    reorthogonalized : bool, optional
        Whether full reorthogonalization was used.
    exhausted : bool, optional
        True when the Krylov space ended (the continued fraction is then exact).
    seconds : float, optional
        Wall time of the recursion in s.
    _poles : list, optional
        Internal cache of :meth:`poles`; leave it empty.
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
        """Evaluate ``G(z) = ⟨φ|(z − H)^{-1}|φ⟩`` by the continued fraction (backward recursion).

        Parameters
        ----------
        z : numpy.ndarray
            Complex energies in eV.

        Returns
        -------
        numpy.ndarray
            ``G(z)`` in 1/eV, the shape of ``z`` (zeros for an empty chain).
        """
        z = np.asarray(z, dtype=complex)
        if self.n_steps == 0:
            return np.zeros_like(z)
        g = np.zeros_like(z)
        b2 = np.append(np.abs(self.beta) ** 2, 0.0)
        for k in range(self.n_steps - 1, -1, -1):
            g = 1.0 / (z - self.alpha[k] - b2[k] * g)
        return self.norm2 * g

    def poles(self) -> tuple[np.ndarray, np.ndarray]:
        """Diagonalize T: the poles of ``G`` and their weights (Gauss quadrature).

        Returns
        -------
        energies : numpy.ndarray
            Eigenvalues of T in eV, ascending.
        weights : numpy.ndarray
            ``‖φ‖² |U_{0n}|²`` per pole (sum = ``norm2``).
        """
        if not self._poles:
            if self.n_steps == 0:
                self._poles.extend([np.zeros(0), np.zeros(0)])
            else:
                e, u = eigh_tridiagonal(self.alpha, self.beta)
                self._poles.extend([e, self.norm2 * u[0, :] ** 2])
        return self._poles[0], self._poles[1]

    def first_moment(self, e_ref: float) -> float:
        """Compute the first moment ``⟨φ|H − E_ref|φ⟩`` (exact after one step).

        Parameters
        ----------
        e_ref : float
            Reference energy E_ref in eV.

        Returns
        -------
        float
            The moment in eV (times ``norm2``); 0 for an empty chain.
        """
        return 0.0 if self.n_steps == 0 else float(self.norm2 * (self.alpha[0] - e_ref))

    def truncated(self, m: int) -> LanczosChain:
        """Cut the chain to its first ``m`` steps (for convergence checks).

        Parameters
        ----------
        m : int
            Number of steps kept (clipped to ``[0, n_steps]``).

        Returns
        -------
        LanczosChain
            The truncated chain (``exhausted`` False).
        """
        m = max(0, min(m, self.n_steps))
        return LanczosChain(self.alpha[:m].copy(), self.beta[: max(m - 1, 0)].copy(), self.norm2, self.reorthogonalized, False)

    def as_dict(self) -> dict:
        """Write the chain in a JSON-able form (for checkpoints).

        Returns
        -------
        dict
            ``alpha``, ``beta`` (eV), ``norm2``, ``reorthogonalized``, ``exhausted``.
        """
        return {"alpha": self.alpha.tolist(), "beta": self.beta.tolist(), "norm2": self.norm2, "reorthogonalized": self.reorthogonalized,
                "exhausted": self.exhausted}

    @classmethod
    def from_dict(cls, data: dict) -> LanczosChain:
        """Rebuild a chain from :meth:`as_dict`'s form.

        Parameters
        ----------
        data : dict
            The output of :meth:`as_dict`.

        Returns
        -------
        LanczosChain
            The chain.
        """
        return cls(np.asarray(data["alpha"], float), np.asarray(data["beta"], float), float(data["norm2"]), bool(data["reorthogonalized"]),
                   bool(data["exhausted"]))


def lorentzian_spectrum(chain: LanczosChain, omega: np.ndarray, *, e_ref: float, eta: float, sign: int = 1) -> np.ndarray:
    r"""Evaluate the Lorentzian-broadened spectrum of a chain by the continued fraction.

    The spectrum is ``Σ_n w_n L_η(ω − s(E_n − E_ref))`` with ``L_η(x) = (η/π)/(x² + η²)``, equal
    to ``−Im G(E_ref + s ω + iη)/π``. ``sign = s = +1``: ω is the excitation energy
    ``E_n − E_ref``; ``s = −1`` mirrors it (photoemission convention for removal spectra,
    ω = E_ref − E_n).

    Parameters
    ----------
    chain : LanczosChain
        The chain.
    omega : numpy.ndarray
        Frequencies ω in eV.
    e_ref : float
        Reference energy E_ref in eV (usually the ground-state energy).
    eta : float
        Lorentzian half width at half maximum η in eV.
    sign : int, optional
        +1 (excitation energies) or −1 (mirrored, removal spectra).

    Returns
    -------
    numpy.ndarray
        The spectrum on ``omega`` in 1/eV (times ``norm2``).
    """
    z = e_ref + sign * np.asarray(omega, dtype=float) + 1j * eta
    return -chain.greens_function(z).imag / np.pi


def pole_spectrum(
    energies: np.ndarray, weights: np.ndarray, omega: np.ndarray, *, eta: float, gaussian_fwhm: float = 0.0
) -> np.ndarray:
    """Broaden poles into ``Σ_n w_n V(ω − E_n)``: a Lorentzian convolved with a Gaussian.

    ``V`` is the normalized Voigt profile (:func:`scipy.special.voigt_profile`), the exact
    convolution of the two; ``gaussian_fwhm = 0`` gives the plain Lorentzian.

    Parameters
    ----------
    energies : numpy.ndarray
        Pole positions E_n in eV.
    weights : numpy.ndarray
        Pole weights w_n.
    omega : numpy.ndarray
        Frequencies ω in eV.
    eta : float
        Lorentzian half width at half maximum in eV.
    gaussian_fwhm : float, optional
        Gaussian full width at half maximum in eV (default 0).

    Returns
    -------
    numpy.ndarray
        The spectrum on ``omega`` in 1/eV (times the weights).
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
    """Evaluate the spectrum of ``chain`` on ``omega``.

    By the continued fraction (:func:`lorentzian_spectrum`), or as a Voigt profile from its
    poles (:func:`pole_spectrum`) when ``gaussian_fwhm > 0``.

    Parameters
    ----------
    chain : LanczosChain
        The chain.
    omega : numpy.ndarray
        Frequencies ω in eV.
    e_ref : float
        Reference energy E_ref in eV.
    eta : float
        Lorentzian half width at half maximum in eV.
    gaussian_fwhm : float, optional
        Gaussian full width at half maximum in eV (default 0: pure Lorentzian).
    sign : int, optional
        +1 (excitation energies ``E_n − E_ref``) or −1 (mirrored).

    Returns
    -------
    numpy.ndarray
        The spectrum on ``omega`` in 1/eV (times ``norm2``).
    """
    if gaussian_fwhm <= 0.0:
        return lorentzian_spectrum(chain, omega, e_ref=e_ref, eta=eta, sign=sign)
    energies, weights = chain.poles()
    return pole_spectrum(sign * (energies - e_ref), weights, omega, eta=eta, gaussian_fwhm=gaussian_fwhm)
