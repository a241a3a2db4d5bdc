"""What a pump spec fixes before any state is computed: time grid, pulse, quench, lattice and XAS delays.

:func:`plan_pump` checks the spec against the model (a buildable quench, the pulse's field
against the model's validity, an optical gap to tune to, XAS delays inside the output window)
without building any matrix; the pump study (:mod:`localpairs.studies.pump`) runs it in its
``validate`` step and again before computing. Units: eV, fs, V/Å, mJ/cm².
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from localpairs.errors import InputError
from localpairs.hamiltonians.driven_model import PumpWarning, Quench, drive, gaussian_pulse
from localpairs.hamiltonians.oxygen_lattice import Lattice, oxygen_lattice
from localpairs.hamiltonians.pulse import Pulse
from localpairs.solvers.dynamics.finite_probe import DEFAULT_HALF_WIDTH_FWHM
from localpairs.spec import RunSpec, SpecError
from localpairs.studies.common import System, build_model
from localpairs.studies.pump_spec import pump_section
from localpairs.units import kelvin_to_ev


def pump_lattice(spec: RunSpec, system: System) -> Lattice | None:
    """Build the classical oxygen lattice of ``[pump.lattice]``, if any.

    Parameters
    ----------
    spec : RunSpec
        A pump spec (``study = "pump"``, with ``[pump]``).
    system : System
        The cluster, doping, model and sector built from the spec.

    Returns
    -------
    Lattice or None
        The lattice (coupling in eV/Å, barrier converted from K to eV, well separation in Å, mass
        in u, damping in 1/fs); None without ``[pump.lattice]``.
    """
    ls = pump_section(spec).lattice
    if ls is None:
        return None
    return oxygen_lattice(system.cluster, coupling=ls.coupling, barrier=kelvin_to_ev(ls.barrier_K), well_separation=ls.well_separation,
                          mass_u=ls.mass_u, damping=ls.damping)


def pump_quench(spec: RunSpec, system: System) -> Quench | None:
    """Build the quench of ``[pump.quench]``, if any: the model with the quench's overrides, from its time on.

    Parameters
    ----------
    spec : RunSpec
        A pump spec (``study = "pump"``, with ``[pump]``).
    system : System
        The cluster, doping, model and sector built from the spec.

    Returns
    -------
    Quench or None
        The quenched model and the quench time in fs; None without ``[pump.quench]``.

    Raises
    ------
    SpecError
        ``relaxed_lattice`` with a model other than the extended Hubbard model, or
        ``pump.quench.model`` keys the model does not take.
    """
    qs = pump_section(spec).quench
    if qs is None:
        return None
    overrides: dict[str, float | None] = dict(qs.model)  # eps may be set to None below
    if qs.relaxed_lattice:
        if spec.model.kind != "extended_hubbard":
            raise SpecError("pump.quench.relaxed_lattice needs model.kind = 'extended_hubbard' (breathing → 0)")
        overrides.update(breathing=0.0, eps=None)
    try:
        return Quench(build_model(spec, system.cluster, system.doping, **overrides), float(qs.time))
    except TypeError as err:
        raise SpecError(f"pump.quench.model = {qs.model!r} is not allowed: {err}") from None


def output_times(spec: RunSpec) -> np.ndarray:
    """Return the output time grid of the pump study.

    Parameters
    ----------
    spec : RunSpec
        A pump spec (``study = "pump"``, with ``[pump]``).

    Returns
    -------
    numpy.ndarray
        Times in fs: ``pump.times`` if given, else 0, ``output_step``, … up to ``t_end`` (which is
        appended when the step does not divide it).
    """
    ps = pump_section(spec)
    if ps.times is not None:
        return np.array(ps.times, dtype=float)
    n = int(np.floor(ps.t_end / ps.output_step + 1e-9))
    grid = np.arange(n + 1) * ps.output_step
    return grid if abs(grid[-1] - ps.t_end) < 1e-9 else np.append(grid, ps.t_end)


@dataclass(frozen=True)
class PumpPlan:
    """What the spec fixes before any state is computed (all checked by :func:`plan_pump`).

    Attributes
    ----------
    times : numpy.ndarray
        Output times in fs (:func:`output_times`).
    quench : Quench or None
        The quench, if any (:func:`pump_quench`).
    has_pulse : bool
        Whether there is a pulse (else a quench alone).
    center : float
        Pulse centre in fs, or 0 without a pulse: the zero of the XAS delays.
    delays : numpy.ndarray
        XAS delays in fs after ``center``.
    weak_pulse : Pulse
        A weak pulse (1e-9 V/Å) along the polarization: the operator's pieces and the current at A = 0.
    """

    times: np.ndarray
    quench: Quench | None
    has_pulse: bool  # else a quench alone
    center: float  # pulse centre (fs), or 0 without a pulse
    delays: np.ndarray
    weak_pulse: Pulse  # a weak pulse along the polarization: the operator's pieces and current at A = 0


def pump_pulse(spec: RunSpec, photon_energy: float, scale: float = 1.0) -> Pulse:
    """Build the spec's pulse at ``photon_energy`` with its fluence times ``scale``.

    Parameters
    ----------
    spec : RunSpec
        A pump spec with a fluence (mJ/cm²) or a peak field (V/Å).
    photon_energy : float
        Photon energy ħω in eV.
    scale : float
        Factor on the fluence (a calibration); the peak field is multiplied by √scale.

    Returns
    -------
    Pulse
        The Gaussian pulse (duration in fs, polarization, centre and refractive index of the spec).

    Raises
    ------
    InputError
        A pulse the builder refuses (e.g. a field beyond the model's validity).
    """
    ps = pump_section(spec)
    return gaussian_pulse(photon_energy=photon_energy, duration=ps.duration, duration_kind=ps.duration_kind,
                          fluence=None if ps.fluence is None else ps.fluence * scale,
                          peak_field=None if ps.peak_field is None else ps.peak_field * math.sqrt(scale),
                          polarization=ps.polarization, center=ps.center, refractive_index=ps.refractive_index)


def plan_pump(spec: RunSpec, system: System) -> PumpPlan:
    """Fix the time grid, quench, pulse centre and XAS delays; check the pulse against the model (no matrices).

    Parameters
    ----------
    spec : RunSpec
        A pump spec (``study = "pump"``, with ``[pump]``).
    system : System
        The cluster, doping, model and sector built from the spec.

    Returns
    -------
    PumpPlan
        What the spec fixes before any state is computed.

    Raises
    ------
    SpecError
        Naming the key: a quench model that cannot be built, a pulse beyond the model's validity,
        ``photon_energy = "optical_gap"`` along axes without a linear current, XAS delays outside
        the output window.
    """
    ps = pump_section(spec)
    times = output_times(spec)
    quench = pump_quench(spec, system)
    has_pulse = ps.fluence is not None or ps.peak_field is not None
    try:
        weak = gaussian_pulse(photon_energy=1.0, duration=ps.duration, duration_kind=ps.duration_kind, peak_field=1e-9, polarization=ps.polarization,
                              center=ps.center)
        with warnings.catch_warnings():  # the compute step warns about a length-2 periodic axis
            warnings.simplefilter("ignore", PumpWarning)
            # the field's validity does not depend on the photon energy: 1 eV stands for the optical gap
            pulse = pump_pulse(spec, 1.0 if ps.photon_energy == "optical_gap" else float(ps.photon_energy)) if has_pulse else None
            driven = drive(system.model, pulse=pulse, quench=quench)
    except InputError as err:
        raise SpecError(f"[pump]: {err}") from None
    if has_pulse and ps.photon_energy == "optical_gap" and not driven.info["linear_coupling"]:
        raise SpecError(f"pump.photon_energy = 'optical_gap' is not allowed here: every axis along the polarization {ps.polarization} is periodic with "
                        f"length 2 on {system.cluster.describe()}, the current vanishes and there is no optical transition to tune to; "
                        "give the photon energy in eV or open that axis")
    center = weak.center if has_pulse else 0.0  # the centre does not depend on the photon energy
    delays = np.array(ps.xas_delays, dtype=float)
    probe_times = center + delays
    if probe_times.size and not (times[0] <= probe_times[0] and probe_times[-1] <= times[-1]):
        raise SpecError(f"pump.xas_delays = {ps.xas_delays} is not allowed: {'pulse centre' if has_pulse else 't = 0'} ({center:g} fs) + delays must lie in "
                        f"[{times[0]:g}, {times[-1]:g}] fs, i.e. delays in [{times[0] - center:g}, {times[-1] - center:g}] fs")
    cfg = ps.xas_settings
    if probe_times.size and cfg.probe == "finite":
        reach = DEFAULT_HALF_WIDTH_FWHM * cfg.probe_fwhm
        if not (times[0] <= probe_times[0] - reach and probe_times[-1] + reach <= times[-1]):
            raise SpecError(f"pump.xas.probe_fwhm = {cfg.probe_fwhm:g} is not allowed with pump.xas_delays = {ps.xas_delays}: the finite probe samples "
                            f"ψ(t) over ±{DEFAULT_HALF_WIDTH_FWHM:g} FWHM = ±{reach:g} fs around each delay, which must lie in "
                            f"[{times[0]:g}, {times[-1]:g}] fs; "
                            f"allowed delays: [{times[0] - center + reach:g}, {times[-1] - center - reach:g}] fs")
    return PumpPlan(times, quench, has_pulse, center, delays, weak)
