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

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from localpairs.errors import InputError, LocalPairsError, require
from localpairs.hamiltonians import Cluster, Model, Term
from localpairs.hamiltonians.driven_model import Channel, channel_terms, peierls_phase
from localpairs.hamiltonians.model import merge_terms
from localpairs.solvers.hilbert.basis import operator_matrix, quspin_terms
from localpairs.solvers.hilbert.lattice_symmetry import shifted_blocks
from localpairs.solvers.hilbert.sector import Sector

KINDS = ("electron_addition", "electron_removal", "pair_addition", "pair_removal", "density", "current")
SPINS = ("up", "down")
#: Relative tolerance of ‖O ψ‖² against ⟨O†O⟩ (round-off of sums over ≤ 1e6 amplitudes is ~1e-13).
NORM_CHECK_TOL = 1e-9
_DAGGER = {"+": "-", "-": "+", "n": "n", "I": "I"}
_ARROW = {"up": "↑", "down": "↓"}


@dataclass(frozen=True)
class Excitation:
    """An operator O as spinful QuSpin terms, with the sector shift it causes.

    Attributes
    ----------
    kind
        One of :data:`KINDS`.
    label
        Short text such as ``c†_3↑``.
    terms
        ``O = Σ`` terms (spinful notation ``"A|B"``, see :mod:`localpairs.hamiltonians.model`).
    shift
        (Δn_up, Δn_down) from the source to the target sector.
    site, spin, k, polarization
        What the operator was built for (None where not applicable).
    """

    kind: str
    label: str
    terms: tuple[Term, ...]
    shift: tuple[int, int]
    site: int | None = None
    spin: str | None = None
    k: tuple[int, int, int] | None = None
    polarization: tuple[float, float, float] | None = None

    def dagger(self) -> tuple[Term, ...]:
        """Terms of O†."""
        return adjoint(self.terms)


# ---------------------------------------------------------------- term algebra
def _odd(ops: str) -> int:
    return sum(ch in "+-" for ch in ops)


def adjoint(terms: Sequence[Term]) -> tuple[Term, ...]:
    """Terms of the adjoint: ``(A B)† = (−1)^{odd(A)·odd(B)} A† B†`` with A (B) the spin-up (down) factors."""
    out = []
    for term in terms:
        up, dn = term.opstr.split("|")
        k = len(up)
        sign = -1.0 if (_odd(up) * _odd(dn)) % 2 else 1.0
        ops = "".join(_DAGGER[c] for c in reversed(up)) + "|" + "".join(_DAGGER[c] for c in reversed(dn))
        out.append(Term(ops, tuple((sign * np.conj(c[0]), *reversed(c[1 : 1 + k]), *reversed(c[1 + k :])) for c in term.couplings)))
    return tuple(out)


def product(left: Sequence[Term], right: Sequence[Term]) -> tuple[Term, ...]:
    """Terms of the operator product: ``(A1 B1)(A2 B2) = (−1)^{odd(B1)·odd(A2)} A1 A2 | B1 B2``."""
    grouped: dict[str, list[tuple]] = {}
    for t1 in left:
        u1, d1 = t1.opstr.split("|")
        for t2 in right:
            u2, d2 = t2.opstr.split("|")
            sign = -1.0 if (_odd(d1) * _odd(u2)) % 2 else 1.0
            ops = u1 + u2 + "|" + d1 + d2
            for c1 in t1.couplings:
                for c2 in t2.couplings:
                    idx = (*c1[1 : 1 + len(u1)], *c2[1 : 1 + len(u2)], *c1[1 + len(u1) :], *c2[1 + len(u2) :])
                    grouped.setdefault(ops, []).append((sign * c1[0] * c2[0], *idx))
    return tuple(Term(k, tuple(v)) for k, v in grouped.items())


def op_list(model: Model, terms: Sequence[Term]) -> list:
    """QuSpin ``op_list`` ``[[opstr, indices, coefficient], ...]`` in the notation of ``model``'s basis."""
    static = [[t.opstr, [list(c) for c in t.couplings if c[0] != 0]] for t in terms]
    out = []
    for opstr, couplings in quspin_terms(model, [s for s in static if s[1]]):
        out += [[opstr, list(c[1:]), c[0]] for c in couplings]
    return out


def _coef_dtype(terms: Sequence[Term]) -> type:
    return np.complex128 if any(isinstance(c[0], complex) or np.iscomplexobj(c[0]) for t in terms for c in t.couplings) else np.float64


def operator_on(model: Model, basis: Any, terms: Sequence[Term], dtype: DTypeLike) -> Any:
    """Sparse matrix of ``Σ terms`` within one sector (QuSpin's ``hamiltonian`` build, all couplings at once)."""
    static = [[t.opstr, [list(c) for c in t.couplings]] for t in terms]
    return operator_matrix(model, basis, static, dtype=dtype)


