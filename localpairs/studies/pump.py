r"""Pump study: a ground state (LPDW) under an optical pulse and/or a quench; observables against time.

``STUDY`` (:mod:`localpairs.studies.framework`): :func:`validate` checks the spec against the
model before anything heavy (a buildable quench, the pulse's field against the
model's validity, an optical gap to tune to, XAS delays inside the output window); :func:`compute`
takes the ground state of H(0) (with classical oxygens relaxed to their Born–Oppenheimer
equilibrium when a lattice is coupled), the photon energy (the spec's number or the optical gap,
:func:`localpairs.analysis.spectral_edges.optical_gap`, of that state along the polarization,
:mod:`localpairs.solvers.spectra.optical_transitions`), integrates the trajectory with checkpoints
and returns the dataset plus its ``summary`` group (:mod:`.pump_summary`); the report is
``templates/pump.md.j2``.

Time-resolved XAS
-----------------
At ``pulse centre + pump.xas_delays`` (``t = 0`` + delays without a pulse) the O K-edge XAS of
ψ(t) is recorded with the settings ``[pump.xas]`` (:mod:`.pump_xas`,
:mod:`localpairs.solvers.dynamics.transient_xas`): static Hamiltonian at A = 0 for the final
states (after a quench time: the quenched model), the offset fixed once by the ground state (its
main peak at ``pre_edge_eV``). ``probe = "long"`` (default): the ground part of ψ(t) from E_0 and
every eigencomponent of the excited part χ from its own energy, by energy windows (the long-probe
limit of the two-time formula, Chen et al., PRB 99, 104306 (2019)); ``"finite"``: the two-time
formula with a Gaussian probe on ψ(t) stored on the probe's time grid; ``"instantaneous"``: one
reference energy for χ. The dataset records, per delay, α = 1 − |⟨ψ0|ψ(t)⟩|², ⟨ψ(t)|H|ψ(t)⟩ − E_0,
the energy spread σ_χ, the window width and the change when it is halved.

Fluence calibration and regime
------------------------------
With ``pump.alpha_target`` the fluence is scaled so that the first-order excited weight equals
it (:mod:`.pump_regime`); every run with a pulse (no lattice, no quench) also gets the first-order
α of the pulse used, compared with the evolved α after the pulse, and the report states the
regime (:mod:`.pump_summary`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import cast

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
import xarray as xr

from localpairs.analysis.dynamics_figures import cumulative_work, current_figure, lattice_figure, overview_figure, site_charge_figure
from localpairs.analysis.figures import save_figure
from localpairs.analysis.spectral_edges import optical_gap
from localpairs.errors import InputError, LocalPairsError
from localpairs.hamiltonians.driven_model import DrivenModel, drive
from localpairs.hamiltonians.oxygen_lattice import Lattice, lpdw_displacements, relax_lattice
from localpairs.hamiltonians.pulse import Pulse
from localpairs.output_size import OutputEstimate
from localpairs.solvers import build_basis
from localpairs.solvers.dynamics.driven_operator import DrivenOperator
from localpairs.solvers.dynamics.evolution import EvolutionOptions
from localpairs.solvers.dynamics.trajectory import Probe, run_trajectory
from localpairs.solvers.dynamics.transient_xas import TransientXasProbe
from localpairs.solvers.hilbert.memory import default_budget_gb
from localpairs.solvers.spectra.optical_transitions import OpticalTransitions, optical_transitions
from localpairs.spec import RunSpec, SpecError
from localpairs.studies.common import Checkpoints, System
from localpairs.studies.framework import Results, RunContext, Study, render
from localpairs.studies.pump_plan import PumpPlan, output_times, plan_pump, pump_lattice, pump_pulse
from localpairs.studies.pump_regime import calibration, first_order
from localpairs.studies.pump_spec import PumpSpec, pump_section
from localpairs.studies.pump_summary import summarize
from localpairs.studies.pump_xas import StateRecorder, finite_probe_times, finite_xas, make_xas_probe, raw_probe_output, xas_figures, xas_variables

logger = logging.getLogger(__name__)


def _lowest(matrix: sp.csr_matrix, *, dense_threshold: int) -> tuple[float, np.ndarray]:
    dim = matrix.shape[0]
    if dim <= dense_threshold:
        w, v = np.linalg.eigh(matrix.toarray())
        return float(w[0]), v[:, 0].astype(np.complex128)
    v0 = np.random.default_rng(12345).standard_normal(dim).astype(np.complex128)
    w, v = spla.eigsh(matrix, k=1, which="SA", v0=v0, tol=0)
    return float(w[0]), v[:, 0] / np.linalg.norm(v[:, 0])


def _initial_state(op: DrivenOperator, lattice: Lattice | None, spec: RunSpec, system: System) -> tuple[np.ndarray, np.ndarray | None]:
    c0 = op.driven.coefficients_at(0.0, 0)
    threshold = spec.solver.dense_threshold

    def ground(shifts: np.ndarray | None) -> np.ndarray:
        return _lowest(op.assemble(c0, op.shift_diagonal(shifts)), dense_threshold=threshold)[1]

    lattice_spec = pump_section(spec).lattice
    if lattice is None or lattice_spec is None:  # both or neither: the lattice is built from the spec's [pump.lattice]
        return ground(None), None
    u_start = lpdw_displacements(system.cluster, system.doping.large, lattice.u0)
    if lattice_spec.relax_initial:
        u0, psi = relax_lattice(lattice, ground, op.site_charge, u_start)
        return psi, u0
    return ground(lattice.site_shifts(u_start)), u_start


def validate(spec: RunSpec, system: System) -> None:
    """Run every check of the pump study beyond the schema and the section's presence; nothing heavy.

    Parameters
    ----------
    spec : RunSpec
        A pump spec (``study = "pump"``, with ``[pump]``).
    system : System
        The cluster, doping, model and sector built from the spec.

    Raises
    ------
    SpecError
        Naming the key (see :func:`~localpairs.studies.pump_plan.plan_pump`).
    """
    plan_pump(spec, system)


def _transitions(checkpoints: Checkpoints, prep: DrivenOperator, psi0: np.ndarray, shifts0: np.ndarray | None, spec: RunSpec) -> OpticalTransitions:
    """Optical transitions of ψ0 along the polarization (checkpointed); none without a linear coupling."""

    def compute() -> dict[str, list[float]]:
        try:
            tr = optical_transitions(prep, psi0, site_shifts=shifts0)
            return {"omega": tr.omega.tolist(), "weight": tr.weight.tolist()}
        except LocalPairsError as err:  # no linear coupling along the polarization
            if pump_section(spec).photon_energy == "optical_gap":
                raise SpecError(f"pump.photon_energy = 'optical_gap' is not allowed here: {err}") from None
            return {"omega": [], "weight": []}

    optical = checkpoints.json("optical_transitions", compute)
    return OpticalTransitions(np.array(optical["omega"]), np.array(optical["weight"]))


def _driven(spec: RunSpec, system: System, plan: PumpPlan, prep: DrivenOperator, photon: float,
            scale: float = 1.0) -> tuple[Pulse | None, DrivenModel, DrivenOperator]:
    """The pulse at ``photon`` eV (if any, fluence × ``scale``), the driven model and its operator on the basis of ``prep``."""
    try:
        pulse = pump_pulse(spec, photon, scale) if plan.has_pulse else None
        driven = drive(system.model, pulse=pulse, quench=plan.quench)
    except InputError as err:
        raise SpecError(f"[pump]: {err}") from None
    times = plan.times
    op = prep.retarget(driven) if plan.quench is None and pulse is not None else DrivenOperator(driven, prep.basis, window=(times[0], times[-1]))
    if pulse is not None:
        logger.info("pulse: ħω = %.4f eV, E0 = %.4f V/Å, %.3g mJ/cm², Peierls phase %.3f",
                    photon, pulse.peak_field, pulse.fluence, driven.info["peierls_phase"])
    return pulse, driven, op


def photon_energy(ps: PumpSpec, transitions: OpticalTransitions) -> tuple[float, float]:
    """Return the optical gap of the initial state and the photon energy of the pulse.

    Parameters
    ----------
    ps : PumpSpec
        The ``[pump]`` section.
    transitions : OpticalTransitions
        Optical transitions of the initial state along the polarization (ω in eV).

    Returns
    -------
    tuple of (float, float)
        (optical gap, photon energy) in eV: :func:`~localpairs.analysis.spectral_edges.optical_gap`
        of the transitions (nan without any), and the spec's photon energy or, for
        ``"optical_gap"``, that gap.
    """
    gap = optical_gap(transitions.omega, transitions.absorption, fraction=ps.optical_gap_fraction) if transitions.omega.size else float("nan")
    return gap, gap if ps.photon_energy == "optical_gap" else float(ps.photon_energy)


def _calibration(ctx: RunContext, plan: PumpPlan, prep: DrivenOperator, psi0: np.ndarray, e_ground: float, photon: float) -> dict | None:
    """The fluence calibration to ``pump.alpha_target`` (checkpointed), or None without one."""
    ps = pump_section(ctx.spec)
    if ps.alpha_target is None or not plan.has_pulse:
        return None
    target = float(ps.alpha_target)
    return ctx.checkpoints.json("fluence_calibration", lambda: calibration(prep, psi0, e_ground, pump_pulse(ctx.spec, photon), target,
                                                                            t_start=float(plan.times[0]), budget_gb=ctx.spec.solver.memory_budget_gb))


def _first_order(ctx: RunContext, plan: PumpPlan, prep: DrivenOperator, psi0: np.ndarray, e_ground: float, pulse: Pulse | None,
                 lattice: Lattice | None) -> dict:
    """α⁽¹⁾ of the pulse used (:func:`.pump_regime.first_order`), or why it is not computed."""
    if pulse is None:
        return {"available": 0, "reason": "no pulse"}
    if lattice is not None or plan.quench is not None:
        return {"available": 0, "reason": "a lattice or a quench: linear response is about a pulse on a fixed H₀"}
    return first_order(prep, psi0, e_ground, pulse, t_start=float(plan.times[0]), budget_gb=ctx.spec.solver.memory_budget_gb)


def _trajectory(ctx: RunContext, op: DrivenOperator, psi0: np.ndarray, plan: PumpPlan, lattice: Lattice | None, u0: np.ndarray | None,
                xas: TransientXasProbe | None) -> xr.Dataset:
    """The trajectory with the XAS probe at the delays (long/instantaneous) or ψ(t) stored on the finite probe's grid; XAS variables added."""
    ps, checkpoints = pump_section(ctx.spec), ctx.checkpoints
    cfg = ps.xas_settings
    probe_times = plan.center + plan.delays
    finite = xas is not None and cfg.probe == "finite"
    probes: dict[str, Probe] = {} if xas is None else {"state": StateRecorder()} if finite else {"xas": xas}
    at = finite_probe_times(probe_times, cfg) if finite else probe_times if xas is not None else np.zeros(0)
    if finite:
        need_gb, budget = at.size * op.dim * 16 / 1e9, ctx.spec.solver.memory_budget_gb or default_budget_gb()
        if need_gb > 0.5 * budget:
            raise SpecError(f"pump.xas.probe_dt = {cfg.probe_dt:g} is not allowed here: the finite probe stores ψ(t) at {at.size:,} times "
                            f"({need_gb:.3g} GB for dimension {op.dim:,}), more than half the memory budget ({budget:g} GB); "
                            "raise probe_dt, shorten probe_fwhm or use fewer delays")
    # run_trajectory takes any 1-d float array for its times (it converts them with np.asarray)
    ds = run_trajectory(
        op, psi0, cast("Sequence[float]", plan.times),
        options=EvolutionOptions(tol=ps.tolerance, m_max=ps.max_krylov),
        lattice=lattice, u0=u0, pair_correlations=ps.pair_correlations,
        probes=probes or None, probe_times=cast("Sequence[float]", at),
        checkpoint=checkpoints.folder / "trajectory.npz", checkpoint_every=ps.checkpoint_every, key=checkpoints.key, resume=checkpoints.enabled,
    )
    if xas is None:
        return ds
    ds, raw = finite_xas(ds, xas, cfg, probe_times) if finite else raw_probe_output(ds)
    return xas_variables(ds, xas, plan.delays, probe_times, cfg, raw)


