"""Figure of the cluster-size axis of the discrimination scan: A − B against U_c on two cluster sizes, one curve per Γ.

A pure function of plain data returning a matplotlib figure (axes labelled with units).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

#: Line styles of the Γ values, in ascending Γ (repeated beyond four).
GAMMA_STYLES = ("-", "--", "-.", ":")
#: Colour and marker per cluster size (other sizes: the default cycle).
SIZE_STYLES = {8: ("tab:blue", "o"), 12: ("tab:red", "s")}


def ab_vs_core_hole(panels: Sequence[Mapping[str, Any]], *, measured: float, title: str) -> Figure:
    """One panel per model: A − B (eV) against U_c (eV), colour and marker per cluster size, line style per Γ.

    Parameters
    ----------
    panels
        Dicts with ``title``, ``U_c`` (eV, sorted) and ``curves``: dicts with ``sites``, ``Gamma`` (eV) and ``values``
        (A − B in eV per U_c; None: no pair of features, left as a gap).
    measured
        Measured A − B (eV), drawn as a horizontal line.
    title
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    n = max(1, len(panels))
    fig, axes = plt.subplots(1, n, figsize=(4.4 * n + 0.6, 3.8), squeeze=False, sharey=True, layout="constrained")
    for ax, p in zip(axes.ravel(), panels):
        gammas = sorted({c["Gamma"] for c in p["curves"]})
        for c in p["curves"]:
            colour, marker = SIZE_STYLES.get(c["sites"], (None, "^"))
            y = np.array([np.nan if v is None else v for v in c["values"]], dtype=float)
            ax.plot(p["U_c"], y, color=colour, marker=marker, markersize=3.5, linewidth=1.2,
                    linestyle=GAMMA_STYLES[gammas.index(c["Gamma"]) % len(GAMMA_STYLES)], label=f"{c['sites']} sites, Γ = {c['Gamma']:g} eV")
        ax.axhline(measured, color="k", linewidth=0.8, linestyle=(0, (1, 2)), label=f"measured {measured:g} eV")
        ax.set_xlabel("core-hole potential U_c (eV)")
        ax.set_title(p["title"], fontsize=9)
    axes[0, 0].set_ylabel("A − B (eV)")
    axes[0, -1].legend(fontsize=6, loc="best")
    fig.suptitle(title, fontsize=10)
    return fig
