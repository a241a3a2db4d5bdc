r"""Spectral functions of a state by the Lanczos continued fraction, as labelled arrays.

For a normalized state ``|ψ⟩`` in sector ``s`` and operators ``O_c`` (channels)

.. math::

    S_c(ω) = \langle ψ|O_c^\dagger\, δ_η\big(ω - s\,(H - E_{\rm ref})\big)\, O_c|ψ\rangle
           = \sum_n |\langle n|O_c|ψ\rangle|^2\, V\big(ω - s(E_n - E_{\rm ref})\big),

computed in the target sector of ``O_c`` (see :mod:`~localpairs.solvers.spectra.excitations`), with
``V`` a Lorentzian of half width ``η`` (``L_η(x) = (η/π)/(x² + η²)``), convolved with a Gaussian
of FWHM ``gaussian_fwhm`` when that is positive. ``s = +1`` (default) puts the spectrum at the
excitation energies ``E_n − E_ref``; ``s = −1`` mirrors it (photoemission convention,
ω = E_ref − E_n) so that removal and addition spectra share one axis. ``E_ref = ⟨ψ|H|ψ⟩``
unless given.

Sum rules reported per channel: the zeroth moment ``m0 = ‖O ψ‖²`` with ``⟨ψ|O†O|ψ⟩`` computed
independently beside it, and the first moment ``m1 = s ⟨ψ|O†(H − E_ref)O|ψ⟩`` (both exact,
not from the broadened curve). Pole energies are stored unmirrored, as ``E_n − E_ref``.

An operator that annihilates the state gives a zero spectrum and a :class:`SpectraWarning`.

Symmetry blocks: the state may live in a momentum/point-group block; each channel's target
block is found by :func:`~localpairs.solvers.spectra.excitations.target_sector` (``c†_k`` from block q
lands in q − n; an operator that is no eigenoperator of a block's generator is refused), and the
channel's ``target_sector`` coordinate names it. Sectors are cached per particle numbers and
block labels.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr

from localpairs.errors import require
from localpairs.hamiltonians import Model
from localpairs.solvers.hilbert.sector import Sector
from localpairs.solvers.lanczos import LanczosChain, broadened_spectrum, lanczos_chain
from localpairs.solvers.spectra.excitations import Excitation, apply_excitation, target_sector
from localpairs.solvers.spectra.spectra_inputs import SectorCache, check_broadening, check_omega, normalized_state

#: ‖O ψ‖² at or below this counts as "O annihilates ψ" (an exact zero stays exactly zero).
ZERO_NORM2 = 1e-24
#: Default number of Lanczos steps.
DEFAULT_STEPS = 200


class SpectraWarning(UserWarning):
    """A spectrum is empty or otherwise deserves attention (never an error)."""


def chain_of(
    model: Model,
    sec: Sector,
    psi: np.ndarray,
    exc: Excitation,
    cache: SectorCache,
    *,
    n_steps: int,
    reorthogonalize: bool | None = None,
    project_out_state: bool = False,
    diagonal: np.ndarray | None = None,
) -> tuple[LanczosChain, float, Sector]:
    """Apply ``exc`` to the normalized ``psi`` and run the Lanczos chain in the target sector.

    A zero ``O|ψ⟩`` gives an empty chain and a :class:`SpectraWarning`.

    Parameters
    ----------
    model : Model
        The model.
    sec : Sector
        The sector of ``psi``.
    psi : numpy.ndarray
        The normalized state.
    exc : Excitation
        The operator O.
    cache : SectorCache
        Bases and matrices of the source and target sectors.
    n_steps : int
        Largest number of Lanczos steps.
    reorthogonalize : bool or None, optional
        See :func:`~localpairs.solvers.lanczos.lanczos_chain`.
    project_out_state : bool, optional
        Remove the ``|ψ⟩`` component of ``O|ψ⟩`` (only for operators that keep the sector).
    diagonal : numpy.ndarray or None, optional
        Real vector added to the diagonal of the target-sector matrix in eV (e.g. a core hole).

    Returns
    -------
    chain : LanczosChain
        The chain of ``O|ψ⟩``.
    expected : float
        ``⟨ψ|O†O|ψ⟩`` (minus ``|⟨ψ|O|ψ⟩|²`` when projected), computed independently.
    target : Sector
        The target sector.

    Raises
    ------
    InputError
        When ``project_out_state`` is set for an operator that leaves the sector.
    """
    tsec = target_sector(sec, exc, model)
    if project_out_state:
        require(tsec == sec, "project_out_state", True,
                f"only for operators that stay in the sector (density, current); {exc.label} maps {sec.label()} to {tsec.label()}")
    phi, expected = apply_excitation(model, exc, psi, cache.basis(sec), cache.basis(tsec))
    if project_out_state:
        overlap = np.vdot(psi, phi)
        phi = phi - overlap * psi
        expected -= abs(overlap) ** 2
    if float(np.vdot(phi, phi).real) <= ZERO_NORM2:
        warnings.warn(f"{exc.label} annihilates the state ({sec.label()}): its spectrum is zero", SpectraWarning, stacklevel=3)
        return LanczosChain(np.zeros(0), np.zeros(0), 0.0), 0.0, tsec
    chain = lanczos_chain(cache.matrix(tsec), phi, n_steps=n_steps, diagonal=diagonal, reorthogonalize=reorthogonalize)
    return chain, expected, tsec


def convergence(chain: LanczosChain, curve: np.ndarray, omega: np.ndarray, **broadening: Any) -> float:
    """Measure the change of a spectrum over the last quarter of its chain.

    Parameters
    ----------
    chain : LanczosChain
        The chain of m steps.
    curve : numpy.ndarray
        Its broadened spectrum ``S_m`` on ``omega``.
    omega : numpy.ndarray
        Frequencies in eV.
    **broadening : Any
        The keyword options of :func:`~localpairs.solvers.lanczos.broadened_spectrum`.

    Returns
    -------
    float
        ``max |S_m − S_{3m/4}| / max S_m`` (0 for an exhausted or short chain).
    """
    if chain.exhausted or chain.n_steps < 8 or curve.max() <= 0:
        return 0.0
    short = broadened_spectrum(chain.truncated(3 * chain.n_steps // 4), omega, **broadening)
    return float(np.abs(curve - short).max() / curve.max())


def spectra_dataset(
    chains: Sequence[LanczosChain],
    channels: Sequence[Excitation],
    expected: Sequence[float],
    targets: Sequence[Sector],
    omega: np.ndarray,
    *,
    e_ref: float,
    eta: float,
    gaussian_fwhm: float = 0.0,
    sign: int = 1,
    weights: Sequence[float] | None = None,
    attrs: dict | None = None,
) -> xr.Dataset:
    """Assemble labelled arrays of a set of chains: spectra, sum rules, poles (module docstring).

    Parameters
    ----------
    chains : sequence of LanczosChain
        One chain per channel.
    channels : sequence of Excitation
        The operators.
    expected : sequence of float
        ``⟨ψ|O†O|ψ⟩`` per channel, computed independently.
    targets : sequence of Sector
        Target sector per channel.
    omega : numpy.ndarray
        Frequencies in eV.
    e_ref, eta : float
        Reference energy and Lorentzian half width, in eV.
    gaussian_fwhm : float, optional
        Gaussian resolution (FWHM) in eV.
    sign : int, optional
        +1: ω = E_n − E_ref; −1: ω = E_ref − E_n.
    weights : sequence of float or None, optional
        Multiply each channel in ``total`` (default 1), e.g. a symmetry multiplicity.
    attrs : dict or None, optional
        Further attributes of the dataset.

    Returns
    -------
    xarray.Dataset
        ``spectrum(channel, omega)``, ``total(omega)``, ``m0``, ``m0_expected``, ``m1``, ``pole_energy``
        and ``pole_weight(channel, pole)``, ``lanczos_steps``, ``convergence``, ``weight``.
    """
    broadening: dict[str, Any] = dict(e_ref=e_ref, eta=eta, gaussian_fwhm=gaussian_fwhm, sign=sign)
    curves = np.array([broadened_spectrum(c, omega, **broadening) for c in chains]).reshape(len(chains), omega.size)
    n_pole = max([c.n_steps for c in chains] + [1])
    pe = np.zeros((len(chains), n_pole))
    pw = np.zeros((len(chains), n_pole))
    for k, c in enumerate(chains):
        e, w = c.poles()
        pe[k, : e.size], pw[k, : w.size] = e - e_ref, w
    wts = np.ones(len(chains)) if weights is None else np.asarray(weights, dtype=float)
    ds = xr.Dataset(
        {
            "spectrum": (("channel", "omega"), curves, {"units": "1/eV", "long_name": "S(ω) per channel"}),
            "total": (("omega",), wts @ curves, {"units": "1/eV", "long_name": "Σ_channels weight × S(ω)"}),
            "m0": (("channel",), np.array([c.norm2 for c in chains]), {"long_name": "zeroth moment ‖Oψ‖²"}),
            "m0_expected": (("channel",), np.asarray(expected, dtype=float), {"long_name": "⟨ψ|O†O|ψ⟩ computed independently"}),
            "m1": (("channel",), np.array([sign * c.first_moment(e_ref) for c in chains]), {"units": "eV", "long_name": "first moment s⟨O†(H − E_ref)O⟩"}),
            "pole_energy": (("channel", "pole"), pe, {"units": "eV", "long_name": "E_n − E_ref (unmirrored; padding has weight 0)"}),
            "pole_weight": (("channel", "pole"), pw, {"long_name": "|⟨n|O|ψ⟩|² (Gauss quadrature of the chain)"}),
            "lanczos_steps": (("channel",), np.array([c.n_steps for c in chains])),
            "convergence": (("channel",), np.array([convergence(c, s, omega, **broadening) for c, s in zip(chains, curves)]),
                            {"long_name": "max|S_m − S_3m/4| / max S_m"}),
            "weight": (("channel",), wts),
        },
        coords={
            "omega": ("omega", omega, {"units": "eV"}),
            "channel": [c.label for c in channels],
            "kind": ("channel", [c.kind for c in channels]),
            "site": ("channel", [-1 if c.site is None else c.site for c in channels]),
            "spin": ("channel", [c.spin or "" for c in channels]),
            "k": ("channel", ["" if c.k is None else ",".join(map(str, c.k)) for c in channels]),
            "target_sector": ("channel", [t.label() for t in targets]),
        },
        attrs={"e_ref_eV": e_ref, "eta_eV": eta, "gaussian_fwhm_eV": gaussian_fwhm, "sign": sign, **(attrs or {})},
    )
    return ds


def spectra(
    model: Model,
    sec: Sector,
    psi: np.ndarray,
    excitations: Sequence[Excitation],
    omega: Sequence[float] | np.ndarray,
    *,
    eta: float,
    gaussian_fwhm: float = 0.0,
    e_ref: float | None = None,
    sign: int = 1,
    n_steps: int = DEFAULT_STEPS,
    reorthogonalize: bool | None = None,
    project_out_state: bool = False,
    basis: Any = None,
    cache: SectorCache | None = None,
    memory_budget_gb: float | None = None,
) -> xr.Dataset:
    """Spectral functions of ``psi`` for each operator in ``excitations`` (see the module docstring).

    Parameters
    ----------
    model, sec, psi : Model, Sector, numpy.ndarray
        The state: a vector (real or complex, normalized here) in sector ``sec`` of ``model``.
    excitations : sequence of Excitation
        Operators, e.g. from :func:`~localpairs.solvers.spectra.excitations.make_excitation`.
    omega : sequence of float or numpy.ndarray
        Energies in eV where S is evaluated.
    eta : float
        Lorentzian half width in eV (> 0).
    gaussian_fwhm : float, optional
        Optional Gaussian resolution (FWHM, eV, ≥ 0).
    e_ref : float or None, optional
        Reference energy in eV; default ``⟨ψ|H|ψ⟩``.
    sign : int, optional
        +1: ω = E_n − E_ref; −1: ω = E_ref − E_n.
    n_steps : int, optional
        Lanczos steps per channel (fewer when the Krylov space is exhausted).
    reorthogonalize : bool or None, optional
        See :func:`~localpairs.solvers.lanczos.lanczos_chain`.
    project_out_state : bool, optional
        Remove the ``|ψ⟩`` component of ``O|ψ⟩`` (connected density response; regular current part).
    basis, cache : Any, SectorCache or None, optional
        Already built basis of ``sec``; a :class:`SectorCache` shared between calls.
    memory_budget_gb : float or None, optional
        Budget in GB for new sectors.

    Returns
    -------
    xarray.Dataset
        ``spectrum(channel, omega)``, ``total(omega)``, ``m0``, ``m0_expected``, ``m1``,
        ``pole_energy``/``pole_weight(channel, pole)``, ``convergence``; resolved parameters in attrs.
    """
    eta = check_broadening(eta, "eta")
    gaussian_fwhm = check_broadening(gaussian_fwhm, "gaussian_fwhm", allow_zero=True)
    omega = check_omega(omega)
    require(sign in (1, -1), "sign", sign, "+1 (ω = E_n − E_ref) or −1 (ω = E_ref − E_n)")
    require(isinstance(n_steps, int) and n_steps >= 1, "n_steps", n_steps, "an integer ≥ 1")
    excitations = list(excitations)
    require(len(excitations) > 0 and all(isinstance(e, Excitation) for e in excitations), "excitations", excitations,
            "a non-empty list of Excitation objects (make_excitation)")
    cache = cache or SectorCache(model, memory_budget_gb=memory_budget_gb)
    if basis is not None:
        cache.add(sec, basis)
    psi = normalized_state(psi, cache.basis(sec).Ns)
    if e_ref is None:
        e_ref = float(np.vdot(psi, cache.matrix(sec) @ psi).real)
    require(np.isfinite(e_ref), "e_ref", e_ref, "a finite energy in eV")
    runs = [chain_of(model, sec, psi, exc, cache, n_steps=n_steps, reorthogonalize=reorthogonalize, project_out_state=project_out_state) for exc in excitations]
    chains = [chain for chain, _, _ in runs]
    expected = [m0 for _, m0, _ in runs]
    targets = [target for _, _, target in runs]
    attrs = {
        "definition": "S(ω) = Σ_n |<n|O|ψ>|² V(ω − s(E_n − E_ref)); V = Lorentzian (HWHM eta) ⊗ Gaussian (FWHM gaussian_fwhm)",
        "model_kind": model.kind, "model_parameters": json.dumps(dict(model.parameters)), "cluster": model.cluster.describe(),
        "sector": sec.label(), "n_steps_requested": n_steps, "project_out_state": int(project_out_state),
    }
    return spectra_dataset(chains, excitations, expected, targets, omega, e_ref=float(e_ref), eta=eta, gaussian_fwhm=gaussian_fwhm, sign=sign, attrs=attrs)


__all__ = [
    "DEFAULT_STEPS",
    "SectorCache",
    "SpectraWarning",
    "chain_of",
    "check_broadening",
    "check_omega",
    "spectra",
    "spectra_dataset",
]
