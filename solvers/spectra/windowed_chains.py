r"""The energy windows of a state and their O K-edge XAS chains, converged in the window width.

The machinery of :func:`~localpairs.solvers.spectra.windowed_xas.windowed_xas` (its module
docstring has the physics, the method, the width check and the cost): a Lanczos (Ritz)
decomposition of ψ (:mod:`~localpairs.solvers.spectra.energy_windows`), windows of width
``w`` halved until the change to the bisected partition is within ``halving_tol`` of the peak, and
per probed component the Lanczos chains of its XAS
(:func:`~localpairs.solvers.spectra.xas_chains.xas_chains`, reference energy = the component's
mean energy). The chains do not depend on the lifetime half width Γ, the Gaussian or the offset:
:class:`WindowedXasChains` evaluates the long-probe spectrum at any of them by continued fractions
alone (a Γ scan costs no new Lanczos step). The width is converged at one Γ; at a larger Γ the same
windows are narrower against Γ, and :meth:`WindowedXasChains.halving_change` gives the check there.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from localpairs.errors import TooLargeError, require
from localpairs.hamiltonians import Model
from localpairs.solvers.hilbert.memory import default_budget_gb
from localpairs.solvers.hilbert.sector import Sector
from localpairs.solvers.real_arithmetic import real_form
from localpairs.solvers.spectra.energy_windows import (
    RitzDecomposition,
    Window,
    bisect_until_split,
    check_width,
    energy_windows,
    ritz_decomposition,
    split_light,
)
from localpairs.solvers.spectra.equivalent_channels import symmetries
from localpairs.solvers.spectra.spectral_functions import SectorCache, SpectraWarning, check_broadening, check_omega, normalized_state
from localpairs.solvers.spectra.xas import DEFAULT_GAMMA, DEFAULT_XAS_STEPS, CoreHole
from localpairs.solvers.spectra.xas_chains import XasChains, xas_chains

logger = logging.getLogger(__name__)

#: Default width as a fraction of Γ (the issue's "narrower than Γ/4").
DEFAULT_WIDTH_PER_GAMMA = 0.25
#: Default tolerance of the halving change, relative to the peak.
DEFAULT_HALVING_TOL = 1e-3
#: Default largest number of halvings of the width.
DEFAULT_MAX_HALVINGS = 6
#: Default largest number of Lanczos steps of the decomposition (vectors held), lowered to what
#: fits into a quarter of the memory budget.
DEFAULT_KRYLOV_STEPS = 1000
#: The decomposition stops when its weighted Ritz residual (the rms energy spread of its Ritz
#: vectors) is below ``halving_tol × Γ``: a component then differs from the spectral projection by
#: ~residual/gap ≲ halving_tol, the error already accepted for the width.
RESIDUAL_PER_GAMMA_TOL = 1.0
#: A component with ‖φ‖² at or below this is not probed (it adds at most ~1e-14 of the peak).
MIN_WINDOW_WEIGHT = 1e-14
#: The lightest windows whose weights sum to at most this × ``halving_tol`` are probed together as
#: one remainder: its error, at most a few times its weight relative to the peak, stays below the
#: tolerance, and it saves most xas calls for a state whose Ritz weights decay over many windows.
LIGHT_PER_TOL = 0.1


@dataclass
class _Probe:
    """Builds each component's XAS chains once (keyed by its windows) and evaluates weighted spectra from them.

    ``chain_args`` go to :func:`~localpairs.solvers.spectra.xas_chains.xas_chains`; ``broadening``
    (``omega``, ``Gamma``, ``gaussian_fwhm``, ``offset``) is the one of the width check, whose spectra
    are memoized in ``done``.
    """

    dec: RitzDecomposition
    eigvecs: np.ndarray
    model: Model
    sec: Sector
    cache: SectorCache
    chain_args: dict
    broadening: dict
    chains: dict = field(default_factory=dict)
    done: dict = field(default_factory=dict)
    matvecs: int = 0
    seconds: float = 0.0
    xas_attrs: dict = field(default_factory=dict)

    def component(self, group: Sequence[Window]) -> tuple[float, XasChains | None]:
        """``(‖φ‖², chains of XAS[φ̂; E_ref = ⟨φ̂|H|φ̂⟩])`` of the component on the windows ``group`` (None: too light)."""
        key = tuple(w.key for w in group)
        if key not in self.chains:
            t0 = time.perf_counter()
            members = _members(group)
            norm2 = self.dec.norm2(members)
            if norm2 <= MIN_WINDOW_WEIGHT:
                self.chains[key] = (norm2, None)
            else:
                phi = self.dec.component(members, self.eigvecs)
                chains = xas_chains(self.model, self.sec, phi, e_ref=self.dec.mean_energy(members), cache=self.cache, **self.chain_args)
                self.chains[key] = (norm2, chains)
                self.matvecs += chains.matvecs
                self.xas_attrs = chains.attrs
            self.seconds += time.perf_counter() - t0
        return self.chains[key]

    def weighted(self, group: Sequence[Window], *, omega: np.ndarray, Gamma: float, gaussian_fwhm: float, offset: float) -> np.ndarray:
        """``‖φ‖² × XAS[φ̂; E_ref = ⟨φ̂|H|φ̂⟩](ω)`` of the component on ``group`` at this broadening."""
        norm2, chains = self.component(group)
        if chains is None:
            return np.zeros(np.asarray(omega).size)
        return norm2 * chains.spectrum(omega, Gamma=Gamma, gaussian_fwhm=gaussian_fwhm, offset=offset)

    def __call__(self, group: Sequence[Window]) -> np.ndarray:
        """The weighted spectrum of ``group`` at the check's broadening (memoized)."""
        key = tuple(w.key for w in group)
        if key not in self.done:
            self.done[key] = self.weighted(group, **self.broadening)
        return self.done[key]

    def total(self, heavy: list[Window], light: list[Window]) -> np.ndarray:
        """The spectrum of heavy windows probed one by one and light ones together."""
        return np.sum([self((w,)) for w in heavy] + ([self(light)] if light else []), axis=0)


