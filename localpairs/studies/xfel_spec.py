"""``[xfel]`` section of a run spec: the comparison of the model with the EuXFEL tr-XAS experiment.

Units: eV, fs, mJ/cm², K. Measured numbers are not given here: they come from
``analysis/data/xfel_babio3.toml``; the spec holds the model choices, the grids and the
tolerances of the verdicts (absolute, in the unit of each quantity).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from localpairs.spec_base import Strict

Positive = Annotated[float, Field(gt=0)]
Tolerance = Annotated[float, Field(ge=0)]


class XfelSpec(Strict):
    """``[xfel]``: scenario fits, pump, XAS grid, scans and tolerances.

    Scenario (a) "paired": U < 0 and breathing fitted to E_G and E_a (2E_a = Δ2), t and V from
    ``[model]``. Scenario (b) "unpaired": U = ``U_unpaired`` ≥ 0 fixed, breathing fitted to E_G.
    ``delays`` are fs after the end of the pulse (centre + one intensity FWHM).
    """

    U_guess: Annotated[float, Field(lt=0)] = -1.0
    breathing_guess: Annotated[float, Field(ge=0)] = 0.4
    breathing_guess_unpaired: Annotated[float, Field(ge=0)] = 0.8
    U_unpaired: Annotated[float, Field(ge=0)] = 0.5
    fit_max_nfev: Annotated[int, Field(ge=1, le=200)] = 25  # ED evaluations incl. finite-difference Jacobians
    fit_xtol: Annotated[float, Field(gt=0, lt=1)] = 1e-3
    optical_gap_fraction: Annotated[float, Field(gt=0, le=1)] = 0.1
    fluence: Positive = 8.0
    fluence_scan: Annotated[list[Positive], Field(min_length=1)] = [8.0, 16.0, 32.0]
    duration: Positive = 30.0
    delays: Annotated[list[Annotated[float, Field(ge=0)]], Field(min_length=1)] = [0.0, 20.0, 40.0, 60.0]
    evolution_tol: Annotated[float, Field(gt=0, lt=1e-2)] = 1e-6
    U_c: Annotated[float, Field(ge=-50, le=50)] = -1.0
    Gamma: Positive = 0.2
    pre_edge_peak: float = 529.0
    omega_span: Annotated[list[float], Field(min_length=2, max_length=2)] = [-4.0, 8.0]
    omega_step: Positive = 0.02
    pre_edge_window: Annotated[list[float], Field(min_length=2, max_length=2)] = [-1.5, 3.0]
    xas_steps: Annotated[int, Field(ge=10, le=1000)] = 150
    kinetics_csv: str | None = None
    tc_x: Annotated[list[Annotated[float, Field(ge=0.37, le=0.5)]], Field(min_length=2)] = [0.37, 0.4, 0.45, 0.5]
    percolation_sizes: Annotated[list[Annotated[int, Field(ge=4, le=64)]], Field(min_length=2)] = [8, 12]
    percolation_samples: Annotated[int, Field(ge=10, le=100000)] = 200
    percolation_seed: int = 7
    tunnelling_sites: Annotated[list[Annotated[int, Field(ge=1, le=8)]], Field(min_length=3)] = [1, 2, 3, 4]
    tunnelling_t_F: Positive = 0.33
    tunnelling_g: Positive = 0.1
    tunnelling_E_B: float = 0.5
    tolerance_ab: Tolerance = 0.3
    tolerance_a_shift: Tolerance = 0.15
    tolerance_gap: Tolerance = 0.1
    tolerance_alpha: Tolerance = 0.05
    tolerance_tc_K: Tolerance = 15.0
    tolerance_x: Tolerance = 0.05

    @model_validator(mode="after")
    def _consistent(self) -> "XfelSpec":
        if self.omega_span[0] >= self.omega_span[1]:
            raise ValueError(f"omega_span = {self.omega_span} must be [low, high] with low < high (eV, relative to the pre-edge peak)")
        lo, hi = self.pre_edge_window
        if not (self.omega_span[0] <= lo < hi <= self.omega_span[1]):
            raise ValueError(f"pre_edge_window = {self.pre_edge_window} must be increasing and inside omega_span = {self.omega_span}")
        if any(b <= a for a, b in zip(self.delays, self.delays[1:])):
            raise ValueError(f"delays = {self.delays} must be strictly increasing")
        if len(set(self.percolation_sizes)) != len(self.percolation_sizes):
            raise ValueError(f"percolation_sizes = {self.percolation_sizes} must be distinct")
        return self
