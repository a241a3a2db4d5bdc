"""XFEL study, step 4: the tables and text of ``report.md``.

Every verdict here is computed by :mod:`localpairs.analysis.verdicts` from a model number, a
measured number (``analysis/data/xfel_babio3.toml``) and a tolerance from ``[xfel]``; a missing
number (e.g. no peak above threshold) gives "not available" with the reason, never a NaN.
"""

from __future__ import annotations

import math
from typing import Any

from localpairs.analysis.verdicts import Row, markdown_table
from localpairs.spec import RunSpec

from localpairs.studies.common import System
from localpairs.studies.xfel_fit import reachability

SCENARIOS = ("paired", "unpaired")
#: Rows of the A−B table: (lattice, index into the delays): unrelaxed early, relaxed late.
AB_ROWS = (("unrelaxed", 0), ("relaxed", -1))


def _f(v: float | None, fmt: str = ".3f") -> str:
    return "—" if v is None else format(v, fmt)


def fit_table(fits: dict[str, Any]) -> str:
    """Fitted and fixed parameters, convergence and bounds of both scenario fits."""
    lines = ["| scenario | fitted (bounds, eV) | fixed (eV) | U (eV) | V (eV) | Δ (eV) | converged | at a bound | ED evaluations |",
             "|---|---|---|---|---|---|---|---|---|"]
    for s, f in fits.items():
        fitted = ", ".join(f"{k} ∈ [{lo:g}, {hi:g}]" for k, (lo, hi) in f["bounds"].items())
        fixed = ", ".join(f"{k} = {f['fixed'][k]:.4g}" for k in ("t", "U", "V") if k in f["fixed"])
        conv = "yes" if f["converged"] else f"**no**: {f['message']}"
        lines.append(f"| {s} | {fitted} | {fixed} | {f['U']:.4f} | {f['V']:.4f} | {f['breathing']:.4f} | {conv} | "
                     f"{'; '.join(f['at_bound']) or 'none'} | {f['nfev']} |")
    return "\n".join(lines)


def gap_rows(fits: dict[str, Any], measured: dict[str, float], tolerance: float) -> list[Row]:
    """Achieved E_G, E_a, E_b and E_b + 2E_a of each scenario against the measured values."""
    rows = []
    for s in SCENARIOS:
        f = fits[s]
        for name, key, target in (("E_G", "E_G", "E_G"), ("E_a", "E_a", "E_a"), ("E_b", "E_b", "E_b"), ("E_b + 2E_a", "E_b_plus_2E_a", "E_G")):
            role = "fitted" if key in f["targets"] else "prediction"
            rows.append(Row(f"{name} ({s})", f["achieved"][key], measured[target], tolerance, "eV", role))
    return rows


def ab_table(ref, fits: dict[str, Any], spectra: dict[str, Any], cfg) -> str:  # noqa: ANN001
    """The four A−B rows (two scenarios × unrelaxed early / relaxed late), in eV and in units of ħω."""
    ab, hw_exp = float(ref["ab_separation"].value), float(ref["pump_photon_energy"].value)
    tol_hw = cfg.tolerances.ab / hw_exp
    lines = ["| scenario | lattice (delay after pulse) | E_A (eV) | E_B (eV) | \\|A−B\\| (eV) | \\|A−B\\| (ħω) | measured | "
             "difference (eV) | verdict (eV, ±{0:g} eV) | verdict (ħω, ±{1:.3f} ħω) |".format(cfg.tolerances.ab, tol_hw),
             "|---|---|---|---|---|---|---|---|---|---|"]
    for s in SCENARIOS:
        sp, hw = spectra[s], fits[s]["E_G"]
        for lat, k in AB_ROWS:
            p = sp[lat]["peaks"][k]
            delay = sp["delays"][k]
            sep = p["separation"] if p["found"] else None
            r_ev = Row("", sep, ab, cfg.tolerances.ab, "eV")
            r_hw = Row("", None if sep is None else sep / hw, ab / hw_exp, tol_hw)
            why = "" if p["found"] else f" ({p['reason']})"
            order = "" if not p["found"] else (" A below B" if p["signed"] < 0 else " **A above B**")
            other = p.get("A_anywhere")
            if p["found"] and other is not None and abs(other - p["A"]) > 1e-9:
                order += f"; largest positive peak anywhere: {other:.2f} eV"
            lines.append(f"| {s} | {lat} ({delay:g} fs) | {_f(p['A'])} | {_f(p['B'])} | {_f(sep)}{order} | "
                         f"{_f(None if sep is None else sep / hw)} (ħω = {hw:.3f} eV) | {ab:g} eV = {ab / hw_exp:.3f} ħω | "
                         f"{_f(r_ev.difference)} | {r_ev.verdict}{why} | {r_hw.verdict} |")
    return "\n".join(lines)


