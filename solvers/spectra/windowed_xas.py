r"""Long-probe O K-edge XAS of any state, each energy window measured from its own energy.

Physics
-------
For ``ψ = Σ_n c_n |n⟩`` a probe long against the level spacing sees each eigencomponent from its
own energy (PHYSICS.md, time-resolved XAS):

.. math:: I(ω) = \sum_E \|P_E ψ\|^2\, I_{\rm xas}\big[\hat φ_E;\ E_{\rm ref} = E\big](ω),

``P_E`` the projector on the eigenspace of energy ``E`` (components inside one degenerate
eigenspace do not dephase and are probed together). :func:`~localpairs.solvers.spectra.xas.xas`
with its default ``E_ref = ⟨ψ|H|ψ⟩`` is the one-reference approximation, valid only while the
energy spread σ of ψ is well below Γ.

Method
------
ψ is split into energy windows by a Lanczos decomposition of ψ itself
(:mod:`~localpairs.solvers.spectra.energy_windows`): ``ψ = Σ_W φ_W`` with ``φ_W = Q P_W(T) e_1``,
and each normalized component is probed by
:func:`~localpairs.solvers.spectra.xas.xas` from its own mean energy, weighted by ``‖φ_W‖²``.
A window of width w makes two errors against the exact sum: the shift of its levels from the
mean (second order, ∝ (w/Γ)², since the mean cancels the first order) and the cross terms
``c_n* c_m ⟨n|c δ_Γ c†|m⟩`` between its levels (what a probe shorter than ħ/w would see).
Both vanish when every window holds one level, and at exhaustion of the Krylov space a one-level
window *is* ``P_E ψ``: the limit w → 0 is exact, not only convergent.

Why Lanczos and not Chebyshev filters: Jackson-kernel filters ``f_W(H)ψ`` of degree N resolve
``≈ πΔE/N`` (ΔE the spectral range) with smooth, leaking edges, so reaching one level per window
to 1e-6 needs N far beyond the level spacing's ``πΔE/gap``; Lanczos windows are sharp spectral
projectors of T, converge per level exponentially and become exact when the Krylov space of ψ
(one dimension per distinct eigenvalue ψ touches) is exhausted. Chebyshev holds 3 + n_windows
vectors, Lanczos ``m``: on the clusters that ED reaches the ``m × dim`` block is affordable and is
checked against the memory budget.

Convergence in the width
------------------------
The width starts at ``width`` (default Γ/4). The result at a width is compared with the same
partition with every multi-level window bisected until it splits (a plain halving can leave a
window whose levels sit in one half unchanged, and would then report a change of 0). While that
change, relative to the peak, exceeds ``halving_tol`` the width is halved, at most
``max_halvings`` times; a window that does not change is not probed again. The result is the
spectrum at the accepted width; ``halving_change`` is its distance to the refinement, and a
:class:`~localpairs.solvers.spectra.spectral_functions.SpectraWarning` says when it stays
above the tolerance.

Light windows: the lightest windows whose weights sum to at most ``LIGHT_PER_TOL × halving_tol``
are probed together, as one remainder component from its own mean energy (the last entry of the
``window`` dimension). Whatever its spread, its error is at most a few times its weight relative
to the peak, and it keeps the sum rules exact. Ritz weights of a generic state decay over many
windows: on the half-filled 2×2×2 cube, the excited part of n_0ψ₀ has 424 windows of Γ/4 of
which 62 hold all but 1e-4 of the weight.

Real arithmetic and symmetry: a ψ that is a global phase times a real vector (a real Hamiltonian's
eigenstates and the centred linear-response state,
``LinearResponseState.chi_centred``) is probed as
that real vector: the spectrum does not depend on a global phase, and real Lanczos vectors take half
the memory and time. The symmetries of model and ψ are searched once and reused for every
component: a component is a polynomial in H applied to ψ, so ``Pψ = λψ`` implies ``Pφ_W = λφ_W``.

Cost
----
Decomposition: ``m ≤ krylov_steps`` products in ψ's sector, ``2 m² dim`` Gram–Schmidt operations,
``m · dim`` numbers held. Probing: per probed component one :func:`xas` call, i.e.
``n_channels × n_steps`` products in the (N + 1)-electron sectors plus a symmetry search;
components probed: the heavy windows at the accepted width (at most ``min(m, span/w + 1)``),
their bisections in the check, one remainder, and those of rejected widths. Probing dominates:
a window costs ``n_channels × n_steps`` products (48 × 150 on the cube without symmetry) against
one product per decomposition step. Counts and wall times are in the attrs. Measured on the
half-filled 2×2×2 cube (4,900 states, Γ = 0.2 eV, defaults, one core): the breathing ground state
after a sudden Δ → 0 (σ = 1.4 eV) took 150 + 3,750 products in 23 xas calls, 5 s CPU; the excited
part of n_0ψ₀ (σ = 2.2 eV) 707 + 64,500 products in 85 calls, 19 s CPU. On the 12-site 3×2×2
cluster (``benchmarks/bench_12_sites.py``) the linear-response χ of the pump pulse touches two
levels: 3 components × 8 inequivalent channels (of 80) × 150 products in the 731,808-state N + 1
sector, 681 s wall under a load of ~20 on 2 cores, 1.1 GB.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from localpairs.hamiltonians import Model
from localpairs.solvers.hilbert.sector import Sector
from localpairs.solvers.spectra.spectral_functions import SectorCache, check_omega
from localpairs.solvers.spectra.windowed_chains import (
    DEFAULT_HALVING_TOL,
    DEFAULT_MAX_HALVINGS,
    _members,
    _Partition,
    _Probe,
    windowed_xas_chains,
)
from localpairs.solvers.spectra.xas import DEFAULT_GAMMA, DEFAULT_XAS_STEPS, CoreHole


def windowed_xas(
    model: Model,
    sec: Sector,
    psi: np.ndarray,
    omega: Any,
    *,
    U_c: float,
    Gamma: float = DEFAULT_GAMMA,
    width: float | None = None,
    halving_tol: float = DEFAULT_HALVING_TOL,
    max_halvings: int = DEFAULT_MAX_HALVINGS,
    krylov_steps: int | None = None,
    gaussian_fwhm: float = 0.0,
    offset: float = 0.0,
    coherence: str = "incoherent",
    core_hole: CoreHole = "both",
    use_symmetry: bool = True,
    n_steps: int = DEFAULT_XAS_STEPS,
    reorthogonalize: bool | None = None,
    basis: Any = None,
    cache: SectorCache | None = None,
    memory_budget_gb: float | None = None,
) -> xr.Dataset:
    """Long-probe O K-edge XAS of ``psi``: energy windows, each probed from its own mean energy.

    Parameters
    ----------
    model, sec, psi, omega, U_c, Gamma, gaussian_fwhm, offset, coherence, core_hole, use_symmetry, n_steps, reorthogonalize, basis, cache, memory_budget_gb
        As for :func:`~localpairs.solvers.spectra.xas.xas` (``n_steps`` per channel and window).
    width
        Starting window width in eV (default Γ/4; ``inf``: one window, today's single reference).
    halving_tol, max_halvings
        Halve the width while the halving change exceeds ``halving_tol`` of the peak, at most
        ``max_halvings`` times (module docstring).
    krylov_steps
        Largest number of Lanczos steps (vectors held) of the decomposition of ψ; default
        :data:`DEFAULT_KRYLOV_STEPS` or what fits into a quarter of the memory budget.

    Returns
    -------
    xarray.Dataset
        ``total(omega)`` in 1/eV; ``window_spectrum(window, omega)``, each window's weighted
        part (they sum to ``total``), with coordinates ``window_energy`` (its reference, eV),
        ``window_weight`` (‖φ_W‖²), ``window_spread`` (σ_W, eV), ``window_width`` (eV) and
        ``window_kind`` (the last window may be the ``"remainder"`` of light ones). Attrs:
        ``window_width_eV``, ``n_windows``, ``halving_change``, ``width_converged``,
        ``energy_spread_eV`` (σ of ψ), the decomposition's state and the cost (matvecs, seconds).
    """
    wc = windowed_xas_chains(model, sec, psi, omega, U_c=U_c, Gamma=Gamma, width=width, halving_tol=halving_tol, max_halvings=max_halvings,
                             krylov_steps=krylov_steps, gaussian_fwhm=gaussian_fwhm, offset=offset, coherence=coherence, core_hole=core_hole,
                             use_symmetry=use_symmetry, n_steps=n_steps, reorthogonalize=reorthogonalize, basis=basis, cache=cache,
                             memory_budget_gb=memory_budget_gb)
    ds = _dataset(wc.probe, wc.part, check_omega(omega), used=wc.width, tol=wc.halving_tol, residual_tol=wc.residual_tol)
    ds.attrs.update(seconds_symmetry=wc.seconds_symmetry, real_arithmetic=int(wc.real_arithmetic))
    return ds


def _dataset(probe: _Probe, part: _Partition, omega: np.ndarray, *, used: float, tol: float, residual_tol: float) -> xr.Dataset:
    """The labelled result (see :func:`windowed_xas`); the light remainder, if any, is the last window."""
    dec = probe.dec
    groups = [(w,) for w in part.heavy] + ([tuple(part.light)] if part.light else [])
    members = [_members(g) for g in groups]
    keep = ("U_c_eV", "Gamma_eV", "offset_eV", "coherence", "core_hole", "n_oxygens", "model_kind", "cluster", "sector", "n_steps_requested",
            "n_channels_all", "n_channels_computed", "n_symmetries")
    attrs = {k: probe.xas_attrs[k] for k in keep if k in probe.xas_attrs}
    attrs.update(Gamma_eV=float(probe.broadening["Gamma"]), offset_eV=float(probe.broadening["offset"]))
    attrs.update(
        definition="XAS(ω) = Σ_W ‖φ_W‖² XAS[φ_W/‖φ_W‖; E_ref = ⟨φ_W|H|φ_W⟩/‖φ_W‖²](ω), ψ = Σ_W φ_W energy windows (Lanczos decomposition of ψ)",
        window_width_eV=used,
        n_windows=len(part.heavy),
        n_halvings=part.halvings,
        halving_change=part.change,
        halving_tol=tol,
        width_converged=int(part.change <= tol),
        remainder_weight=dec.norm2(members[-1]) if part.light else 0.0,
        energy_spread_eV=dec.energy_spread(),
        mean_energy_eV=dec.mean_energy(slice(None)),
        max_window_spread_eV=max([dec.spread(w.members) for w in part.heavy] + [0.0]),
        krylov_steps=dec.matvecs,
        krylov_exhausted=int(dec.exhausted),
        krylov_converged=int(dec.exhausted or dec.residual_rms() <= residual_tol),
        ritz_residual_eV=dec.residual_rms(),
        n_components_probed=len(probe.chains),
        matvecs_decomposition=dec.matvecs,
        matvecs_probe=probe.matvecs,
        seconds_decomposition=dec.seconds,
        seconds_probe=probe.seconds,
    )
    return xr.Dataset(
        {
            "total": (("omega",), part.total, {"units": "1/eV", "long_name": "Σ_W ‖φ_W‖² XAS of φ_W from its own energy"}),
            "window_spectrum": (("window", "omega"), np.array([probe(g) for g in groups]).reshape(len(groups), omega.size),
                                {"units": "1/eV", "long_name": "‖φ_W‖² × XAS of window W"}),
        },
        coords={
            "omega": ("omega", omega, {"units": "eV"}),
            "window": np.arange(len(groups)),
            "window_kind": ("window", ["window"] * len(part.heavy) + ["remainder"] * bool(part.light)),
            "window_energy": ("window", [dec.mean_energy(x) for x in members], {"units": "eV", "long_name": "mean energy of φ_W (its E_ref)"}),
            "window_weight": ("window", [dec.norm2(x) for x in members], {"long_name": "‖φ_W‖²"}),
            "window_spread": ("window", [dec.spread(x) for x in members], {"units": "eV", "long_name": "energy spread σ_W of φ_W"}),
            "window_width": ("window", [w.width for w in part.heavy] + [np.nan] * bool(part.light),
                             {"units": "eV", "long_name": "bin width (NaN: the light remainder)"}),
        },
        attrs=attrs,
    )
