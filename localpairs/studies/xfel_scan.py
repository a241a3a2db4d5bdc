"""XFEL study, step 5: the nuisance scan behind the discrimination verdict.

The box (``[xfel.scan]``, each range's source in :func:`box_rows`): U_c × Γ × (paired, unpaired at
each U) × probe model × lattice × pumped state on the spec's cluster (the evolved state's relaxation
drops its smallest populations, :data:`EVOLVED_RELAXED_NOTE`). Work runs on Dask
(:func:`localpairs.sweep.run_tasks`) in rounds, each task checkpointed the moment it finishes
(``checkpoints/scan_*.json``, tied to the spec like every checkpoint of the study), so a killed run
resumes where it stopped and a task that raised is recorded with its error (and retried by the
next run) while the others finish:

1. one task per scenario model (:func:`~.xfel_scan_points.prepare_model`): fit and pumped state (linear response,
   α calibrated to the measured one, :func:`~.xfel_points.pumped_scenario`);
2. if ``pumped_states`` holds "evolved", one task per model (:func:`~.xfel_scan_points.evolve_model`): the full
   evolution through the pulse at that calibrated fluence, and its comparison with linear response;
3. one task per (model, U_c, lattice, probe, pumped state) (:func:`~.xfel_scan_points.scan_point`, every Γ at once)
   and per (model, U_c) for the static pre-edge shift against doping (:func:`~.xfel_scan_points.doping_shift`).

The result is raw JSON-able data; :mod:`.xfel_summary` turns it into distributions and verdicts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from localpairs.analysis.experiment import Reference
from localpairs.errors import InputError
from localpairs.hamiltonians.doping import doping_config
from localpairs.studies.common import Checkpoints
from localpairs.studies.xfel_fit import Context
from localpairs.studies.xfel_points import EVOLVED_CAPTURED_TOL
from localpairs.studies.xfel_scan_points import (
    SUPPORTED_PROBES,
    doped_context,
    doping_shift,
    evolve_model,
    prepare_model,
    scan_point,
    spec_as_data,
)
from localpairs.sweep import run_tasks, task_client

logger = logging.getLogger(__name__)


def validate_scan(ctx: Context) -> None:
    """Refuse, before any work, a probe model this build does not compute and a ``doping_x`` that removes no pair on this cluster.

    Parameters
    ----------
    ctx
        The study context (spec and system).

    Raises
    ------
    InputError
        Naming ``xfel.scan.probes`` or ``xfel.scan.doping_x`` and what is allowed.
    """
    sc = ctx.cfg.scan
    if not sc.enabled:
        return
    bad = [p for p in sc.probes if p not in SUPPORTED_PROBES]
    if bad:
        raise InputError("xfel.scan.probes", sc.probes, f"probe models this build computes: {list(SUPPORTED_PROBES)} ({bad} come with the probe issue)")
    n_large = ctx.system.doping.n_large
    if n_large == 0:
        raise InputError("xfel.scan.enabled", True, f"false on a parent without large octahedra ({ctx.system.cluster.describe()}, "
                         f"x = {ctx.system.doping.x:g}): there is no pair to remove for the doping constraint")
    doped = doping_config(ctx.system.cluster, x=doping_x(ctx), placement=ctx.system.doping.placement, seed=ctx.system.doping.seed).n_large
    if doped >= n_large:
        raise InputError("xfel.scan.doping_x", sc.doping_x, f"a doping with fewer large octahedra than the parent's {n_large} on "
                         f"{ctx.system.cluster.describe()} (this x gives {doped}): x > {1 - 2 * (n_large - 0.5) / ctx.system.cluster.n_sites:.3g}")


def doping_x(ctx: Context) -> float:
    """The doping of the static constraint: ``xfel.scan.doping_x``, or the x with one large octahedron (one pair) fewer than the parent.

    Parameters
    ----------
    ctx
        The study context.

    Returns
    -------
    float
        The K concentration x.
    """
    if ctx.cfg.scan.doping_x is not None:
        return ctx.cfg.scan.doping_x
    return min(1.0, 1.0 - 2.0 * (ctx.system.doping.n_large - 1) / ctx.system.cluster.n_sites)


def resolution_fwhm(ref: Reference) -> float:
    """The instrument's resolution FWHM (eV): ΔE/E × the pre-edge photon energy (review Sec. 4).

    Parameters
    ----------
    ref
        The measured numbers (``probe_resolution``, ``pre_edge``).

    Returns
    -------
    float
        FWHM in eV.
    """
    return float(ref["probe_resolution"].number * ref["pre_edge"].number)


def box_rows(ctx: Context, ref: Reference) -> list[dict[str, Any]]:
    """The box: each parameter, its values and the source of its range (report text).

    Parameters
    ----------
    ctx
        The study context.
    ref
        The measured numbers (the resolution).

    Returns
    -------
    list of dict
        ``parameter``, ``values`` and ``source`` per row.
    """
    sc, n = ctx.cfg.scan, ctx.system.cluster.n_sites
    res = resolution_fwhm(ref)
    return [
        {"parameter": "U_c (eV)", "values": sc.U_c, "source": "0 (no final-state attraction) to the most attractive value scanned; the convention "
         "−4t ≈ −1.3 eV of this line of work (Chen et al., PRB 99, 104306 (2019); notes/PHYSICS.md) lies inside. Placement: "
         f"{sc.core_hole!r}. Narrowed by the static pre-edge shift against doping (review Sec. 6, its refs. 25, 33, 58), section below"},
        {"parameter": "Γ (eV, Lorentzian HWHM)", "values": sc.Gamma, "source": "O 1s core-hole width 0.15–0.2 eV (tabulated; notes/PHYSICS.md, "
         "not rechecked) read as FWHM (HWHM 0.075–0.1 eV) or as HWHM (0.15–0.2 eV): the box spans both readings. Every line is convolved "
         f"with the instrument's Gaussian resolution ΔE/E × E = {ref['probe_resolution'].number:g} × {ref['pre_edge'].number:g} eV = "
         f"{res:.3f} eV FWHM (review Sec. 4)"},
        {"parameter": "U of the unpaired model (eV)", "values": sc.U_unpaired, "source": "the unpaired hypothesis, U ≥ 0 (constrained DFT gives a "
         "positive one-band U: Vielsack & Weber, PRB 54, 6614 (1996)), up to about half the σ* band width 12t ≈ 4 eV; at each value U is "
         f"held fixed and the breathing Δ alone fitted to the study's targets ({', '.join(ctx.cfg.fit.targets)}; V fixed as in the study): one "
         "free parameter, so these models may miss the targets (their residuals are listed with the models); the study's own unpaired "
         "fit (U and Δ fitted) is reused where its U equals a scanned one"},
        {"parameter": "probe model", "values": sc.probes, "source": "long: ψ0 and each energy window of the excited part χ̂ measured from its "
         "own energy (the long-probe limit, windows converged in width); instantaneous: one reference energy ⟨χ̂|H|χ̂⟩ for χ̂, the pumped "
         "state of the next row (computed by this build: "
         f"{list(SUPPORTED_PROBES)}; the finite probe needs ψ(t) and is computed by the study's probe step only)"},
        {"parameter": "pumped state", "values": sc.pumped_states, "source": "linear_response: the first-order excited part χ⁽¹⁾ "
         "after the pulse (exact as the field → 0); evolved: the excited part χ_ev = ψ − ⟨ψ₀|ψ⟩ψ₀ of the full evolution through the "
         "pulse at the same calibrated fluence (all orders in the field, once per model). Both are plausible readings of the "
         "film's pumped clusters: the bare cluster's absorption differs from the film's (the fluence is calibrated to α, not taken "
         "from the experiment), so whether the measured α is reached in one-photon or multi-photon absorption is not fixed by the "
         "data; the linear-response check of each model (table below) says how far apart the two are. "
         + (EVOLVED_RELAXED_NOTE if "relaxed" in sc.lattices and "evolved" in sc.pumped_states else "")},
        {"parameter": "lattice", "values": sc.lattices, "source": "unrelaxed: the fitted H; relaxed: χ̂ carried to the breathing Δ* that "
         "minimises the excited part's Born–Oppenheimer energy, final states of H(Δ*)"},
        {"parameter": "cluster size (sites)", "values": [n], "source": f"the spec's cluster ({ctx.system.cluster.describe()}) only: the 12-site "
         "box is not run by this study (cost); the headline point on 12 sites is "
         + ("computed" if sc.twelve_sites else "not computed (xfel.scan.twelve_sites = false)") + ", see the cluster-size section"},
    ]


def model_id(scenario: str, U: float) -> str:
    """Name of a scenario model of the box (``paired`` or ``unpaired_U0.5``).

    Parameters
    ----------
    scenario
        ``"paired"`` or ``"unpaired"``.
    U
        The model's U (eV).

    Returns
    -------
    str
        The id.
    """
    return scenario if scenario == "paired" else f"unpaired_U{U:g}"


#: Lattices computed for the evolved pumped state (both: the relaxation drops the evolved χ̂'s populations below
#: :data:`~.xfel_points.EVOLVED_CAPTURED_TOL`; the weight dropped and its effect on A − B are in the report).
EVOLVED_LATTICES = ("unrelaxed", "relaxed")
#: The relaxed lattice × evolved state in report text (the threshold; the numbers are in the pumped-state section).
EVOLVED_RELAXED_NOTE = (f"Relaxed lattice × evolved state: the Born–Oppenheimer surface needs the eigenstates up to the highest populated "
                        f"rank, and an evolved χ̂ far from the linear regime holds weight on multi-photon levels hundreds of ranks up "
                        f"(kept, the relaxation took 1,403 s per scenario); populations below {EVOLVED_CAPTURED_TOL:g} of χ̂'s weight are "
                        "dropped from its surface and its probe, and the weight dropped and the change of the unrelaxed A − B when χ̂ "
                        "is cut to the kept levels are listed in the pumped-state table.")
#: A scan U counts as the study's fitted unpaired U within this (eV): far below any U step worth scanning.
SAME_U = 1e-6


def _models(ctx: Context, fits: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Scenario models of the box: the paired fit, the unpaired hypothesis at each scanned U.

    At a scanned U the unpaired model has one free parameter (Δ fitted at that fixed U,
    :func:`~.xfel_fit.fit_scenario` with ``U``); the study's own unpaired fit (U and Δ fitted) is
    reused where its fitted U equals a scanned U (within :data:`SAME_U`).
    """
    cfg = ctx.cfg
    models = {"paired": {"scenario": "paired", "U": fits["paired"]["U"], "fit": fits["paired"]}}
    for u in cfg.scan.U_unpaired:
        own = abs(u - fits["unpaired"]["U"]) < SAME_U
        models[model_id("unpaired", u)] = {"scenario": "unpaired", "U": float(u), "fit": fits["unpaired"] if own else None}
    return models


