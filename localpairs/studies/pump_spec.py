"""``[pump]`` section of a run spec: pulse, time grid, integrator, optional lattice and quench.

Units: eV, fs, V/Å, mJ/cm², Å, K. Every value is checked here (types, signs, ranges, the time
grid); the physical limits that need the model (field against band width) are checked by the
study before any evolution.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, model_validator

from localpairs.errors import InputError
from localpairs.spec_base import MAX_TIME_FS, Duration, EdgeEnergy, Fluence, PhotonEnergy, Strict, TimeFs, XasWindow
from localpairs.studies.spectra_spec import SpectraSpec

if TYPE_CHECKING:  # the spec stays importable without the solvers (QuSpin)
    from localpairs.solvers.dynamics.transient_xas import XasSettings
    from localpairs.spec import RunSpec

Positive = Annotated[float, Field(gt=0)]
#: A positive time span in fs, at most :data:`~localpairs.spec_base.MAX_TIME_FS`.
TimeSpan = Annotated[float, Field(allow_inf_nan=False, gt=0, le=MAX_TIME_FS)]
#: Peak field in V/Å: 10 V/Å is already far beyond any solid's damage threshold (~0.1–1 V/Å).
PeakField = Annotated[float, Field(allow_inf_nan=False, gt=0, le=10.0)]
#: Defaults of the XAS settings shared with the spectra study (``[spectra]``), so both agree.
_XAS_DEFAULTS = SpectraSpec.model_fields


class LatticeSpec(Strict):
    """``[pump.lattice]``: classical bridging oxygens in double wells (see hamiltonians/oxygen_lattice.py).

    ``coupling`` λ in eV/Å (the LPDW splitting is 6λu0 on the cube), ``barrier_K`` the barrier
    in kelvin, ``well_separation`` 2u0 in Å, ``mass_u`` in u, ``damping`` γ in 1/fs. With
    ``relax_initial`` the oxygens start at the Born–Oppenheimer equilibrium of the ground state.
    """

    coupling: Annotated[float, Field(ge=0)] = 0.476
    """Electron–lattice coupling λ in eV/Å: an oxygen displaced by u shifts the levels of its two octahedra by ∓λu (the LPDW splitting is 6λu₀ on the
    cube).
    """
    barrier_K: Positive = 500.0
    """Height of the double-well barrier of each bridging oxygen, in kelvin."""
    well_separation: Positive = 0.07
    """Distance 2u₀ between the two minima of an oxygen's double well, in Å."""
    mass_u: Positive = 16.0
    """Mass of the moving oxygen in atomic mass units (16 for O)."""
    damping: Annotated[float, Field(ge=0)] = 0.0
    """Damping rate γ of the oxygen motion in 1/fs (0: energy-conserving Ehrenfest dynamics); the dissipated work is recorded."""
    relax_initial: bool = True
    """Start the oxygens at the Born–Oppenheimer equilibrium of the ground state (else at ±u₀)."""


class QuenchSpec(Strict):
    """``[pump.quench]``: all parameters change at ``time`` (fs).

    ``relaxed_lattice = true`` sets the breathing to zero (identical octahedra, the lattice of
    the excited state taken as relaxed at once); ``model`` overrides other model parameters
    (same names as ``[model]``).
    """

    time: float = 0.0
    """Time (fs) at which the model parameters change."""
    relaxed_lattice: bool = False
    """Set the breathing to zero at the quench (identical octahedra: the lattice of the excited state taken as relaxed at once)."""
    model: dict[str, float] = {}
    """Model parameters that change at the quench (same names as [model], e.g. { U = -0.8 })."""


#: ``core_hole`` as in ``[spectra]`` (:class:`SpectraSpec`): a placement name or two finite weights.
CoreHoleSetting = Literal["both", "site", "site_i", "site_j", "receiving"] | Annotated[
    list[Annotated[float, Field(allow_inf_nan=False)]], Field(min_length=2, max_length=2)]
