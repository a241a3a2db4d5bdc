r"""Optical conductivity σ(ω) from the current–current spectrum, with optional twist averaging.

Kubo formula for the regular (finite-frequency) part, at T = 0, per volume ``V = N a³``:

.. math::

    \mathrm{Re}\,σ(ω) = \frac{e^2}{ħ}\,\frac{π}{N a^3} \sum_{n:\,ω_n > 0}
        \frac{|\langle n|j_e|ψ\rangle|^2}{ω_n}\, V(ω - ω_n),
    \qquad ω_n = E_n - E_0,

with ``j_e`` from :func:`~localpairs.solvers.spectra.excitations.current` in eV·Å (ħ = e = 1), energies in
eV and ``a`` in Å, so the sum is in (e²/ħ)/Å; it is reported in S/cm (× e²/ħ = 2.434 × 10⁻⁴ S and
1 Å⁻¹ = 10⁸ cm⁻¹). ``V`` is a Lorentzian of half width η (⊗ an optional Gaussian): each pole is
divided by its own ``ω_n`` before broadening, so the curve has no 1/ω divergence at ω → 0.
The ``|ψ⟩`` component of ``j|ψ⟩`` (a persistent current) is projected out; poles below
:data:`~localpairs.solvers.spectra.optical_transitions.ZERO_FREQUENCY` (degenerate ground
states; the one cut-off of every optical pole list) count as zero-frequency weight, not as σ.

f-sum rule: ``Σ_n |⟨n|j|ψ⟩|²/ω_n = ⟨∂²H/∂A²⟩/2 − D`` with ``D ≥ 0`` the Drude weight
(``E_0(A) = E_0 + D A² + …``). On an open cluster A is a gauge, ``D = 0`` and the rule is an
equality (a test); on a periodic cluster the ratio (regular fraction) is reported.

Twist averaging
---------------
On a periodic axis of length 2 the two bonds joining a pair of sites carry opposite Peierls
phases, so ``j`` along that axis vanishes identically at A = 0: the cluster samples only k = 0
and π, where the band velocity is zero. For ``twists = T > 1`` the boundary twist
``Φ_n = π(2n + 1)/T`` is applied as a uniform vector potential ``A = Φ_n/(L_e a)`` along the
(axis-aligned) polarization, the ground state of ``H(A)`` is found, σ is computed from the current
``−∂H/∂A`` at that A, and the T curves are averaged (Poilblanc, PRB 44, 9562 (1991)); Φ and
2π − Φ are time-reversal partners with identical spectra, so only Φ < π is computed.
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
from localpairs.solvers.ed.eigensolve import solve
from localpairs.solvers.hilbert.sector import Sector
from localpairs.solvers.lanczos import pole_spectrum
from localpairs.solvers.spectra.excitations import current, diamagnetic, expectation, peierls_terms
from localpairs.solvers.spectra.optical_transitions import ZERO_FREQUENCY
from localpairs.solvers.spectra.spectral_functions import DEFAULT_STEPS, SectorCache, SpectraWarning, chain_of, check_broadening, check_omega, normalized_state
from localpairs.units import E_CHARGE_C, HBAR_EV_FS

#: e²/ħ in siemens times 10⁸ (Å⁻¹ → cm⁻¹): S/cm per (e²/ħ)/Å.
S_PER_CM = E_CHARGE_C / (HBAR_EV_FS * 1e-15) * 1e8


def peierls_model(model: Model, vector_potential: Sequence[float] | np.ndarray) -> Model:
    """``H(A)``: ``model`` with every charge-moving term given its Peierls factor ``exp(i q A·d_b)``.

    ``d_b`` = ``bond.displacement`` (Å). Terms that move no charge are kept.

    Parameters
    ----------
    model : Model
        The model at zero vector potential.
    vector_potential : sequence of float
        The uniform vector potential ``A`` (x, y, z) in Å⁻¹ (ħ = e = 1).

    Returns
    -------
    Model
        ``model`` with the charge-moving terms replaced by their Peierls-substituted forms and
        ``vector_potential`` recorded.
    """
    static = tuple(t for t in model.terms if not t.moves_charge)
    return model.with_terms(static + peierls_terms(model, vector_potential), vector_potential=list(map(float, vector_potential)))


def _twists(model: Model, polarization: np.ndarray, twists: int) -> list[tuple[float, float, np.ndarray]]:
    """(Φ, weight, A) for the twist grid (see the module docstring)."""
    if twists == 1:
        return [(0.0, 1.0, np.zeros(3))]
    axis = int(np.argmax(np.abs(polarization)))
    require(np.isclose(abs(polarization[axis]), 1.0), "polarization", polarization.tolist(), "an axis direction (x, y or z) for twist averaging")
    require(model.cluster.periodic[axis], "twists", twists, "1 on an open axis (a twist needs the polarization axis to be periodic)")
    length = model.cluster.shape[axis] * model.cluster.lattice_constant
    out = []
    for n in range((twists + 1) // 2):
        phi = np.pi * (2 * n + 1) / twists
        w = 1.0 / twists if np.isclose(phi, np.pi) else 2.0 / twists
        out.append((phi, w, polarization * phi / length))
    return out


def _twist_state(model_A: Model, sec: Sector, psi: np.ndarray | None, basis: Any, *, memory_budget_gb: float | None,
                 cache: SectorCache | None = None) -> tuple[SectorCache, np.ndarray, float]:
    """Sector cache of ``H(A)`` (``cache`` if given), the normalized state and its energy: ``psi``, else the ground state."""
    cache = cache if cache is not None else SectorCache(model_A, memory_budget_gb=memory_budget_gb)
    if basis is not None:
        cache.add(sec, basis)
    if psi is None:
        gs = solve(model_A, sec, memory_budget_gb=memory_budget_gb)
        cache.add(sec, gs.basis)
        state, e0 = gs.ground_state, gs.ground_energy
    else:
        state = normalized_state(psi, cache.basis(sec).Ns)
        e0 = float(np.vdot(state, cache.matrix(sec) @ state).real)
    return cache, normalized_state(state, cache.basis(sec).Ns), e0


def _twist_poles(model: Model, model_A: Model, sec: Sector, state: np.ndarray, e0: float, A: np.ndarray | None, e: np.ndarray,
                 cache: SectorCache, *, n_steps: int, reorthogonalize: bool | None, prefactor: float) -> dict[str, Any]:
    """Current poles, σ weights and f-sum diagnostics of one twist (``A`` None: no twist)."""
    j = current(model, polarization=e, vector_potential=A)
    chain, m0, _ = chain_of(model_A, sec, state, j, cache, n_steps=n_steps, reorthogonalize=reorthogonalize, project_out_state=True)
    energies, weights = chain.poles()
    omega_n = energies - e0
    regular = omega_n > ZERO_FREQUENCY
    sig_w = np.where(regular, prefactor * weights / np.where(regular, omega_n, 1.0), 0.0)
    dia = expectation(model_A, cache.basis(sec), state, diamagnetic(model, polarization=e, vector_potential=A)).real
    return dict(e0=e0, omega_n=omega_n, weights=weights, sig_w=sig_w, regular=regular, m0=m0, zero=float(weights[~regular].sum()),
                f_regular=float(np.sum(np.where(regular, weights / np.where(regular, omega_n, 1.0), 0.0))), f_total=0.5 * dia, steps=chain.n_steps)


def _conductivity_dataset(rows: list[dict[str, Any]], omega: np.ndarray, attrs: dict[str, Any]) -> xr.Dataset:
    """Labelled arrays of the twist rows (poles padded with weight 0 to a common length)."""
    n_pole = max(max(r["omega_n"].size for r in rows), 1)

    def padded(key: str) -> np.ndarray:
        out = np.zeros((len(rows), n_pole))
        for k, r in enumerate(rows):
            out[k, : r[key].size] = r[key]
        return out

    def per_twist(key: str) -> np.ndarray:
        return np.array([r[key] for r in rows])

    curves, tw = per_twist("curve"), per_twist("weight")
    data = {
        "sigma": (("omega",), tw @ curves, {"units": "S/cm", "long_name": "Re σ(ω), twist average"}),
        "sigma_twist": (("twist", "omega"), curves, {"units": "S/cm"}),
        "pole_energy": (("twist", "pole"), padded("omega_n"), {"units": "eV", "long_name": "E_n − E_0 of current-carrying states (padding: weight 0)"}),
        "pole_weight": (("twist", "pole"), padded("weights"), {"units": "eV^2 Å^2", "long_name": "|<n|j|ψ>|²"}),
        "sigma_weight": (("twist", "pole"), padded("sig_w"), {"units": "S/cm eV", "long_name": "∫σ dω of each pole"}),
        "twist_weight": (("twist",), tw),
        "ground_energy": (("twist",), per_twist("e0"), {"units": "eV"}),
        "m0": (("twist",), per_twist("m0"), {"long_name": "<j²> − <j>² (eV² Å²)"}),
        "zero_frequency_weight": (("twist",), per_twist("zero")),
        "f_sum_regular": (("twist",), per_twist("f_regular"), {"long_name": "Σ |<n|j|ψ>|²/ω_n (eV Å²)"}),
        "f_sum_total": (("twist",), per_twist("f_total"), {"long_name": "<∂²H/∂A²>/2 (eV Å²)"}),
        "lanczos_steps": (("twist",), per_twist("steps")),
    }
    coords = {"omega": ("omega", omega, {"units": "eV"}), "twist": ("twist", per_twist("phi"), {"long_name": "boundary twist Φ (rad)"})}
    return xr.Dataset(data, coords=coords, attrs=attrs)


def optical_conductivity(
    model: Model,
    sec: Sector,
    omega: Any,
    *,
    eta: float,
    polarization: Sequence[float] = (1.0, 0.0, 0.0),
    gaussian_fwhm: float = 0.0,
    twists: int = 1,
    psi: np.ndarray | None = None,
    basis: Any = None,
    n_steps: int = DEFAULT_STEPS,
    reorthogonalize: bool | None = None,
    memory_budget_gb: float | None = None,
    cache: SectorCache | None = None,
) -> xr.Dataset:
    """Re σ(ω) in S/cm of the ground state (or of ``psi`` at A = 0), see the module docstring.

    Parameters
    ----------
    model : Model
        The model at A = 0 (real couplings).
    sec
        Sector of the state.
    omega
        Photon energies in eV.
    eta, gaussian_fwhm
        Lorentzian half width (> 0) and Gaussian FWHM (≥ 0) in eV.
    polarization
        Direction e of the field (normalized here).
    twists
        Number of boundary twists T (1: no twist, A = 0).
    psi
        A state at A = 0 (only with ``twists = 1``); default: the ground state of ``sec``.
    basis, n_steps, reorthogonalize, memory_budget_gb
        As for :func:`~localpairs.solvers.spectra.spectral_functions.spectra`.
    cache
        A :class:`SectorCache` of ``model`` with the matrix of ``sec`` already built (only with
        ``twists = 1``): reused instead of building the matrix again.

    Returns
    -------
    xarray.Dataset
        ``sigma(omega)`` (S/cm, twist average), ``sigma_twist(twist, omega)``, current poles
        ``pole_energy``/``pole_weight(twist, pole)`` and ``sigma_weight`` (∫σ dω per pole, S/cm·eV),
        f-sum diagnostics per twist; parameters in attrs.
    """
    eta = check_broadening(eta, "eta")
    gaussian_fwhm = check_broadening(gaussian_fwhm, "gaussian_fwhm", allow_zero=True)
    omega = check_omega(omega)
    require(isinstance(twists, int) and not isinstance(twists, bool) and 1 <= twists <= 64, "twists", twists, "an integer 1 … 64")
    require(psi is None or twists == 1, "psi", "a given state", "no state with twists > 1 (each twist solves its own ground state)")
    require(cache is None or twists == 1, "cache", "a given cache", "no cache with twists > 1 (each twist has its own H(A))")
    e = np.asarray(polarization, dtype=float)
    require(e.shape == (3,) and bool(np.all(np.isfinite(e))) and np.linalg.norm(e) > 0, "polarization", list(np.ravel(polarization)),
            "three finite numbers, not all zero")
    e = e / np.linalg.norm(e)
    cl = model.cluster
    prefactor = S_PER_CM * np.pi / (cl.n_sites * cl.lattice_constant**3)
    rows = []
    for phi_twist, w_twist, A in _twists(model, e, twists):
        model_A = model if twists == 1 else peierls_model(model, A)
        cache, state, e0 = _twist_state(model_A, sec, psi, basis, memory_budget_gb=memory_budget_gb, cache=cache)
        row = _twist_poles(model, model_A, sec, state, e0, None if twists == 1 else A, e, cache, n_steps=n_steps,
                           reorthogonalize=reorthogonalize, prefactor=prefactor)
        reg = row.pop("regular")
        curve = pole_spectrum(row["omega_n"][reg], row["sig_w"][reg], omega, eta=eta, gaussian_fwhm=gaussian_fwhm)
        rows.append(dict(row, phi=phi_twist, weight=w_twist, curve=curve))
    if all(r["m0"] == 0.0 for r in rows):
        warnings.warn("the current annihilates the state at every twist: σ(ω) = 0 (on a periodic axis of length 2 use twists > 1)",
                      SpectraWarning, stacklevel=2)
    return _conductivity_dataset(rows, omega, attrs={
        "definition": "Re σ(ω) = (e²/ħ) π/(N a³) Σ_n |<n|j|ψ>|²/ω_n V(ω − ω_n), j = −∂H/∂A (eV Å), in S/cm",
        "eta_eV": eta, "gaussian_fwhm_eV": gaussian_fwhm, "polarization": e.tolist(), "twists": twists,
        "S_per_cm_per_e2_over_hbar_angstrom": S_PER_CM, "volume_A3": cl.n_sites * cl.lattice_constant**3,
        "model_kind": model.kind, "model_parameters": json.dumps(dict(model.parameters)), "cluster": cl.describe(),
        "sector": sec.label(), "n_steps_requested": n_steps,
    })