def _round(cp: Checkpoints, client: Callable[[], Any], prefix: str, func: Callable[..., Any], tasks: dict[str, dict[str, Any]]
           ) -> tuple[dict[str, Any], dict[str, str], int]:
    """Run the tasks not yet checkpointed (``client()`` is asked for only then); every finished one's value (read back
    from its checkpoint), the errors and the number run."""
    todo = {tid: kw for tid, kw in tasks.items() if cp.load(f"{prefix}_{tid}") is None}
    errors = run_tasks(client(), func, todo, on_result=lambda tid, value: cp.save(f"{prefix}_{tid}", value), desc=prefix) if todo else {}
    return {tid: cp.load(f"{prefix}_{tid}") for tid in tasks if tid not in errors}, errors, len(todo)


def _index(models: dict[str, Any], ctx: Context) -> dict[str, dict[str, Any]]:
    """Every point of the box by task id: its model id, U_c, lattice, probe and pumped state (ids of linear-response points
    carry no suffix; the evolved state on :data:`EVOLVED_LATTICES`)."""
    sc = ctx.cfg.scan
    return {f"{mid}_Uc{uc:g}_{lat}_{probe}{'' if st == 'linear_response' else '_' + st}":
            {"model": mid, "U_c": uc, "lattice": lat, "probe": probe, "pumped_state": st}
            for mid in models for uc in sc.U_c for lat in sc.lattices for probe in sc.probes for st in sc.pumped_states
            if st == "linear_response" or lat in EVOLVED_LATTICES}


