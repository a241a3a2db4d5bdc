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
from localpairs.studies.xfel_scan_spec import CoreHolePlacement as CoreHolePlacement  # re-exported
from localpairs.studies.xfel_scan_spec import Lattice as Lattice
from localpairs.studies.xfel_scan_spec import ProbeModel as ProbeModel
from localpairs.studies.xfel_scan_spec import PumpedState as PumpedState
from localpairs.studies.xfel_scan_spec import ScanSpec as ScanSpec

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

    Both scenarios fit the same two parameters, U and the breathing Δ, to the same ``targets`` (default the measured E_G and E_a), with the same fixed
    V (``V``; default ``[model] V``) and t (``[model]``); they differ only in the sign of U: *paired* ``U_min`` ≤ U < 0 from (``U_guess``,
    ``breathing_guess``), *unpaired* 0 ≤ U ≤ ``U_max`` from (``U_guess_unpaired``, ``breathing_guess_unpaired``); 0 ≤ Δ ≤ ``breathing_max`` in both.
    ``max_nfev`` ED evaluations per fit (incl. finite-difference Jacobians), ``xtol`` relative step tolerance. ``optical_gap_fraction``: E_G is the
    lowest σ(ω) pole carrying at least this fraction of ∫σ dω (:func:`~localpairs.analysis.spectral_edges.optical_gap`).
    """

    targets: Annotated[list[FitTarget], Field(min_length=1, max_length=3)] = ["E_G", "E_a"]
    """Measured quantities both scenarios are fitted to: any of "E_G" (optical gap), "E_a" (2E_a = the two-particle gap Δ2), "E_b" (Δ1 − Δ2); inputs,
    never scored as tests.
    """
    V: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    """Nearest-neighbour interaction V in eV, fixed and the same in both scenarios (default: [model] V)."""
    U_guess: Annotated[float, Field(lt=0)] = -1.5
    """Start of the paired fit's U in eV (< 0)."""
    breathing_guess: Annotated[float, Field(ge=0)] = 0.1
    """Start of the paired fit's breathing Δ in eV."""
    U_min: Annotated[float, Field(lt=0)] = -6.0
    """Lower bound of the paired fit's U in eV (U_min < U < 0)."""
    U_guess_unpaired: Annotated[float, Field(ge=0)] = 0.5
    """Start of the unpaired fit's U in eV (≥ 0)."""
    breathing_guess_unpaired: Annotated[float, Field(ge=0)] = 0.5
    """Start of the unpaired fit's breathing Δ in eV."""
    U_max: EnergyBound = 6.0
    """Upper bound of the unpaired fit's U in eV (0 ≤ U ≤ U_max)."""
    breathing_max: EnergyBound = 1.0
    """Upper bound of the fitted breathing Δ in eV."""
    max_nfev: Annotated[int, Field(ge=1, le=400)] = 80
    """Largest number of exact-diagonalization evaluations per fit (finite-difference Jacobians included)."""
    xtol: Annotated[float, Field(gt=0, lt=1)] = 1e-3
    """Relative step tolerance of the least-squares fit."""
    optical_gap_fraction: Annotated[float, Field(gt=0, le=1)] = 0.1
    """Share of ∫σ dω a pole needs to count as the optical gap E_G."""

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


class XfelPumpSpec(Strict):
    """``[xfel.pump]``: the x-polarized Gaussian pump at the experiment's photon energy (reference data, 1.96 eV) in both scenarios.

    With ``calibrate_fluence`` the ΔXAS fluence of each scenario is the one that excites the measured α at 8 mJ/cm² (the reference data), found in
    linear response (α ∝ F exactly at first order, one evaluation; :mod:`localpairs.studies.xfel_pumped`); otherwise ``fluence`` is used as it is.
    ``max_probe_excitation`` belonged to the former probe run and is no longer used. ``fluence_factors`` are multiples of that fluence (experiment: 8,
    16, 32 mJ/cm² ↔ 1, 2, 4). ``duration``: intensity FWHM (fs). ``delays`` are fs after the end of the pulse (centre + one intensity FWHM); the
    unrelaxed rows use the first delay (early), the relaxed rows the last one. ``evolution_tol``: integrator tolerance.
    """

    fluence: Fluence = 0.01
    """The fluence used as it is, in mJ/cm² (without calibrate_fluence; with it, unused)."""
    calibrate_fluence: bool = True
    """Calibrate the ΔXAS fluence of each scenario to the measured excited fraction α at 8 mJ/cm² (in linear response)."""
    max_probe_excitation: Annotated[float, Field(gt=0, lt=1)] = 0.2
    """No longer used (the calibration is in linear response, without a probe run); accepted so that older specs parse."""
    fluence_factors: Annotated[list[Annotated[float, Field(allow_inf_nan=False, gt=0, le=1000)]], Field(min_length=1)] = [1.0, 2.0, 4.0]
    """Multiples of the calibrated fluence that are pumped (experiment: 8, 16, 32 mJ/cm² ↔ 1, 2, 4)."""
    duration: Duration = 30.0
    """Pulse intensity FWHM in fs."""
    delays: Annotated[list[Annotated[float, Field(ge=0)]], Field(min_length=1)] = [0.0, 30.0, 60.0]
    """Probe delays in fs after the end of the pulse (centre + one intensity FWHM), strictly increasing."""
    evolution_tol: Annotated[float, Field(gt=0, lt=1e-2)] = 1e-6
    """Error of the final state the integrator controls."""

    @model_validator(mode="after")
    def _consistent(self) -> XfelPumpSpec:
        if any(b <= a for a, b in zip(self.delays, self.delays[1:])):
            raise ValueError(f"xfel.pump.delays = {self.delays} must be strictly increasing")
        if len(set(self.fluence_factors)) != len(self.fluence_factors):
            raise ValueError(f"xfel.pump.fluence_factors = {self.fluence_factors} must be distinct")
        return self