def _members(group: Sequence[Window]) -> np.ndarray:
    return np.concatenate([np.arange(w.start, w.stop) for w in group])


@dataclass(frozen=True)
class _Partition:
    """The accepted windows, the light ones probed together, and the width check."""

    heavy: list[Window]
    light: list[Window]
    finer: list[Window]
    total: np.ndarray
    change: float
    halvings: int


def _converge(probe: _Probe, width: float, tol: float, max_halvings: int) -> _Partition:
    """Halve the width until the change to the bisected partition is at most ``tol`` (module docstring)."""
    theta, weights = probe.dec.theta, probe.dec.weights
    halvings = 0
    while True:
        heavy, light = split_light(energy_windows(theta, width=width), weights, budget=LIGHT_PER_TOL * tol)
        finer = [sub for w in heavy for sub in bisect_until_split(w, theta, weights)]
        total = probe.total(heavy, light)
        peak = float(np.abs(total).max())
        change = float(np.abs(total - probe.total(finer, light)).max() / peak) if len(finer) > len(heavy) and peak > 0 else 0.0
        logger.info("window width %.4g eV: %d windows (+%d light), halving change %.3g of the peak", width, len(heavy), len(light), change)
        if change <= tol or halvings >= max_halvings or not np.isfinite(width):
            return _Partition(heavy, light, finer, total, change, halvings)
        width, halvings = width / 2.0, halvings + 1


def _prepare(model: Model, sec: Sector, psi: np.ndarray, cache: SectorCache, use_symmetry: bool, krylov_steps: int | None, residual_tol: float,
             budget_gb: float | None) -> PreparedState:
    """ψ normalized (real form where it has one), its symmetries and its Ritz decomposition."""
    psi = normalized_state(psi, cache.basis(sec).Ns)
    form = real_form(psi)  # a global phase changes no spectrum; a real ψ runs in real arithmetic
    psi = psi if form is None else form[1]
    t0 = time.perf_counter()
    known = symmetries(model, cache.basis(sec), psi, n_up=sec.n_up, n_down=sec.n_down) if use_symmetry else None
    seconds_symmetry = time.perf_counter() - t0
    dec, eigvecs = _decompose(cache, sec, psi, krylov_steps, residual_tol, budget_gb)
    return PreparedState(psi, known, seconds_symmetry, dec, eigvecs, residual_tol)


def _decompose(cache: SectorCache, sec: Sector, psi: np.ndarray, krylov_steps: int | None, residual_tol: float,
               budget_gb: float | None) -> tuple[RitzDecomposition, np.ndarray]:
    """The Ritz decomposition of ψ after checking that its Lanczos vectors fit the memory budget."""
    matrix = cache.matrix(sec)
    dim = matrix.shape[0]
    per_vector_gb = dim * np.result_type(matrix.dtype, psi.dtype, np.float64).itemsize / 1e9
    budget = default_budget_gb() if budget_gb is None else float(budget_gb)
    if krylov_steps is None:
        krylov_steps = max(1, min(DEFAULT_KRYLOV_STEPS, int(0.25 * budget / per_vector_gb)))
    require(isinstance(krylov_steps, (int, np.integer)) and krylov_steps >= 1, "krylov_steps", krylov_steps, "an integer ≥ 1 or None")
    need_gb = min(int(krylov_steps), dim) * per_vector_gb
    if need_gb > budget:
        raise TooLargeError(f"Lanczos vectors of the energy windows, sector {sec.label()}", dim, need_gb, budget,
                            "Lower krylov_steps or raise memory_budget_gb.")
    return ritz_decomposition(matrix, psi, max_steps=int(krylov_steps), residual_tol=residual_tol)


