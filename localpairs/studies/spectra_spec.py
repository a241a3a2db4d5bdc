"""``[spectra]`` section of a run spec: which spectra of the ground state, on which grids (eV)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from localpairs.spec_base import EdgeEnergy, EdgeOffset, Strict, WindowEnergy

SpectrumName = Literal["single_particle", "pair", "optical", "xas"]


class SpectraSpec(Strict):
    """``[spectra]``: spectral functions, σ(ω) and O K-edge XAS of the ground state; energies in eV.

    Single-particle and pair spectra share the axis ``ω − nμ`` (n = 1 electron or one pair, μ the
    mid-gap chemical potential from E(N±n)), from ``omega_min`` to ``omega_max``. σ(ω) runs on
    ``(0, optical_omega_max]``; the XAS on ``pre-edge + xas_window``.
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
    xas_window: list[WindowEnergy] = [-3.0, 6.0]
    xas_lanczos_steps: Annotated[int, Field(ge=10, le=5000)] = 150
    coherence: Literal["incoherent", "coherent"] = "incoherent"
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

    @field_validator("xas_window")
    @classmethod
    def _window(cls, value: list[float]) -> list[float]:
        if len(value) != 2 or not value[0] < value[1]:
            raise ValueError("[low, high] in eV relative to the pre-edge peak, low < high")
        return value

    @model_validator(mode="after")
    def _omega_range(self) -> "SpectraSpec":
        if not self.omega_min < self.omega_max:
            raise ValueError(f"omega_min = {self.omega_min} must be below omega_max = {self.omega_max}")
        return self
