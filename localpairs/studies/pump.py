"""Pump study: a ground state (LPDW) under an optical pulse and/or a quench; observables against time.

Steps: build the system; the initial state is the ground state of H(0) (with classical oxygens
relaxed to their Born–Oppenheimer equilibrium when a lattice is coupled); the photon energy is
the spec's number or the lowest strong optical transition of that state along the polarization
(:mod:`localpairs.solvers.optical`); the pulse is checked against the model's validity before any
evolution; the trajectory is integrated with checkpoints (``outdir/checkpoints``), then written to
``results.nc`` with figures and ``report.md``.

Time-resolved XAS: :func:`make_xas_probe` is the hook. It returns None until
``localpairs.solvers.xas`` exists; once connected it returns ``probe(t, psi) -> {key: array}``
and the spectra are recorded at ``pulse centre + xas_delays`` (variables ``probe_xas_*``).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import scipy.sparse.linalg as spla

from localpairs.analysis.dynamics_figures import cumulative_work, current_figure, lattice_figure, overview_figure, site_charge_figure
from localpairs.analysis.figures import save_figure
from localpairs.errors import InputError, LocalPairsError
from localpairs.hamiltonians.pump import Quench, drive, gaussian_pulse
from localpairs.io import write_text_atomic, write_with
from localpairs.solvers import build_basis
from localpairs.solvers.driven import DrivenOperator
from localpairs.solvers.evolution import EvolutionOptions
from localpairs.solvers.lattice import Lattice, lpdw_displacements, oxygen_lattice, relax_lattice
from localpairs.solvers.optical import OpticalTransitions, lowest_strong_transition, optical_transitions
from localpairs.solvers.trajectory import Probe, run_trajectory
from localpairs.spec import RunSpec, SpecError
from localpairs.units import kelvin_to_ev

from .common import Checkpoints, System, build_model, build_system, progress, provenance, spec_hash
from .pump_report import report_text


def make_xas_probe(system: System, op: DrivenOperator, spec: RunSpec) -> Probe | None:
    """Time-resolved XAS of ψ(t) at the requested delays: the hook for ``solvers/xas.py``.

    Connect here: return ``lambda t, psi: {"omega": ..., "intensity": ...}`` built from the
    XAS module (same shapes at every delay). ``op.basis``, ``system.model`` and ``spec.spectra``
    are at hand. None means "not available": the study then records no spectra and says so.
    """
    return None


def _lowest(matrix, *, dense_threshold: int) -> tuple[float, np.ndarray]:
    dim = matrix.shape[0]
    if dim <= dense_threshold:
        w, v = np.linalg.eigh(matrix.toarray())
        return float(w[0]), v[:, 0].astype(np.complex128)
    v0 = np.random.default_rng(12345).standard_normal(dim).astype(np.complex128)
    w, v = spla.eigsh(matrix, k=1, which="SA", v0=v0, tol=0)
    return float(w[0]), v[:, 0] / np.linalg.norm(v[:, 0])


def _lattice(spec: RunSpec, system: System) -> Lattice | None:
    ls = spec.pump.lattice
    if ls is None:
        return None
    return oxygen_lattice(system.cluster, coupling=ls.coupling, barrier=kelvin_to_ev(ls.barrier_K), well_separation=ls.well_separation, mass_u=ls.mass_u, damping=ls.damping)


def _quench(spec: RunSpec, system: System) -> Quench | None:
    qs = spec.pump.quench
    if qs is None:
        return None
    overrides = dict(qs.model)
    if qs.relaxed_lattice:
        if spec.model.kind != "extended_hubbard":
            raise SpecError("pump.quench.relaxed_lattice needs model.kind = 'extended_hubbard' (breathing → 0)")
        overrides.update(breathing=0.0, eps=None)
    try:
        return Quench(build_model(spec, system.cluster, system.doping, **overrides), float(qs.time))
    except TypeError as err:
        raise SpecError(f"pump.quench.model = {qs.model!r} is not allowed: {err}") from None


def _initial_state(op: DrivenOperator, lattice: Lattice | None, spec: RunSpec, system: System) -> tuple[np.ndarray, np.ndarray | None]:
    c0 = op.driven.coefficients_at(0.0, 0)
    threshold = spec.solver.dense_threshold

    def ground(shifts: np.ndarray | None) -> np.ndarray:
        return _lowest(op.assemble(c0, op.shift_diagonal(shifts)), dense_threshold=threshold)[1]

    if lattice is None:
        return ground(None), None
    u_start = lpdw_displacements(system.cluster, system.doping.large, lattice.u0)
    if spec.pump.lattice.relax_initial:
        u0, psi = relax_lattice(lattice, ground, op.site_charge, u_start)
        return psi, u0
    return ground(lattice.site_shifts(u_start)), u_start


def _times(spec: RunSpec) -> np.ndarray:
    ps = spec.pump
    if ps.times is not None:
        return np.array(ps.times, dtype=float)
    n = int(np.floor(ps.t_end / ps.output_step + 1e-9))
    grid = np.arange(n + 1) * ps.output_step
    return grid if abs(grid[-1] - ps.t_end) < 1e-9 else np.append(grid, ps.t_end)


def run(spec: RunSpec, outdir: Path, *, resume: bool = True) -> Path:
    """Run a pump study into ``outdir``; return the path of report.md."""
    start = time.perf_counter()
    if spec.pump is None:
        raise SpecError("study = 'pump' needs a [pump] section")
    ps = spec.pump
    system = build_system(spec)
    key = spec_hash(spec)
    checkpoints = Checkpoints(outdir, key, enabled=resume)
    times = _times(spec)
    lattice = _lattice(spec, system)
    quench = _quench(spec, system)
    progress(f"{system.cluster.describe()}; {system.model.kind}; sector {system.sector.label()}")
    try:  # a weak probe pulse along the polarization: pieces and current at A = 0
        probe = gaussian_pulse(photon_energy=1.0, duration=ps.duration, duration_kind=ps.duration_kind, peak_field=1e-9, polarization=ps.polarization)
        prep = DrivenOperator(drive(system.model, pulse=probe), build_basis(system.model, system.sector))
    except InputError as err:
        raise SpecError(f"[pump]: {err}") from None
    psi0, u0 = _initial_state(prep, lattice, spec, system)
    shifts0 = lattice.site_shifts(u0) if lattice is not None else None
    e_ground = prep.energy(0.0, psi0, shifts0)
    progress(f"initial state: E = {e_ground:.6f} eV (dimension {prep.dim:,})")
    optical = checkpoints.load("optical_transitions")
    if optical is None:
        try:
            tr = optical_transitions(prep, psi0, site_shifts=shifts0)
            optical = {"omega": tr.omega.tolist(), "weight": tr.weight.tolist()}
        except LocalPairsError as err:  # no linear coupling along the polarization
            if ps.photon_energy == "optical_gap":
                raise SpecError(f"pump.photon_energy = 'optical_gap' is not allowed here: {err}") from None
            optical = {"omega": [], "weight": []}
        checkpoints.save("optical_transitions", optical)
    transitions = OpticalTransitions(np.array(optical["omega"]), np.array(optical["weight"]))
    gap = lowest_strong_transition(transitions, fraction=ps.optical_gap_fraction) if transitions.omega.size else float("nan")
    photon = gap if ps.photon_energy == "optical_gap" else float(ps.photon_energy)
    try:
        pulse = None
        if ps.fluence is not None or ps.peak_field is not None:  # else: a quench alone
            pulse = gaussian_pulse(photon_energy=photon, duration=ps.duration, duration_kind=ps.duration_kind, fluence=ps.fluence,
                                   peak_field=ps.peak_field, polarization=ps.polarization, center=ps.center, refractive_index=ps.refractive_index)
        driven = drive(system.model, pulse=pulse, quench=quench)
    except InputError as err:
        raise SpecError(f"[pump]: {err}") from None
    op = prep.retarget(driven) if quench is None and pulse is not None else DrivenOperator(driven, prep.basis, window=(times[0], times[-1]))
    xas = make_xas_probe(system, op, spec)
    center = pulse.center if pulse is not None else 0.0
    probe_times = center + np.array(ps.xas_delays, dtype=float)
    if probe_times.size and not (times[0] <= probe_times[0] and probe_times[-1] <= times[-1]):
        raise SpecError(f"pump.xas_delays = {ps.xas_delays} is not allowed: pulse centre + delays must lie in [{times[0]:g}, {times[-1]:g}] fs")
    if pulse is not None:
        progress(f"pulse: ħω = {photon:.4f} eV, E0 = {pulse.peak_field:.4f} V/Å, {pulse.fluence:.3g} mJ/cm², Peierls phase {driven.info['peierls_phase']:.3f}")
    ds = run_trajectory(
        op, psi0, times,
        options=EvolutionOptions(tol=ps.tolerance, m_max=ps.max_krylov),
        lattice=lattice, u0=u0, pair_correlations=ps.pair_correlations,
        probes={"xas": xas} if (xas is not None and probe_times.size) else None,
        probe_times=probe_times if xas is not None else (),
        checkpoint=outdir / "checkpoints" / "trajectory.npz", checkpoint_every=ps.checkpoint_every, key=key, resume=resume,
    )
    ds["field_work"] = (("time",), cumulative_work(times, ds["current"].values, ds["electric_field"].values), {"units": "eV", "long_name": "int <j>.E dt (cumulative Simpson on the output grid)"})
    ds.attrs.update(
        title=spec.title, dimension=op.dim, ground_energy_eV=e_ground, optical_gap_eV=gap, photon_energy_eV=photon,
        pulse=json.dumps(pulse.as_dict() if pulse else None), driven=json.dumps({k: v for k, v in driven.info.items()}),
        lattice=json.dumps(lattice.as_dict() if lattice else None), quench=json.dumps(None if quench is None else {"time_fs": quench.time, **dict(quench.model.parameters)}),
        xas="recorded" if xas is not None and probe_times.size else ("hook not connected (solvers/xas.py)" if ps.xas_delays else "not requested"),
        provenance=json.dumps(provenance(spec, system)),
    )
    ds.attrs = {k: (int(v) if isinstance(v, (bool, np.bool_)) else v) for k, v in ds.attrs.items()}
    outdir.mkdir(parents=True, exist_ok=True)
    write_with(outdir / "results.nc", lambda tmp: ds.to_netcdf(tmp, engine="h5netcdf"))
    save_figure(overview_figure(ds, title=spec.title), outdir / "dynamics.png")
    save_figure(current_figure(ds), outdir / "current.png")
    save_figure(site_charge_figure(ds, system.doping.large), outdir / "site_charge_vs_time.png")
    if lattice is not None:
        save_figure(lattice_figure(ds), outdir / "lattice.png")
    report = outdir / "report.md"
    write_text_atomic(report, report_text(spec, system, ds, transitions, pulse, driven, lattice, quench, time.perf_counter() - start))
    progress(f"wrote {report}")
    return report