def shift_rows(ref, spectra: dict[str, Any], cfg) -> list[Row]:  # noqa: ANN001
    """Shift of peak A, relaxed (last delay) − unrelaxed (first delay), against the measured +0.2 eV."""
    rows, shift = [], float(ref["a_shift"].value)
    for s in SCENARIOS:
        sp = spectra[s]
        un, re = sp["unrelaxed"]["peaks"][0], sp["relaxed"]["peaks"][-1]
        same = sp["unrelaxed"]["peaks"][-1]
        name = f"A shift, {s}: E_A(relaxed, {sp['delays'][-1]:g} fs) − E_A(unrelaxed, {sp['delays'][0]:g} fs)"
        if not (un["found"] and re["found"]):
            missing = "unrelaxed" if not un["found"] else "relaxed"
            rows.append(Row(name, None, shift, cfg.tolerances.a_shift, "eV", f"no peak A above threshold ({missing} lattice)"))
            continue
        note = f"lattice alone (both at {sp['delays'][-1]:g} fs): {re['A'] - same['A']:+.3f} eV" if same["found"] else ""
        rows.append(Row(name, re["A"] - un["A"], shift, cfg.tolerances.a_shift, "eV", note))
    return rows


def pump_table(fits: dict[str, Any], spectra: dict[str, Any], calib: dict[str, Any]) -> str:
    """Fluence, excited fraction, absorbed energy and the one-photon checks of each scenario's ΔXAS run."""
    lines = ["| scenario | ħω = E_G (eV) | probe F (mJ/cm²) | α (probe) | ΔXAS F (mJ/cm²) | α (ΔXAS run) | d ln α / d ln F | "
             "absorbed (eV/cluster) | absorbed / (α ħω) | ⟨H⟩_χ − E0 (eV) |", "|---|---|---|---|---|---|---|---|---|---|"]
    for s in SCENARIOS:
        sp, c, hw = spectra[s], calib.get(s), fits[s]["E_G"]
        a, e = sp["population"][-1], sp["absorbed"][-1]
        F = sp["pulse"]["fluence"]
        if c is not None and abs(math.log(F / c["probe_fluence"])) > 0.05:
            expo = f"{math.log(a / c['probe_population']) / math.log(F / c['probe_fluence']):.3f}"
        else:
            expo = "— (one fluence)"
        probe = ("—", "—") if c is None else (f"{c['probe_fluence']:.4g}", f"{c['probe_population']:.4g}")
        lines.append(f"| {s} | {hw:.3f} | {probe[0]} | {probe[1]} | {F:.4g} | {a:.4g} | {expo} | {e:.4g} | {e / (a * hw):.3f} | "
                     f"{sp['excitation_energy'][-1]:.3f} |")
    return "\n".join(lines)


def scan_table(scan: dict[float, Any], alpha_fit: dict[float, float], hw: float) -> str:
    """The paired fluence scan: α (population and XAS fit) and absorbed energy per factor."""
    lines = ["| F / F_ΔXAS | F (mJ/cm²) | α = 1 − \\|⟨ψ0\\|ψ⟩\\|² | α (XAS fit) | absorbed / (α ħω) |", "|---|---|---|---|---|"]
    for f in sorted(scan):
        sp = scan[f]
        a = sp["population"][-1]
        lines.append(f"| {f:g} | {sp['pulse']['fluence']:.4g} | {a:.4g} | {alpha_fit[f]:.4g} | {sp['absorbed'][-1] / (a * hw):.3f} |")
    return "\n".join(lines)


