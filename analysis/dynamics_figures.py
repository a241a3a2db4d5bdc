"""Figures of pump–probe trajectories: observables against time, labelled with units.

The trajectory figures take the ``xarray.Dataset`` written by
:func:`localpairs.solvers.dynamics.trajectory.run_trajectory` (variables ``time``, ``electric_field``,
``absorbed_energy``, ...); the time-resolved XAS figures (:func:`dxas_map_figure`,
:func:`xas_delays_figure`) take plain arrays. All return a matplotlib Figure; save it with
:func:`localpairs.analysis.figures.save_figure`.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from scipy.integrate import cumulative_simpson


def cumulative_work(time: np.ndarray, current: np.ndarray, field: np.ndarray) -> np.ndarray:
    """Return ``W(t) = ∫_0^t ⟨j⟩·E dt'`` in eV (j in e·Å/fs, E in V/Å), by cumulative Simpson on the grid.

    ``j·E`` oscillates at 2ω: the quadrature is accurate to ~(2ω·dt)⁴/180 relative, i.e. it needs
    output steps well below a quarter of the optical period (0.1 fs at 2 eV gives ~1e-3).

    Parameters
    ----------
    time : numpy.ndarray
        Time grid in fs.
    current : numpy.ndarray
        ⟨j⟩ along the polarization in e·Å/fs.
    field : numpy.ndarray
        Electric field in V/Å.

    Returns
    -------
    numpy.ndarray
        W(t) in eV on the grid.
    """
    power = np.asarray(current) * np.asarray(field)
    if len(power) < 3:
        return np.concatenate([[0.0], np.cumsum(0.5 * (power[1:] + power[:-1]) * np.diff(time))])
    return cumulative_simpson(power, x=np.asarray(time), initial=0.0)


def _pulse_shade(ax: Axes, ds: xr.Dataset) -> None:
    field = np.abs(ds["electric_field"].values)
    if field.max() > 0:
        t = ds["time"].values
        on = t[field > 0.05 * field.max()]
        ax.axvspan(on.min(), on.max(), color="0.92", zorder=0)


def overview_figure(ds: xr.Dataset, *, title: str = "") -> Figure:
    """Draw four panels against time.

    Field and vector potential; absorbed energy and field work; double occupancy and unpaired
    sites; LPDW order (and current).

    Parameters
    ----------
    ds : xarray.Dataset
        The pump study's time series (time in fs).
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    t = ds["time"].values
    fig, axes = plt.subplots(4, 1, figsize=(7.0, 9.0), sharex=True)
    ax = axes[0]
    ax.plot(t, ds["electric_field"].values, color="C3", lw=0.8, label="E(t)")
    ax.set_ylabel("E (V/Å)")
    twin = ax.twinx()
    twin.plot(t, ds["vector_potential"].values, color="C0", lw=0.8, alpha=0.6)
    twin.set_ylabel("A (V·fs/Å)", color="C0")
    ax.set_title(title or "pump and response")
    ax = axes[1]
    ax.plot(t, ds["absorbed_energy"].values, color="k", label="E(t) − E(0)")
    ax.plot(t, cumulative_work(t, ds["current"].values, ds["electric_field"].values), "--", color="C1", label="∫⟨j⟩·E dt (Simpson on the output grid)")
    ax.set_ylabel("absorbed energy (eV)")
    ax.legend(fontsize=8, loc="upper left")
    ax = axes[2]
    ax.plot(t, ds["double_occupancy"].values, color="C2", label="Σ⟨n↑n↓⟩ (pairs)")
    ax.plot(t, ds["unpaired"].values, color="C4", label="unpaired sites")
    ax.set_ylabel("number")
    ax.legend(fontsize=8, loc="center left")
    ax = axes[3]
    ax.plot(t, ds["lpdw_order"].values, color="C5")
    ax.set_ylabel("LPDW order")
    ax.set_xlabel("time (fs)")
    for ax in axes:
        _pulse_shade(ax, ds)
    fig.tight_layout()
    return fig


