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
    eta: Annotated[float, Field(gt=0, le=5)] = 0.05
    gaussian_fwhm: Annotated[float, Field(ge=0, le=5)] = 0.0
    omega_min: WindowEnergy = -4.0
    omega_max: WindowEnergy = 4.0
    n_omega: Annotated[int, Field(ge=10, le=100_000)] = 1601
    lanczos_steps: Annotated[int, Field(ge=10, le=5000)] = 200
    momentum_resolved: bool = True
    edge_threshold: Annotated[float, Field(gt=0, lt=1)] = 1e-3
    optical_omega_max: Annotated[float, Field(gt=0, le=50)] = 5.0
    polarization: list[float] = [1.0, 0.0, 0.0]
    twists: Annotated[int, Field(ge=1, le=64)] = 8
    optical_threshold: Annotated[float, Field(gt=0, lt=1)] = 1e-2
    U_c: Annotated[float, Field(ge=-50, le=50)] = -1.0
    Gamma: Annotated[float, Field(gt=0, le=5)] = 0.2
    xas_gaussian_fwhm: Annotated[float, Field(ge=0, le=5)] = 0.0
    offset_eV: EdgeOffset | None = None
    pre_edge_eV: EdgeEnergy = 529.0
    xas_window: XasWindow = [-3.0, 6.0]
    xas_lanczos_steps: Annotated[int, Field(ge=10, le=5000)] = 150
    coherence: Literal["incoherent", "coherent"] = "incoherent"
    core_hole: Literal["both", "site", "site_i", "site_j", "receiving"] | Annotated[list[float], Field(min_length=2, max_length=2)] = "both"
    use_symmetry: bool = True

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
    """``spec.spectra``, which a spectra study needs; an :class:`InputError` when the section is absent."""
    if spec.spectra is None:
        raise InputError("spectra", None, f"a [spectra] section (study = {spec.study!r})")
    return spec.spectra
