"""Figures of the XFEL comparison study: ΔXAS maps, A/B vs delay, kinetics, α(F), T_c(x), percolation.

Pure functions of arrays/dicts returning matplotlib figures (axes labelled with units).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure


def dxas_maps(sp: Mapping[str, Any], *, title: str = "", hw: float | None = None) -> Figure:
    """ΔXAS(ω) curves per delay for the unrelaxed and relaxed lattice (one panel each), zoomed on the
    pre-edge window (shaded: where A and B are searched), with the found A (▲) and B (▼) marked and
    the ground-state XAS (scaled, grey) for orientation.

    Parameters
    ----------
    sp
        One scenario's spectra (``omega``, ``delays``, ``window``, per lattice ``dxas`` and ``peaks``).
    title
        Figure title.
    hw
        The pump photon energy (eV), marked when given.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    omega = np.asarray(sp["omega"])
    lo, hi = sp.get("window", (omega[0], omega[-1]))
    view = (omega >= lo - 1.5) & (omega <= hi + 1.5)
    ground = np.asarray(sp["ground"])
    scale = max(abs(np.asarray(sp[lat]["dxas"])[:, view]).max() for lat in ("unrelaxed", "relaxed")) or 1.0
    for ax, lat in zip(axes, ("unrelaxed", "relaxed")):
        ax.axvspan(lo, hi, color="0.93", zorder=0)
        ax.plot(omega[view], ground[view] / ground.max() * scale, color="0.6", lw=1, label="ground-state XAS (scaled)")
        for i, (delays, curve, p) in enumerate(_distinct_curves(sp["delays"], sp[lat]["dxas"], sp[lat]["peaks"], tol=1e-9 * scale)):
            c = f"C{i}"
            same = " (identical: the probe of a freely evolving χ is stationary)" if len(delays) > 1 else ""
            ax.plot(omega[view], np.asarray(curve)[view], color=c, label=f"ΔXAS, {', '.join(f'{d:g}' for d in delays)} fs{same}")
            if p["found"]:
                ax.plot([p["A"]], [p["A_amp"]], "^", color=c, ms=7)
                ax.plot([p["B"]], [p["B_amp"]], "v", color=c, ms=7)
        ax.axhline(0.0, color="k", lw=0.5)
        ax.set_xlabel("photon energy (eV)")
        ax.set_title(f"{title}: {lat} lattice" + (f" (ħω = {hw:.2f} eV)" if hw else ""), fontsize=10)
    axes[0].set_ylabel("ΔXAS (arb. units; α × per-cluster spectrum)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, title="delay after pulse end", fontsize=8, title_fontsize=8, loc="lower center", ncol=2)
    fig.tight_layout(rect=(0.0, 0.14, 1.0, 1.0))
    return fig


def _distinct_curves(delays: Any, curves: Any, peaks: Any, *, tol: float) -> list[tuple[list[float], Any, Any]]:
    """Group the delays whose ΔXAS curves agree to ``tol`` (one line and one legend entry per group).

    Parameters
    ----------
    delays : sequence of float
        Delays (fs), one per curve.
    curves : sequence of array_like
        ΔXAS curves on a common ω grid.
    peaks : sequence of dict
        The A/B peaks found on each curve.
    tol : float
        Largest pointwise difference (the curves' units) for two curves to count as one.

    Returns
    -------
    list of tuple
        ``(delays of the group, its first curve, that curve's peaks)`` in the order of first appearance.
    """
    groups: list[tuple[list[float], Any, Any]] = []
    for d, curve, p in zip(delays, curves, peaks):
        for ds, first, _ in groups:
            if np.max(np.abs(np.asarray(curve) - np.asarray(first))) <= tol:
                ds.append(d)
                break
        else:
            groups.append(([d], curve, p))
    return groups


def peaks_vs_delay(sp: Mapping[str, Any], *, title: str = "") -> Figure:
    """Energies of peaks A and B against delay, both lattices (delays without a peak are left out).

    Parameters
    ----------
    sp
        One scenario's spectra (``omega``, ``delays``, ``window``, per lattice ``dxas`` and ``peaks``).
    title
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for lat, style in (("unrelaxed", "-o"), ("relaxed", "--s")):
        pts = [(d, p) for d, p in zip(sp["delays"], sp[lat]["peaks"]) if p["found"]]
        d = [x for x, _ in pts]
        ax.plot(d, [p["A"] for _, p in pts], style, color="C3", label=f"A, {lat}")
        ax.plot(d, [p["B"] for _, p in pts], style, color="C0", label=f"B, {lat}")
    ax.set_xlabel("delay after pulse end (fs)")
    ax.set_ylabel("peak energy (eV)")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def kinetics(delay: np.ndarray, value: np.ndarray, fit: np.ndarray | None, *, title: str = "", xlabel: str = "delay (ps)",
             ylabel: str = "ΔXAS at peak A (arb. units)", labels: tuple[str, str] = ("data", "fit"), marker: str = "o") -> Figure:
    """A delay trace with an optional second curve (a fit, or a second model quantity).

    Parameters
    ----------
    delay
        Delays or times.
    value
        The trace.
    fit
        A second curve on the same axis (None: none).
    title
        Figure title.
    xlabel
        Label of the x axis.
    ylabel
        Label of the y axis.
    labels
        Legend labels of the two curves.
    marker
        Matplotlib marker of the trace.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    ax.plot(delay, value, marker, label=labels[0])
    if fit is not None:
        ax.plot(delay, fit, "-", label=labels[1])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def alpha_vs_fluence(factor: np.ndarray, alpha: np.ndarray, population: np.ndarray, measured: Mapping[float, float],
                     f_main: float) -> Figure:
    """Excited fraction against fluence relative to the calibration point: model (XAS fit and population,
    with the line through the origin fixed by the first point) and the measured points (F / ``f_main``).

    Parameters
    ----------
    factor
        Fluence relative to the calibration point.
    alpha
        α from the XAS fit per factor.
    population
        Population 1 − |⟨ψ0|ψ⟩|² per factor.
    measured
        Measured α by fluence factor (F / f_main).
    f_main
        The measured main fluence (mJ/cm²).

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    fig, ax = plt.subplots(figsize=(5.8, 4.0))
    f = np.linspace(0.0, float(max(factor.max(), *measured)), 50)
    ax.plot(factor, population, "^", label="model 1 − |⟨ψ0|ψ⟩|²")
    ax.plot(factor, alpha, "o", mfc="none", label="model α (XAS fit)")
    ax.plot(f, population[0] / factor[0] * f, ":", color="C0", label="linear (one-photon) from the first point")
    ax.plot(list(measured), list(measured.values()), "k*", ms=10, label=f"measured (F / {f_main:g} mJ cm⁻²)")
    ax.set_xlabel(f"fluence / calibration fluence (model) or / {f_main:g} mJ cm⁻² (experiment)")
    ax.set_ylabel("excited fraction α")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def tc_vs_x(x: np.ndarray, curves: Mapping[str, Any], x_measured: float, tc_measured: float, tolerance: float) -> Figure:
    """T_c(x) of the Fermi–Bose estimate under each convention of constant and mass, with the measured point
    and the tolerance band (the review's own spread).

    Parameters
    ----------
    x
        K concentrations.
    curves
        T_c (K) per convention.
    x_measured
        Measured x.
    tc_measured
        Measured T_c (K).
    tolerance
        Smallest and largest point tolerance (eV).

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for i, (label, tc) in enumerate(curves.items()):
        ax.plot(x, tc, "-" if "continuum" in label or "Eq. (8)" in label else "--", color=f"C{i}", label=label)
    ax.errorbar([x_measured], [tc_measured], yerr=[tolerance], fmt="k*", ms=10, capsize=4, label=f"measured ± {tolerance:g} K")
    ax.set_xlabel("K concentration x")
    ax.set_ylabel("T_c (K)")
    ax.set_yscale("log")
    ax.legend(fontsize=6)
    fig.tight_layout()
    return fig


def percolation(pc: Mapping[str, Any], x_measured: float) -> Figure:
    """Wrapping probability of the small-octahedra (fermionic) cluster vs x for each size and placement.

    Parameters
    ----------
    pc
        Wrapping probabilities per size and placement, with the thresholds.
    x_measured
        Measured x.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for i, (placement, data) in enumerate(pc.items()):
        for L, curve in data["curves"].items():
            ax.plot(data["grid"], curve, ls="-" if i == 0 else "--", label=f"{placement}, L = {L}")
    ax.axvline(x_measured, color="k", lw=0.8, label=f"review x = {x_measured:g}")
    ax.set_xlabel("K concentration x")
    ax.set_ylabel("wrapping probability")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