def current_figure(ds: xr.Dataset) -> Figure:
    """Plot the current ⟨j⟩ along the polarization and the field, against time.

    Parameters
    ----------
    ds : xarray.Dataset
        The pump study's time series (time in fs).

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    t = ds["time"].values
    fig, ax = plt.subplots(figsize=(7.0, 3.2))
    ax.plot(t, ds["current"].values, color="C0", lw=0.8)
    ax.set_xlabel("time (fs)")
    ax.set_ylabel("⟨j⟩ (e·Å/fs)")
    twin = ax.twinx()
    twin.plot(t, ds["electric_field"].values, color="C3", lw=0.6, alpha=0.5)
    twin.set_ylabel("E (V/Å)", color="C3")
    _pulse_shade(ax, ds)
    fig.tight_layout()
    return fig


def site_charge_figure(ds: xr.Dataset, large: Sequence[bool] | np.ndarray) -> Figure:
    """Plot ⟨n_i(t)⟩ of every octahedron, large ones in red, small ones in blue.

    Parameters
    ----------
    ds : xarray.Dataset
        The pump study's time series (time in fs).
    large : sequence of bool
        Per site: True for a large octahedron.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    t = ds["time"].values
    fig, ax = plt.subplots(figsize=(7.0, 3.4))
    for i, flag in enumerate(large):
        ax.plot(t, ds["site_charge"].values[:, i], color="#c0392b" if flag else "#2e86c1", lw=0.8)
    ax.set_xlabel("time (fs)")
    ax.set_ylabel("⟨n_i⟩ (electrons)")
    ax.set_title("site charges: large (red) and small (blue) octahedra", fontsize=10)
    _pulse_shade(ax, ds)
    fig.tight_layout()
    return fig


def lattice_figure(ds: xr.Dataset) -> Figure:
    """Plot the oxygen displacements u_b(t) (Å) and lattice energies (eV).

    Parameters
    ----------
    ds : xarray.Dataset
        The pump study's time series (time in fs).

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    t = ds["time"].values
    fig, axes = plt.subplots(2, 1, figsize=(7.0, 5.0), sharex=True)
    axes[0].plot(t, ds["oxygen_displacement"].values, lw=0.6)
    axes[0].set_ylabel("u_b (Å)")
    axes[0].set_title("bridging oxygens (positive: towards the bond's head)", fontsize=10)
    axes[1].plot(t, ds["lattice_kinetic"].values, label="kinetic")
    axes[1].plot(t, ds["lattice_potential"].values, label="double-well potential")
    axes[1].set_ylabel("energy (eV)")
    axes[1].set_xlabel("time (fs)")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    return fig


def _pick(n: int, most: int) -> list[int]:
    """At most ``most`` indices of ``range(n)``, evenly spread, first and last included."""
    if n <= most:
        return list(range(n))
    return sorted({round(k) for k in np.linspace(0, n - 1, most)})


def dxas_map_figure(
    omega: np.ndarray,
    delay: np.ndarray,
    dxas: np.ndarray,
    *,
    positive_energy: np.ndarray | None = None,
    negative_energy: np.ndarray | None = None,
    pre_edge: float | None = None,
    colorbar_label: str = "ΔXAS (1/eV)",
    title: str = "",
) -> Figure:
    """Draw ΔXAS(ω, delay) as a heat map: x = photon energy (eV), y = delay (fs).

    Diverging colormap centred at 0 (red: more absorption, blue: less), symmetric limits.
    Each delay is one band (cells centred on the delays, any spacing).

    Parameters
    ----------
    omega : numpy.ndarray
        Photon energies in eV.
    delay : numpy.ndarray
        Delays in fs.
    dxas : numpy.ndarray
        (len(delay), len(omega)) ΔXAS in 1/eV.
    positive_energy, negative_energy : numpy.ndarray, optional
        Per delay, the energy (eV) of the strongest positive (▲) and negative (▼) ΔXAS, marked.
    pre_edge : float, optional
        The ground-state pre-edge peak in eV, drawn as a line.
    colorbar_label : str
        Label of the colour bar.
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    omega, delay, z = np.asarray(omega, float), np.asarray(delay, float), np.asarray(dxas, float)
    vmax = float(np.max(np.abs(z))) or 1.0
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    mesh = ax.pcolormesh(omega, delay, z, shading="nearest", cmap="RdBu_r", norm=TwoSlopeNorm(0.0, -vmax, vmax), rasterized=True)
    bar = fig.colorbar(mesh, ax=ax, pad=0.02)
    bar.set_label(colorbar_label, fontsize=11)
    if positive_energy is not None:
        ax.plot(positive_energy, delay, "^", color="k", ms=5, mfc="#c0392b", label="strongest ΔXAS > 0")
    if negative_energy is not None:
        ax.plot(negative_energy, delay, "v", color="k", ms=5, mfc="#2e86c1", label="strongest ΔXAS < 0")
    if pre_edge is not None:
        ax.axvline(pre_edge, color="0.3", ls=":", lw=1.0, label=f"ground-state peak {pre_edge:.1f} eV")
    if positive_energy is not None or negative_energy is not None or pre_edge is not None:
        ax.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, frameon=False)  # below the axes: nothing hidden
    ax.set_xlabel("photon energy (eV)", fontsize=12)
    ax.set_ylabel("delay after pump centre (fs)", fontsize=12)
    ax.tick_params(labelsize=10)
    ax.set_title(title or "O K-edge ΔXAS = XAS[ψ(t)] − XAS[ψ0]", fontsize=11)
    fig.tight_layout()
    return fig