def compute(ctx: RunContext) -> Results:
    """Compute the pump study: ground state, optical gap, (calibrated) pulse, trajectory with the XAS probe, linear response.

    Parameters
    ----------
    ctx : RunContext
        The spec, the built system and the checkpoints of the run (each heavy step is checkpointed).

    Returns
    -------
    Results
        The root dataset (observables against time in fs, energies in eV, XAS per delay) and its
        ``summary`` group (:mod:`.pump_summary`).

    Raises
    ------
    SpecError
        A spec the model refuses (pulse, quench, ``optical_gap`` without transitions) or a finite
        probe storing ψ(t) beyond half the memory budget.
    """
    spec, system, checkpoints = ctx.spec, ctx.system, ctx.checkpoints
    ps = pump_section(spec)
    plan = plan_pump(spec, system)
    lattice = pump_lattice(spec, system)
    prep = DrivenOperator(drive(system.model, pulse=plan.weak_pulse), build_basis(system.model, system.sector))
    psi0, u0 = _initial_state(prep, lattice, spec, system)
    shifts0 = lattice.site_shifts(u0) if lattice is not None and u0 is not None else None  # u0 comes with the lattice
    e_ground = prep.energy(0.0, psi0, shifts0)
    logger.info("initial state: E = %.6f eV (dimension %s)", e_ground, f"{prep.dim:,}")
    transitions = _transitions(checkpoints, prep, psi0, shifts0, spec)
    gap, photon = photon_energy(ps, transitions)
    calib = _calibration(ctx, plan, prep, psi0, e_ground, photon)
    pulse, driven, op = _driven(spec, system, plan, prep, photon, calib["scale"] if calib else 1.0)
    xas = make_xas_probe(system, op, spec, psi0=psi0, e_ground=e_ground, quench=plan.quench, checkpoints=checkpoints) if plan.delays.size else None
    if xas is not None:
        logger.info("ground-state XAS: offset %.3f eV; probing at %d delays (%s probe)", xas.offset, plan.delays.size, ps.xas_settings.probe)
    ds = _trajectory(ctx, op, psi0, plan, lattice, u0, xas)
    ds["field_work"] = (("time",), cumulative_work(plan.times, ds["current"].values, ds["electric_field"].values),
                        {"units": "eV", "long_name": "int <j>.E dt (cumulative Simpson on the output grid)"})
    first = _first_order(ctx, plan, prep, psi0, e_ground, pulse, lattice)
    quench = plan.quench
    ds.attrs.update(
        title=spec.title, dimension=op.dim, ground_energy_eV=e_ground, optical_gap_eV=gap, photon_energy_eV=photon,
        pulse=json.dumps(pulse.as_dict() if pulse else None), driven=json.dumps({k: v for k, v in driven.info.items()}),
        lattice=json.dumps(lattice.as_dict() if lattice else None),
        quench=json.dumps(None if quench is None else {"time_fs": quench.time, **dict(quench.model.parameters)}),
        xas="recorded" if xas is not None else "not requested", linear_response=json.dumps(first), calibration=json.dumps(calib),
    )
    ds.attrs = {k: (int(v) if isinstance(v, (bool, np.bool_)) else v) for k, v in ds.attrs.items()}
    return Results(ds, {"summary": summarize(ds, spec, system, transitions, pulse)})


