"""Figures of the discrimination scan: A − B maps over (U_c, Γ) and the A − B distributions of both scenarios.

Pure functions of arrays returning matplotlib figures (axes labelled with units).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator


def ab_maps(panels: Sequence[Mapping[str, Any]], *, title: str, measured: float) -> Figure:
    """One panel per setting: A − B (eV, colour and number per cell) over U_c (rows) and Γ (columns).

    ``panels``: dicts with ``title``, ``U_c`` and ``Gamma`` (eV, sorted) and ``grid`` [i_Uc, i_Γ]
    (NaN: no pair of features, drawn blank and marked "—"). One colour scale for all panels,
    centred on the measured A − B.

    Parameters
    ----------
    panels
        Dicts with ``title``, ``U_c`` and ``Gamma`` (eV, sorted) and ``grid`` [i_Uc, i_Γ] (A − B in eV, NaN: none).
    title
        Figure title.
    measured
        Measured A − B (eV).

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    n = len(panels)
    cols = int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols + 1.2, 3.9 * rows), squeeze=False, layout="constrained")
    finite = np.concatenate([np.asarray(p["grid"], dtype=float)[np.isfinite(p["grid"])] for p in panels] + [np.array([measured])])
    half = max(float(np.max(np.abs(finite - measured))), 0.1)
    mesh = None
    for ax, p in zip(axes.ravel(), panels):
        grid = np.asarray(p["grid"], dtype=float)
        mesh = ax.imshow(np.ma.masked_invalid(grid), origin="lower", aspect="auto", cmap="coolwarm", vmin=measured - half, vmax=measured + half)
        for (i, j), v in np.ndenumerate(grid):
            ax.text(j, i, "—" if not np.isfinite(v) else f"{v:.2f}", ha="center", va="center", fontsize=7)
        ax.set_xticks(range(len(p["Gamma"])), [f"{g:g}" for g in p["Gamma"]])
        ax.set_yticks(range(len(p["U_c"])), [f"{u:g}" for u in p["U_c"]])
        ax.set_xlabel("Γ, Lorentzian HWHM (eV)")
        ax.set_ylabel("U_c (eV)")
        ax.set_title(p["title"], fontsize=9)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    if mesh is not None:
        fig.colorbar(mesh, ax=axes.ravel().tolist(), label=f"A − B (eV); scale centred on the measured {measured:g} eV")
    fig.suptitle(title, fontsize=10)
    return fig


def ab_distributions(values: Mapping[str, Sequence[float]], values_hw: Mapping[str, Sequence[float]], *, measured: float, measured_hw: float,
                     tolerance: tuple[float, float]) -> Figure:
    """Histograms of A − B per scenario over the box, in eV (left) and in units of each scenario's ħω (right).

    The measured A − B is a vertical line, the band its smallest and largest point tolerance (eV).

    Parameters
    ----------
    values
        A − B per scenario (eV).
    values_hw
        A − B per scenario in units of its ħω.
    measured
        Measured A − B (eV).
    measured_hw
        Measured A − B in units of the measured ħω.
    tolerance
        Smallest and largest point tolerance (eV).

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for ax, data, m, unit in ((axes[0], values, measured, "eV"), (axes[1], values_hw, measured_hw, "ħω")):
        allv = np.concatenate([np.asarray(v, dtype=float) for v in data.values()] + [np.array([m])])
        bins = np.linspace(allv.min() - 0.1, allv.max() + 0.1, 31)
        for i, (name, v) in enumerate(data.items()):
            ax.hist(np.asarray(v, dtype=float), bins=bins, histtype="stepfilled" if i == 0 else "step", alpha=0.5 if i == 0 else 1.0,
                    color=f"C{i}", lw=1.5, label=f"{name} ({len(v)} points)")
        ax.axvline(m, color="k", lw=1.2, label=f"measured {m:.2f} {unit}")
        if unit == "eV":
            ax.axvspan(m - tolerance[1], m + tolerance[1], color="0.85", zorder=0, label=f"± tolerance ({tolerance[0]:.2f}–{tolerance[1]:.2f} eV)")
        ax.set_xlabel(f"A − B ({unit}{'' if unit == 'eV' else ' of each scenario'}); negative: A below B")
        ax.set_ylabel("points of the box")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