def expectation(model: Model, basis: Any, psi: np.ndarray, terms: Sequence[Term]) -> complex:
    """``⟨ψ|Σ terms|ψ⟩`` for a normalized ψ."""
    psi = np.asarray(psi)
    matrix = operator_on(model, basis, terms, np.result_type(_coef_dtype(terms), psi.dtype, np.float64))
    return complex(np.vdot(psi, matrix @ psi))


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
    """All grid labels ``(n_x, n_y, n_z)`` of the cluster, ``k_α = 2π n_α/(L_α a)``."""
    return [(x, y, z) for x in range(cluster.shape[0]) for y in range(cluster.shape[1]) for z in range(cluster.shape[2])]


def momentum_vector(cluster: Cluster, k: Sequence[int]) -> np.ndarray:
    """``k`` in Å⁻¹ for the grid label ``k``; refuses open clusters and labels off the grid."""
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
    """``c†_iσ`` (``site``) or ``c†_kσ`` (``k``, grid label), see the module docstring."""
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
    """``c_iσ`` or ``c_kσ``: the adjoint of :func:`electron_addition`."""
    add = electron_addition(model, site=site, k=k, spin=spin)
    return Excitation("electron_removal", add.label.replace("c†", "c"), add.dagger(), (-add.shift[0], -add.shift[1]), site=add.site, spin=spin, k=add.k)


def pair_addition(model: Model, *, site: int) -> Excitation:
    """``Δ†_i = c†_i↑ c†_i↓`` (``"+|+"`` on (i, i))."""
    i = _site(model, site)
    return Excitation("pair_addition", f"Δ†_{i}", (Term("+|+", ((1.0, i, i),)),), (1, 1), site=i)


def pair_removal(model: Model, *, site: int) -> Excitation:
    """``Δ_i = c_i↓ c_i↑ = −c_i↑ c_i↓``: the adjoint of :func:`pair_addition`."""
    add = pair_addition(model, site=site)
    return Excitation("pair_removal", f"Δ_{add.site}", add.dagger(), (-1, -1), site=add.site)


def density(model: Model, *, site: int) -> Excitation:
    """``n_i = n_i↑ + n_i↓``."""
    i = _site(model, site)
    return Excitation("density", f"n_{i}", (Term("n|", ((1.0, i),)), Term("|n", ((1.0, i),))), (0, 0), site=i)


def _unit(polarization: Sequence[float] | np.ndarray) -> np.ndarray:
    e = np.asarray(polarization, dtype=float)
    require(e.shape == (3,) and np.all(np.isfinite(e)) and np.linalg.norm(e) > 0, "polarization", list(np.ravel(polarization)),
            "three finite numbers, not all zero")
    return e / np.linalg.norm(e)


def _channel_terms(model: Model, weight: Callable[[Channel], tuple[complex, complex]]) -> tuple[Term, ...]:
    """``Σ_c (f_c K_c + g_c K_c†)`` with ``(f_c, g_c) = weight(channel)``, bond labels kept.

    ``K_c`` are the forward hops of channel c (axis, charge) and ``K_c†`` its backward hops, as
    split by :func:`~localpairs.hamiltonians.driven_model.channel_terms` from the model's own terms;
    the Peierls phase of a channel is :func:`~localpairs.hamiltonians.driven_model.peierls_phase` (ħ = e = 1).
    """
    scaled = []
    for channel, forward, backward in channel_terms(model)[1]:
        f, g = weight(channel)
        if f == 0 and g == 0:
            continue
        scaled += [t.scaled(f) for t in forward] + [t.scaled(g) for t in backward]
    return merge_terms(scaled)


def _vector_potential(value: Sequence[float] | np.ndarray | None) -> np.ndarray:
    if value is None:
        return np.zeros(3)
    a = np.asarray(value, dtype=float)
    require(a.shape == (3,) and bool(np.all(np.isfinite(a))), "vector_potential", list(np.ravel(value)), "three finite numbers in 1/Å (ħ = e = 1)")
    return a


def current(model: Model, *, polarization: Sequence[float] | np.ndarray = (1.0, 0.0, 0.0),
            vector_potential: Sequence[float] | np.ndarray | None = None) -> Excitation:
    """``j_e = −∂H(A)/∂A_e`` in eV·Å (ħ = e = 1) at a uniform ``vector_potential`` A (default 0).

    ``model`` is the model at A = 0; ``H(A)`` is :func:`~localpairs.solvers.spectra.conductivity.peierls_model`.
    See the module docstring.
    """
    e = _unit(polarization)
    A = _vector_potential(vector_potential)

    def weight(ch: Channel) -> tuple[complex, complex]:
        rate, theta = peierls_phase(ch, e, hbar=1.0), peierls_phase(ch, A, hbar=1.0)
        return -1j * rate * np.exp(1j * theta), 1j * rate * np.exp(-1j * theta)

    label = "j_(" + ",".join(f"{x:g}" for x in e) + ")"
    return Excitation("current", label, _channel_terms(model, weight), (0, 0), polarization=(float(e[0]), float(e[1]), float(e[2])))