class ProbeSpec(Strict):
    """``[xfel.probe]``: the O K-edge XAS (core-hole potential ``U_c`` and half width ``Gamma``, eV).

    One offset per scenario puts the ground-state pre-edge peak at ``pre_edge_peak`` (eV); photon energies ``pre_edge_peak + omega_span`` (eV) in
    steps of ``omega_step``; ``lanczos_steps`` per channel. ``probe_model`` (:mod:`localpairs.studies.xfel_probe_models`): ``"long"`` (each
    eigencomponent of the excited part from its own energy, energy windows), ``"instantaneous"`` (one reference energy for the excited part) or
    ``"finite"`` (two-time formula with a Gaussian probe of intensity FWHM ``probe_fwhm`` fs on ψ(t) sampled every ``finite_time_step`` fs; core hole
    ``"both"`` only). ``core_hole``: where U_c acts — ``"both"`` octahedra of the oxygen, ``"site"`` (one, averaged over the two), ``"site_i"``,
    ``"site_j"``, ``"receiving"``, or two weights ``[w_i, w_j]``.
    """

    U_c: Annotated[float, Field(ge=-50, le=50)] = -1.0
    """Core-hole potential U_c in eV in the XAS final state (< 0 attracts electrons)."""
    Gamma: Positive = 0.2
    """Core-hole lifetime broadening Γ: the Lorentzian half width in eV."""
    pre_edge_peak: EdgeEnergy = 529.0
    """Photon energy (eV) at which each scenario's ground-state pre-edge peak is placed (the measured 529 eV)."""
    omega_span: Annotated[list[float], Field(min_length=2, max_length=2)] = [-4.0, 8.0]
    """Photon energies as [low, high] in eV relative to pre_edge_peak."""
    omega_step: Positive = 0.02
    """Step of the photon-energy axis in eV."""
    lanczos_steps: Annotated[int, Field(ge=10, le=1000)] = 150
    """Lanczos steps per core-hole channel."""
    probe_model: Literal["instantaneous", "long", "finite"] = "long"
    """"long" (default: each eigencomponent of the pumped state measured from its own energy, by energy windows), "instantaneous" (the excited part from
    one reference energy) or "finite" (the two-time formula with a Gaussian probe of probe_fwhm).
    """
    core_hole: Literal["both", "site", "site_i", "site_j", "receiving"] | Annotated[
        list[Annotated[float, Field(allow_inf_nan=False, ge=-10, le=10)]], Field(min_length=2, max_length=2)] = "both"
    """Where U_c acts in the final state of the oxygen on bond i → j: "both", "site", "site_i", "site_j", "receiving" or weights [w_i, w_j] (as [spectra]
    core_hole).
    """
    probe_fwhm: Duration | None = None
    """Probe intensity FWHM in fs (only with probe_model = "finite")."""
    finite_time_step: Annotated[float, Field(gt=0, le=1.0)] = 0.1
    """Time step (fs) of the states stored on the finite probe's grid."""

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
    """Photon energies [low, high] in eV relative to the pre-edge peak where the ΔXAS features A and B are sought (inside xfel.probe.omega_span)."""
    min_amplitude: Annotated[float, Field(ge=0, lt=1)] = 0.05
    """Smallest |ΔXAS| of a feature as a fraction of max |ΔXAS| in the window."""
    a_below_b: bool = True
    """Seek A (positive) below B (negative), as identified in the experiment."""


class KineticsSpec(Strict):
    """``[xfel.kinetics]``: ``csv``, a measured delay trace to fit with three exponentials (optional)."""

    csv: str | None = None
    """A measured delay trace (CSV: delay in ps, signal) to fit with three exponentials (optional)."""


