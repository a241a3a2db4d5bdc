"""``[spectra]`` section of a run spec: which spectra of the ground state, on which grids (eV)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, field_validator, model_validator

from localpairs.errors import InputError
from localpairs.spec_base import EdgeEnergy, EdgeOffset, Strict, WindowEnergy, XasWindow

if TYPE_CHECKING:
    from localpairs.spec import RunSpec

SpectrumName = Literal["single_particle", "pair", "optical", "xas"]


class SpectraSpec(Strict):
    """``[spectra]``: spectral functions, σ(ω) and O K-edge XAS of the ground state; energies in eV.

    Single-particle and pair spectra share the axis ``ω − nμ`` (n = 1 electron or one pair, μ the
    mid-gap chemical potential from E(N±n)), from ``omega_min`` to ``omega_max``. σ(ω) runs on
    ``(0, optical_omega_max]``; the XAS on ``pre-edge + xas_window``.

    ``core_hole`` places the XAS core-hole potential ``U_c`` in the final state of the oxygen on
    bond ``i → j`` (:func:`localpairs.solvers.spectra.xas.xas`): ``"both"`` (default,
    ``U_c(n_i + n_j)``), ``"site"`` (a single-site core hole, averaged over the two octahedra),
    ``"site_i"``/``"site_j"`` (the octahedron at the bond's i/j end), ``"receiving"`` (the
    octahedron that takes the electron; incoherent only) or two weights ``[w_i, w_j]``
    (``U_c(w_i n_i + w_j n_j)``).
    """

    compute: list[SpectrumName] = ["single_particle", "pair", "optical", "xas"]
    """Which spectra: any of "single_particle", "pair", "optical", "xas"."""
    eta: Annotated[float, Field(gt=0, le=5)] = 0.05
    """Lorentzian half width (eV) of the single-particle and pair spectra."""
    gaussian_fwhm: Annotated[float, Field(ge=0, le=5)] = 0.0
    """Gaussian resolution FWHM (eV) convolved with the single-particle and pair spectra (0: none)."""
    omega_min: WindowEnergy = -4.0
    """Lowest energy ω − nμ (eV) of the single-particle and pair spectra."""
    omega_max: WindowEnergy = 4.0
    """Highest energy ω − nμ (eV) of the single-particle and pair spectra."""
    n_omega: Annotated[int, Field(ge=10, le=100_000)] = 1601
    """Number of energies on the spectra's axis."""
    lanczos_steps: Annotated[int, Field(ge=10, le=5000)] = 200
    """Lanczos steps of each continued fraction (single-particle, pair, optical)."""
    momentum_resolved: bool = True
    """Also resolve the single-particle spectrum by momentum on periodic clusters."""
    edge_threshold: Annotated[float, Field(gt=0, lt=1)] = 1e-3
    """Fraction of the peak above which a spectrum counts as non-zero when its edges (gaps) are read off."""
    optical_omega_max: Annotated[float, Field(gt=0, le=50)] = 5.0
    """Highest frequency (eV) of σ(ω), which runs on (0, optical_omega_max]."""
    polarization: list[float] = [1.0, 0.0, 0.0]
    """Light polarization (x, y, z) of σ(ω), normalized; not all zero."""
    twists: Annotated[int, Field(ge=1, le=64)] = 8
    """Number of boundary twists averaged for σ(ω) on periodic axes."""
    optical_threshold: Annotated[float, Field(gt=0, lt=1)] = 1e-2
    """Share of ∫σ dω a pole needs to count for the optical gap E_G (localpairs.analysis.spectral_edges.optical_gap)."""
    U_c: Annotated[float, Field(ge=-50, le=50)] = -1.0
    """Core-hole potential U_c in eV in the XAS final state (< 0 attracts electrons to the core hole)."""
    Gamma: Annotated[float, Field(gt=0, le=5)] = 0.2
    """Core-hole lifetime broadening Γ: the Lorentzian half width (eV) of the XAS (O 1s: 0.15–0.2 eV)."""
    xas_gaussian_fwhm: Annotated[float, Field(ge=0, le=5)] = 0.0
    """Gaussian resolution FWHM (eV) convolved with the XAS (0: none)."""
    offset_eV: EdgeOffset | None = None
    """Photon-energy offset (eV) added to the model's XAS energies (default: the main peak is placed at pre_edge_eV)."""
    pre_edge_eV: EdgeEnergy = 529.0
    """Photon energy (eV) at which the main peak of the ground-state XAS is placed (the measured O K pre-edge, 529 eV)."""
    xas_window: XasWindow = [-3.0, 6.0]
    """XAS photon energies as [low, high] in eV relative to pre_edge_eV."""
    xas_lanczos_steps: Annotated[int, Field(ge=10, le=5000)] = 150
    """Lanczos steps per core-hole channel of the XAS."""
    coherence: Literal["incoherent", "coherent"] = "incoherent"
    """"incoherent" (default): the XAS sums the channels of each oxygen's two octahedra separately; "coherent": the electron goes into their bonding
    combination.
    """
    core_hole: Literal["both", "site", "site_i", "site_j", "receiving"] | Annotated[list[float], Field(min_length=2, max_length=2)] = "both"
    """Where U_c acts in the final state of the oxygen on bond i → j: "both" (U_c(n_i + n_j)), "site" (single-site, averaged over the two), "site_i",
    "site_j", "receiving", or weights [w_i, w_j].
    """
    use_symmetry: bool = True
    """Compute symmetry-equivalent XAS channels once (results identical; faster)."""

    @field_validator("compute")
    @classmethod
    def _nonempty_unique(cls, value: list[str]) -> list[str]:
        if not value or len(set(value)) != len(value):
            raise ValueError("a non-empty list of distinct names among single_particle, pair, optical, xas")
        return value

    @field_validator("polarization")
    @classmethod
    def _direction(cls, value: list[float]) -> list[float]:
        if len(value) != 3 or all(v == 0 for v in value):
            raise ValueError("three numbers (x, y, z), not all zero")
        return value


    @field_validator("core_hole")
    @classmethod
    def _finite_weights(cls, value: str | list[float]) -> str | list[float]:
        if isinstance(value, list) and not all(math.isfinite(w) for w in value):
            raise ValueError("two finite weights [w_i, w_j] for the octahedra at the bond's i and j ends")
        return value

    @model_validator(mode="after")
    def _omega_range(self) -> SpectraSpec:
        if not self.omega_min < self.omega_max:
            raise ValueError(f"omega_min = {self.omega_min} must be below omega_max = {self.omega_max}")
        if self.core_hole == "receiving" and self.coherence == "coherent":
            raise ValueError("core_hole = 'receiving' needs coherence = 'incoherent' (the coherent operator puts the electron on both octahedra)")
        return self


def spectra_section(spec: RunSpec) -> SpectraSpec:
    """Return ``spec.spectra``, which a spectra study needs.

    Parameters
    ----------
    spec : RunSpec
        The validated run spec.

    Returns
    -------
    SpectraSpec
        The ``[spectra]`` section.

    Raises
    ------
    InputError
        When the section is absent.
    """
    if spec.spectra is None:
        raise InputError("spectra", None, f"a [spectra] section (study = {spec.study!r})")
    return spec.spectra
