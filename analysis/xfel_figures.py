"""Figures of the XFEL comparison study: ΔXAS maps, A/B vs delay, kinetics, α(F), T_c(x), percolation.

Pure functions of arrays/dicts returning matplotlib figures (axes labelled with units).
"""

from __future__ import annotations

from typing import Any, Mapping

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402


def dxas_maps(sp: Mapping[str, Any], *, title: str = "") -> Figure:
    """ΔXAS(ω) curves per delay for the unrelaxed and relaxed lattice (one panel each)."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    omega = np.asarray(sp["omega"])
    for ax, lat in zip(axes, ("unrelaxed", "relaxed")):
        for d, curve in zip(sp["delays"], sp[lat]["dxas"]):
            ax.plot(omega, curve, label=f"{d:g} fs")
        ax.axhline(0.0, color="k", lw=0.5)
        ax.set_xlabel("photon energy ħω (eV)")
        ax.set_title(f"{title}: {lat} lattice")
    axes[0].set_ylabel("ΔXAS (arb. units)")
    axes[0].legend(title="delay after pulse", fontsize=8)
    fig.tight_layout()
    return fig


def peaks_vs_delay(sp: Mapping[str, Any], *, title: str = "") -> Figure:
    """Energies of peaks A and B against delay, both lattices."""
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    d = np.asarray(sp["delays"], dtype=float)
    for lat, style in (("unrelaxed", "-o"), ("relaxed", "--s")):
        ax.plot(d, [p["A"] for p in sp[lat]["peaks"]], style, color="C3", label=f"A, {lat}")
        ax.plot(d, [p["B"] for p in sp[lat]["peaks"]], style, color="C0", label=f"B, {lat}")
    ax.set_xlabel("delay after pulse end (fs)")
    ax.set_ylabel("peak energy (eV)")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def kinetics(delay: np.ndarray, value: np.ndarray, fit: np.ndarray | None, *, title: str = "") -> Figure:
    """A delay trace with an optional fitted curve."""
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    ax.plot(delay, value, "o", label="data")
    if fit is not None:
        ax.plot(delay, fit, "-", label="fit")
    ax.set_xlabel("delay")
    ax.set_ylabel("ΔXAS at peak A (arb. units)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def alpha_vs_fluence(fluence: np.ndarray, alpha: np.ndarray, slope: float, population: np.ndarray, measured: Mapping[float, float]) -> Figure:
    """α(F) of the model with the line through the origin, the excited population and the measured points."""
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    f = np.linspace(0.0, float(max(fluence.max(), *measured)), 50)
    ax.plot(fluence, alpha, "o", label="model α (XAS fit)")
    ax.plot(f, slope * f, "-", label=f"linear fit, {slope:.3g} per mJ/cm²")
    ax.plot(fluence, population, "^", label="model 1 − |⟨ψ0|ψ⟩|²")
    ax.plot(list(measured), list(measured.values()), "k*", ms=10, label="measured")
    ax.set_xlabel("fluence (mJ/cm²)")
    ax.set_ylabel("excited fraction α")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def tc_vs_x(x: np.ndarray, tc: np.ndarray, tc_lattice: np.ndarray, x_measured: float, tc_measured: float) -> Figure:
    """T_c(x) of the Fermi–Bose estimate (continuum and lattice) with the measured point."""
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    ax.plot(x, tc, "-", label="continuum BEC")
    ax.plot(x, tc_lattice, "--", label="lattice bosons")
    ax.plot([x_measured], [tc_measured], "k*", ms=10, label="measured")
    ax.set_xlabel("K concentration x")
    ax.set_ylabel("T_c (K)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def percolation(pc: Mapping[str, Any], x_measured: float) -> Figure:
    """Wrapping probability of large octahedra (LPDW network) vs x for each size and placement."""
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for i, (placement, data) in enumerate(pc.items()):
        for L, curve in data["curves"].items():
            ax.plot(data["grid"], curve, ls="-" if i == 0 else "--", label=f"{placement}, L = {L}")
    ax.axvline(x_measured, color="k", lw=0.8, label="measured x = 0.37")
    ax.set_xlabel("K concentration x")
    ax.set_ylabel("wrapping probability")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
