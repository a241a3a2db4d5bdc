"""``[xfel]`` section of a run spec: the comparison of the model with the EuXFEL tr-XAS experiment.

Units: eV, fs, mJ/cm², K. Measured numbers are not given here: they come from
``analysis/data/xfel_babio3.toml``; the spec holds the model choices, the grids and the
tolerances of the verdicts (absolute, in the unit of each quantity).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from localpairs.spec_base import Strict

Positive = Annotated[float, Field(gt=0)]
Tolerance = Annotated[float, Field(ge=0)]


FitTarget = Literal["E_G", "E_a", "E_b"]


class XfelSpec(Strict):
    """``[xfel]``: scenario fits, pump, XAS grid, scans and tolerances.

    Scenario (a) "paired": U < 0, V ≥ 0 and breathing Δ fitted (bounded by ``U_min``, ``V_max``,
    ``breathing_max``) to the measured gaps named in ``paired_targets`` (E_G, E_a with 2E_a = Δ2,
    E_b = Δ1 − Δ2; the review's E_G = E_b + 2E_a makes E_b the third number that pins U); t from
    ``[model]``. Scenario (b) "unpaired": U = ``U_unpaired`` ≥ 0 and V = ``V_unpaired`` (default:
    the paired fit's V) fixed, Δ fitted to E_G alone. ``optical_gap_fraction``: E_G is the lowest
    σ(ω) pole carrying at least this fraction of ∫σ dω.

    Pump: x-polarized Gaussian at each scenario's E_G. With ``calibrate_fluence`` the ΔXAS
    fluence of each scenario is the one that excites the measured α at 8 mJ/cm² (the reference
    data), found from a probe run at ``fluence`` (which must excite less than
    ``max_probe_excitation``: the linear regime); otherwise ``fluence`` is used as it is.
    ``fluence_factors`` are multiples of that fluence (experiment: 8, 16, 32 mJ/cm² ↔ 1, 2, 4).
    ``delays`` are fs after the end of the pulse (centre + one intensity FWHM); the unrelaxed
    rows use the first delay (early), the relaxed rows the last one. Peaks A/B: local extrema of
    ΔXAS in ``pre_edge_window`` (eV relative to ``pre_edge_peak``) above ``peak_min_amplitude``
    × max|ΔXAS| there; with ``peak_a_below_b`` A is sought below B, as identified in the experiment.
    """

    U_guess: Annotated[float, Field(lt=0)] = -1.5
    V_guess: Annotated[float, Field(ge=0)] = 0.05
    breathing_guess: Annotated[float, Field(ge=0)] = 0.1
    U_min: Annotated[float, Field(lt=0)] = -6.0
    V_max: Positive = 0.3
    breathing_max: Positive = 1.0
    paired_targets: Annotated[list[FitTarget], Field(min_length=1, max_length=3)] = ["E_G", "E_a", "E_b"]
    breathing_guess_unpaired: Annotated[float, Field(ge=0)] = 0.5
    U_unpaired: Annotated[float, Field(ge=0)] = 0.5
    V_unpaired: Annotated[float, Field(ge=0)] | None = None
    fit_max_nfev: Annotated[int, Field(ge=1, le=400)] = 80  # ED evaluations incl. finite-difference Jacobians
    fit_xtol: Annotated[float, Field(gt=0, lt=1)] = 1e-3
    optical_gap_fraction: Annotated[float, Field(gt=0, le=1)] = 0.1
    fluence: Positive = 0.01
    calibrate_fluence: bool = True
    max_probe_excitation: Annotated[float, Field(gt=0, lt=1)] = 0.2
    fluence_factors: Annotated[list[Positive], Field(min_length=1)] = [1.0, 2.0, 4.0]
    duration: Positive = 30.0
    delays: Annotated[list[Annotated[float, Field(ge=0)]], Field(min_length=1)] = [0.0, 30.0, 60.0]
    evolution_tol: Annotated[float, Field(gt=0, lt=1e-2)] = 1e-6
    U_c: Annotated[float, Field(ge=-50, le=50)] = -1.0
    Gamma: Positive = 0.2
    pre_edge_peak: float = 529.0
    omega_span: Annotated[list[float], Field(min_length=2, max_length=2)] = [-4.0, 8.0]
    omega_step: Positive = 0.02
    pre_edge_window: Annotated[list[float], Field(min_length=2, max_length=2)] = [-3.0, 2.0]
    peak_min_amplitude: Annotated[float, Field(ge=0, lt=1)] = 0.05
    peak_a_below_b: bool = True
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
        if len(set(self.paired_targets)) != len(self.paired_targets):
            raise ValueError(f"paired_targets = {self.paired_targets} must be distinct")
        if len(set(self.fluence_factors)) != len(self.fluence_factors):
            raise ValueError(f"fluence_factors = {self.fluence_factors} must be distinct")
        if not (self.U_min < self.U_guess < 0 and 0 <= self.V_guess <= self.V_max and 0 <= self.breathing_guess <= self.breathing_max):
            raise ValueError(f"the paired start (U_guess, V_guess, breathing_guess) = ({self.U_guess}, {self.V_guess}, "
                             f"{self.breathing_guess}) must lie inside the bounds U_min < U < 0, 0 ≤ V ≤ V_max = {self.V_max}, "
                             f"0 ≤ Δ ≤ breathing_max = {self.breathing_max}")
        if self.breathing_guess_unpaired > self.breathing_max:
            raise ValueError(f"breathing_guess_unpaired = {self.breathing_guess_unpaired} exceeds breathing_max = {self.breathing_max}")
        return self
