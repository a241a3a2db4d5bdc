"""Figures of spectra: single-particle and pair spectra with their gaps, σ(ω), O K-edge XAS.

Every function takes arrays and returns a matplotlib Figure with labelled axes and units; write
it with :func:`localpairs.analysis.figures.save_figure`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from localpairs.analysis.figures import plt  # Agg backend set there

ADD_COLOR = "#c0392b"
REMOVE_COLOR = "#2e86c1"


def _gap_arrow(ax: Axes, low: float, high: float, y: float, text: str) -> None:
    ax.axvline(low, color="k", lw=0.7, ls="--")
    ax.axvline(high, color="k", lw=0.7, ls="--")
    ax.annotate("", xy=(low, y), xytext=(high, y), arrowprops=dict(arrowstyle="<->", lw=0.9))
    ax.text(0.5 * (low + high), y, text, ha="center", va="bottom", fontsize=9, backgroundcolor="white")


def charge_spectra_figure(
    omega: np.ndarray,
    panels: Sequence[Mapping],
    *,
    title: str = "",
) -> Figure:
    """Draw stacked panels on one energy axis ``ω − nμ`` (eV): addition above, removal mirrored below zero.

    Parameters
    ----------
    omega : numpy.ndarray
        Energy grid in eV.
    panels : sequence of Mapping
        Each with ``addition``, ``removal`` (arrays on ``omega``, 1/eV), ``label`` (y-axis),
        ``edges`` ``(removal_edge, addition_edge)`` in eV on the same axis and ``gap_text``.
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    fig, axes = plt.subplots(len(panels), 1, figsize=(6.4, 2.6 * len(panels)), sharex=True, squeeze=False)
    for ax, panel in zip(axes[:, 0], panels):
        add, rem = np.asarray(panel["addition"]), np.asarray(panel["removal"])
        ax.fill_between(omega, 0, add, color=ADD_COLOR, alpha=0.35, lw=0)
        ax.plot(omega, add, color=ADD_COLOR, lw=1.0, label=panel.get("addition_label", "addition"))
        ax.fill_between(omega, 0, rem, color=REMOVE_COLOR, alpha=0.35, lw=0)
        ax.plot(omega, rem, color=REMOVE_COLOR, lw=1.0, label=panel.get("removal_label", "removal"))
        top = max(add.max(), rem.max(), 1e-12)
        ax.set_ylim(0, 1.25 * top)
        low, high = panel["edges"]
        _gap_arrow(ax, low, high, 1.08 * top, panel["gap_text"])
        ax.set_ylabel(panel["label"])
        ax.legend(fontsize=8, loc="upper left")
    axes[-1, 0].set_xlabel("ω − nμ (eV)  [n = 1: electron, n = 2: pair; μ mid-gap]")
    axes[0, 0].set_title(title or "Charge spectra of the ground state", fontsize=10)
    fig.tight_layout()
    return fig