#: How ψ(t) is probed (:class:`XasProbeSpec`).
ProbeModel = Literal["long", "finite", "instantaneous"]


class XasProbeSpec(Strict):
    """``[pump.xas]``: the time-resolved O K-edge XAS recorded at ``pump.xas_delays``.

    Same settings and defaults as the XAS of the spectra study (:class:`SpectraSpec`): core-hole
    potential ``U_c`` (eV, < 0 attracts) placed by ``core_hole``, Lorentzian half width ``Gamma``
    (eV), Gaussian resolution ``gaussian_fwhm`` (eV), ``lanczos_steps`` per channel, ``coherence``
    and ``use_symmetry``. Photon energies: ``pre_edge_eV + window`` on ``n_omega`` points; the
    offset places the main (σ*) peak of the *ground-state* XAS at ``pre_edge_eV`` unless
    ``offset_eV`` is given, and is then kept for every delay.

    ``probe`` (see :mod:`localpairs.studies.pump_xas`):

    - ``"long"`` (default): a probe long against the level spacing. ψ(t) = c0 ψ0 + χ, the ground
      part from E_0 and every eigencomponent of χ from its own energy, by energy windows of
      starting width ``window_width`` (eV, default Γ/4) halved until the change is at most
      ``halving_tol`` of the peak (:func:`~localpairs.solvers.spectra.windowed_xas.windowed_xas`).
    - ``"finite"``: the two-time formula with a Gaussian probe of intensity FWHM ``probe_fwhm``
      (fs, then > 0) on ψ(t) sampled every ``probe_dt`` fs over ±3 FWHM around each delay
      (:func:`~localpairs.solvers.dynamics.finite_probe.finite_probe_xas`).
    - ``"instantaneous"``: the single-reference split: χ̂ measured from one energy ⟨χ̂|H|χ̂⟩, valid
      while its spread σ_χ ≪ Γ. With ``energy_reference = "ground"`` all of ψ(t) is measured from
      E_0 instead (puts excited lines too high by their excitation energy; for comparison only).

    For ``"long"`` and ``"instantaneous"``, ``probe_fwhm`` (fs, ≥ 0; 0 = none) convolves the
    reported ΔXAS along the delay (:func:`localpairs.analysis.probe.probe_convolution`).
    ``excited_fraction`` α ∈ (0, 1] (default 1) scales the reported ΔXAS: the fraction of the
    probed volume in the pumped state (the EuXFEL experiment estimates α ≈ 5 % at 8 mJ/cm²).
    The raw ΔXAS (α = 1, no convolution) is always stored as well.

    ``reorthogonalize``: fully reorthogonalized Lanczos chains (reproducible to ~1e-15 of the peak
    instead of ~1e-5, benchmarks/xas_roundoff.py, at several times the cost); ``"auto"``: where
    the (N + 1)-electron sector is small enough (:data:`localpairs.studies.pump_xas.REORTH_MAX_WORK`).
    """

    U_c: Annotated[float, Field(ge=-50, le=50)] = _XAS_DEFAULTS["U_c"].default
    """Core-hole potential U_c in eV in the XAS final state (< 0 attracts electrons to the core hole)."""
    Gamma: Annotated[float, Field(gt=0, le=5)] = _XAS_DEFAULTS["Gamma"].default
    """Core-hole lifetime broadening Γ: the Lorentzian half width (eV) of the XAS."""
    gaussian_fwhm: Annotated[float, Field(ge=0, le=5)] = _XAS_DEFAULTS["xas_gaussian_fwhm"].default
    """Gaussian resolution FWHM (eV) convolved with the XAS (0: none)."""
    offset_eV: float | None = _XAS_DEFAULTS["offset_eV"].default
    """Photon-energy offset (eV); default: the main peak of the ground-state XAS is placed at pre_edge_eV and the offset kept for every delay."""
    pre_edge_eV: EdgeEnergy = _XAS_DEFAULTS["pre_edge_eV"].default
    """Photon energy (eV) of the ground-state XAS main peak (the measured O K pre-edge)."""
    window: XasWindow = list(_XAS_DEFAULTS["xas_window"].default)
    """Photon energies as [low, high] in eV relative to pre_edge_eV."""
    n_omega: Annotated[int, Field(ge=10, le=100_000)] = 901
    """Number of photon energies in the window."""
    lanczos_steps: Annotated[int, Field(ge=10, le=5000)] = _XAS_DEFAULTS["xas_lanczos_steps"].default
    """Lanczos steps per core-hole channel (and per energy window)."""
    coherence: Literal["incoherent", "coherent"] = _XAS_DEFAULTS["coherence"].default
    """"incoherent" (default): channels of each oxygen's two octahedra summed separately; "coherent": the electron goes into their bonding combination."""
    core_hole: CoreHoleSetting = _XAS_DEFAULTS["core_hole"].default
    """Where U_c acts in the final state of the oxygen on bond i → j: "both", "site", "site_i", "site_j", "receiving" or weights [w_i, w_j] (as [spectra]
    core_hole).
    """
    use_symmetry: bool = _XAS_DEFAULTS["use_symmetry"].default
    """Compute symmetry-equivalent XAS channels once (results identical; faster)."""
    probe: ProbeModel = "long"
    """"long" (default): each eigencomponent of ψ(t) measured from its own energy (energy windows, converged by halving); "finite": the two-time formula
    with a Gaussian probe of probe_fwhm; "instantaneous": the excited part from one reference energy (for comparison).
    """
    probe_fwhm: Annotated[float, Field(ge=0, le=10_000)] = 0.0
    """Probe intensity FWHM in fs: the Gaussian of the finite probe, or (long and instantaneous) the convolution of the reported ΔXAS along the delay (0:
    none).
    """
    probe_dt: Annotated[float, Field(gt=0, le=1.0)] = 0.1
    """Time step (fs) of the states stored around each delay for the finite probe."""
    window_width: Annotated[float, Field(gt=0, le=5)] | None = None
    """Starting energy-window width (eV) of the long probe (default Γ/4); halved until the spectrum changes by less than halving_tol of its peak."""
    halving_tol: Annotated[float, Field(gt=0, le=0.1)] = 1e-3
    """Convergence of the long probe: largest change, as a fraction of the peak, when the window width is halved."""
    reorthogonalize: bool | Literal["auto"] = "auto"
    """Fully reorthogonalized Lanczos chains (reproducible to ~1e-15 of the peak instead of ~1e-5, at several times the cost); "auto": where the final-
    state sector is small enough.
    """
    excited_fraction: Annotated[float, Field(gt=0, le=1)] = 1.0
    """Fraction α ∈ (0, 1] of the probed volume in the pumped state: scales the reported ΔXAS (the raw ΔXAS is stored too)."""
    energy_reference: Literal["split", "ground"] = "split"
    """"split" (default): ground part from E0, excited part from its own energies; "ground": all of ψ(t) from E0 (puts excited lines too high; only with
    probe = "instantaneous").
    """

    @model_validator(mode="after")
    def _consistent(self) -> XasProbeSpec:
        if self.probe == "finite" and self.probe_fwhm <= 0:
            raise ValueError(f"probe = 'finite' needs probe_fwhm > 0 (the probe intensity FWHM in fs), got probe_fwhm = {self.probe_fwhm}")
        if self.energy_reference == "ground" and self.probe != "instantaneous":
            raise ValueError(f"energy_reference = 'ground' is a single-reference probe: it needs probe = 'instantaneous', got probe = {self.probe!r}")
        if self.core_hole == "receiving" and self.coherence == "coherent":
            raise ValueError("core_hole = 'receiving' needs coherence = 'incoherent' (the coherent operator puts the electron on both octahedra)")
        return self

    def solver_settings(self, *, reorthogonalize: bool | None = None) -> XasSettings:
        """Return the settings of each XAS computed by the probe (:mod:`localpairs.solvers.dynamics.transient_xas`).

        Parameters
        ----------
        reorthogonalize : bool, optional
            The resolved choice (``"auto"`` is resolved by the study, which knows the sector sizes);
            None: the solver's own default.

        Returns
        -------
        XasSettings
            The solver settings.
        """
        from localpairs.solvers.dynamics.transient_xas import XasSettings

        core_hole = self.core_hole if isinstance(self.core_hole, str) else (float(self.core_hole[0]), float(self.core_hole[1]))
        return XasSettings(U_c=self.U_c, Gamma=self.Gamma, gaussian_fwhm=self.gaussian_fwhm, coherence=self.coherence,
                           use_symmetry=self.use_symmetry, n_steps=self.lanczos_steps, core_hole=core_hole, reorthogonalize=reorthogonalize,
                           excited_probe="single_reference" if self.probe == "instantaneous" else "windowed",
                           window_width=self.window_width, halving_tol=self.halving_tol)


