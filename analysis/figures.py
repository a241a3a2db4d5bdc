"""Figures a physicist would put on a slide: labelled axes with units, written atomically.

Every function takes arrays (and a cluster for geometry) and returns a matplotlib Figure;
:func:`save_figure` writes it as PNG through a temporary file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from localpairs.hamiltonians import Cluster
from localpairs.io import write_with

LARGE_COLOR = "#c0392b"
SMALL_COLOR = "#2e86c1"


def save_figure(fig: Figure, path: str | os.PathLike, *, dpi: int = 150) -> None:
    """Write ``fig`` as PNG to ``path`` atomically and close it.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    path : str or os.PathLike
        The PNG file.
    dpi : int
        Resolution in dots per inch.
    """
    write_with(path, lambda tmp: fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format="png"))
    plt.close(fig)


def cluster_figure(
    cluster: Cluster, large: Sequence[bool] | np.ndarray, *, site_charge: Sequence[float] | np.ndarray | None = None, title: str = ""
) -> Figure:
    """Draw the cluster in 3D: large (bosonic) and small (fermionic) octahedra, bridging oxygens.

    Marker area grows with the octahedron's size class; numbers give ⟨n_i⟩ when ``site_charge``
    is given. Periodic bonds that wrap around are drawn as short stubs to the cluster's edge.

    Parameters
    ----------
    cluster : Cluster
        The cluster (positions in units of the lattice constant).
    large : sequence of bool
        Per site: True for a large (bosonic) octahedron.
    site_charge : sequence of float, optional
        ⟨n_i⟩ per site, written beside the markers.
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    pos = cluster.positions
    a = cluster.lattice_constant
    fig = plt.figure(figsize=(6.0, 5.2))
    ax = fig.add_subplot(projection="3d")
    for bond in cluster.bonds:
        ri = pos[bond.i]
        rj = ri + np.array(bond.displacement)
        wraps = not np.allclose(rj, pos[bond.j])
        end = ri + 0.5 * np.array(bond.displacement) if wraps else rj
        ax.plot(*np.stack([ri, end]).T, color="0.6", lw=1.0, ls=":" if wraps else "-", zorder=1)
        ax.scatter(*bond.oxygen_position, s=12, color="0.35", zorder=2)
    is_large = np.asarray(large, dtype=bool)
    for flag, color, label, size in ((True, LARGE_COLOR, "large (L⁰, electron pair)", 420), (False, SMALL_COLOR, "small (L², hole pair)", 200)):
        sel = is_large == flag
        if sel.any():
            ax.scatter(*pos[sel].T, s=size, color=color, alpha=0.85, edgecolor="k", label=label, zorder=3, depthshade=False)
    if site_charge is not None:
        for r, q in zip(pos, site_charge):
            ax.text(r[0], r[1], r[2] + 0.28 * a, f"{q:.2f}", ha="center", fontsize=8)
    ax.set_xlabel("x (Å)")
    ax.set_ylabel("y (Å)")
    ax.set_zlabel("z (Å)")
    ax.set_box_aspect(np.maximum(np.ptp(pos, axis=0), 0.5 * a))
    ax.legend(loc="upper left", fontsize=8, title="octahedra; grey dots: O", title_fontsize=8)
    ax.set_title(title or cluster.describe(), fontsize=10)
    return fig


def site_charge_figure(site_charge: Sequence[float] | np.ndarray, double_occupancy: Sequence[float] | np.ndarray,
                       large: Sequence[bool] | np.ndarray, *, title: str = "") -> Figure:
    """Draw the bar chart of ⟨n_i⟩ and 2⟨n_i↑n_i↓⟩ per octahedron, coloured by size class.

    Parameters
    ----------
    site_charge : sequence of float
        ⟨n_i⟩ per site.
    double_occupancy : sequence of float
        ⟨n_i↑n_i↓⟩ per site.
    large : sequence of bool
        Per site: True for a large (bosonic) octahedron.
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    q = np.asarray(site_charge)
    d = np.asarray(double_occupancy)
    large = np.asarray(large, dtype=bool)
    idx = np.arange(len(q))
    fig, ax = plt.subplots(figsize=(6.0, 3.4))
    ax.bar(idx - 0.2, q, width=0.4, color=np.where(large, LARGE_COLOR, SMALL_COLOR), label="⟨n_i⟩")
    ax.bar(idx + 0.2, 2 * d, width=0.4, color="0.55", label="2⟨n_i↑ n_i↓⟩ (paired)")
    ax.axhline(1.0, color="k", lw=0.7, ls="--")
    ax.set_xlabel("octahedron i")
    ax.set_ylabel("electrons per octahedron")
    ax.set_xticks(idx)
    ax.set_ylim(0, 2.05)
    ax.legend(fontsize=8)
    ax.set_title(title or "Site charge (red: large, blue: small octahedra)", fontsize=10)
    return fig


def ladder_figure(energies: Mapping[int, float], n: int, *, pair_binding: float | None = None) -> Figure:
    """Plot the ground energies E(N) around N₀ = ``n`` with a chemical-potential line removed.

    μ = [E(N₀+2) − E(N₀−2)]/4 when both exist (else the slope of the available neighbours), so
    E(N₀±2) sit at the two-particle gap and a bound pair shows as odd-N points above the even ones.

    Parameters
    ----------
    energies : Mapping of int to float
        E(N) in eV by electron number.
    n : int
        N₀.
    pair_binding : float, optional
        Pair binding in eV, written in the title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    ns = np.array(sorted(energies))
    e = np.array([energies[k] for k in ns])
    lo, hi = min(ns), max(ns)
    mu = (energies[hi] - energies[lo]) / (hi - lo) if hi > lo else 0.0
    if n - 2 in energies and n + 2 in energies:
        mu = (energies[n + 2] - energies[n - 2]) / 4.0
    ref = energies.get(n, e[0])
    fig, ax = plt.subplots(figsize=(5.0, 3.4))
    ax.plot(ns, e - ref - mu * (ns - n), "o-", color="k")
    ax.axhline(0.0, color="0.6", lw=0.7)
    ax.set_xlabel("electrons N")
    ax.set_ylabel(f"E(N) − E({n}) − μ(N − {n}) (eV)")
    ax.set_xticks(ns)
    title = f"Charge ladder, μ = {mu:.3f} eV"
    if pair_binding is not None:
        title += f"; pair binding E_pb = {pair_binding:.3f} eV"
    ax.set_title(title, fontsize=10)
    return fig