def conductivity_figure(
    omega: np.ndarray,
    sigma: np.ndarray,
    *,
    optical_gap: float | None = None,
    reference_gap: float | None = None,
    twist_curves: np.ndarray | None = None,
    title: str = "",
) -> Figure:
    """Plot Re σ(ω) in S/cm against photon energy (eV), with the model's optical gap and a measured one.

    Parameters
    ----------
    omega : numpy.ndarray
        Photon energies in eV.
    sigma : numpy.ndarray
        Re σ(ω) in S/cm (twist average).
    optical_gap : float, optional
        The model's optical gap in eV.
    reference_gap : float, optional
        The measured gap E_G in eV.
    twist_curves : numpy.ndarray, optional
        Re σ(ω) per twist, drawn faintly when more than one.
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    fig, ax = plt.subplots(figsize=(6.0, 3.6))
    if twist_curves is not None and len(twist_curves) > 1:
        for k, curve in enumerate(twist_curves):
            ax.plot(omega, curve, color="0.7", lw=0.7, label="single twists" if k == 0 else None)
    ax.plot(omega, sigma, color="k", lw=1.4, label="Re σ(ω) (twist average)" if twist_curves is not None and len(twist_curves) > 1 else "Re σ(ω)")
    if optical_gap is not None:
        ax.axvline(optical_gap, color=ADD_COLOR, ls="--", lw=1.0, label=f"model E_G = {optical_gap:.2f} eV")
    if reference_gap is not None:
        ax.axvline(reference_gap, color=REMOVE_COLOR, ls=":", lw=1.2, label=f"measured E_G ≈ {reference_gap:.2f} eV")
    ax.set_xlabel("photon energy ħω (eV)")
    ax.set_ylabel("Re σ(ω) (S/cm)")
    ax.set_xlim(omega[0], omega[-1])
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    ax.set_title(title or "Optical conductivity", fontsize=10)
    fig.tight_layout()
    return fig


def xas_figure(
    photon_energy: np.ndarray,
    total: np.ndarray,
    *,
    per_oxygen: bool = True,
    n_oxygens: int = 1,
    reference_pre_edge: float | None = None,
    no_core_hole: np.ndarray | None = None,
    title: str = "",
) -> Figure:
    """Plot the O K-edge XAS against photon energy (eV): total (or per oxygen), optionally without core hole.

    Parameters
    ----------
    photon_energy : numpy.ndarray
        Photon energies in eV.
    total : numpy.ndarray
        XAS summed over oxygens, 1/eV.
    per_oxygen : bool
        Divide by ``n_oxygens``.
    n_oxygens : int
        Number of oxygens summed.
    reference_pre_edge : float, optional
        The measured pre-edge in eV.
    no_core_hole : numpy.ndarray, optional
        The XAS with U_c = 0 (same offset).
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    scale = 1.0 / n_oxygens if per_oxygen else 1.0
    fig, ax = plt.subplots(figsize=(6.0, 3.6))
    ax.plot(photon_energy, scale * np.asarray(total), color="k", lw=1.4, label="with core hole U_c")
    if no_core_hole is not None:
        ax.plot(photon_energy, scale * np.asarray(no_core_hole), color="0.55", lw=1.0, ls="--", label="U_c = 0 (same offset)")
    if reference_pre_edge is not None:
        ax.axvline(reference_pre_edge, color=REMOVE_COLOR, ls=":", lw=1.2, label=f"measured pre-edge ≈ {reference_pre_edge:g} eV")
    ax.set_xlabel("photon energy (eV)")
    ax.set_ylabel("XAS per oxygen (1/eV)" if per_oxygen else "XAS (1/eV)")
    ax.set_xlim(photon_energy[0], photon_energy[-1])
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    ax.set_title(title or "O K-edge XAS (σ* pre-edge)", fontsize=10)
    fig.tight_layout()
    return fig


def momentum_spectra_figure(omega: np.ndarray, curves: np.ndarray, labels: Sequence[str], *, title: str = "") -> Figure:
    """Plot A(k, ω) as offset curves, one per k (addition and mirrored removal summed), against ω − μ (eV).

    Parameters
    ----------
    omega : numpy.ndarray
        Energy grid ω − μ in eV.
    curves : numpy.ndarray
        (n_k, n_omega) spectra in 1/eV.
    labels : sequence of str
        One label per k.
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    curves = np.asarray(curves)
    step = 1.1 * max(float(curves.max()), 1e-12)
    fig, ax = plt.subplots(figsize=(5.6, 0.5 * len(labels) + 2.0))
    for n, (curve, label) in enumerate(zip(curves, labels)):
        ax.plot(omega, curve + n * step, color="k", lw=1.0)
        ax.text(omega[0], n * step + 0.1 * step, label, fontsize=7, va="bottom")
    ax.axvline(0.0, color="0.6", lw=0.7, ls="--")
    ax.set_xlabel("ω − μ (eV)")
    ax.set_ylabel("A(k, ω) (1/eV, offset per k)")
    ax.set_yticks([])
    ax.set_title(title or "Momentum-resolved single-particle spectrum", fontsize=10)
    fig.tight_layout()
    return fig
