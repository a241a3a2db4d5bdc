"""``[xfel]`` section of a run spec: the comparison of the model with the EuXFEL tr-XAS experiment.

Units: eV, fs, mJ/cm², K. Measured numbers are not given here: they come from
``analysis/data/xfel_babio3.toml``; the spec holds the model choices, the grids and the
tolerances of the verdicts (absolute, in the unit of each quantity), in sub-tables
``[xfel.fit]``, ``[xfel.pump]``, ``[xfel.probe]``, ``[xfel.peaks]``, ``[xfel.kinetics]``,
``[xfel.tc]``, ``[xfel.percolation]``, ``[xfel.tunnelling]``, ``[xfel.tolerances]`` and ``[xfel.scan]``. Every
cross-field check names the dotted key it refuses (e.g. ``xfel.peaks.window``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, model_validator

from localpairs.errors import InputError
from localpairs.spec_base import MAX_ENERGY_EV, Duration, EdgeEnergy, Fluence, Strict

if TYPE_CHECKING:  # RunSpec imports this module
    from localpairs.spec import RunSpec

Positive = Annotated[float, Field(gt=0)]
#: A verdict tolerance (eV, K or a fraction): finite, 0 ≤ value ≤ 1000 (a larger one admits any number).
Tolerance = Annotated[float, Field(allow_inf_nan=False, ge=0, le=1000)]
#: A bound of a fitted model energy in eV: 0 < value ≤ :data:`~localpairs.spec_base.MAX_ENERGY_EV`.
EnergyBound = Annotated[float, Field(allow_inf_nan=False, gt=0, le=MAX_ENERGY_EV)]
FitTarget = Literal["E_G", "E_a", "E_b"]


#: Former ``[xfel.fit]`` keys → what replaced them (both scenarios are now fitted alike).
FIT_REPLACED: dict[str, str] = {
    "paired_targets": "xfel.fit.targets (the same targets for both scenarios)",
    "U_unpaired": "xfel.fit.U_guess_unpaired (the unpaired U is fitted, within 0 ≤ U ≤ xfel.fit.U_max)",
    "V_unpaired": "xfel.fit.V (one fixed V for both scenarios)",
    "V_guess": "xfel.fit.V (V is fixed, the same in both scenarios)",
    "V_max": "xfel.fit.V (V is fixed, the same in both scenarios)",
}


class FitSpec(Strict):
    """``[xfel.fit]``: the two scenario fits (ED in the loop), made alike.

    Both scenarios fit the same two parameters, U and the breathing Δ, to the same ``targets``
    (default the measured E_G and E_a), with the same fixed V (``V``; default ``[model] V``) and t
    (``[model]``); they differ only in the sign of U: *paired* ``U_min`` ≤ U < 0 from
    (``U_guess``, ``breathing_guess``), *unpaired* 0 ≤ U ≤ ``U_max`` from
    (``U_guess_unpaired``, ``breathing_guess_unpaired``); 0 ≤ Δ ≤ ``breathing_max`` in both.
    ``max_nfev`` ED evaluations per fit (incl. finite-difference Jacobians), ``xtol`` relative
    step tolerance. ``optical_gap_fraction``: E_G is the lowest σ(ω) pole carrying at least this
    fraction of ∫σ dω (:func:`~localpairs.analysis.spectral_edges.optical_gap`).
    """

    targets: Annotated[list[FitTarget], Field(min_length=1, max_length=3)] = ["E_G", "E_a"]
    V: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    U_guess: Annotated[float, Field(lt=0)] = -1.5
    breathing_guess: Annotated[float, Field(ge=0)] = 0.1
    U_min: Annotated[float, Field(lt=0)] = -6.0
    U_guess_unpaired: Annotated[float, Field(ge=0)] = 0.5
    breathing_guess_unpaired: Annotated[float, Field(ge=0)] = 0.5
    U_max: EnergyBound = 6.0
    breathing_max: EnergyBound = 1.0
    max_nfev: Annotated[int, Field(ge=1, le=400)] = 80
    xtol: Annotated[float, Field(gt=0, lt=1)] = 1e-3
    optical_gap_fraction: Annotated[float, Field(gt=0, le=1)] = 0.1

    @model_validator(mode="before")
    @classmethod
    def _replaced(cls, data: Any) -> Any:
        if isinstance(data, dict):
            old = [k for k in data if k in FIT_REPLACED]
            if old:
                raise ValueError("; ".join(f"xfel.fit.{k} is replaced by {FIT_REPLACED[k]}" for k in old))
        return data

    @model_validator(mode="after")
    def _consistent(self) -> FitSpec:
        if len(set(self.targets)) != len(self.targets):
            raise ValueError(f"xfel.fit.targets = {self.targets} must be distinct")
        if not (self.U_min < self.U_guess < 0 and 0 <= self.breathing_guess <= self.breathing_max):
            raise ValueError(f"the paired start xfel.fit.(U_guess, breathing_guess) = ({self.U_guess}, {self.breathing_guess}) must lie inside "
                             f"the bounds xfel.fit.U_min = {self.U_min} < U < 0, 0 ≤ Δ ≤ xfel.fit.breathing_max = {self.breathing_max}")
        if self.U_guess_unpaired > self.U_max:
            raise ValueError(f"xfel.fit.U_guess_unpaired = {self.U_guess_unpaired} exceeds xfel.fit.U_max = {self.U_max}")
        if self.breathing_guess_unpaired > self.breathing_max:
            raise ValueError(f"xfel.fit.breathing_guess_unpaired = {self.breathing_guess_unpaired} exceeds xfel.fit.breathing_max = {self.breathing_max}")
        return self


class PumpSpec(Strict):
    """``[xfel.pump]``: the x-polarized Gaussian pump at the experiment's photon energy (reference data, 1.96 eV) in both scenarios.

    With ``calibrate_fluence`` the ΔXAS fluence of each scenario is the one that excites the
    measured α at 8 mJ/cm² (the reference data), found from a probe run at ``fluence`` (mJ/cm²),
    which must excite less than ``max_probe_excitation`` (the linear regime); otherwise
    ``fluence`` is used as it is. ``fluence_factors`` are multiples of that fluence (experiment:
    8, 16, 32 mJ/cm² ↔ 1, 2, 4). ``duration``: intensity FWHM (fs). ``delays`` are fs after the end
    of the pulse (centre + one intensity FWHM); the unrelaxed rows use the first delay (early),
    the relaxed rows the last one. ``evolution_tol``: integrator tolerance.
    """

    fluence: Fluence = 0.01
    calibrate_fluence: bool = True
    max_probe_excitation: Annotated[float, Field(gt=0, lt=1)] = 0.2
    fluence_factors: Annotated[list[Annotated[float, Field(allow_inf_nan=False, gt=0, le=1000)]], Field(min_length=1)] = [1.0, 2.0, 4.0]
    duration: Duration = 30.0
    delays: Annotated[list[Annotated[float, Field(ge=0)]], Field(min_length=1)] = [0.0, 30.0, 60.0]
    evolution_tol: Annotated[float, Field(gt=0, lt=1e-2)] = 1e-6

    @model_validator(mode="after")
    def _consistent(self) -> PumpSpec:
        if any(b <= a for a, b in zip(self.delays, self.delays[1:])):
            raise ValueError(f"xfel.pump.delays = {self.delays} must be strictly increasing")
        if len(set(self.fluence_factors)) != len(self.fluence_factors):
            raise ValueError(f"xfel.pump.fluence_factors = {self.fluence_factors} must be distinct")
        return self


class ProbeSpec(Strict):
    """``[xfel.probe]``: the O K-edge XAS (core-hole potential ``U_c`` and half width ``Gamma``, eV).

    One offset per scenario puts the ground-state pre-edge peak at ``pre_edge_peak`` (eV); photon
    energies ``pre_edge_peak + omega_span`` (eV) in steps of ``omega_step``; ``lanczos_steps``
    per channel. ``probe_model`` (:mod:`localpairs.studies.xfel_probe_models`): ``"long"``
    (each eigencomponent of the excited part from its own energy, energy windows), ``"instantaneous"``
    (one reference energy for the excited part) or ``"finite"`` (two-time formula with a Gaussian
    probe of intensity FWHM ``probe_fwhm`` fs on ψ(t) sampled every ``finite_time_step`` fs; core
    hole ``"both"`` only). ``core_hole``: where U_c acts — ``"both"`` octahedra of the oxygen,
    ``"site"`` (one, averaged over the two), ``"site_i"``, ``"site_j"``, ``"receiving"``, or two
    weights ``[w_i, w_j]``.
    """

    U_c: Annotated[float, Field(ge=-50, le=50)] = -1.0
    Gamma: Positive = 0.2
    pre_edge_peak: EdgeEnergy = 529.0
    omega_span: Annotated[list[float], Field(min_length=2, max_length=2)] = [-4.0, 8.0]
    omega_step: Positive = 0.02
    lanczos_steps: Annotated[int, Field(ge=10, le=1000)] = 150
    probe_model: Literal["instantaneous", "long", "finite"] = "long"
    core_hole: Literal["both", "site", "site_i", "site_j", "receiving"] | Annotated[
        list[Annotated[float, Field(allow_inf_nan=False, ge=-10, le=10)]], Field(min_length=2, max_length=2)] = "both"
    probe_fwhm: Duration | None = None
    finite_time_step: Annotated[float, Field(gt=0, le=1.0)] = 0.1

    @model_validator(mode="after")
    def _consistent(self) -> ProbeSpec:
        if self.omega_span[0] >= self.omega_span[1]:
            raise ValueError(f"xfel.probe.omega_span = {self.omega_span} must be [low, high] with low < high (eV, relative to the pre-edge peak)")
        if (self.probe_model == "finite") != (self.probe_fwhm is not None):
            raise ValueError(f"xfel.probe.probe_fwhm = {self.probe_fwhm} is not allowed with xfel.probe.probe_model = {self.probe_model!r}: "
                             "the finite probe needs its intensity FWHM in fs, the others take none")
        if self.probe_model == "finite" and self.core_hole != "both":
            raise ValueError(f"xfel.probe.core_hole = {self.core_hole!r} is not allowed with xfel.probe.probe_model = 'finite': "
                             "the two-time probe places the core hole on both octahedra only ('both')")
        return self

    @property
    def core_hole_value(self) -> str | tuple[float, float]:
        """``core_hole`` as the XAS solvers take it (a name or a pair of weights)."""
        return self.core_hole if isinstance(self.core_hole, str) else (float(self.core_hole[0]), float(self.core_hole[1]))


class PeaksSpec(Strict):
    """``[xfel.peaks]``: peaks A/B are local extrema of ΔXAS in ``window`` (eV relative to the
    pre-edge peak, inside ``xfel.probe.omega_span``) above ``min_amplitude`` × max|ΔXAS| there;
    with ``a_below_b`` A is sought below B, as identified in the experiment."""

    window: Annotated[list[float], Field(min_length=2, max_length=2)] = [-3.0, 2.0]
    min_amplitude: Annotated[float, Field(ge=0, lt=1)] = 0.05
    a_below_b: bool = True


class KineticsSpec(Strict):
    """``[xfel.kinetics]``: ``csv``, a measured delay trace to fit with three exponentials (optional)."""

    csv: str | None = None


class TcSpec(Strict):
    """``[xfel.tc]``: doping levels ``x`` of the T_c(x) table."""

    x: Annotated[list[Annotated[float, Field(ge=0.37, le=0.5)]], Field(min_length=2)] = [0.37, 0.4, 0.45, 0.5]


class PercolationSpec(Strict):
    """``[xfel.percolation]``: cluster ``sizes`` L (at least three, distinct and even: the rock-salt
    placement needs two sublattices on the torus; the threshold is extrapolated from them),
    ``samples`` per size and the random ``seed``."""

    sizes: Annotated[list[Annotated[int, Field(ge=4, le=64)]], Field(min_length=3)] = [8, 12, 16, 24]
    samples: Annotated[int, Field(ge=10, le=100000)] = 300
    seed: int = 7

    @model_validator(mode="after")
    def _consistent(self) -> PercolationSpec:
        if len(set(self.sizes)) != len(self.sizes) or any(L % 2 for L in self.sizes):
            raise ValueError(f"xfel.percolation.sizes = {self.sizes} must be distinct and even")
        return self


class TunnellingSpec(Strict):
    """``[xfel.tunnelling]``: Fermi–Bose chains of ``sites`` lengths, t_F, g and E_B in eV."""

    sites: Annotated[list[Annotated[int, Field(ge=1, le=8)]], Field(min_length=3)] = [1, 2, 3, 4]
    t_F: Positive = 0.33
    g: Positive = 0.1
    E_B: float = 0.5


ProbeModel = Literal["instantaneous", "long", "finite"]
Lattice = Literal["unrelaxed", "relaxed"]
CoreHolePlacement = Literal["both", "site", "site_i", "site_j", "receiving"]


def _distinct(name: str, values: list[Any]) -> None:
    if len(set(values)) != len(values):
        raise ValueError(f"xfel.scan.{name} = {values} must be distinct")


class ScanSpec(Strict):
    """``[xfel.scan]``: the box of nuisance parameters over which A − B is computed for both scenarios.

    ``U_c`` core-hole potentials (eV, ≤ 0: attractive or none) placed by ``core_hole`` (as
    :func:`localpairs.solvers.spectra.xas.xas`); ``Gamma`` Lorentzian half widths of the O 1s core
    hole (eV), each convolved with the instrument's Gaussian resolution (from the reference data);
    ``U_unpaired`` the unpaired control's U values (eV, ≥ 0; each fitted to E_G like the study's
    control); ``probes`` and ``lattices`` the probe models and lattices; ``doping_x`` the hole-doped
    cluster of the static pre-edge constraint on U_c (it must have fewer large octahedra than the parent;
    default: the x that removes one pair);
    ``workers`` Dask worker processes (0: no Dask, the tasks one after the other in the run's own process). ``enabled = false``
    skips the scan.
    """

    enabled: bool = True
    U_c: Annotated[list[Annotated[float, Field(allow_inf_nan=False, ge=-10, le=0)]], Field(min_length=1)] = [-3.0, -2.5, -2.0, -1.5, -1.0, -0.5, 0.0]
    Gamma: Annotated[list[Annotated[float, Field(allow_inf_nan=False, gt=0, le=2)]], Field(min_length=1)] = [0.075, 0.1, 0.15, 0.2]
    U_unpaired: Annotated[list[Annotated[float, Field(allow_inf_nan=False, ge=0, le=10)]], Field(min_length=1)] = [0.5, 2.0]
    probes: Annotated[list[ProbeModel], Field(min_length=1)] = ["long"]
    lattices: Annotated[list[Lattice], Field(min_length=1)] = ["unrelaxed", "relaxed"]
    core_hole: CoreHolePlacement = "both"
    doping_x: Annotated[float, Field(allow_inf_nan=False, gt=0, le=1)] | None = None
    workers: Annotated[int, Field(ge=0, le=64)] = 2

    @model_validator(mode="after")
    def _consistent(self) -> ScanSpec:
        for name in ("U_c", "Gamma", "U_unpaired", "probes", "lattices"):
            _distinct(name, getattr(self, name))
        return self


class TolerancesSpec(Strict):
    """``[xfel.tolerances]``: absolute tolerances of the verdicts (|A−B| ``ab``, A shift ``a_shift``,
    gaps ``gap`` in eV; excited fraction ``alpha``; percolation threshold ``x``; ``tc_K`` in K, by default
    None: the review's own spread |its T_c estimate − the measured T_c| from the reference data)."""

    ab: Tolerance = 0.3
    a_shift: Tolerance = 0.15
    gap: Tolerance = 0.1
    alpha: Tolerance = 0.05
    tc_K: Tolerance | None = None
    x: Tolerance = 0.05


#: Keys of the former flat ``[xfel]`` section → their sub-table keys (for a helpful error).
MOVED_KEYS: dict[str, str] = {
    **{k: f"fit.{k}" for k in ("U_guess", "breathing_guess", "U_min", "breathing_max", "breathing_guess_unpaired", "optical_gap_fraction")},
    **{k: f"fit.{v}" for k, v in (("V_guess", "V"), ("V_max", "V"), ("paired_targets", "targets"), ("U_unpaired", "U_guess_unpaired"),
                                  ("V_unpaired", "V"))},
    "fit_max_nfev": "fit.max_nfev", "fit_xtol": "fit.xtol",
    **{k: f"pump.{k}" for k in ("fluence", "calibrate_fluence", "max_probe_excitation", "fluence_factors", "duration", "delays", "evolution_tol")},
    **{k: f"probe.{k}" for k in ("U_c", "Gamma", "pre_edge_peak", "omega_span", "omega_step")},
    "xas_steps": "probe.lanczos_steps",
    "pre_edge_window": "peaks.window", "peak_min_amplitude": "peaks.min_amplitude", "peak_a_below_b": "peaks.a_below_b",
    "kinetics_csv": "kinetics.csv", "tc_x": "tc.x",
    "percolation_sizes": "percolation.sizes", "percolation_samples": "percolation.samples", "percolation_seed": "percolation.seed",
    **{f"tunnelling_{k}": f"tunnelling.{k}" for k in ("sites", "t_F", "g", "E_B")},
    **{f"tolerance_{k}": f"tolerances.{k}" for k in ("ab", "a_shift", "gap", "alpha", "tc_K", "x")},
}


class XfelSpec(Strict):
    """``[xfel]``: scenario fits, pump, XAS probe, peaks, kinetics, T_c, percolation, tunnelling, tolerances, nuisance scan."""

    fit: FitSpec = Field(default_factory=FitSpec)
    pump: PumpSpec = Field(default_factory=PumpSpec)
    probe: ProbeSpec = Field(default_factory=ProbeSpec)
    peaks: PeaksSpec = Field(default_factory=PeaksSpec)
    kinetics: KineticsSpec = Field(default_factory=KineticsSpec)
    tc: TcSpec = Field(default_factory=TcSpec)
    percolation: PercolationSpec = Field(default_factory=PercolationSpec)
    tunnelling: TunnellingSpec = Field(default_factory=TunnellingSpec)
    tolerances: TolerancesSpec = Field(default_factory=TolerancesSpec)
    scan: ScanSpec = Field(default_factory=ScanSpec)

    @model_validator(mode="before")
    @classmethod
    def _moved(cls, data: Any) -> Any:
        if isinstance(data, dict):
            moved = [k for k in data if k in MOVED_KEYS]
            if moved:
                raise ValueError("; ".join(f"xfel.{k} is now xfel.{MOVED_KEYS[k]} ([xfel.{MOVED_KEYS[k].split('.')[0]}] table)" for k in moved))
        return data

    @model_validator(mode="after")
    def _consistent(self) -> XfelSpec:
        lo, hi = self.peaks.window
        span = self.probe.omega_span
        if not (span[0] <= lo < hi <= span[1]):
            raise ValueError(f"xfel.peaks.window = {self.peaks.window} must be increasing and inside xfel.probe.omega_span = {span}")
        return self


def xfel_section(spec: RunSpec) -> XfelSpec:
    """``spec.xfel``, which an xfel study needs; an :class:`InputError` when the section is absent."""
    if spec.xfel is None:
        raise InputError("xfel", None, f"an [xfel] section (study = {spec.study!r})")
    return spec.xfel