@dataclass(frozen=True, eq=False)
class PreparedState:
    """What :func:`windowed_xas_chains` computes from ψ and H alone, independent of U_c: reusable for another core-hole potential.

    Parameters
    ----------
    psi : numpy.ndarray
        ψ normalized (in real form when it has one).
    symmetries : list or None
        The symmetries of model and ψ (None: not used).
    seconds_symmetry : float
        Seconds their search took.
    decomposition : RitzDecomposition
        The Ritz decomposition of ψ.
    eigvecs : numpy.ndarray
        S, the eigenvectors of T.
    residual_tol : float
        The Ritz residual (eV) the decomposition was converged to.
    """

    psi: np.ndarray
    symmetries: list | None
    seconds_symmetry: float
    decomposition: RitzDecomposition
    eigvecs: np.ndarray
    residual_tol: float


@dataclass(frozen=True, eq=False)
class WindowedXasChains:
    """The accepted windows of ψ and their XAS chains: the long-probe XAS at any broadening without new chains.

    Built by :func:`windowed_xas_chains` with the width converged at one Γ (``Gamma_checked``);
    :meth:`spectrum` at a larger Γ only sharpens the criterion (the same windows are then narrower
    against Γ). :meth:`halving_change` recomputes the width check at the Γ asked for.

    Parameters
    ----------
    probe, part
        The chains of the components and the accepted partition.
    width, halving_tol, residual_tol, Gamma_checked : float
        Width used (eV), accepted halving change, Ritz residual (eV) and the Γ of the check (eV).
    seconds_symmetry : float
        Seconds spent on the state's symmetries.
    real_arithmetic : bool
        Whether the chains ran in real arithmetic.
    prepared : PreparedState or None
        The U_c-independent part (pass it to :func:`windowed_xas_chains` for the same ψ at another U_c).
    """

    probe: _Probe
    part: _Partition
    width: float
    halving_tol: float
    residual_tol: float
    Gamma_checked: float
    seconds_symmetry: float = 0.0
    real_arithmetic: bool = False
    prepared: PreparedState | None = None

    def groups(self) -> list[tuple[Window, ...]]:
        """The probed components: each heavy window, then the light remainder (if any).

        Returns
        -------
        list of tuple of Window
            The groups.
        """
        return [(w,) for w in self.part.heavy] + ([tuple(self.part.light)] if self.part.light else [])

    def spectrum(self, omega: Any, *, Gamma: float, gaussian_fwhm: float = 0.0, offset: float = 0.0) -> np.ndarray:
        """``Σ_W ‖φ_W‖² XAS[φ̂_W; E_W](ω)`` at this half width, Gaussian FWHM and offset.

        Parameters
        ----------
        omega : array_like
            Photon energies (eV).
        Gamma, gaussian_fwhm, offset : float
            Lorentzian half width, Gaussian FWHM and offset (eV).

        Returns
        -------
        numpy.ndarray
            The XAS (1/eV).
        """
        b: dict[str, Any] = dict(omega=check_omega(omega), Gamma=check_broadening(Gamma, "Gamma"), gaussian_fwhm=gaussian_fwhm, offset=offset)
        return np.sum([self.probe.weighted(g, **b) for g in self.groups()], axis=0)

    def halving_change(self, omega: Any, *, Gamma: float, gaussian_fwhm: float = 0.0, offset: float = 0.0) -> float:
        """The change max|XAS − XAS(every multi-level window bisected)| / max XAS at this broadening (0 if nothing splits).

        Parameters
        ----------
        omega : array_like
            Photon energies (eV).
        Gamma, gaussian_fwhm, offset : float
            Lorentzian half width, Gaussian FWHM and offset (eV).

        Returns
        -------
        float
            The relative change.
        """
        if len(self.part.finer) <= len(self.part.heavy):
            return 0.0
        b: dict[str, Any] = dict(omega=check_omega(omega), Gamma=check_broadening(Gamma, "Gamma"), gaussian_fwhm=gaussian_fwhm, offset=offset)
        light = [self.probe.weighted(tuple(self.part.light), **b)] if self.part.light else []
        total = np.sum([self.probe.weighted((w,), **b) for w in self.part.heavy] + light, axis=0)
        finer = np.sum([self.probe.weighted((w,), **b) for w in self.part.finer] + light, axis=0)
        peak = float(np.abs(total).max())
        return float(np.abs(total - finer).max() / peak) if peak > 0 else 0.0


