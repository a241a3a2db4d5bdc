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

.. math:: XAS(ω) = (1 − α)\, I[ψ_0; E_0](ω) + α\, I_χ(ω),
          \qquad ΔXAS = α\,(I_χ − I[ψ_0; E_0]),

with I[φ; E](ω) the XAS of the normalized φ with reference energy E
(:func:`~localpairs.solvers.spectra.xas.xas`) and H_χ the static Hamiltonian in which the excited
part is measured (the model's H, or e.g. a relaxed lattice's). ψ_0 is an eigenstate, so its part
is exact. The excited part χ̂ = χ/‖χ‖ is measured by ``settings.excited_probe``:

- ``"windowed"`` (default): I_χ = Σ_n |⟨n|χ̂⟩|² I[n; E_n], each eigencomponent of H_χ from its own
  energy, computed by energy windows
  (:func:`~localpairs.solvers.spectra.windowed_xas.windowed_xas`, converged by halving the window
  width: :attr:`SplitXas.window_width` is the width used, :attr:`SplitXas.halving_change` the
  change of I_χ when it is halved, relative to its peak). The long-probe limit to that change.
- ``"single_reference"``: I_χ = I[χ̂; Ē_χ], one reference Ē_χ = ⟨χ̂|H_χ|χ̂⟩ for the whole excited
  part. Right only for components within Γ of Ē_χ, i.e. while the spread
  σ_χ = (⟨H²⟩_χ − Ē_χ²)^{1/2} ≪ Γ; measured σ_χ reach 0.7–1.8 eV against Γ = 0.2 eV, where the
  lines of the outer components are misplaced by up to their distance from Ē_χ.

σ_χ is returned either way (:attr:`SplitXas.excited_energy_spread`) so the choice can be judged.
Measuring all of ψ from E_0 instead would put the excited lines too high by their excitation
energy (kept as ``energy_reference = "ground"`` of the probe, for comparison).