def report_text(spec: RunSpec, system: System, ref, measured: dict[str, float], fits: dict, spectra: dict, calib: dict,  # noqa: ANN001
                scan: dict, more: dict, timings: dict[str, float]) -> str:
    """The markdown report."""
    cfg = spec.xfel
    delays = ", ".join(f"{d:g}" for d in cfg.pump.delays)
    t = "\n".join(f"- {k}: {v:.1f} s" for k, v in timings.items())
    tun = more["summary"]["tunnelling"]
    w = cfg.peaks.window
    cal = (f"calibrated per scenario so that α equals the measured α = {ref['alpha_at_8'].value:g} at "
           f"{ref['fluence_main'].value:g} mJ/cm² (probe run at {cfg.pump.fluence:g} mJ/cm², refused above α = {cfg.pump.max_probe_excitation:g})"
           if cfg.pump.calibrate_fluence else f"{cfg.pump.fluence:g} mJ/cm² (not calibrated)")
    return f"""# {spec.title}

{spec.description}

Cluster {system.cluster.describe()}, sector {system.sector.label()}, extended Hubbard, t = {spec.model.t} eV fixed.
Measured numbers: `analysis/data/xfel_babio3.toml`. Verdict: consistent iff |model − experiment| ≤ tolerance
(stated per row or column, set in `[xfel]`); computed from the numbers, "not available" when a number is missing.

## 1. Scenario fits (ED in the loop, scipy least_squares, equal weights in eV)

Definitions: 2E_a := Δ2 = [E(N+2) + E(N−2) − 2E(N)]/2 (two-particle gap per electron); E_b := Δ1 − Δ2 with
Δ1 = E(N+1) + E(N−1) − 2E(N), so E_b + 2E_a = Δ1 (the review's E_G = E_b + 2E_a); E_G := lowest x-polarized
σ(ω) pole with ≥ {cfg.fit.optical_gap_fraction:g} of ∫σ dω.
Paired: U, V, Δ fitted to {', '.join(fits['paired']['targets'])} = {', '.join(f'{v:g}' for v in fits['paired']['targets'].values())} eV
(E_b = {measured['E_b']:g} eV is the review's E_G − 2E_a; with E_G and E_a alone the three parameters are under-determined).
Unpaired control: U and V fixed (V = the paired fit's V unless `xfel.fit.V_unpaired` is set), Δ fitted to E_G alone.

{fit_table(fits)}

Reach of the paired model: {reachability(fits['paired'], measured, cfg.tolerances.gap)}

## 2. Gaps

{markdown_table(gap_rows(fits, measured, cfg.tolerances.gap))}

## 3. Pump: fluence, excited fraction, linearity

x-polarized Gaussian, {cfg.pump.duration:g} fs intensity FWHM, ħω = the scenario's E_G; fluence {cal}.
α = 1 − |⟨ψ0|ψ⟩|² and the absorbed energy ⟨H⟩ − E0 at the last delay. One-photon (linear) absorption means
d ln α / d ln F ≈ 1 (2 would be two-photon) and absorbed / (α ħω) ≈ 1; ⟨H⟩_χ − E0 ≈ ħω is the mean energy of the
excited component.

{pump_table(fits, spectra, calib)}

## 4. ΔXAS peaks A and B

ΔXAS = α (XAS[χ̂; H_lat] − XAS[ψ0; H]) at delays {delays} fs after the pulse end (centre + one FWHM), each part
measured from its own energy (`localpairs/studies/xfel_probe.py`); unrelaxed: H_lat = the fitted H; relaxed:
breathing 0 (identical octahedra, sudden limit, same χ̂). U_c = {cfg.probe.U_c} eV, Γ = {cfg.probe.Gamma} eV; one offset per
scenario puts the ground-state pre-edge peak at {cfg.probe.pre_edge_peak} eV. A (B): the {'largest positive local maximum below B' if cfg.peaks.a_below_b else 'largest positive local maximum'}
(deepest negative local minimum) in [{cfg.probe.pre_edge_peak + w[0]:g}, {cfg.probe.pre_edge_peak + w[1]:g}] eV (the measured O2p–Bi6p shoulder
starts at {ref['shoulder_range'].value[0]:g} eV) exceeding {cfg.peaks.min_amplitude:g} × max|ΔXAS| there. Unrelaxed rows: first delay (early); relaxed rows:
last delay. Tolerance ±{cfg.tolerances.ab} eV: experimental resolution (~0.2 eV) plus the model broadening Γ; in
units of ħω the same tolerance divided by the measured ħω = {ref['pump_photon_energy'].value:g} eV. The review's
argument: paired → |A−B| ≈ ħω/2, unpaired → ≈ ħω.

{ab_table(ref, fits, spectra, cfg)}

Shift of A from the unrelaxed (early) to the relaxed (late) lattice; the measured +0.2 eV builds up over
0.1–0.8 ps, the model's relaxed lattice is its sudden limit:

{markdown_table(shift_rows(ref, spectra, cfg))}

## 5. Kinetics

{markdown_table(more['rows']['kinetics'])}

## 6. Excited fraction against fluence (paired)

Experiment: {ref['fluence_main'].value:g}, 16, 32 mJ/cm² ↔ model F / F_ΔXAS = 1, 2, 4. α (XAS fit) from
`fit_excited_fraction` with ground = XAS[ψ0], measured = the pumped XAS at the last delay, excited = XAS of χ̂ at the
largest fluence.

{scan_table(scan, more['summary']['alpha_fit'], fits['paired']['E_G'])}

{markdown_table(more['rows']['alpha'])}

## 7. T_c, percolation, tunnelling

{markdown_table(more['rows']['tc'] + more['rows']['percolation'])}

Pair tunnelling (Fermi–Bose chain, t_F = {cfg.tunnelling.t_F}, g = {cfg.tunnelling.g}, E_B = {cfg.tunnelling.E_B} eV):
N = {tun['n']}, splittings {', '.join(f'{v:.3g}' for v in tun['splitting_eV'])} eV, decay D = {tun['D']:.3f} ± {tun['D_error']:.2g} per site.

Figures: dxas_paired.png, dxas_unpaired.png, peaks_*.png, kinetics.png, excited_fraction.png, tc_vs_x.png, percolation.png.

## Timings

{t}
"""