class PumpSpec(Strict):
    """``[pump]``: settings of the pump study.

    ``photon_energy`` is a number (eV) or ``"optical_gap"``: the optical gap of the ground state
    along the polarization, the lowest pole carrying at least ``optical_gap_fraction`` of ∫σ dω
    (:func:`localpairs.analysis.spectral_edges.optical_gap`). Give ``fluence`` (mJ/cm²) or
    ``peak_field`` (V/Å). ``duration`` is an FWHM in fs, of the intensity (default) or of the
    field (``duration_kind``). ``center`` defaults to the time where |A| has risen to 1e-6 A0.
    Output every ``output_step`` fs from 0 to ``t_end`` (or at the explicit ``times``).
    ``xas_delays`` (fs after the pulse centre; after t = 0 without a pulse) are the delays at
    which the O K-edge XAS of ψ(t) is recorded, with the settings of ``[pump.xas]``
    (:class:`XasProbeSpec`); centre + delay must lie within the output window. The probe sees
    only ψ(t), so it cannot be combined with a classical lattice.

    ``alpha_target`` (optional, in (0, 0.5]): calibrate the fluence to an excited fraction. The
    pulse given by ``fluence`` (or ``peak_field``) is the nominal one (e.g. the experiment's
    8 mJ/cm², at which α ≈ 0.05 is measured); the study computes its first-order excited weight
    α⁽¹⁾ by linear response (:func:`~localpairs.solvers.dynamics.linear_response.linear_response`,
    exact ∝ fluence to first order) and runs at fluence × alpha_target/α⁽¹⁾
    (:func:`localpairs.analysis.fluence_calibration.calibrated_fluence`). A bare cluster absorbs far
    more per octahedron than the film, so the nominal fluence drives it into the Rabi regime. Needs
    a pulse and neither a lattice nor a quench (linear response is about a pulse on a fixed H₀).
    """

    photon_energy: PhotonEnergy | Literal["optical_gap"] = "optical_gap"
    """Photon energy ħω in eV, or "optical_gap": the lowest optical pole along the polarization carrying at least optical_gap_fraction of ∫σ dω."""
    optical_gap_fraction: Annotated[float, Field(gt=0, le=1)] = 0.1
    """Share of ∫σ dω a pole needs to count as the optical gap."""
    duration: Duration = 30.0
    """Pulse duration: an FWHM in fs, of the intensity (default) or of the field (duration_kind)."""
    duration_kind: Literal["intensity_fwhm", "field_fwhm"] = "intensity_fwhm"
    """Which FWHM duration is: "intensity_fwhm" or "field_fwhm"."""
    fluence: Fluence | None = None
    """Incident fluence in mJ/cm² (or give peak_field; or alpha_target)."""
    peak_field: PeakField | None = None
    """Peak electric field in V/Å (instead of fluence)."""
    refractive_index: Annotated[float, Field(ge=1)] = 1.0
    """Refractive index n used to convert fluence into the field inside the sample."""
    polarization: list[float] = [1.0, 0.0, 0.0]
    """Polarization (x, y, z) of the pulse, normalized; it should point along an open axis."""
    center: TimeFs | None = None
    """Time (fs) of the pulse maximum (default: where |A| has risen to 1e-6 of its peak)."""
    t_end: TimeSpan = 250.0
    """End of the evolution in fs."""
    output_step: TimeSpan = 0.5
    """Time step (fs) of the recorded observables."""
    times: list[TimeFs] | None = None
    """Explicit output times in fs (instead of output_step and t_end)."""
    tolerance: Annotated[float, Field(gt=0, lt=1e-2)] = 1e-7
    """Error of the final state the integrator controls (norm)."""
    max_krylov: Annotated[int, Field(ge=8, le=200)] = 40
    """Largest Krylov dimension of one exponential."""
    checkpoint_every: Annotated[int, Field(ge=1)] = 200
    """Output steps between checkpoints of the evolution (a killed run resumes from the last one)."""
    pair_correlations: bool = True
    """Record pair correlations ⟨Δ†_i Δ_j⟩ against time."""
    alpha_target: Annotated[float, Field(gt=0, le=0.5)] | None = None
    """Calibrate the fluence so that the excited weight after the pulse is this α (linear response; e.g. 0.05, the experiment's α at 8 mJ/cm²); replaces
    fluence and peak_field.
    """
    xas_delays: list[float] = []
    """Delays (fs after the pulse centre) at which the O K-edge XAS of ψ(t) is recorded, strictly increasing; centre + delay within the output window."""
    xas: XasProbeSpec | None = None
    """Settings of the time-resolved XAS ([pump.xas])."""
    lattice: LatticeSpec | None = None
    """Classical bridging oxygens coupled to the electrons ([pump.lattice]; not with xas_delays)."""
    quench: QuenchSpec | None = None
    """A sudden change of model parameters during the evolution ([pump.quench])."""

    @model_validator(mode="after")
    def _consistent(self) -> PumpSpec:
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
        if self.xas_delays and self.lattice is not None:
            raise ValueError("xas_delays with a [pump.lattice] is not supported: the XAS probe sees ψ(t) but not the oxygen displacements u(t); "
                             "remove one of them")
        if self.alpha_target is not None:
            if self.fluence is None and self.peak_field is None:
                raise ValueError(f"alpha_target = {self.alpha_target} needs a pulse (fluence or peak_field): it calibrates the pulse's fluence")
            if self.lattice is not None or self.quench is not None:
                raise ValueError(f"alpha_target = {self.alpha_target} is not allowed with a [pump.lattice] or [pump.quench]: the calibration is the "
                                 "linear response of a pulse on a fixed H₀; remove alpha_target or them")
            if self.xas is not None and self.xas.excited_fraction != 1.0:
                raise ValueError(f"alpha_target = {self.alpha_target} with pump.xas.excited_fraction = {self.xas.excited_fraction}: the calibrated "
                                 "model is already at that excited fraction; set excited_fraction = 1 or remove alpha_target")
        if self.xas is not None and not self.xas_delays:
            raise ValueError("[pump.xas] is given but xas_delays is empty: nothing would be recorded; give xas_delays (fs after the pulse centre)")
        return self

    @property
    def xas_settings(self) -> XasProbeSpec:
        """``[pump.xas]`` or its defaults."""
        return self.xas if self.xas is not None else XasProbeSpec()

    @property
    def end_time(self) -> float:
        """Last output time in fs."""
        return self.times[-1] if self.times is not None else self.t_end


def pump_section(spec: RunSpec) -> PumpSpec:
    """Return ``spec.pump``, which a pump study needs.

    Parameters
    ----------
    spec : RunSpec
        The validated run spec.

    Returns
    -------
    PumpSpec
        The ``[pump]`` section.

    Raises
    ------
    InputError
        When the section is absent.
    """
    if spec.pump is None:
        raise InputError("pump", None, f"a [pump] section (study = {spec.study!r})")
    return spec.pump