class TcSpec(Strict):
    """``[xfel.tc]``: doping levels ``x`` of the T_c(x) table."""

    x: Annotated[list[Annotated[float, Field(ge=0.37, le=0.5)]], Field(min_length=2)] = [0.37, 0.4, 0.45, 0.5]
    """K concentrations x of the T_c(x) table (0.37 ≤ x ≤ 0.5)."""


class PercolationSpec(Strict):
    """``[xfel.percolation]``: cluster ``sizes`` L (at least three, distinct and even: the rock-salt
    placement needs two sublattices on the torus; the threshold is extrapolated from them),
    ``samples`` per size and the random ``seed``."""

    sizes: Annotated[list[Annotated[int, Field(ge=4, le=64)]], Field(min_length=3)] = [8, 12, 16, 24]
    """Cluster sizes L (at least three, distinct and even) from which the percolation threshold is extrapolated."""
    samples: Annotated[int, Field(ge=10, le=100000)] = 300
    """Random placements per size."""
    seed: int = 7
    """Seed of the random placements."""

    @model_validator(mode="after")
    def _consistent(self) -> PercolationSpec:
        if len(set(self.sizes)) != len(self.sizes) or any(L % 2 for L in self.sizes):
            raise ValueError(f"xfel.percolation.sizes = {self.sizes} must be distinct and even")
        return self


class TunnellingSpec(Strict):
    """``[xfel.tunnelling]``: Fermi–Bose chains of ``sites`` lengths, t_F, g and E_B in eV."""

    sites: Annotated[list[Annotated[int, Field(ge=1, le=8)]], Field(min_length=3)] = [1, 2, 3, 4]
    """Lengths (fermionic sites) of the Fermi–Bose chains through which a pair tunnels (at least three)."""
    t_F: Positive = 0.33
    """Fermion hopping of the chains in eV."""
    g: Positive = 0.1
    """Pair–fermion conversion of the chains in eV."""
    E_B: float = 0.5
    """Pair energy of the chains in eV."""


class TolerancesSpec(Strict):
    """``[xfel.tolerances]``: absolute tolerances of the verdicts (|A−B| ``ab``, A shift ``a_shift``,
    gaps ``gap`` in eV; excited fraction ``alpha``; percolation threshold ``x``; ``tc_K`` in K, by default
    None: the review's own spread |its T_c estimate − the measured T_c| from the reference data)."""

    ab: Tolerance = 0.3
    """Tolerance (eV) of |A − B| against the experiment."""
    a_shift: Tolerance = 0.15
    """Tolerance (eV) of the shift of A."""
    gap: Tolerance = 0.1
    """Tolerance (eV) of the fitted gaps."""
    alpha: Tolerance = 0.05
    """Tolerance of the excited fraction α."""
    tc_K: Tolerance | None = None
    """Tolerance (K) of T_c (default: the review's own spread, |its estimate − the measured T_c|)."""
    x: Tolerance = 0.05
    """Tolerance of the percolation threshold in x."""


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
    """The paired and unpaired scenario fits ([xfel.fit])."""
    pump: XfelPumpSpec = Field(default_factory=XfelPumpSpec)
    """The pump of both scenarios ([xfel.pump])."""
    probe: ProbeSpec = Field(default_factory=ProbeSpec)
    """The O K-edge XAS probe ([xfel.probe])."""
    peaks: PeaksSpec = Field(default_factory=PeaksSpec)
    """How the ΔXAS features A and B are found ([xfel.peaks])."""
    kinetics: KineticsSpec = Field(default_factory=KineticsSpec)
    """The kinetics fit of a measured trace ([xfel.kinetics])."""
    tc: TcSpec = Field(default_factory=TcSpec)
    """The Fermi–Bose T_c(x) table ([xfel.tc])."""
    percolation: PercolationSpec = Field(default_factory=PercolationSpec)
    """Percolation of small octahedra ([xfel.percolation])."""
    tunnelling: TunnellingSpec = Field(default_factory=TunnellingSpec)
    """Pair tunnelling through fermionic chains ([xfel.tunnelling])."""
    tolerances: TolerancesSpec = Field(default_factory=TolerancesSpec)
    """Tolerances of the verdicts ([xfel.tolerances])."""
    scan: ScanSpec = Field(default_factory=ScanSpec)
    """The box of nuisance parameters scanned for the discrimination verdict ([xfel.scan])."""

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
    """The ``[xfel]`` section of a run spec, which an xfel study needs.

    Parameters
    ----------
    spec
        The validated run spec.

    Returns
    -------
    XfelSpec
        ``spec.xfel``.

    Raises
    ------
    InputError
        If the spec has no ``[xfel]`` section.
    """
    if spec.xfel is None:
        raise InputError("xfel", None, f"an [xfel] section (study = {spec.study!r})")
    return spec.xfel