def figures(results: Results, outdir: Path, title: str) -> list[str]:
    """Draw the dynamics, current, site charges, lattice (if any) and the XAS figures (if recorded).

    Parameters
    ----------
    results : Results
        The results of :func:`compute`.
    outdir : pathlib.Path
        Folder the PNG files are written to.
    title : str
        Title of the study, heading the overview figure.

    Returns
    -------
    list of str
        The file names written.
    """
    ds, summary = results.root, results.groups["summary"]
    save_figure(overview_figure(ds, title=title), outdir / "dynamics.png")
    save_figure(current_figure(ds), outdir / "current.png")
    save_figure(site_charge_figure(ds, [bool(v) for v in summary["site_is_large"].values]), outdir / "site_charge_vs_time.png")
    names = ["dynamics.png", "current.png", "site_charge_vs_time.png"]
    if json.loads(ds.attrs["lattice"]) is not None:
        save_figure(lattice_figure(ds), outdir / "lattice.png")
        names.append("lattice.png")
    if ds.attrs["xas"] == "recorded":
        names += xas_figures(ds, outdir, title)
    return names


def report(results: Results) -> str:
    """Render the pump study's Markdown report (templates/pump.md.j2) from the results alone.

    Parameters
    ----------
    results : Results
        The results of :func:`compute` (as written, or read back from results.nc).

    Returns
    -------
    str
        The report in Markdown.
    """
    return render("pump.md.j2", results, summary=results.groups["summary"])


