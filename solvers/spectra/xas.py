r"""O K-edge X-ray absorption (XAS) of a state: an O 1s electron promoted into the σ* orbitals.

Model
-----
Each bridging oxygen is a bond ``(i, j)`` of the cluster. Absorption promotes its 1s electron
into the σ* orbital of octahedron ``i`` or ``j`` (the orbitals the oxygen's 2p_σ lobe takes part
in), with either spin. In the final state the 1s core hole attracts the added electron through
a core-hole potential ``U_c`` (``U_c < 0`` lowers the final-state energy) on the octahedra chosen
by ``core_hole`` (below); by default on both octahedra next to that oxygen,
``H_b = H + U_c (n_i + n_j)`` with ``n = n_↑ + n_↓``. The core hole decays with a Lorentzian
*half* width ``Γ`` (HWHM: amplitude ∝ e^{−Γ|t|/ħ}, resolvent at ``ω + iΓ``, a single pole has
FWHM 2Γ), and an optional Gaussian of FWHM ``gaussian_fwhm`` models the resolution (their exact
convolution, a Voigt profile, when it is positive). The photon-energy axis is

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

Core-hole placement (``core_hole``)
-----------------------------------
The oxygen of bond ``i → j`` (the bond points along +x, +y or +z: ``r_j − r_i = +a`` along its
axis, see :class:`~localpairs.hamiltonians.cluster.Bond`) sits between the octahedron at its
``i`` end (``r_O − a/2``) and the one at its ``j`` end (``r_O + a/2``). The final-state term is
``U_c Σ_s w_s n_s`` with

- ``"both"`` (default): ``w_i = w_j = 1``, the O 1s hole acting on both σ* orbitals it
  hybridizes with;
- ``"site_i"`` / ``"site_j"``: ``U_c n_i`` / ``U_c n_j``, a single-site core hole at the bond's
  i (j) end; each is the mirror image of the other through the oxygen;
- ``"site"``: a single-site core hole as the physics of a symmetric oxygen demands: neither end
  is preferred, so every channel is the average ``½[site_i] + ½[site_j]`` of the two placements
  (two final-state Hamiltonians, an incoherent sum, each with weight ½). Sum rules and the
  ``U_c = 0`` spectrum equal those of ``"both"``;
- ``"receiving"`` (incoherent only): ``U_c n_s`` on the octahedron ``s`` that takes the electron
  (the "core hole on the absorbing site" of single-ion multiplet codes);
- ``(w_i, w_j)``: user weights per octahedron, ``U_c (w_i n_i + w_j n_j)``.

Symmetry
--------
With ``use_symmetry`` the channels (oxygen, octahedron, spin) are grouped into orbits of the
lattice operations and spin flip that leave the model's terms *and* the state invariant
(:mod:`~localpairs.solvers.spectra.equivalent_channels`); one channel per orbit is computed and weighted
by the orbit's size. A channel is (oxygen, octahedron, spin, core-hole field); an operation acts
on all four, so a single-site core hole, which a mirror through the oxygen moves to the other
octahedron, is never merged with a channel it is not equivalent to (images outside the channel
set are ignored, :func:`~localpairs.solvers.spectra.equivalent_channels.orbits`). Two oxygens
joining the same pair of sites (periodic axes of length 2) with the same core-hole field give
identical channels and are counted with multiplicity. ``use_symmetry=False`` computes every
channel; the tests check that both agree.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np
import xarray as xr

from localpairs.errors import InputError, require
from localpairs.hamiltonians import Model, Term
from localpairs.solvers.hilbert.sector import Sector
from localpairs.solvers.lanczos import LanczosChain
from localpairs.solvers.spectra.core_hole import CORE_HOLES, CoreHole, check_core_hole, describe_core_hole  # noqa: F401 - re-exported
from localpairs.solvers.spectra.equivalent_channels import Symmetry, orbits, symmetries
from localpairs.solvers.spectra.excitations import Excitation, target_sector
from localpairs.solvers.spectra.spectral_functions import SectorCache, chain_of, check_broadening, check_omega

COHERENCE = ("incoherent", "coherent")
#: A final-state core-hole field: ``((site, weight), ...)`` sorted by site; the term is ``U_c Σ w n_site``.
HoleField = tuple[tuple[int, float], ...]
#: Default core-hole half width Γ in eV.
DEFAULT_GAMMA = 0.2
#: Default Lanczos steps per channel: Γ = 0.2 eV smooths the spectrum, 150 steps converge it.
DEFAULT_XAS_STEPS = 150


class XasChannel(NamedTuple):
    """One XAS channel of an oxygen: where the electron goes and the core-hole field it sees.

    Parameters
    ----------
    oxygen : tuple of int
        The oxygen's sorted site pair ``(min(i, j), max(i, j))``.
    site : int or None
        The receiving site (None: the coherent operator D = (c†_i − c†_j)/√2).
    spin : str
        ``"up"`` or ``"down"``.
    hole : tuple of tuple of (int, float)
        The final-state core-hole field ``((site, weight), ...)``: the term ``U_c Σ w n_site``.
    """

    oxygen: tuple[int, int]
    site: int | None
    spin: str
    hole: HoleField


def _hole_fields(i: int, j: int, site: int | None, core_hole: str | tuple[float, float]) -> list[tuple[HoleField, float]]:
    """Core-hole fields of the oxygen on bond ``i → j`` with the electron on ``site``, with their probabilities."""
    if core_hole == "both":
        return [(((min(i, j), 1.0), (max(i, j), 1.0)), 1.0)]
    if core_hole == "site":
        return [(((i, 1.0),), 0.5), (((j, 1.0),), 0.5)]
    if isinstance(core_hole, str):
        centre = {"site_i": i, "site_j": j, "receiving": site}[core_hole]
        if centre is None:  # check_core_hole refuses "receiving" for the coherent operator, the only one without a receiving site
            raise InputError("core_hole", core_hole, "a placement with a receiving site (incoherent channels)")
        return [(((centre, 1.0),), 1.0)]
    weights: dict[int, float] = {}
    for s, w in ((i, core_hole[0]), (j, core_hole[1])):
        weights[s] = weights.get(s, 0.0) + w
    return [(tuple(sorted((s, w) for s, w in weights.items() if w != 0.0)), 1.0)]


def _channels(model: Model, coherence: str, core_hole: CoreHole = "both") -> tuple[list[XasChannel], dict[XasChannel, float]]:
    """Channels and their multiplicity (oxygens × probability of the core-hole field); InputError if none.

    Channels differing only in the oxygen (two oxygens joining one pair of sites on a periodic
    axis of length 2) are one channel with the summed multiplicity.
    """
    core_hole = check_core_hole(core_hole, coherence=coherence)
    bosonic = set(model.bosonic_sites)
    slots: dict[tuple[tuple[int, int], HoleField], dict[int | None, float]] = {}
    for b in model.cluster.bonds:
        i, j = int(b.i), int(b.j)
        pair = (min(i, j), max(i, j))
        sites = [s for s in pair if s not in bosonic]
        receivers: list[int | None] = list(sites) if coherence == "incoherent" else ([None] if sites else [])
        for s in receivers:
            for hole, p in _hole_fields(i, j, s, core_hole):
                slot = slots.setdefault((pair, hole), {})
                slot[s] = slot.get(s, 0.0) + p
    out, mult = [], {}
    for (pair, hole), by_site in slots.items():
        for spin in ("up", "down"):
            for s, m in by_site.items():
                key = XasChannel(pair, s, spin, hole)
                out.append(key)
                mult[key] = m
    if not out:
        raise InputError("model", model.kind, "a cluster with at least one oxygen next to an octahedron that can take an electron")
    return out, mult


def _representatives(keys: list[XasChannel], mult: dict[XasChannel, float], actions: list, *, closed: bool) -> tuple[list[XasChannel], list[float]]:
    """One channel per orbit of ``actions`` (every channel without them) and its weight: the summed multiplicity.

    ``closed``: the actions map the channel set onto itself (checked by
    :func:`~localpairs.solvers.spectra.equivalent_channels.orbits`); otherwise images outside the set
    are ignored and the groups are the orbits cut down to the set.
    """
    groups = orbits(keys, actions, ignore_outside=not closed) if actions else [[k] for k in keys]
    return [g[0] for g in groups], [sum(mult[k] for k in g) for g in groups]


def _hole_text(hole: HoleField) -> str:
    """``U_c(n_0 + 0.5 n_3)`` style text of a core-hole field."""
    parts = [f"n_{s}" if w == 1.0 else f"{w:g} n_{s}" for s, w in hole]
    return "U_c(" + " + ".join(parts) + ")" if parts else "no core-hole field"


def _operator(model: Model, key: XasChannel, *, label_hole: bool) -> Excitation:
    pair, spin = key.oxygen, key.spin
    arrow = "↑" if spin == "up" else "↓"
    ops = "+|" if spin == "up" else "|+"
    shift = (1, 0) if spin == "up" else (0, 1)
    hole = f", core hole {_hole_text(key.hole)}" if label_hole else ""
    if key.site is not None:
        s = key.site
        return Excitation("xas", f"O{pair}: c†_{s}{arrow}{hole}", (Term(ops, ((1.0, s),)),), shift, site=s, spin=spin)
    sites = [s for s in pair if s not in model.bosonic_sites]
    signs = [1.0, -1.0] if len(sites) == 2 else [1.0]
    norm = np.sqrt(len(sites))
    couplings = tuple((sg / norm, s) for sg, s in zip(signs, sites))
    return Excitation("xas", f"O{pair}: D{arrow}{hole}", (Term(ops, couplings),), shift, spin=spin)


def _act(sym: Symmetry) -> Callable[[XasChannel], XasChannel]:
    """The channel a symmetry maps ``key`` to: sites (and the core-hole field) permuted, spin flipped if it flips."""
    perm, flip = sym.perm, sym.spin_flip

    def act(key: XasChannel) -> XasChannel:
        a, b = int(perm[key.oxygen[0]]), int(perm[key.oxygen[1]])
        spin = ("down" if key.spin == "up" else "up") if flip else key.spin
        site = None if key.site is None else int(perm[key.site])
        return XasChannel((min(a, b), max(a, b)), site, spin, tuple(sorted((int(perm[s]), w) for s, w in key.hole)))

    return act


def _hole_diagonal(U_c: float, hole: HoleField, occupation: np.ndarray) -> np.ndarray | None:
    """``U_c Σ_s w_s n_s`` on the target basis (``occupation[:, s]`` = n_s), None without a field."""
    if U_c == 0 or not hole:
        return None
    field = hole[0][1] * occupation[:, hole[0][0]]
    for s, w in hole[1:]:
        field = field + w * occupation[:, s]
    return U_c * field


def _channel_chains(
    model: Model, sec: Sector, psi: np.ndarray, operators: list[Excitation], holes: list[HoleField], cache: SectorCache, *,
    U_c: float, n_steps: int, reorthogonalize: bool | None,
) -> tuple[list[LanczosChain], list[float], list[Sector], float]:
    """Chains of ``H_b = H + U_c Σ_s w_s n_s`` from ``O|ψ⟩`` for each operator and its core-hole field.

    Returns the chains, ⟨ψ|O†O|ψ⟩, the target sectors and the seconds spent building
    Hamiltonian matrices. Sectors with symmetry blocks are refused (the channels are site operators).
    """
    chains, expected, targets, t_matrix = [], [], [], 0.0
    for exc, hole in zip(operators, holes):
        tsec = target_sector(sec, exc, model.n_sites)
        diagonal = _hole_diagonal(U_c, hole, cache.occupation(tsec)) if U_c != 0 and hole else None
        t1 = time.perf_counter()
        cache.matrix(tsec)
        t_matrix += time.perf_counter() - t1
        chain, norm2, _ = chain_of(model, sec, psi, exc, cache, n_steps=n_steps, reorthogonalize=reorthogonalize, diagonal=diagonal)
        chains.append(chain)
        expected.append(norm2)
        targets.append(tsec)
    return chains, expected, targets, t_matrix


def _definition(core_hole: str | tuple[float, float]) -> str:
    """The ``definition`` attribute: the formula with this core-hole placement."""
    if core_hole == "both":
        return "XAS(ω) = Σ_oxygens Σ_(i or j) Σ_σ <ψ|c δ_Γ(ω − offset − (H + U_c(n_i + n_j) − E_ref)) c†|ψ> (coherent: D = (c†_i − c†_j)/√2)"
    field = {"site": "½ Σ_(h = i, j) [U_c n_h]", "site_i": "U_c n_i", "site_j": "U_c n_j", "receiving": "U_c n_s (s the receiving octahedron)"}
    text = field[core_hole] if isinstance(core_hole, str) else f"U_c({core_hole[0]:g} n_i + {core_hole[1]:g} n_j)"
    return (f"XAS(ω) = Σ_oxygens Σ_(s = i or j) Σ_σ <ψ|c_s δ_Γ(ω − offset − (H + {text} − E_ref)) c†_s|ψ>, bond i → j "
            "(coherent: D = (c†_i − c†_j)/√2)")


def _checked(*, Gamma: float, gaussian_fwhm: float, omega: Any, U_c: float, offset: float, coherence: str,
             core_hole: CoreHole) -> tuple[float, float, np.ndarray, str | tuple[float, float]]:
    """The options of :func:`xas` checked (InputError naming the field): Γ, Gaussian FWHM, ω grid and the core-hole placement."""
    Gamma = check_broadening(Gamma, "Gamma")
    gaussian_fwhm = check_broadening(gaussian_fwhm, "gaussian_fwhm", allow_zero=True)
    omega = check_omega(omega)
    for name, value in (("U_c", U_c), ("offset", offset)):
        require(isinstance(value, (int, float, np.floating)) and not isinstance(value, bool) and np.isfinite(value), name, value, "a finite number in eV")
    require(coherence in COHERENCE, "coherence", coherence, f"one of {COHERENCE}")
    return Gamma, gaussian_fwhm, omega, check_core_hole(core_hole, coherence=coherence)


def _plan(model: Model, basis_in: Any, psi: np.ndarray, sec: Sector, *, coherence: str, core_hole: str | tuple[float, float],
          use_symmetry: bool, known: Sequence[Symmetry] | None = None) -> tuple[list[XasChannel], list[float], dict[str, Any]]:
    """Representative channels, their weights and bookkeeping attrs (channel counts, symmetries, seconds).

    ``known``: symmetries of model and state found before (searched here when None)."""
    keys, mult = _channels(model, coherence, core_hole)
    t0 = time.perf_counter()
    if not use_symmetry:
        syms: list[Symmetry] = []
    else:
        syms = list(known) if known is not None else symmetries(model, basis_in, psi, n_up=sec.n_up, n_down=sec.n_down)
    t_sym = time.perf_counter() - t0
    reps, weights = _representatives(keys, mult, [_act(s) for s in syms], closed=core_hole == "both")
    return reps, weights, {"seconds_symmetry": t_sym, "n_channels_all": len(keys), "n_channels_computed": len(reps), "n_symmetries": len(syms)}


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
    core_hole: CoreHole = "both",
    use_symmetry: bool = True,
    state_symmetries: Sequence[Symmetry] | None = None,
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
    model, sec, psi : Model, Sector, numpy.ndarray
        The state (real or complex; normalized here).
    omega : sequence of float or numpy.ndarray
        Photon energies in eV.
    U_c : float
        Core-hole potential in eV (< 0 attracts), placed by ``core_hole``.
    Gamma : float, optional
        Core-hole Lorentzian half width (HWHM) in eV (> 0); a single pole has FWHM 2Γ.
    gaussian_fwhm : float, optional
        Gaussian resolution (FWHM, eV, ≥ 0).
    offset : float, optional
        Absolute energy offset in eV (photon energy of a final state at ``E_ref``).
    coherence : str, optional
        ``"incoherent"`` or ``"coherent"`` sum over the two octahedra of an oxygen.
    core_hole : str or sequence of float, optional
        Where ``U_c`` acts in the final state of the oxygen on bond ``i → j``: ``"both"`` (default, ``U_c(n_i + n_j)``),
        ``"site"`` (one octahedron, averaged over the two choices), ``"site_i"``/``"site_j"`` (the octahedron at the bond's i/j end),
        ``"receiving"`` (the octahedron that takes the electron; incoherent only) or weights ``(w_i, w_j)`` (``U_c(w_i n_i + w_j n_j)``).
        See the module docstring.
    use_symmetry : bool, optional
        Compute one channel per symmetry orbit (checked symmetries of model and state).
    state_symmetries : list of Symmetry or None, optional
        Symmetries of model and ``psi`` already found (e.g. by
        :func:`~localpairs.solvers.spectra.equivalent_channels.symmetries` on a state of which
        ``psi`` is a function of H): used instead of the search, which maps every basis state
        through every lattice operation.
    e_ref, n_steps, reorthogonalize, basis, cache, memory_budget_gb : optional
        As for :func:`~localpairs.solvers.spectra.spectral_functions.spectra`.

    Returns
    -------
    xarray.Dataset
        ``total(omega)`` = XAS(ω) summed over oxygens and spins, ``spectrum(channel, omega)`` per computed channel with
        ``weight`` = its orbit size × oxygen multiplicity (× ½ per placement for ``"site"``), sum rules and poles
        (``pole_energy`` on the photon-energy axis); parameters in attrs (``core_hole`` among them).
    """
    from localpairs.solvers.spectra.xas_chains import xas_chains  # it builds on this module's channels

    Gamma, gaussian_fwhm, omega, core_hole = _checked(Gamma=Gamma, gaussian_fwhm=gaussian_fwhm, omega=omega, U_c=U_c, offset=offset, coherence=coherence,
                                                      core_hole=core_hole)
    cache = cache or SectorCache(model, memory_budget_gb=memory_budget_gb)
    if basis is not None:
        cache.add(sec, basis)
    chains = xas_chains(model, sec, psi, U_c=U_c, coherence=coherence, core_hole=core_hole, use_symmetry=use_symmetry,
                        state_symmetries=state_symmetries, e_ref=e_ref, n_steps=n_steps,
                        reorthogonalize=reorthogonalize, cache=cache)
    return chains.dataset(omega, Gamma=Gamma, gaussian_fwhm=gaussian_fwhm, offset=offset)


def excited_part(psi0: np.ndarray, psi: np.ndarray) -> tuple[float, np.ndarray]:
    """Split off the excited part ``χ = ψ − ⟨ψ0|ψ⟩ψ0`` of a state.

    The split used for the XAS of a pumped state in the long-probe limit: the ground-state part
    measured from E0, the excited part from its own energy (``xas(..., e_ref=None)``).

    Parameters
    ----------
    psi0 : numpy.ndarray
        The normalized ground state ψ0.
    psi : numpy.ndarray
        The normalized state ψ.

    Returns
    -------
    alpha : float
        The excited weight ``α = ‖χ‖²``.
    chi : numpy.ndarray
        The normalized ``χ̂``; the zero vector when α = 0 (nothing excited).
    """
    chi = psi - np.vdot(psi0, psi) * psi0
    alpha = float(np.vdot(chi, chi).real)
    return alpha, (chi / np.sqrt(alpha) if alpha > 0 else chi)
