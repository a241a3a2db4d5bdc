"""Figures of pump–probe trajectories: observables against time, labelled with units.

Every function takes the ``xarray.Dataset`` written by
:func:`localpairs.solvers.trajectory.run_trajectory` (variables ``time``, ``electric_field``,
``absorbed_energy``, ...) and returns a matplotlib Figure; save it with
:func:`localpairs.analysis.figures.save_figure`.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from scipy.integrate import cumulative_simpson  # noqa: E402


def cumulative_work(time: np.ndarray, current: np.ndarray, field: np.ndarray) -> np.ndarray:
    """``W(t) = ∫_0^t ⟨j⟩·E dt'`` in eV (j in e·Å/fs, E in V/Å), by cumulative Simpson on the grid.

    ``j·E`` oscillates at 2ω: the quadrature is accurate to ~(2ω·dt)⁴/180 relative, i.e. it needs
    output steps well below a quarter of the optical period (0.1 fs at 2 eV gives ~1e-3).
    """
    power = np.asarray(current) * np.asarray(field)
    if len(power) < 3:
        return np.concatenate([[0.0], np.cumsum(0.5 * (power[1:] + power[:-1]) * np.diff(time))])
    return cumulative_simpson(power, x=np.asarray(time), initial=0.0)


def _pulse_shade(ax, ds: xr.Dataset) -> None:
    field = np.abs(ds["electric_field"].values)
    if field.max() > 0:
        t = ds["time"].values
        on = t[field > 0.05 * field.max()]
        ax.axvspan(on.min(), on.max(), color="0.92", zorder=0)


def overview_figure(ds: xr.Dataset, *, title: str = "") -> Figure:
    """Four panels against time: field and vector potential; absorbed energy and field work;
    double occupancy and unpaired sites; LPDW order (and current)."""
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
    """Current ⟨j⟩ along the polarization and the field, against time."""
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


def site_charge_figure(ds: xr.Dataset, large) -> Figure:
    """⟨n_i(t)⟩ of every octahedron, large ones in red, small ones in blue."""
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
    """Oxygen displacements u_b(t) (Å) and lattice energies (eV)."""
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