def output(spec: RunSpec, system: System) -> OutputEstimate:
    """Estimate what the study writes, before any state is computed.

    The observables at every output time, in results.nc and in the trajectory checkpoint; that
    checkpoint also holds the state vector (dimension × 16 B) and is rewritten atomically (old and
    new copy on disk at once); the XAS per delay (raw in the checkpoint; xas, dxas, dxas_reported
    in results.nc); JSON checkpoints; figures. The lattice's values per output time (≤ 2 bonds + 3)
    are counted with or without a lattice.

    Parameters
    ----------
    spec : RunSpec
        A pump spec (``study = "pump"``, with ``[pump]``).
    system : System
        The cluster, doping, model and sector built from the spec.

    Returns
    -------
    OutputEstimate
        Bytes of results.nc, the figures and the checkpoints, with a hint for making them smaller.
    """
    import inspect

    from localpairs.output_size import FIGURE_BYTES, file_bytes, json_bytes, netcdf_bytes
    from localpairs.solvers import sector_dimension
    from localpairs.solvers.dynamics.trajectory import OBSERVABLES

    ps = pump_section(spec)
    sizes = {"site": system.cluster.n_sites, "site_j": system.cluster.n_sites, "bond": system.cluster.n_bonds}
    pairs = ("pair_correlation_real", "pair_correlation_imag")
    per_time = sum(int(np.prod([sizes[d] for d in dims])) for name, (dims, _, _) in OBSERVABLES.items() if ps.pair_correlations or name not in pairs)
    trajectory = output_times(spec).size * per_time
    n_delays = len(ps.xas_delays)
    n_omega = ps.xas_settings.n_omega if n_delays else 0
    state = 2 * sector_dimension(system.model, system.sector) + 2 * sizes["bond"]
    checkpoint = file_bytes(8 * (trajectory + n_delays * (n_omega + 3) + state) + 8000)
    poles = int(inspect.signature(optical_transitions).parameters["steps"].default)
    small = json_bytes(2 * poles) + (json_bytes(n_omega + 10) if n_delays else 0)
    results = netcdf_bytes(trajectory + (3 * n_delays + 2) * n_omega + 12 * n_delays + 100, groups=2)
    n_figures = 3 + (ps.lattice is not None) + (2 if n_delays else 0)
    return OutputEstimate({"results.nc": results, "figures": n_figures * FIGURE_BYTES, "checkpoints": 2 * checkpoint + small},
                          hint="a longer pump.output_step, fewer pump.xas_delays or pump.pair_correlations = false")


STUDY = Study(name="pump", section="pump", validate=validate, compute=compute, figures=figures, report=report, output=output)