Time-resolved probe
-------------------
:class:`TransientXasProbe` is a ``probe(t, psi)`` for
:func:`~localpairs.solvers.dynamics.trajectory.run_trajectory`: a sudden (instantaneous) probe
of ψ(t) with the static Hamiltonian at A = 0 in force at t (after a quench, the quenched model,
whose ψ_0 is no longer stationary: all of ψ(t) is then measured as one excited part, by
``settings.excited_probe``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import xarray as xr

from localpairs.errors import require
from localpairs.solvers.hilbert.sector import Sector
from localpairs.solvers.spectra.spectral_functions import SectorCache
from localpairs.solvers.spectra.windowed_xas import DEFAULT_HALVING_TOL, windowed_xas
from localpairs.solvers.spectra.xas import DEFAULT_GAMMA, DEFAULT_XAS_STEPS, CoreHole, excited_part, xas

#: Below this excited weight α the state is the ground state to round-off (‖χ‖ ~ 1e-7 is noise):
#: its XAS is the ground-state XAS, the excited part is not computed.
EXCITED_FLOOR = 1e-14

EnergyReference = Literal["split", "ground"]
#: How the excited part is measured (module docstring).
ExcitedProbe = Literal["windowed", "single_reference"]
EXCITED_PROBES = ("windowed", "single_reference")


@dataclass(frozen=True)
class XasSettings:
    """Settings of one O K-edge XAS (:func:`~localpairs.solvers.spectra.xas.xas`).

    Parameters
    ----------
    U_c : float
        Core-hole potential (eV, < 0 attracts).
    Gamma, gaussian_fwhm : float
        Lorentzian half width and Gaussian resolution FWHM (eV).
    coherence, use_symmetry, core_hole, reorthogonalize
        As in ``xas``.
    n_steps : int
        Lanczos steps per channel.
    excited_probe : str
        How an excited part is measured (module docstring).
    window_width, halving_tol : float
        For ``"windowed"``: the starting width (eV, default Γ/4) and the accepted halving change
        (relative to the peak) of :func:`~localpairs.solvers.spectra.windowed_xas.windowed_xas`.
    """

    U_c: float
    Gamma: float = DEFAULT_GAMMA
    gaussian_fwhm: float = 0.0
    coherence: str = "incoherent"
    use_symmetry: bool = True
    n_steps: int = DEFAULT_XAS_STEPS
    core_hole: CoreHole = "both"
    reorthogonalize: bool | None = None
    excited_probe: ExcitedProbe = "windowed"
    window_width: float | None = None
    halving_tol: float = DEFAULT_HALVING_TOL

    def __post_init__(self) -> None:
        require(self.excited_probe in EXCITED_PROBES, "excited_probe", self.excited_probe, f"one of {EXCITED_PROBES}")


def state_xas(cache: SectorCache, sec: Sector, psi: np.ndarray, omega: np.ndarray, settings: XasSettings, *,
              offset: float, e_ref: float | None = None) -> xr.Dataset:
    """XAS of ``psi`` in the model of ``cache`` (reference ``e_ref``, default ⟨ψ|H|ψ⟩), as :func:`xas`.

    Parameters
    ----------
    cache : SectorCache
        The model and its sector matrices.
    sec : Sector
        Sector of ``psi``.
    psi : numpy.ndarray
        The state.
    omega : numpy.ndarray
        Photon energies (eV).
    settings : XasSettings
        The XAS settings.
    offset : float
        Offset of the energy axis (eV).
    e_ref : float or None
        Reference energy (eV).

    Returns
    -------
    xarray.Dataset
        As :func:`~localpairs.solvers.spectra.xas.xas`.
    """
    s = settings
    return xas(cache.model, sec, psi, omega, U_c=s.U_c, Gamma=s.Gamma, gaussian_fwhm=s.gaussian_fwhm, offset=offset,
               coherence=s.coherence, core_hole=s.core_hole, use_symmetry=s.use_symmetry, e_ref=e_ref, n_steps=s.n_steps,
               reorthogonalize=s.reorthogonalize, cache=cache)


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

    Returns
    -------
    float
        The offset (eV).
    """
    located = state_xas(cache, sec, psi0, grid, settings, offset=0.0, e_ref=e_ground)["total"].values
    return float(target - feature(grid, located))


def _moments(cache: SectorCache, sec: Sector, phi: np.ndarray) -> tuple[float, float]:
    """⟨φ|H|φ⟩ and (⟨φ|H²|φ⟩ − ⟨φ|H|φ⟩²)^{1/2} of the normalized ``phi`` (eV)."""
    hphi = cache.matrix(sec) @ phi
    mean = float(np.vdot(phi, hphi).real)
    return mean, float(np.sqrt(max(0.0, np.vdot(hphi, hphi).real - mean**2)))


def own_reference_xas(cache: SectorCache, sec: Sector, phi: np.ndarray, omega: np.ndarray, settings: XasSettings, *,
                      offset: float) -> tuple[np.ndarray, float, float]:
    """XAS of the normalized ``phi`` measured from its own mean energy, that energy and its spread (eV).

    Parameters
    ----------
    cache, sec, phi, omega, settings, offset
        As :func:`state_xas` (``phi`` normalized).

    Returns
    -------
    tuple
        ``(xas, mean, spread)``: I[φ; ⟨φ|H|φ⟩](ω), ⟨φ|H|φ⟩ and (⟨φ|H²|φ⟩ − ⟨φ|H|φ⟩²)^{1/2}, with H
        the Hamiltonian of ``cache`` (the single-reference probe, whatever ``settings.excited_probe``).
    """
    mean, spread = _moments(cache, sec, phi)
    total = state_xas(cache, sec, phi, omega, settings, offset=offset, e_ref=mean)["total"].values
    return np.asarray(total, dtype=float), mean, spread


@dataclass(frozen=True)
class PartXas:
    """XAS of one normalized part measured as ``excited_probe`` says (module docstring).

    Parameters
    ----------
    xas : numpy.ndarray
        The XAS (1/eV).
    mean, spread : float
        ⟨H⟩ and σ (eV).
    window_width, halving_change, n_windows
        Width (eV), halving change (relative to the peak), windows; NaN, NaN, 1 for the single reference.
    """

    xas: np.ndarray
    mean: float
    spread: float
    window_width: float = float("nan")
    halving_change: float = float("nan")
    n_windows: int = 1


def part_xas(cache: SectorCache, sec: Sector, phi: np.ndarray, omega: np.ndarray, settings: XasSettings, *, offset: float) -> PartXas:
    """XAS of the normalized ``phi`` in the model of ``cache``, by ``settings.excited_probe``.

    Parameters
    ----------
    cache, sec, phi, omega, settings, offset
        As :func:`state_xas` (``phi`` normalized).

    Returns
    -------
    PartXas
        The XAS and its diagnostics.
    """
    if settings.excited_probe == "single_reference":
        return PartXas(*own_reference_xas(cache, sec, phi, omega, settings, offset=offset))
    s = settings
    mean, spread = _moments(cache, sec, phi)
    ds = windowed_xas(cache.model, sec, phi, omega, U_c=s.U_c, Gamma=s.Gamma, width=s.window_width, halving_tol=s.halving_tol,
                      gaussian_fwhm=s.gaussian_fwhm, offset=offset, coherence=s.coherence, core_hole=s.core_hole,
                      use_symmetry=s.use_symmetry, n_steps=s.n_steps, reorthogonalize=s.reorthogonalize, cache=cache)
    return PartXas(np.asarray(ds["total"].values, dtype=float), mean, spread, float(ds.attrs["window_width_eV"]),
                   float(ds.attrs["halving_change"]), int(ds.attrs["n_windows"]))


@dataclass(frozen=True)
class SplitXas:
    """XAS of a pumped state split into its ground part and its excited part (module docstring).

    Parameters
    ----------
    alpha : float
        ‖χ‖².
    ground, excited : numpy.ndarray
        I[ψ0; E0] and I_χ (the ground spectrum when α < :data:`EXCITED_FLOOR`), 1/eV.
    excited_energy, excited_energy_spread : float
        Ē_χ = ⟨χ̂|H_χ|χ̂⟩ and σ_χ (eV; σ_χ = 0 below the floor).
    excited_probe : str
        How I_χ was measured.
    window_width, halving_change, n_windows
        Of the windowed probe: width (eV), change (fraction of the peak of I_χ), windows
        (NaN, NaN, 1 for the single reference; 0 change below the floor).
    """

    alpha: float
    ground: np.ndarray
    excited: np.ndarray
    excited_energy: float
    excited_energy_spread: float
    excited_probe: str = "single_reference"
    window_width: float = float("nan")
    halving_change: float = float("nan")
    n_windows: int = 1

    @property
    def total(self) -> np.ndarray:
        """XAS of the pumped state, (1 − α) I[ψ0; E0] + α I_χ (the ground XAS below the floor)."""
        if self.alpha < EXCITED_FLOOR:
            return self.ground
        return (1.0 - self.alpha) * self.ground + self.alpha * self.excited

    @property
    def difference(self) -> np.ndarray:
        """ΔXAS = α (I_χ − I[ψ0; E0])."""
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
        Sector of the states, photon energies (eV), offset (eV) and XAS settings
        (``settings.excited_probe``: windowed long-probe limit or single reference).

    Returns
    -------
    SplitXas
        α, both parts and the diagnostics.
    """
    alpha, chi_hat = excited_part(psi0, psi)
    ground = np.asarray(ground, dtype=float)
    if alpha < EXCITED_FLOOR:
        mean = float(np.vdot(chi_hat, cache.matrix(sec) @ chi_hat).real)
        zero = 0.0 if settings.excited_probe == "windowed" else float("nan")
        return SplitXas(alpha, ground, ground, mean, 0.0, settings.excited_probe, float("nan"), zero, 0)
    part = part_xas(cache, sec, chi_hat, omega, settings, offset=offset)
    return SplitXas(alpha, ground, part.xas, part.mean, part.spread, settings.excited_probe, part.window_width, part.halving_change,
                    part.n_windows)


class TransientXasProbe:
    """Time-resolved O K-edge XAS of ψ(t) on one fixed energy axis: a probe for ``run_trajectory``.

    Call it as ``probe(t, psi)``: it returns ``{"total": XAS(ω), "excited_population":
    1 − |⟨ψ0|ψ⟩|², "excess_energy": ⟨ψ|H|ψ⟩ − E_0, "excited_energy_spread": σ_χ,
    "window_width": w, "halving_change": c}`` (XAS in 1/eV, energies in eV; σ_χ, w and c are NaN
    where they do not apply: ``energy_reference = "ground"``, the single reference). ``psi`` is
    normalized here.

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
        XAS settings (``excited_probe`` among them).
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
        """The sector cache of the static model in force at ``t`` and whether it is a later (quenched) one.

        Parameters
        ----------
        t : float
            Time (fs).

        Returns
        -------
        tuple
            ``(cache, quenched)``.
        """
        k = max(i for i, (start, _) in enumerate(self.hamiltonians) if t >= start)
        return self.hamiltonians[k][1], k > 0

    def __call__(self, t: float, psi: np.ndarray) -> dict[str, Any]:
        """XAS(ω), excited population, excess energy, excited-part spread and window diagnostics of ``psi`` at ``t`` (fs)."""
        cache, quenched = self.cache_at(t)
        psi = np.asarray(psi, dtype=np.complex128)
        psi = psi / np.linalg.norm(psi)
        energy = float(np.vdot(psi, cache.matrix(self.sec) @ psi).real)
        nan = float("nan")
        if self.energy_reference == "ground":
            alpha = excited_part(self.psi0, psi)[0]
            total = state_xas(cache, self.sec, psi, self.omega, self.settings, offset=self.offset, e_ref=self.e_ref)["total"].values
            spread, width, change = nan, nan, nan
        elif quenched:
            alpha = excited_part(self.psi0, psi)[0]
            part = part_xas(cache, self.sec, psi, self.omega, self.settings, offset=self.offset)
            total, spread, width, change = part.xas, part.spread, part.window_width, part.halving_change
        else:
            split = split_xas(self.psi0, psi, ground=self.ground, cache=cache, sec=self.sec, omega=self.omega, offset=self.offset, settings=self.settings)
            alpha, total, spread, width, change = split.alpha, split.total, split.excited_energy_spread, split.window_width, split.halving_change
        return {"total": np.asarray(total, dtype=float), "excited_population": alpha, "excess_energy": energy - self.e_ref,
                "excited_energy_spread": float(spread), "window_width": float(width), "halving_change": float(change)}
