r"""Transient O K-edge XAS of a pumped state on one fixed photon-energy axis.

The one pump → XAS pipeline of the package, used by the pump study (a probe called during the
evolution, :class:`TransientXasProbe`) and by the XFEL study (:func:`split_xas` on the states at
the delays). Peak finding is not done here (:mod:`localpairs.analysis.xas_peaks`).

Energy axis
-----------
The XAS of the initial state ψ0 (energy E_0) fixes the offset once (:func:`ground_offset`: a
chosen feature of XAS[ψ0; E_0] is put at a target photon energy, e.g. the measured pre-edge
peak); every later spectrum shares that offset and the photon energies ``omega``.

Each part from its own energy
-----------------------------
Write a pumped state ψ = c_0 ψ_0 + χ with χ ⟂ ψ_0 and α = ‖χ‖²
(:func:`~localpairs.solvers.spectra.xas.excited_part`). A probe longer than the beat period
between ψ_0 and χ (2πħ/ħω ≈ 2 fs) averages their interference out, and the long-probe limit of the
two-time formula (Chen et al., PRB 99, 104306 (2019); notes/PHYSICS.md) measures every
eigencomponent from its own energy:

.. math:: XAS(ω) = (1 − α)\, I[ψ_0; E_0](ω) + α\, I[\hat χ; \bar E_χ](ω),
          \qquad ΔXAS = α\,(I[\hat χ; \bar E_χ] − I[ψ_0; E_0]),
          \qquad \bar E_χ = ⟨\hat χ|H_χ|\hat χ⟩,

with I[φ; E](ω) the XAS of the normalized φ with reference energy E
(:func:`~localpairs.solvers.spectra.xas.xas`) and H_χ the static Hamiltonian in which the excited
part is measured (the model's H, or e.g. a relaxed lattice's). One reference energy for the
whole excited part is exact for the components within its spread
σ_χ = (⟨H²⟩_χ − \bar E_χ²)^{1/2}, returned so the approximation can be judged (σ_χ ≪ Γ: exact
to the broadening). Measuring all of ψ from E_0 instead would put the excited lines too high by
their excitation energy (kept as ``energy_reference = "ground"`` of the probe, for comparison).

Time-resolved probe
-------------------
:class:`TransientXasProbe` is a ``probe(t, psi)`` for
:func:`~localpairs.solvers.dynamics.trajectory.run_trajectory`: a sudden (instantaneous) probe
of ψ(t) with the static Hamiltonian at A = 0 in force at t (after a quench, the quenched model,
whose ψ_0 is no longer stationary: all of ψ(t) is then measured from its own mean energy).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import xarray as xr

from localpairs.solvers.hilbert.sector import Sector
from localpairs.solvers.spectra.spectral_functions import SectorCache
from localpairs.solvers.spectra.xas import DEFAULT_GAMMA, DEFAULT_XAS_STEPS, excited_part, xas

#: Below this excited weight α the state is the ground state to round-off (‖χ‖ ~ 1e-7 is noise):
#: its XAS is the ground-state XAS, the excited part is not computed.
EXCITED_FLOOR = 1e-14

EnergyReference = Literal["split", "ground"]


@dataclass(frozen=True)
class XasSettings:
    """Settings of one O K-edge XAS (:func:`~localpairs.solvers.spectra.xas.xas`).

    ``U_c`` core-hole potential (eV, < 0 attracts), ``Gamma`` Lorentzian half width (eV),
    ``gaussian_fwhm`` resolution (eV), ``coherence`` and ``use_symmetry`` as in ``xas``,
    ``n_steps`` Lanczos steps per channel.
    """

    U_c: float
    Gamma: float = DEFAULT_GAMMA
    gaussian_fwhm: float = 0.0
    coherence: str = "incoherent"
    use_symmetry: bool = True
    n_steps: int = DEFAULT_XAS_STEPS


def state_xas(cache: SectorCache, sec: Sector, psi: np.ndarray, omega: np.ndarray, settings: XasSettings, *,
              offset: float, e_ref: float | None = None) -> xr.Dataset:
    """XAS of ``psi`` in the model of ``cache`` (reference ``e_ref``, default ⟨ψ|H|ψ⟩), as :func:`xas`."""
    s = settings
    return xas(cache.model, sec, psi, omega, U_c=s.U_c, Gamma=s.Gamma, gaussian_fwhm=s.gaussian_fwhm, offset=offset,
               coherence=s.coherence, use_symmetry=s.use_symmetry, e_ref=e_ref, n_steps=s.n_steps, cache=cache)


def ground_offset(cache: SectorCache, sec: Sector, psi0: np.ndarray, settings: XasSettings, *, e_ground: float,
                  grid: np.ndarray, target: float, feature: Callable[[np.ndarray, np.ndarray], float]) -> float:
    """Offset (eV) that puts ``feature`` of the XAS of ψ0 (reference ``e_ground``) at ``target``.

    Parameters
    ----------
    cache, sec, psi0, settings
        The model, sector and initial state, and the XAS settings.
    e_ground
        E_0 in eV, the reference energy of ψ0.
    grid
        Photon energies (eV, offset 0) on which the feature is located.
    target
        Photon energy (eV) at which the feature is placed (e.g. the measured pre-edge peak).
    feature
        ``feature(grid, xas) -> energy`` on the grid, e.g. the maximum or the lowest strong peak
        (:mod:`localpairs.analysis.xas_peaks`).
    """
    located = state_xas(cache, sec, psi0, grid, settings, offset=0.0, e_ref=e_ground)["total"].values
    return float(target - feature(grid, located))


def own_reference_xas(cache: SectorCache, sec: Sector, phi: np.ndarray, omega: np.ndarray, settings: XasSettings, *,
                      offset: float) -> tuple[np.ndarray, float, float]:
    """XAS of the normalized ``phi`` measured from its own mean energy, that energy and its spread (eV).

    Returns
    -------
    tuple
        ``(xas, mean, spread)``: I[φ; ⟨φ|H|φ⟩](ω), ⟨φ|H|φ⟩ and (⟨φ|H²|φ⟩ − ⟨φ|H|φ⟩²)^{1/2}, with H
        the Hamiltonian of ``cache``.
    """
    hphi = cache.matrix(sec) @ phi
    mean = float(np.vdot(phi, hphi).real)
    spread = float(np.sqrt(max(0.0, np.vdot(hphi, hphi).real - mean**2)))
    total = state_xas(cache, sec, phi, omega, settings, offset=offset, e_ref=mean)["total"].values
    return np.asarray(total, dtype=float), mean, spread


@dataclass(frozen=True)
class SplitXas:
    """XAS of a pumped state split into its ground part and its excited part (module docstring).

    ``alpha`` = ‖χ‖²; ``ground`` = I[ψ0; E0]; ``excited`` = I[χ̂; Ē_χ] (the ground spectrum when
    α < :data:`EXCITED_FLOOR`); ``excited_energy`` = Ē_χ = ⟨χ̂|H_χ|χ̂⟩ (eV);
    ``excited_energy_spread`` = σ_χ (eV; 0 below the floor).
    """

    alpha: float
    ground: np.ndarray
    excited: np.ndarray
    excited_energy: float
    excited_energy_spread: float

    @property
    def total(self) -> np.ndarray:
        """XAS of the pumped state, (1 − α) I[ψ0; E0] + α I[χ̂; Ē_χ] (the ground XAS below the floor)."""
        if self.alpha < EXCITED_FLOOR:
            return self.ground
        return (1.0 - self.alpha) * self.ground + self.alpha * self.excited

    @property
    def difference(self) -> np.ndarray:
        """ΔXAS = α (I[χ̂; Ē_χ] − I[ψ0; E0])."""
        return self.alpha * (self.excited - self.ground)


def split_xas(psi0: np.ndarray, psi: np.ndarray, *, ground: np.ndarray, cache: SectorCache, sec: Sector, omega: np.ndarray,
              offset: float, settings: XasSettings) -> SplitXas:
    """The XAS of ``psi`` with each part measured from its own energy (module docstring).

    Parameters
    ----------
    psi0
        The normalized initial state (the ground state whose XAS is ``ground``).
    psi
        The pumped state, used as given (normalize it first if its norm matters to you).
    ground
        I[ψ0; E0] on ``omega`` with the same ``offset`` and ``settings``.
    cache
        Model (and sector cache) H_χ in which the excited part is measured.
    sec, omega, offset, settings
        Sector of the states, photon energies (eV), offset (eV) and XAS settings.
    """
    alpha, chi_hat = excited_part(psi0, psi)
    ground = np.asarray(ground, dtype=float)
    if alpha < EXCITED_FLOOR:
        mean = float(np.vdot(chi_hat, cache.matrix(sec) @ chi_hat).real)
        return SplitXas(alpha, ground, ground, mean, 0.0)
    excited, mean, spread = own_reference_xas(cache, sec, chi_hat, omega, settings, offset=offset)
    return SplitXas(alpha, ground, excited, mean, spread)


class TransientXasProbe:
    """Time-resolved O K-edge XAS of ψ(t) on one fixed energy axis: a probe for ``run_trajectory``.

    Call it as ``probe(t, psi)``: it returns ``{"total": XAS(ω), "excited_population":
    1 − |⟨ψ0|ψ⟩|², "excess_energy": ⟨ψ|H|ψ⟩ − E_0, "excited_energy_spread": σ_χ}`` (XAS in 1/eV,
    energies in eV; σ_χ is NaN for ``energy_reference = "ground"``). ``psi`` is normalized here.

    Parameters
    ----------
    psi0, e_ground
        Initial state (normalized here) and its energy E_0 (eV), the reference ``e_ref``.
    sec
        Sector of the states.
    hamiltonians
        ``[(start_fs, cache), ...]`` in increasing start: the static model (A = 0) in force from
        each start on (the first start is −inf: the model of ψ0; a later one is a quench).
    omega, offset
        The fixed photon-energy axis (eV) and offset (eV).
    ground
        I[ψ0; E_0] on ``omega``.
    settings
        XAS settings.
    energy_reference
        ``"split"``: each part from its own energy; ``"ground"``: all of ψ from E_0.
    ground_channels
        (computed, all) channel counts of the ground XAS, kept as metadata ((−1, −1): unknown).
    """

    def __init__(self, *, psi0: np.ndarray, e_ground: float, sec: Sector, hamiltonians: Sequence[tuple[float, SectorCache]],
                 omega: np.ndarray, offset: float, ground: np.ndarray, settings: XasSettings,
                 energy_reference: EnergyReference = "split", ground_channels: tuple[int, int] = (-1, -1)) -> None:
        self.psi0 = np.asarray(psi0, dtype=np.complex128) / np.linalg.norm(psi0)
        self.e_ref = float(e_ground)
        self.sec, self.settings, self.energy_reference = sec, settings, energy_reference
        self.hamiltonians = list(hamiltonians)
        self.omega = np.asarray(omega, dtype=float)
        self.offset = float(offset)
        self.ground = np.asarray(ground, dtype=float)
        self.ground_channels = tuple(int(c) for c in ground_channels)

    def cache_at(self, t: float) -> tuple[SectorCache, bool]:
        """The sector cache of the static model in force at ``t`` (fs) and whether it is a later (quenched) one."""
        k = max(i for i, (start, _) in enumerate(self.hamiltonians) if t >= start)
        return self.hamiltonians[k][1], k > 0

    def __call__(self, t: float, psi: np.ndarray) -> dict[str, Any]:
        """XAS(ω), excited population, excess energy and excited-part spread of ``psi`` at time ``t`` (fs)."""
        cache, quenched = self.cache_at(t)
        psi = np.asarray(psi, dtype=np.complex128)
        psi = psi / np.linalg.norm(psi)
        energy = float(np.vdot(psi, cache.matrix(self.sec) @ psi).real)
        if self.energy_reference == "ground":
            alpha = excited_part(self.psi0, psi)[0]
            total = state_xas(cache, self.sec, psi, self.omega, self.settings, offset=self.offset, e_ref=self.e_ref)["total"].values
            spread = np.nan
        elif quenched:
            alpha = excited_part(self.psi0, psi)[0]
            total, _, spread = own_reference_xas(cache, self.sec, psi, self.omega, self.settings, offset=self.offset)
        else:
            split = split_xas(self.psi0, psi, ground=self.ground, cache=cache, sec=self.sec, omega=self.omega, offset=self.offset, settings=self.settings)
            alpha, total, spread = split.alpha, split.total, split.excited_energy_spread
        return {"total": np.asarray(total, dtype=float), "excited_population": alpha, "excess_energy": energy - self.e_ref,
                "excited_energy_spread": float(spread)}
