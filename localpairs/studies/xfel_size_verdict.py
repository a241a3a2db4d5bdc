"""XFEL study: the cluster-size axis in the verdict — 12-site A − B beside the 8-site values at the same points.

Input: the scan's raw data (:func:`~.xfel_scan.run_scan`), its summary (:func:`~.xfel_verdict.scan_summary`) and the
12-site box (:func:`~.xfel_size_box.run_size_box`). Output (JSON-able, the summary's ``size_axis``):

- ``rows``: per model, U_c and Γ the 8-site and 12-site A − B (unrelaxed lattice, long probe), their change and
  "converged" / "not converged" against the larger of the two points' tolerances (the box's tolerance,
  ``analysis.discrimination_points.TOLERANCE_DERIVATION``);
- ``verdicts``: the discrimination verdict over the whole 8-site box, with the 12-site values *replacing* the 8-site
  ones at the points computed on both, with them *joining* the box (cluster size then one more box axis), and over the
  12-site points alone — and whether the label changes;
- ``figure``: A − B against U_c per model for both sizes, one curve per Γ.

Nothing here computes a spectrum; the report template formats these numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from localpairs.analysis.discrimination import SCENARIOS, Experiment, Feature, ScanPoint, point_tolerance
from localpairs.analysis.figures import save_figure
from localpairs.analysis.size_figures import ab_vs_core_hole
from localpairs.studies.common import Checkpoints
from localpairs.studies.xfel_fit import Context
from localpairs.studies.xfel_size_box import run_size_box, twelve_site_U_c
from localpairs.studies.xfel_sizes import TWELVE_SITE_LANCZOS_STEPS, TWELVE_SITE_STEPS_CHECK, size_convergence, twelve_site_spec
from localpairs.studies.xfel_verdict import experiment_of_summary, scan_points, verdict_block

#: Lattice, probe and pumped state of the 12-site points (the 8-site values beside them are taken at the same: the
#: 12 sites are probed in the linear-response state χ̂⁽¹⁾ only, so an 8-site point of the evolved state has no twin).
LATTICE, PROBE, PUMPED_STATE = "unrelaxed", "long", "linear_response"


def _twin_setting(p: ScanPoint) -> bool:
    """Whether an 8-site point is at the lattice, probe and pumped state of the 12-site points."""
    return p.lattice == LATTICE and p.probe == PROBE and p.pumped_state == PUMPED_STATE
#: The box row of the cluster size (:func:`~.xfel_scan.box_rows`), updated when 12 sites are computed.
SIZE_ROW = "cluster size (sites)"


def twelve_site_points(raw: dict[str, Any], box12: dict[str, Any]) -> list[ScanPoint]:
    """The 12-site points as :class:`ScanPoint` (``sites`` = 12, unrelaxed, long probe; ħω the model's own).

    Parameters
    ----------
    raw
        The scan's raw output (its ``models``: ħω of each model).
    box12
        :func:`~.xfel_size_box.run_size_box`'s output.

    Returns
    -------
    list of ScanPoint
        One per model × U_c × Γ.
    """
    def feat(f: dict[str, Any] | None) -> Feature | None:
        return None if f is None else Feature(f["energy"], f["energy_error"], f["amplitude"])
    return [ScanPoint(m["scenario"], float(uc), p["Gamma"], m["U"], PROBE, LATTICE, 12, raw["models"][mid]["fit"]["E_G"], feat(p["A"]), feat(p["B"]),
                      p["reason"]) for mid, m in box12["models"].items() for uc, rec in m["points"].items() for p in rec["points"]]


def size_rows(points8: list[ScanPoint], points12: list[ScanPoint], exp: Experiment) -> list[dict[str, Any]]:
    """Per 12-site point: the 8-site A − B at the same (model, U_c, Γ), the change and its verdict.

    Parameters
    ----------
    points8
        The 8-site box's points.
    points12
        The 12-site points (:func:`twelve_site_points`).
    exp
        The measured signature (for the tolerances).

    Returns
    -------
    list of dict
        ``scenario``, ``U``, ``U_c``, ``Gamma`` (eV), ``sep8``, ``sep12``, ``change`` (eV; None where a size has no pair of features),
        ``tolerance`` (eV, the larger of the two points'), ``verdict`` ("converged", "not converged", "no A − B on N sites").
    """
    index = {(p.scenario, p.U, p.U_c, p.Gamma): p for p in points8 if _twin_setting(p)}
    rows = []
    for q in points12:
        p = index.get((q.scenario, q.U, q.U_c, q.Gamma))
        sep8 = None if p is None else p.separation
        tols = [t for t in (None if p is None else point_tolerance(p, exp), point_tolerance(q, exp)) if t is not None]
        row: dict[str, Any] = {"scenario": q.scenario, "U": q.U, "U_c": q.U_c, "Gamma": q.Gamma, "sep8": sep8, "sep12": q.separation, "change": None,
                               "tolerance": max(tols) if tols else None}
        if sep8 is None or q.separation is None:
            row["verdict"] = "no A − B on " + " and ".join(n for n, s in (("the study's cluster", sep8), ("12 sites", q.separation)) if s is None)
        else:
            row["change"] = q.separation - sep8
            row["verdict"] = "converged" if abs(row["change"]) <= row["tolerance"] else "not converged"
        rows.append(row)
    return sorted(rows, key=lambda r: (r["scenario"], r["U"], r["U_c"], r["Gamma"]))


def _block(points: list[ScanPoint], exp: Experiment) -> dict[str, Any] | None:
    return verdict_block(points, exp) if all(any(p.scenario == s for p in points) for s in SCENARIOS) else None


def size_verdicts(points8: list[ScanPoint], points12: list[ScanPoint], exp: Experiment) -> dict[str, Any]:
    """The discrimination verdict with and without the 12-site values, and whether it changes.

    Parameters
    ----------
    points8
        The 8-site box's points (every lattice and probe).
    points12
        The 12-site points.
    exp
        The measured signature.

    Returns
    -------
    dict
        ``blocks``: ``"8 sites"`` (the box as scanned), ``"12 sites replacing 8"`` (each 8-site point that has a 12-site twin
        replaced by it), ``"8 and 12 sites"`` (joined: cluster size one more axis), ``"12 sites only"`` (the 12-site points;
        unrelaxed, long probe), each :func:`~.xfel_verdict.verdict_block` or None when a scenario has no point; ``labels`` and
        ``changed`` (whether any label differs from the 8-site box's).
    """
    twins = {(q.scenario, q.U, q.U_c, q.Gamma) for q in points12}
    replaced = [p for p in points8 if not (_twin_setting(p) and (p.scenario, p.U, p.U_c, p.Gamma) in twins)] + points12
    blocks = {"8 sites": _block(points8, exp), "12 sites replacing 8": _block(replaced, exp), "8 and 12 sites": _block(points8 + points12, exp),
              "12 sites only": _block(points12, exp)}
    labels = {k: None if b is None else b["label"] for k, b in blocks.items()}
    return {"blocks": blocks, "labels": labels, "changed": any(v != labels["8 sites"] for v in labels.values())}


def _figure(rows: list[dict[str, Any]], box12: dict[str, Any]) -> list[dict[str, Any]]:
    """Per model: U_c and, per size and Γ, A − B against U_c (None: no pair of features)."""
    panels = []
    for m in box12["models"].values():
        mine = [r for r in rows if r["scenario"] == m["scenario"] and r["U"] == m["U"]]
        ucs, gammas = sorted({r["U_c"] for r in mine}), sorted({r["Gamma"] for r in mine})
        at = {(r["U_c"], r["Gamma"]): r for r in mine}
        curves = [{"sites": n, "Gamma": g, "values": [at[(u, g)][key] if (u, g) in at else None for u in ucs]}
                  for n, key in ((8, "sep8"), (12, "sep12")) for g in gammas]
        panels.append({"title": f"{m['scenario']}, U = {m['U']:.2f} eV", "scenario": m["scenario"], "U_c": ucs, "curves": curves})
    return panels


def size_axis_summary(raw: dict[str, Any], box12: dict[str, Any], exp: Experiment) -> dict[str, Any]:
    """The cluster-size axis of the report (module docstring).

    Parameters
    ----------
    raw
        The scan's raw output.
    box12
        :func:`~.xfel_size_box.run_size_box`'s output.
    exp
        The measured signature.

    Returns
    -------
    dict
        ``rows``, ``verdicts``, ``figure``, ``counts`` per scenario (points, not converged, no A − B, largest |change| in eV),
        ``U_c`` run, ``seconds`` and ``computed`` (points computed in this run), ``n_steps`` (Lanczos steps per chain) with
        ``steps_check`` (their evidence), ``halving_change_max`` (the long probe's largest window-halving change, relative to the
        peak) and ``headline`` (plain words with numbers).
    """
    points8, points12 = scan_points(raw), twelve_site_points(raw, box12)
    rows = size_rows(points8, points12, exp)
    counts = {}
    for s in SCENARIOS:
        mine = [r for r in rows if r["scenario"] == s]
        changes = [abs(r["change"]) for r in mine if r["change"] is not None]
        counts[s] = {"points": len(mine), "not_converged": sum(r["verdict"] == "not converged" for r in mine),
                     "no_pair": sum(r["change"] is None for r in mine), "largest_change": max(changes, default=None)}
    verdicts = size_verdicts(points8, points12, exp)
    recs = [rec for m in box12["models"].values() for rec in m["points"].values()]
    halving = [p["halving_change"] for rec in recs for p in rec["points"] if p["halving_change"] is not None]
    out = {"rows": rows, "verdicts": verdicts, "figure": _figure(rows, box12), "counts": counts, "U_c": box12["U_c"], "seconds": box12["seconds"],
           "computed": box12["computed"], "n_steps": sorted({rec["n_steps"] for rec in recs}),
           "halving_change_max": max(halving, default=None)}
    out["steps_check"] = (TWELVE_SITE_STEPS_CHECK if out["n_steps"] == [TWELVE_SITE_LANCZOS_STEPS]
                          else f"only for {TWELVE_SITE_LANCZOS_STEPS} steps (xfel_sizes.TWELVE_SITE_STEPS_CHECK), not at this number")
    out["headline"] = size_headline(out)
    return out


def size_headline(out: dict[str, Any]) -> str:
    """The cluster-size axis in plain words: how many points are not converged and whether the verdict changes.

    Parameters
    ----------
    out
        :func:`size_axis_summary`'s record (without ``headline``).

    Returns
    -------
    str
        The sentence(s).
    """
    c, lab = out["counts"], out["verdicts"]["labels"]
    parts = [f"{s}: {c[s]['not_converged']} of {c[s]['points']} points not converged"
             + (f" (largest |Δ| {c[s]['largest_change']:.2f} eV)" if c[s]["largest_change"] is not None else "")
             + (f", {c[s]['no_pair']} without a pair of features on one size" if c[s]["no_pair"] else "") for s in SCENARIOS]
    verdict = ("changes the verdict" if out["verdicts"]["changed"] else "leaves the verdict unchanged") + " (" + "; ".join(
        f"{k}: {v or 'no verdict'}" for k, v in lab.items()) + ")"
    return (f"Cluster-size axis (12 sites at U_c = {', '.join(f'{u:g}' for u in out['U_c'])} eV, every Γ, unrelaxed, long probe): "
            f"{'; '.join(parts)}. Adding the 12-site values {verdict}.")


def cluster_size_axis(ctx: Context, cp: Checkpoints, raw: dict[str, Any], summary: dict[str, Any], *, resolution_fwhm: float, alpha_target: float,
                      photon_energy: float) -> None:
    """Run the 12-site box (if enabled) and put the convergence rows and the cluster-size axis into ``summary``.

    Sets ``summary["convergence"]`` (:func:`~.xfel_sizes.size_convergence`), ``summary["size_axis"]`` (:func:`size_axis_summary`, None
    when not computed) and the box table's cluster-size row.

    Parameters
    ----------
    ctx
        The study context.
    cp
        The study's checkpoints.
    raw
        The scan's raw output.
    summary
        :func:`~.xfel_verdict.scan_summary`'s output (updated in place).
    resolution_fwhm, alpha_target, photon_energy
        The instrument's resolution FWHM (eV), the measured α and ħω (eV, where a model records none).
    """
    scan, n = ctx.cfg.scan, raw["n_sites"]
    heads = [h for h in summary["headline_points"].values() if h is not None]
    U_cs = twelve_site_U_c(scan, heads[0]["U_c"] if heads else None) if n != 12 else []
    box12 = run_size_box(twelve_site_spec(ctx.spec), cp, raw["models"], U_cs=U_cs, resolution_fwhm=resolution_fwhm, alpha_target=alpha_target,
                         photon_energy=photon_energy) if U_cs else None
    summary["convergence"] = size_convergence(summary, box12, n_sites=n, enabled=scan.twelve_sites)
    summary["size_axis"] = None if box12 is None else size_axis_summary(raw, box12, experiment_of_summary(summary["experiment"]))
    for row in summary["box"]:
        if row["parameter"] == SIZE_ROW and box12 is not None:
            row["values"] = [n, 12]
            row["source"] = (f"the spec's cluster ({ctx.system.cluster.describe()}) over the whole box; the 12-site 3×2×2 cluster (x open, one "
                             f"oxygen per pair) for every model, unrelaxed, long probe, at U_c = {', '.join(f'{u:g}' for u in U_cs)} eV "
                             f"and every Γ (see the cluster-size axis)")


def size_axis_figures(summary: dict[str, Any], outdir: Path) -> list[str]:
    """A − B against U_c on both sizes per scenario (one panel per model, Γ as line style); the file names (none without 12 sites).

    Parameters
    ----------
    summary
        The scan summary as stored (its ``size_axis`` and ``experiment``).
    outdir
        Where the figures are written.

    Returns
    -------
    list of str
        The figure file names.
    """
    axis = summary.get("size_axis")
    if not axis:
        return []
    names = []
    for s in SCENARIOS:
        panels = [p for p in axis["figure"] if p["scenario"] == s]
        if panels:
            fig = ab_vs_core_hole(panels, measured=summary["experiment"]["separation"],
                                  title=f"A − B against U_c on the study's cluster and on 12 sites: {s} scenario (unrelaxed, long probe)")
            save_figure(fig, outdir / f"ab_sizes_{s}.png")
            names.append(f"ab_sizes_{s}.png")
    return names
