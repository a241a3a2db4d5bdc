r"""O K-edge X-ray absorption (XAS) of a state: an O 1s electron promoted into the σ* orbitals.

Model
-----
Each bridging oxygen is a bond ``(i, j)`` of the cluster. Absorption promotes its 1s electron
into the σ* orbital of octahedron ``i`` or ``j`` (the orbitals the oxygen's 2p_σ lobe takes part
in), with either spin. In the final state the 1s core hole attracts the added electron: both
octahedra next to that oxygen feel a core-hole potential ``U_c`` (``U_c < 0`` lowers the
final-state energy), i.e. ``H_b = H + U_c (n_i + n_j)`` with ``n = n_↑ + n_↓``. The core hole
decays with a Lorentzian half width ``Γ`` (amplitude ∝ e^{−Γ|t|}, FWHM 2Γ), and an optional
Gaussian of FWHM ``gaussian_fwhm`` models the resolution. The photon-energy axis is

.. math:: ω = \mathrm{offset} + E_n^{(b)} - E_{\rm ref},

``E_ref = ⟨ψ|H|ψ⟩`` unless given; the offset (the 1s binding energy and everything the model
leaves out) is a free number chosen so that the pre-edge peak sits where it is measured
(≈ 529 eV in BaBiO3).

``coherence = "incoherent"`` (default) sums the spectra of ``c†_iσ`` and ``c†_jσ`` separately:

.. math:: I(ω) = \sum_b \sum_{s∈\{i_b, j_b\}} \sum_σ ⟨ψ|c_{sσ}\, δ_Γ(ω − \mathrm{offset} − (H_b − E_{\rm ref}))\, c^†_{sσ}|ψ⟩,

so with ``U_c = 0`` it is the electron-addition spectrum summed over the two octahedra of each
oxygen. ``"coherent"`` uses one transition operator per oxygen and spin,
``D_bσ = (c†_iσ − c†_jσ)/√2`` (the 2p_σ lobe enters the two σ* orbitals with opposite signs),
and keeps the interference between ``i`` and ``j``. In a Fermi–Bose model bosonic sites hold 0 or
2 electrons, so only fermionic sites next to an oxygen take the electron.

Symmetry
--------
With ``use_symmetry`` the channels (oxygen, octahedron, spin) are grouped into orbits of the
lattice operations and spin flip that leave the model's terms *and* the state invariant
(:mod:`~localpairs.solvers.spectra.equivalent_channels`); one channel per orbit is computed and weighted
by the orbit's size. Two oxygens joining the same pair of sites (periodic axes of length 2) give
identical channels and are counted with multiplicity. ``use_symmetry=False`` computes every
channel; the tests check that both agree.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import numpy as np
import xarray as xr

from localpairs.errors import InputError, require
from localpairs.hamiltonians import Model, Term

from localpairs.solvers.spectra.equivalent_channels import orbits, symmetries
from localpairs.solvers.spectra.excitations import Excitation, target_sector
from localpairs.solvers.lanczos import LanczosChain
from localpairs.solvers.ed.observables import occupations
from localpairs.solvers.hilbert.sector import Sector
from localpairs.solvers.spectra.spectral_functions import SectorCache, chain_of, check_broadening, check_omega, normalized_state, spectra_dataset

COHERENCE = ("incoherent", "coherent")
#: Default core-hole half width Γ in eV.
DEFAULT_GAMMA = 0.2
#: Default Lanczos steps per channel: Γ = 0.2 eV smooths the spectrum, 150 steps converge it.
DEFAULT_XAS_STEPS = 150


def _channels(model: Model, coherence: str) -> tuple[list[tuple], dict[tuple, int]]:
    """Channels and their multiplicity: ((i, j), site, spin) or ((i, j), spin) with i < j; InputError if none."""
    pairs = Counter(tuple(sorted((int(b.i), int(b.j)))) for b in model.cluster.bonds)
    bosonic = set(model.bosonic_sites)
    out, mult = [], {}
    for pair, n in pairs.items():
        sites = [s for s in pair if s not in bosonic]
        if not sites:
            continue
        for spin in ("up", "down"):
            keys = [(pair, s, spin) for s in sites] if coherence == "incoherent" else [(pair, spin)]
            for key in keys:
                out.append(key)
                mult[key] = n
    if not out:
        raise InputError("model", model.kind, "a cluster with at least one oxygen next to an octahedron that can take an electron")
    return out, mult


def _representatives(keys: list[tuple], mult: dict[tuple, int], actions: list) -> tuple[list[tuple], list[int]]:
    """One channel per orbit of ``actions`` (every channel without them) and its weight: the summed multiplicity."""
    groups = orbits(keys, actions) if actions else [[k] for k in keys]
    return [g[0] for g in groups], [sum(mult[k] for k in g) for g in groups]


def _operator(model: Model, key: tuple, coherence: str) -> Excitation:
    pair, spin = key[0], key[-1]
    arrow = "↑" if spin == "up" else "↓"
    ops = "+|" if spin == "up" else "|+"
    shift = (1, 0) if spin == "up" else (0, 1)
    if coherence == "incoherent":
        s = key[1]
        return Excitation("xas", f"O{pair}: c†_{s}{arrow}", (Term(ops, ((1.0, s),)),), shift, site=s, spin=spin)
    sites = [s for s in pair if s not in model.bosonic_sites]
    signs = [1.0, -1.0] if len(sites) == 2 else [1.0]
    norm = np.sqrt(len(sites))
    couplings = tuple((sg / norm, s) for sg, s in zip(signs, sites))
    return Excitation("xas", f"O{pair}: D{arrow}", (Term(ops, couplings),), shift, spin=spin)


def _act(sym, coherence: str):
    perm, flip = sym.perm, sym.spin_flip

    def spin_of(spin):
        return ("down" if spin == "up" else "up") if flip else spin

    def act(key):
        pair = tuple(sorted((int(perm[key[0][0]]), int(perm[key[0][1]]))))
        if coherence == "incoherent":
            return (pair, int(perm[key[1]]), spin_of(key[2]))
        return (pair, spin_of(key[1]))

    return act


def _channel_chains(
    model: Model, sec: Sector, psi: np.ndarray, operators: list[Excitation], oxygens: list[tuple[int, int]], cache: SectorCache, *,
    U_c: float, n_steps: int, reorthogonalize: bool | None,
) -> tuple[list[LanczosChain], list[float], list[Sector], float]:
    """Chains of ``H_b = H + U_c (n_i + n_j)`` from ``O|ψ⟩`` for each operator and its oxygen ``(i, j)``.

    Returns the chains, ⟨ψ|O†O|ψ⟩, the target sectors and the seconds spent building
    Hamiltonian matrices. Sectors with symmetry blocks are refused (the channels are site operators).
    """
    occupation: dict[tuple, np.ndarray] = {}
    chains, expected, targets, t_matrix = [], [], [], 0.0
    for exc, (i, j) in zip(operators, oxygens):
        tsec = target_sector(sec, exc, model.n_sites)
        diagonal = None
        if U_c != 0:
            if (tsec.n_up, tsec.n_down) not in occupation:
                up, dn = occupations(cache.basis(tsec), model.n_sites)
                occupation[(tsec.n_up, tsec.n_down)] = (up + dn).astype(np.float64)
            n = occupation[(tsec.n_up, tsec.n_down)]
            diagonal = U_c * (n[:, i] + n[:, j])
        t1 = time.perf_counter()
        cache.matrix(tsec)
        t_matrix += time.perf_counter() - t1
        chain, norm2, _ = chain_of(model, sec, psi, exc, cache, n_steps=n_steps, reorthogonalize=reorthogonalize, diagonal=diagonal)
        chains.append(chain)
        expected.append(norm2)
        targets.append(tsec)
    return chains, expected, targets, t_matrix


def xas(
    model: Model,
    sec: Sector,
    psi: np.ndarray,
    omega: Any,
    *,
    U_c: float,
    Gamma: float = DEFAULT_GAMMA,
    gaussian_fwhm: float = 0.0,
    offset: float = 0.0,
    coherence: str = "incoherent",
    use_symmetry: bool = True,
    e_ref: float | None = None,
    n_steps: int = DEFAULT_XAS_STEPS,
    reorthogonalize: bool | None = None,
    basis: Any = None,
    cache: SectorCache | None = None,
    memory_budget_gb: float | None = None,
) -> xr.Dataset:
    """O K-edge XAS of ``psi`` summed over all oxygens and both spins (see the module docstring).

    Parameters
    ----------
    model, sec, psi
        The state (real or complex; normalized here).
    omega
        Photon energies in eV.
    U_c
        Core-hole potential in eV on the two octahedra next to the excited oxygen (< 0 attracts).
    Gamma
        Core-hole Lorentzian half width in eV (> 0).
    gaussian_fwhm
        Gaussian resolution (FWHM, eV, ≥ 0).
    offset
        Absolute energy offset in eV (photon energy of a final state at ``E_ref``).
    coherence
        ``"incoherent"`` or ``"coherent"`` sum over the two octahedra of an oxygen.
    use_symmetry
        Compute one channel per symmetry orbit (checked symmetries of model and state).
    e_ref, n_steps, reorthogonalize, basis, cache, memory_budget_gb
        As for :func:`~localpairs.solvers.spectra.spectral_functions.spectra`.

    Returns
    -------
    xarray.Dataset
        ``total(omega)`` = XAS(ω) summed over oxygens and spins, ``spectrum(channel, omega)`` per
        computed channel with ``weight`` = its orbit size × oxygen multiplicity, sum rules and
        poles (``pole_energy`` on the photon-energy axis); parameters in attrs.
    """
    Gamma = check_broadening(Gamma, "Gamma")
    gaussian_fwhm = check_broadening(gaussian_fwhm, "gaussian_fwhm", allow_zero=True)
    omega = check_omega(omega)
    for name, value in (("U_c", U_c), ("offset", offset)):
        require(isinstance(value, (int, float, np.floating)) and not isinstance(value, bool) and np.isfinite(value), name, value, "a finite number in eV")
    require(coherence in COHERENCE, "coherence", coherence, f"one of {COHERENCE}")
    cache = cache or SectorCache(model, memory_budget_gb=memory_budget_gb)
    if basis is not None:
        cache.add(sec, basis)
    basis_in = cache.basis(sec)
    psi = normalized_state(psi, basis_in.Ns)
    if e_ref is None:
        e_ref = float(np.vdot(psi, cache.matrix(sec) @ psi).real)
    keys, mult = _channels(model, coherence)
    t0 = time.perf_counter()
    syms = symmetries(model, basis_in, psi, n_up=sec.n_up, n_down=sec.n_down) if use_symmetry else []
    t_sym = time.perf_counter() - t0
    reps, weights = _representatives(keys, mult, [_act(s, coherence) for s in syms])
    t0 = time.perf_counter()
    excs = [_operator(model, k, coherence) for k in reps]
    chains, expected, targets, t_matrix = _channel_chains(model, sec, psi, excs, [k[0] for k in reps], cache, U_c=U_c, n_steps=n_steps, reorthogonalize=reorthogonalize)
    attrs = {
        "seconds_symmetry": t_sym, "seconds_matrices": t_matrix, "seconds_channels": time.perf_counter() - t0 - t_matrix,
        "definition": "XAS(ω) = Σ_oxygens Σ_(i or j) Σ_σ <ψ|c δ_Γ(ω − offset − (H + U_c(n_i + n_j) − E_ref)) c†|ψ> (coherent: D = (c†_i − c†_j)/√2)",
        "U_c_eV": float(U_c), "Gamma_eV": Gamma, "offset_eV": float(offset), "e_ref_true_eV": float(e_ref), "coherence": coherence,
        "n_oxygens": model.cluster.n_bonds, "n_channels_all": len(keys), "n_channels_computed": len(reps), "n_symmetries": len(syms),
        "use_symmetry": int(use_symmetry), "model_kind": model.kind, "cluster": model.cluster.describe(), "sector": sec.label(), "n_steps_requested": n_steps,
    }
    # ω = offset + E_n − E_ref: the spectra machinery's reference energy is E_ref − offset
    ds = spectra_dataset(chains, excs, expected, targets, omega, e_ref=float(e_ref) - float(offset), eta=Gamma, gaussian_fwhm=gaussian_fwhm, sign=1, weights=weights, attrs=attrs)
    return ds.assign_coords(oxygen_i=("channel", [k[0][0] for k in reps]), oxygen_j=("channel", [k[0][1] for k in reps]))


def excited_part(psi0: np.ndarray, psi: np.ndarray) -> tuple[float, np.ndarray]:
    """Weight ``α = ‖χ‖²`` and normalized ``χ̂`` of ``χ = ψ − ⟨ψ0|ψ⟩ψ0`` (normalized ψ0 and ψ).

    The split used for the XAS of a pumped state in the long-probe limit: the ground-state part
    measured from E0, the excited part from its own energy (``xas(..., e_ref=None)``).
    ``χ̂`` is the zero vector when α = 0 (nothing excited).
    """
    chi = psi - np.vdot(psi0, psi) * psi0
    alpha = float(np.vdot(chi, chi).real)
    return alpha, (chi / np.sqrt(alpha) if alpha > 0 else chi)
