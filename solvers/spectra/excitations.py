r"""Excitation operators O for spectral functions: QuSpin operator terms, and their action on states.

Kinds (:data:`KINDS`)
---------------------
``electron_addition``
    ``c†_iσ``, or on a periodic cluster ``c†_kσ = N^{-1/2} Σ_i e^{i k·r_i} c†_iσ`` with ``r_i``
    from ``cluster.positions`` (Å) and ``k_α = 2π n_α/(L_α a)``, ``0 ≤ n_α < L_α``.
``electron_removal``
    The adjoints, ``c_iσ`` and ``c_kσ = N^{-1/2} Σ_i e^{-i k·r_i} c_iσ``.
``pair_addition``, ``pair_removal``
    ``Δ†_i = c†_i↑ c†_i↓`` and ``Δ_i = c_i↓ c_i↑``.
``density``
    ``n_i = n_i↑ + n_i↓``.
``current``
    ``j_e = −∂H/∂A`` along the unit polarization ``e`` at ``A = 0``, with the Peierls
    substitution ``t_ij → t_ij exp[i (e/ħ) A·(r_j − r_i)]`` on every term that moves ``q``
    electrons from ``j`` to ``i`` across a bond (``r_j − r_i`` = ``+a`` along the bond's axis,
    also for a bond that wraps around a periodic axis). For such a term ``C X_{i←j} + C* X_{j←i}``

    .. math:: j_e = -i\,\frac{e}{ħ} \sum_b q_b\,(e·d_b)\,(C_b X_{i←j} - C_b^* X_{j←i}),

    hopping ``−t c†_iσ c_jσ`` (q = 1), pair hopping ``J_p Δ†_i Δ_j``, pair tunnelling
    ``−t_B b†_i b_j`` and conversion ``g b†_i c_j↓ c_j↑`` (q = 2). The terms, their bonds and the
    Peierls phase are those of the pump (:func:`~localpairs.hamiltonians.driven_model.hopping_channels`,
    :func:`~localpairs.hamiltonians.driven_model.peierls_phase`), taken from the model's own couplings
    (complex ones included), so the two share one sign convention. In the lattice units used here
    (ħ = e = 1, energies eV, lengths Å) ``j`` is in eV·Å; the physical current is ``(e/ħ) j``
    (multiply by e/ħ = 1.519 × 10¹⁵ C/(eV·s)). :func:`diamagnetic` gives ``∂²H/∂A²`` for the
    f-sum rule.

Fermi–Bose models live on the pair-constrained basis, where bosonic sites hold 0 or 2
electrons: there single electrons are added or removed only on fermionic sites, and
momentum-resolved electron operators are refused (the fermionic sites are not a Bravais
lattice of the cluster). Pair operators and densities work on every site.

Applying O
----------
:func:`apply_excitation` uses QuSpin's ``basis_out.Op_shift_sector(basis_in, op_list, ψ)``: a
compiled kernel that writes ``O|ψ⟩`` straight into the target basis, with no matrix built
between the sectors (O is applied once per spectrum, so a stored matrix would be wasted), and
the same routine for the spinful and the user (pair) bases. QuSpin does not check that the
target is the right sector, so every result is checked against ``⟨ψ|O†O|ψ⟩`` computed
independently in the source sector (the matrix of the product terms O†O, built here with
fermion signs, by QuSpin's ``hamiltonian``) or, for operators that keep the sector, as
``‖O ψ‖²`` with O's own matrix.

Symmetry blocks: from a momentum (or point-group) block, :func:`target_sector` finds the block O
maps to from O's character under each generator
(:func:`~localpairs.solvers.hilbert.lattice_symmetry.shifted_blocks`): ``c†_k`` with ``k_α = 2π n_α/(L_α a)``
moves the ``kα`` label q to ``q − n_α``; an operator that is no eigenoperator of a generator
(``c†_iσ`` under a translation, ``c†_k`` under a reflection that maps k to −k) is refused. The
norm check cannot tell k from −k when the state is symmetric under a reflection that QuSpin's
block does not use; the block rule itself is tested against the no-symmetry spectra.

Sign convention: QuSpin's spinful basis orders the fermion signs of its basis states differently
from a Jordan–Wigner product in ascending mode order (its single-fermion operators differ from
that reference by a factor that depends only on the particle numbers). Every operator here is a
sum of strings of one type acting between two fixed sectors, so it changes at most an overall
sign of ``O|ψ⟩``: spectra, norms and interference between sites are unaffected.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from localpairs.errors import InputError, require
from localpairs.hamiltonians import Cluster, Model, Term
from localpairs.solvers.spectra.current_operator import current, diamagnetic, peierls_terms  # noqa: F401 - re-exported
from localpairs.solvers.spectra.excitation_action import NORM_CHECK_TOL, apply_excitation, target_sector  # noqa: F401 - re-exported
from localpairs.solvers.spectra.excitation_terms import Excitation, adjoint, expectation, op_list, operator_on, product  # noqa: F401 - re-exported

KINDS = ("electron_addition", "electron_removal", "pair_addition", "pair_removal", "density", "current")
SPINS = ("up", "down")
_ARROW = {"up": "↑", "down": "↓"}


# ---------------------------------------------------------------- operators
def _spin(spin: str) -> str:
    require(spin in SPINS, "spin", spin, f"one of {SPINS}")
    return spin


def _site(model: Model, site: Any, *, electron: bool = False) -> int:
    L = model.n_sites
    require(isinstance(site, (int, np.integer)) and not isinstance(site, bool) and 0 <= site < L, "site", site, f"an integer 0 … {L - 1}")
    if electron and site in model.bosonic_sites:
        fermionic = sorted(set(range(L)) - set(model.bosonic_sites))
        raise InputError("site", int(site), f"a fermionic site {fermionic}: bosonic sites of a Fermi–Bose model hold 0 or 2 electrons")
    return int(site)


def momentum_grid(cluster: Cluster) -> list[tuple[int, int, int]]:
    """List all momentum grid labels of the cluster.

    Parameters
    ----------
    cluster : Cluster
        The cluster.

    Returns
    -------
    list of tuple of int
        Labels ``(n_x, n_y, n_z)`` with ``0 ≤ n_α < L_α``, for ``k_α = 2π n_α/(L_α a)``.
    """
    return [(x, y, z) for x in range(cluster.shape[0]) for y in range(cluster.shape[1]) for z in range(cluster.shape[2])]


def momentum_vector(cluster: Cluster, k: Sequence[int]) -> np.ndarray:
    """Convert a momentum grid label to the wave vector, ``k_α = 2π n_α/(L_α a)``.

    Parameters
    ----------
    cluster : Cluster
        A periodic cluster (every axis of length > 1 periodic).
    k : sequence of int
        Grid label ``(n_x, n_y, n_z)``.

    Returns
    -------
    numpy.ndarray
        (3,) wave vector in Å⁻¹.

    Raises
    ------
    InputError
        For an open cluster or a label off the grid.
    """
    require(
        all(p or n == 1 for p, n in zip(cluster.periodic, cluster.shape)),
        "k",
        tuple(k),
        "momentum-resolved operators on a periodic cluster only (every axis of length > 1 periodic)",
    )
    ok = len(k) == 3 and all(isinstance(n, (int, np.integer)) and 0 <= n < L for n, L in zip(k, cluster.shape))
    require(ok, "k", tuple(k), f"three integers (n_x, n_y, n_z) with 0 ≤ n_α < L_α = {cluster.shape}")
    return 2.0 * np.pi * np.asarray(k, dtype=float) / (np.asarray(cluster.shape) * cluster.lattice_constant)


def _k_label(cluster: Cluster, k: Sequence[int]) -> str:
    parts = [f"{n}/{L}" if n else "0" for n, L in zip(k, cluster.shape)]
    return "(" + ",".join(parts) + ")·2π/a"


def electron_addition(model: Model, *, site: int | None = None, k: Sequence[int] | None = None, spin: str = "up") -> Excitation:
    """Build ``c†_iσ`` (``site``) or ``c†_kσ`` (``k``, grid label), see the module docstring.

    Parameters
    ----------
    model : Model
        The model.
    site : int or None, optional
        Site i (a fermionic site for a Fermi–Bose model); give exactly one of ``site`` and ``k``.
    k : sequence of int or None, optional
        Momentum grid label (periodic Hubbard clusters only).
    spin : str, optional
        ``"up"`` or ``"down"``.

    Returns
    -------
    Excitation
        The operator, shifting the sector by one electron of ``spin``.

    Raises
    ------
    InputError
        When not exactly one of ``site`` and ``k`` is given, the site is bosonic or off the
        cluster, or ``k`` is not allowed (see :func:`momentum_vector`).
    """
    _spin(spin)
    ops = "+|" if spin == "up" else "|+"
    shift = (1, 0) if spin == "up" else (0, 1)
    if site is not None and k is None:
        i = _site(model, site, electron=True)
        return Excitation("electron_addition", f"c†_{i}{_ARROW[spin]}", (Term(ops, ((1.0, i),)),), shift, site=i, spin=spin)
    if k is None or site is not None:
        raise InputError("site/k", {"site": site, "k": k}, "exactly one of site (an integer) or k (a grid label)")
    if model.bosonic_sites:
        raise InputError("k", tuple(k), "site-resolved operators for a Fermi–Bose model (momentum needs electrons on every site)")
    cl = model.cluster
    kvec = momentum_vector(cl, k)
    phases = np.exp(1j * cl.positions @ kvec) / np.sqrt(cl.n_sites)
    coefs = phases.real if np.abs(phases.imag).max() < 1e-14 else phases
    couplings = tuple((c.item(), i) for i, c in enumerate(coefs))
    kk = (int(k[0]), int(k[1]), int(k[2]))  # three entries: checked by momentum_vector
    return Excitation("electron_addition", f"c†_k{_k_label(cl, kk)}{_ARROW[spin]}", (Term(ops, couplings),), shift, spin=spin, k=kk)


def electron_removal(model: Model, *, site: int | None = None, k: Sequence[int] | None = None, spin: str = "up") -> Excitation:
    """Build ``c_iσ`` or ``c_kσ``: the adjoint of :func:`electron_addition`.

    Parameters
    ----------
    model : Model
        The model.
    site : int or None, optional
        Site i; give exactly one of ``site`` and ``k``.
    k : sequence of int or None, optional
        Momentum grid label.
    spin : str, optional
        ``"up"`` or ``"down"``.

    Returns
    -------
    Excitation
        The operator, removing one electron of ``spin``.

    Raises
    ------
    InputError
        As :func:`electron_addition`.
    """
    add = electron_addition(model, site=site, k=k, spin=spin)
    return Excitation("electron_removal", add.label.replace("c†", "c"), add.dagger(), (-add.shift[0], -add.shift[1]), site=add.site, spin=spin, k=add.k)


def pair_addition(model: Model, *, site: int) -> Excitation:
    """Build the pair creation operator ``Δ†_i = c†_i↑ c†_i↓`` (``"+|+"`` on (i, i)).

    Parameters
    ----------
    model : Model
        The model.
    site : int
        Site i.

    Returns
    -------
    Excitation
        The operator, adding one electron of each spin.
    """
    i = _site(model, site)
    return Excitation("pair_addition", f"Δ†_{i}", (Term("+|+", ((1.0, i, i),)),), (1, 1), site=i)


def pair_removal(model: Model, *, site: int) -> Excitation:
    """Build ``Δ_i = c_i↓ c_i↑ = −c_i↑ c_i↓``: the adjoint of :func:`pair_addition`.

    Parameters
    ----------
    model : Model
        The model.
    site : int
        Site i.

    Returns
    -------
    Excitation
        The operator, removing one electron of each spin.
    """
    add = pair_addition(model, site=site)
    return Excitation("pair_removal", f"Δ_{add.site}", add.dagger(), (-1, -1), site=add.site)


def density(model: Model, *, site: int) -> Excitation:
    """Build the density operator ``n_i = n_i↑ + n_i↓``.

    Parameters
    ----------
    model : Model
        The model.
    site : int
        Site i.

    Returns
    -------
    Excitation
        The operator (keeps the sector).
    """
    i = _site(model, site)
    return Excitation("density", f"n_{i}", (Term("n|", ((1.0, i),)), Term("|n", ((1.0, i),))), (0, 0), site=i)


_BUILDERS = {f.__name__: f for f in (electron_addition, electron_removal, pair_addition, pair_removal, density, current)}


def make_excitation(model: Model, kind: str, **options: Any) -> Excitation:
    """Build an operator of ``kind`` with its options.

    Parameters
    ----------
    model : Model
        The model.
    kind : str
        One of :data:`KINDS`.
    **options : Any
        The keyword options of the builder of that name (site, k, spin, polarization).

    Returns
    -------
    Excitation
        The operator.

    Raises
    ------
    InputError
        For an unknown kind or options the builder does not take.
    """
    if kind not in _BUILDERS:
        raise InputError("kind", kind, f"one of {KINDS}")
    try:
        return _BUILDERS[kind](model, **options)
    except TypeError as err:
        raise InputError(f"{kind} options", sorted(options), f"the keyword options of localpairs.solvers.spectra.excitations.{kind}: {err}") from None
