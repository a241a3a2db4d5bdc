"""``[pump]`` section of a run spec: pulse, time grid, integrator, optional lattice and quench.

Units: eV, fs, V/Å, mJ/cm², Å, K. Every value is checked here (types, signs, ranges, the time
grid); the physical limits that need the model (field against band width) are checked by the
study before any evolution.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from localpairs.spec_base import Strict

Positive = Annotated[float, Field(gt=0)]


class LatticeSpec(Strict):
    """``[pump.lattice]``: classical bridging oxygens in double wells (see solvers/lattice.py).

    ``coupling`` λ in eV/Å (the LPDW splitting is 6λu0 on the cube), ``barrier_K`` the barrier
    in kelvin, ``well_separation`` 2u0 in Å, ``mass_u`` in u, ``damping`` γ in 1/fs. With
    ``relax_initial`` the oxygens start at the Born–Oppenheimer equilibrium of the ground state.
    """

    coupling: Annotated[float, Field(ge=0)] = 0.476
    barrier_K: Positive = 500.0
    well_separation: Positive = 0.07
    mass_u: Positive = 16.0
    damping: Annotated[float, Field(ge=0)] = 0.0
    relax_initial: bool = True


class QuenchSpec(Strict):
    """``[pump.quench]``: all parameters change at ``time`` (fs).

    ``relaxed_lattice = true`` sets the breathing to zero (identical octahedra, the lattice of
    the excited state taken as relaxed at once); ``model`` overrides other model parameters
    (same names as ``[model]``).
    """

    time: float = 0.0
    relaxed_lattice: bool = False
    model: dict[str, float] = {}


class PumpSpec(Strict):
    """``[pump]``: settings of the pump study.

    ``photon_energy`` is a number (eV) or ``"optical_gap"`` (the lowest strong optical
    transition of the ground state along the polarization). Give ``fluence`` (mJ/cm²) or
    ``peak_field`` (V/Å). ``duration`` is an FWHM in fs, of the intensity (default) or of the
    field (``duration_kind``). ``center`` defaults to the time where |A| has risen to 1e-6 A0.
    Output every ``output_step`` fs from 0 to ``t_end`` (or at the explicit ``times``).
    ``xas_delays`` (fs after the pulse centre) are the delays for the time-resolved XAS hook.
    """

    photon_energy: Positive | Literal["optical_gap"] = "optical_gap"
    optical_gap_fraction: Annotated[float, Field(gt=0, le=1)] = 0.1
    duration: Positive = 30.0
    duration_kind: Literal["intensity_fwhm", "field_fwhm"] = "intensity_fwhm"
    fluence: Positive | None = None
    peak_field: Positive | None = None
    refractive_index: Annotated[float, Field(ge=1)] = 1.0
    polarization: list[float] = [1.0, 0.0, 0.0]
    center: float | None = None
    t_end: Positive = 250.0
    output_step: Positive = 0.5
    times: list[float] | None = None
    tolerance: Annotated[float, Field(gt=0, lt=1e-2)] = 1e-7
    max_krylov: Annotated[int, Field(ge=8, le=200)] = 40
    checkpoint_every: Annotated[int, Field(ge=1)] = 200
    pair_correlations: bool = True
    xas_delays: list[float] = []
    lattice: LatticeSpec | None = None
    quench: QuenchSpec | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "PumpSpec":
        if self.fluence is not None and self.peak_field is not None:
            raise ValueError("give fluence (mJ/cm²) or peak_field (V/Å), not both")
        if self.fluence is None and self.peak_field is None and self.quench is None:
            raise ValueError("give fluence (mJ/cm²) or peak_field (V/Å) (or a [pump.quench] for a quench alone)")
        if len(self.polarization) != 3 or sum(x * x for x in self.polarization) < 1e-24:
            raise ValueError(f"polarization = {self.polarization} must be three numbers, not all zero")
        if self.times is not None:
            if len(self.times) < 2 or self.times[0] != 0.0:
                raise ValueError("times must start at 0 fs and hold at least two times")
            if any(b <= a for a, b in zip(self.times, self.times[1:])):
                raise ValueError(f"times = {self.times} must be strictly increasing (the grid goes backwards or repeats)")
        elif self.output_step >= self.t_end:
            raise ValueError(f"output_step = {self.output_step} fs must be shorter than t_end = {self.t_end} fs")
        if any(d != d for d in self.xas_delays) or any(b <= a for a, b in zip(self.xas_delays, self.xas_delays[1:])):
            raise ValueError(f"xas_delays = {self.xas_delays} must be strictly increasing")
        return self

    @property
    def end_time(self) -> float:
        """Last output time in fs."""
        return self.times[-1] if self.times is not None else self.t_end