def xas_delays_figure(
    omega: np.ndarray,
    ground: np.ndarray,
    xas: np.ndarray,
    delay: np.ndarray,
    dxas: np.ndarray,
    *,
    max_curves: int = 6,
    title: str = "",
) -> Figure:
    """Plot the XAS at selected delays over the ground-state XAS (top) and their ΔXAS (bottom).

    Parameters
    ----------
    omega : numpy.ndarray
        Photon energies in eV.
    ground : numpy.ndarray
        Ground-state XAS in 1/eV.
    xas, dxas : numpy.ndarray
        (len(delay), len(omega)) XAS and ΔXAS in 1/eV.
    delay : numpy.ndarray
        Delays in fs.
    max_curves : int
        Delays drawn at most, evenly spread over ``delay`` (first and last included).
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    omega, delay = np.asarray(omega, float), np.asarray(delay, float)
    xas, dxas = np.asarray(xas, float), np.asarray(dxas, float)
    pick = _pick(delay.size, max_curves)
    colors = plt.cm.viridis(np.linspace(0.0, 0.9, len(pick)))
    fig, axes = plt.subplots(2, 1, figsize=(7.5, 6.4), sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    ax = axes[0]
    ax.plot(omega, ground, color="k", lw=2.4, label="ground state ψ0")
    for c, k in zip(colors, pick):
        ax.plot(omega, xas[k], color=c, lw=1.1, label=f"{delay[k]:g} fs")
    ax.set_ylabel("XAS (1/eV)", fontsize=12)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=9, title="delay after pump centre", title_fontsize=9, ncol=2)
    ax.set_title(title or "O K-edge XAS of ψ(t)", fontsize=11)
    ax = axes[1]
    ax.axhline(0.0, color="k", lw=0.6)
    for c, k in zip(colors, pick):
        ax.plot(omega, dxas[k], color=c, lw=1.1)
    ax.set_ylabel("ΔXAS (1/eV)", fontsize=12)
    ax.set_xlabel("photon energy (eV)", fontsize=12)
    ax.set_xlim(omega[0], omega[-1])
    for a in axes:
        a.tick_params(labelsize=10)
    fig.tight_layout()
    return fig