def diamagnetic(model: Model, *, polarization: Sequence[float] | np.ndarray = (1.0, 0.0, 0.0),
                vector_potential: Sequence[float] | np.ndarray | None = None) -> tuple[Term, ...]:
    """Terms of ``∂²H/∂A_e²``: ``−Σ_c (q_c e·d_c)² (e^{iθ_c} K_c + e^{−iθ_c} K_c†)`` (eV·Å²)."""
    e = _unit(polarization)
    A = _vector_potential(vector_potential)

    def weight(ch: Channel) -> tuple[complex, complex]:
        rate, theta = peierls_phase(ch, e, hbar=1.0), peierls_phase(ch, A, hbar=1.0)
        return -(rate**2) * np.exp(1j * theta), -(rate**2) * np.exp(-1j * theta)

    return _channel_terms(model, weight)


def peierls_terms(model: Model, vector_potential: Sequence[float] | np.ndarray) -> tuple[Term, ...]:
    """The terms of ``model`` that move charge across bonds, with their Peierls factors at A."""
    A = _vector_potential(vector_potential)
    return _channel_terms(model, lambda ch: (np.exp(1j * peierls_phase(ch, A, hbar=1.0)), np.exp(-1j * peierls_phase(ch, A, hbar=1.0))))


_BUILDERS = {f.__name__: f for f in (electron_addition, electron_removal, pair_addition, pair_removal, density, current)}


def make_excitation(model: Model, kind: str, **options: Any) -> Excitation:
    """Build an operator of ``kind`` (one of :data:`KINDS`) with its options (site, k, spin, polarization)."""
    if kind not in _BUILDERS:
        raise InputError("kind", kind, f"one of {KINDS}")
    try:
        return _BUILDERS[kind](model, **options)
    except TypeError as err:
        raise InputError(f"{kind} options", sorted(options), f"the keyword options of localpairs.solvers.spectra.excitations.{kind}: {err}") from None


# ---------------------------------------------------------------- action on states
def target_sector(sec: Sector, exc: Excitation, model: Model | int) -> Sector:
    """The sector ``O`` maps ``sec`` to; :class:`InputError` when it does not exist or is not one block.

    Parameters
    ----------
    sec, exc
        Source sector and operator.
    model
        The model; a site count is enough for a sector without symmetry blocks. With blocks the
        target labels follow from O's character under each generator
        (:func:`~localpairs.solvers.hilbert.lattice_symmetry.shifted_blocks`).
    """
    n_sites = int(model) if isinstance(model, (int, np.integer)) else model.n_sites
    n_up, n_down = sec.n_up + exc.shift[0], sec.n_down + exc.shift[1]
    if not (0 <= n_up <= n_sites and 0 <= n_down <= n_sites):
        raise InputError(
            "excitation",
            f"{exc.label} on {sec.label()}",
            f"an operator whose target sector exists on {n_sites} sites (0 ≤ n_up, n_down ≤ {n_sites}); it would give {n_up}↑{n_down}↓",
        )
    if not sec.blocks:
        return sec.shifted(*exc.shift)
    if isinstance(model, (int, np.integer)):
        raise InputError("sector", dict(sec.blocks), "a sector without symmetry blocks, or the model instead of a site count: "
                         f"the block {exc.label} maps to follows from the model's symmetry generators")
    return Sector(n_up, n_down, shifted_blocks(model, sec.blocks, exc.terms, exc.label))


def apply_excitation(model: Model, exc: Excitation, psi: np.ndarray, basis_in: Any, basis_out: Any) -> tuple[np.ndarray, float]:
    """``(O|ψ⟩ in basis_out, ⟨ψ|O†O|ψ⟩)`` for a normalized ψ; raises if QuSpin's result fails the norm check.

    ``basis_out`` must be the basis of :func:`target_sector`. The check value is computed without
    ``Op_shift_sector``: as ``‖O ψ‖²`` with O's matrix in the sector when O keeps the sector
    (same particle numbers and block labels), else as ``⟨ψ|O†O|ψ⟩`` with the product terms' matrix.
    The vector is complex whenever O, ψ or either block is.
    """
    psi = np.asarray(psi)
    block_dtypes = [getattr(b, "localpairs_dtype", np.float64) for b in (basis_in, basis_out)]
    dtype = np.result_type(_coef_dtype(exc.terms), psi.dtype, *block_dtypes, np.float64)
    psi = psi.astype(dtype, copy=False)
    phi = np.asarray(basis_out.Op_shift_sector(basis_in, op_list(model, exc.terms), psi), dtype=dtype).reshape(-1)
    if exc.shift == (0, 0) and getattr(basis_in, "blocks", {}) == getattr(basis_out, "blocks", {}):
        other = operator_on(model, basis_in, exc.terms, dtype) @ psi
        expected = complex(np.vdot(other, other))
    else:
        expected = expectation(model, basis_in, psi, product(exc.dagger(), exc.terms))
    norm2 = float(np.vdot(phi, phi).real)
    scale = NORM_CHECK_TOL * max(1.0, abs(expected))
    if abs(expected.imag) > scale or abs(norm2 - expected.real) > scale:
        raise LocalPairsError(
            f"{exc.label}: ‖O ψ‖² = {norm2:.12g} from QuSpin's Op_shift_sector differs from ⟨O†O⟩ = {expected:.12g}; "
            "the target basis is not the sector O maps to"
        )
    return phi, float(expected.real)