def _model_summary(spec: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    fit = record["fit"]
    keep = ("U", "V", "breathing", "E_G", "photon_energy", "converged", "at_bound", "residuals", "message")
    return {"scenario": spec["scenario"], "U": spec["U"], "fit": {k: fit[k] for k in keep if k in fit}, "fitted_here": spec["fit"] is None,
            "fluence": record["pumped"]["fluence"], "population": record["pumped"]["population"], "calibration": record["calibration"]}


def _rounds(ctx: Context, cp: Checkpoints, client: Callable[[], Any], *, fits: dict[str, Any], ref: Reference,
            measured: dict[str, float]) -> dict[str, Any]:
    """The rounds of the scan (module docstring); their values by task id, the errors, the indices and the seconds per round."""
    sc = ctx.cfg.scan
    data = spec_as_data(ctx)
    out: dict[str, Any] = {"seconds": {}, "errors": {}, "specs": _models(ctx, fits)}
    t0 = time.perf_counter()
    targets = {str(k): measured[k] for k in ctx.cfg.fit.targets}
    tasks = {mid: {"data": data, "scenario": m["scenario"], "U": m["U"], "fit": m["fit"], "targets": targets,
                   "photon_energy": ref["pump_photon_energy"].number, "alpha_target": ref["alpha_at_8"].number} for mid, m in out["specs"].items()}
    models, out["errors"]["model"], n = _round(cp, client, "scan_model", prepare_model, tasks)
    out["seconds"][f"scan: {n} of {len(tasks)} scenario models computed (fit, calibrated linear-response pumped state)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    etasks = {mid: {"data": data, "model": m} for mid, m in models.items()} if "evolved" in sc.pumped_states else {}
    evolved, out["errors"]["evolved"], n = _round(cp, client, "scan_evolved", evolve_model, etasks)
    out["seconds"][f"scan: {n} of {len(etasks)} evolved pumped states computed (full evolution through the pulse, one per model)"] = time.perf_counter() - t0
    states = {"linear_response": models, "evolved": evolved}
    common = {"data": data, "gammas": list(sc.Gamma), "core_hole": sc.core_hole, "resolution_fwhm": resolution_fwhm(ref)}
    out["index"] = {tid: p for tid, p in _index(models, ctx).items() if p["model"] in states[p["pumped_state"]]}
    t0 = time.perf_counter()
    ptasks = {tid: {**common, "model": states[p["pumped_state"]][p["model"]], "U_c": p["U_c"], "lattice": p["lattice"], "probe": p["probe"]}
              for tid, p in out["index"].items()}
    out["points"], out["errors"]["point"], n = _round(cp, client, "scan_point", scan_point, ptasks)
    out["seconds"][f"scan: {n} of {len(ptasks)} points computed (model × U_c × lattice × probe × pumped state, every Γ at once)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    out["dindex"] = {f"{mid}_Uc{uc:g}": (mid, uc) for mid in models for uc in sc.U_c}
    dtasks = {tid: {**common, "fit": models[mid]["fit"], "x": doping_x(ctx), "U_c": uc} for tid, (mid, uc) in out["dindex"].items()}
    out["doping"], out["errors"]["doping"], n = _round(cp, client, "scan_doping", doping_shift, dtasks)
    out["seconds"][f"scan: {n} of {len(dtasks)} static doping points computed (model × U_c)"] = time.perf_counter() - t0
    out["models"], out["evolved"], out["resolution_fwhm"] = models, evolved, common["resolution_fwhm"]
    return out


def run_scan(ctx: Context, cp: Checkpoints, *, fits: dict[str, Any], ref: Reference,
             measured: dict[str, float]) -> dict[str, Any]:
    """The scan (module docstring): prepared models, points, doping shifts, failed tasks and the cost of each round (s).

    The Dask cluster is started only if some task is not checkpointed.

    Parameters
    ----------
    ctx
        The study context.
    cp
        The study's checkpoints (one per task).
    fits
        The study's two scenario fits (reused for the models they describe; every model's fluence is calibrated again in
        linear response by :func:`~.xfel_points.pumped_scenario`).
    ref
        The measured numbers.
    measured
        The fit targets' measured values (eV).

    Returns
    -------
    dict
        ``models``, ``points``, ``doping``, ``failed``, ``resolution_fwhm``, ``seconds`` and the clusters' counts.
    """
    with ExitStack() as stack:
        started: list[Any] = []

        def client() -> Any:
            if not started:
                started.append(stack.enter_context(task_client(workers=ctx.cfg.scan.workers)))
            return started[0]

        r = _rounds(ctx, cp, client, fits=fits, ref=ref, measured=measured)
    failed = [{"task": f"{kind} {tid}", "error": err} for kind, errs in r["errors"].items() for tid, err in errs.items()]
    rows = [{**r["index"][tid], **entry} for tid, entries in r["points"].items() for entry in entries]
    drows = [{"model": r["dindex"][tid][0], "U_c": r["dindex"][tid][1], **entry} for tid, entries in r["doping"].items() for entry in entries]
    doped = doped_context(spec_as_data(ctx), doping_x(ctx)).system
    models = {mid: {**_model_summary(r["specs"][mid], m), "evolved": r["evolved"][mid]["check"] if mid in r["evolved"] else None}
              for mid, m in r["models"].items()}
    return {"models": models, "points": rows, "doping": drows,
            "failed": failed, "resolution_fwhm": r["resolution_fwhm"], "seconds": r["seconds"], "n_sites": ctx.system.cluster.n_sites,
            "electrons": ctx.system.sector.n_electrons, "doped_electrons": doped.sector.n_electrons, "doped_large": doped.doping.n_large,
            "large": ctx.system.doping.n_large, "doping_x": doping_x(ctx)}