def windowed_xas_chains(
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
    prepared: PreparedState | None = None,
) -> WindowedXasChains:
    """Energy windows of ``psi`` converged in the width at ``Gamma`` on ``omega``, with their XAS chains kept.

    Parameters
    ----------
    model, sec, psi, U_c, width, halving_tol, max_halvings, krylov_steps
        As for :func:`~localpairs.solvers.spectra.windowed_xas.windowed_xas`.
    coherence, core_hole, use_symmetry, n_steps, reorthogonalize, basis, cache, memory_budget_gb
        As for :func:`~localpairs.solvers.spectra.windowed_xas.windowed_xas`.
    omega, Gamma, gaussian_fwhm, offset
        The broadening of the width check (use the smallest Γ to be evaluated); the result
        evaluates at any broadening (:meth:`WindowedXasChains.spectrum`).
    prepared : PreparedState or None
        The symmetries and Ritz decomposition of this ``psi`` and model from an earlier call
        (:attr:`WindowedXasChains.prepared`, e.g. at another U_c): not recomputed. The caller
        guarantees the same ψ and model; a different dimension, use of symmetry or residual
        tolerance is refused.

    Returns
    -------
    WindowedXasChains
        The accepted windows and their chains.
    """
    Gamma = check_broadening(Gamma, "Gamma")
    omega = check_omega(omega)
    width = check_width(Gamma * DEFAULT_WIDTH_PER_GAMMA if width is None else width)
    require(isinstance(halving_tol, (int, float, np.floating)) and halving_tol >= 0, "halving_tol", halving_tol, "a number ≥ 0 (relative to the peak)")
    require(isinstance(max_halvings, (int, np.integer)) and max_halvings >= 0, "max_halvings", max_halvings, "an integer ≥ 0")
    cache = cache or SectorCache(model, memory_budget_gb=memory_budget_gb)
    if basis is not None:
        cache.add(sec, basis)
    residual_tol = RESIDUAL_PER_GAMMA_TOL * float(halving_tol) * Gamma
    reused = prepared is not None
    if prepared is None:
        prepared = _prepare(model, sec, psi, cache, use_symmetry, krylov_steps, residual_tol, memory_budget_gb)
    require(prepared.psi.size == cache.basis(sec).Ns and prepared.residual_tol == residual_tol and (prepared.symmetries is not None) == use_symmetry,
            "prepared", "a PreparedState of another state, tolerance or symmetry setting",
            f"the one of this ψ ({cache.basis(sec).Ns} states), residual_tol = {residual_tol:g} eV and use_symmetry = {use_symmetry}")
    psi, known, dec, eigvecs = prepared.psi, prepared.symmetries, prepared.decomposition, prepared.eigvecs
    seconds_symmetry = 0.0 if reused else prepared.seconds_symmetry
    chain_args = dict(U_c=U_c, coherence=coherence, core_hole=core_hole, use_symmetry=use_symmetry, state_symmetries=known, n_steps=n_steps,
                      reorthogonalize=reorthogonalize)
    broadening = dict(omega=omega, Gamma=Gamma, gaussian_fwhm=gaussian_fwhm, offset=offset)
    probe = _Probe(dec, eigvecs, model, sec, cache, chain_args, broadening)
    part = _converge(probe, width, float(halving_tol), int(max_halvings))
    used = width / 2.0**part.halvings
    if part.change > halving_tol:
        warnings.warn(f"windowed XAS not converged in the window width: halving {used:.3g} eV changes it by {part.change:.2g} of the peak "
                      f"(> halving_tol = {halving_tol:g})", SpectraWarning, stacklevel=2)
    if not dec.exhausted and dec.residual_rms() > residual_tol:
        warnings.warn(f"windowed XAS: the Ritz vectors of ψ did not converge in {dec.matvecs} Lanczos steps "
                      f"(weighted residual {dec.residual_rms():.2g} eV > {residual_tol:.2g}); raise krylov_steps", SpectraWarning, stacklevel=2)
    return WindowedXasChains(probe, part, used, float(halving_tol), residual_tol, Gamma, seconds_symmetry, not np.iscomplexobj(psi), prepared)


