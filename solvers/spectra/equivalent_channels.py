"""Symmetries of a model *and a state*, for computing only inequivalent channels of a spectrum.

Used by the XAS sum over oxygens (:mod:`~localpairs.solvers.spectra.xas`). If a unitary ``P`` satisfies
``P H P† = H`` and ``P|ψ⟩ = λ|ψ⟩`` (``|λ| = 1``), the spectra of ``O`` and of ``P O P†`` from ``ψ``
are identical, exactly. Both conditions are checked, never assumed:

- the model: a site permutation must map the terms onto themselves
  (:func:`localpairs.solvers.hilbert.lattice_symmetry.commutes`); the spin flip ``c†_i↑ ↔ c†_i↓`` is checked
  the same way here;
- the state: ``|⟨ψ|P ψ⟩| ≥ 1 − STATE_TOL`` with ``P ψ`` computed on the basis states.

Unlike the QuSpin blocks of :mod:`~localpairs.solvers.hilbert.lattice_symmetry` (built from generators), the
candidates here are *all* lattice operations of the cluster (translations along periodic axes,
axis reflections, permutations of equivalent axes, and their products): a breathing pattern
breaks single translations but keeps e.g. the translation by (1, 1, 0), which a generator set
would miss. A site permutation ``π`` acts as ``P c†_iσ P† = c†_π(i)σ``: on a Fock state it
permutes the occupied modes, with the sign of the permutation that sorts them back into mode
order (the same for an ascending or a descending product convention, so for QuSpin's spinful
basis and for the pair basis alike).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from itertools import permutations, product
from typing import Any, TypeVar

import numpy as np

from localpairs.hamiltonians import Cluster, Model
from localpairs.solvers.hilbert.lattice_symmetry import commutes

#: Coefficients of the spin-flipped terms must equal the original ones to this absolute tolerance (eV).
TERM_TOL = 1e-12
#: ``|⟨ψ|Pψ⟩|`` must reach ``1 − STATE_TOL`` for P to count as a symmetry of ψ.
STATE_TOL = 1e-8


@dataclass(frozen=True)
class Symmetry:
    """A site permutation, optionally combined with the spin flip.

    Parameters
    ----------
    perm : tuple of int
        Site i → ``perm[i]``.
    spin_flip : bool, optional
        Also exchange ``c†_i↑ ↔ c†_i↓``.
    """

    perm: tuple[int, ...]
    spin_flip: bool = False


def lattice_permutations(cluster: Cluster) -> list[tuple[int, ...]]:
    """List the distinct site permutations from translations, axis reflections and axis swaps.

    Axes are swapped only when they have the same length and boundary condition.

    Parameters
    ----------
    cluster : Cluster
        The cluster.

    Returns
    -------
    list of tuple of int
        Sorted permutations, site i → ``perm[i]`` (the identity included).
    """
    dims = np.array(cluster.shape)
    coords = cluster.coordinates
    axes_perms = [p for p in permutations(range(3)) if all(dims[p[a]] == dims[a] and cluster.periodic[p[a]] == cluster.periodic[a] for a in range(3))]
    shifts = [range(n) if p else range(1) for n, p in zip(dims, cluster.periodic)]
    out = set()
    for ap in axes_perms:
        for flips in product((False, True), repeat=3):
            for shift in product(*shifts):
                c = coords[:, list(ap)].copy()
                for a in range(3):
                    if flips[a]:
                        c[:, a] = (-c[:, a]) % dims[a] if cluster.periodic[a] else dims[a] - 1 - c[:, a]
                    c[:, a] = (c[:, a] + shift[a]) % dims[a]
                out.add(tuple(int(v) for v in (c[:, 0] * dims[1] + c[:, 1]) * dims[2] + c[:, 2]))
    return sorted(out)


def _flip_canonical(model: Model, flip: bool) -> dict[tuple, complex]:
    """Terms as {(opstr, indices): coefficient}, spin-flipped if asked ('n'-only spin parts sorted).

    The flip maps ``A_↑ B_↓`` to ``A_↓ B_↑ = (−1)^{odd(A)·odd(B)} B_↑ A_↓`` (odd: number of
    ``+``/``−`` factors).
    """
    out: dict[tuple, complex] = {}
    for term in model.terms:
        up, dn = term.opstr.split("|")
        k = len(up)
        for c in term.couplings:
            coef, a, b, u, d = complex(c[0]), list(c[1 : 1 + k]), list(c[1 + k :]), up, dn
            if flip:
                odd = sum(ch in "+-" for ch in u) * sum(ch in "+-" for ch in d)
                coef, u, d, a, b = (-coef if odd % 2 else coef), d, u, b, a
            key = (u + "|" + d, tuple(sorted(a)) if set(u) <= {"n"} else tuple(a), tuple(sorted(b)) if set(d) <= {"n"} else tuple(b))
            out[key] = out.get(key, 0.0) + coef
    return {key: v for key, v in out.items() if abs(v) > TERM_TOL}


def spin_flip_commutes(model: Model) -> bool:
    """Tell whether the spin flip ``c†_i↑ ↔ c†_i↓`` maps the model's terms onto themselves.

    Parameters
    ----------
    model : Model
        The model.

    Returns
    -------
    bool
        True when every coefficient agrees within the term tolerance.
    """
    ref, new = _flip_canonical(model, False), _flip_canonical(model, True)
    return new.keys() == ref.keys() and all(abs(new[k] - ref[k]) <= TERM_TOL for k in ref)


def state_map(basis: Any, n_sites: int, sym: Symmetry) -> tuple[np.ndarray, np.ndarray] | None:
    """Represent a symmetry P on the basis states: ``P|s_k⟩ = sign[k] |s_index[k]⟩``.

    Parameters
    ----------
    basis : Any
        A spinful-fermion basis without symmetry blocks (its ``states`` bit patterns).
    n_sites : int
        Number of sites L.
    sym : Symmetry
        The operation P.

    Returns
    -------
    tuple of numpy.ndarray or None
        ``(index, sign)``, the fermion sign ±1 per state; None if P leaves the basis.
    """
    L = n_sites
    states = np.asarray(basis.states).astype(np.uint64)
    modes = np.arange(2 * L)
    occ = ((states[:, None] >> (2 * L - 1 - modes).astype(np.uint64)[None, :]) & np.uint64(1)).astype(bool)
    perm = np.asarray(sym.perm)
    target = np.concatenate([perm, L + perm])
    if sym.spin_flip:
        target = np.concatenate([L + perm, perm])
    image = np.zeros(states.shape, dtype=np.uint64)
    for m in modes:
        image |= occ[:, m].astype(np.uint64) << np.uint64(2 * L - 1 - target[m])
    parity = np.zeros(states.shape, dtype=bool)
    for m1 in range(2 * L):
        for m2 in range(m1 + 1, 2 * L):
            if target[m1] > target[m2]:
                parity ^= occ[:, m1] & occ[:, m2]
    order = np.argsort(states)
    pos = np.clip(np.searchsorted(states[order], image), 0, states.size - 1)
    index = order[pos]
    if not np.array_equal(states[index], image):
        return None
    return index, np.where(parity, -1.0, 1.0)


def state_invariant(basis: Any, n_sites: int, psi: np.ndarray, sym: Symmetry) -> bool:
    """Tell whether a normalized state is invariant (up to a phase) under a symmetry P.

    Parameters
    ----------
    basis : Any
        The basis of ``psi``.
    n_sites : int
        Number of sites L.
    psi : numpy.ndarray
        The normalized state ψ.
    sym : Symmetry
        The operation P.

    Returns
    -------
    bool
        True when ``|⟨ψ|Pψ⟩| ≥ 1 − STATE_TOL``.
    """
    mapped = state_map(basis, n_sites, sym)
    if mapped is None:
        return False
    index, sign = mapped
    p_psi = np.zeros_like(psi)
    p_psi[index] = sign * psi
    return abs(np.vdot(psi, p_psi)) >= 1.0 - STATE_TOL


def symmetries(model: Model, basis: Any, psi: np.ndarray, *, n_up: int, n_down: int) -> list[Symmetry]:
    """Find all lattice operations, with and without spin flip, leaving ``model`` and ``psi`` invariant.

    The spin flip is tried only when ``n_up == n_down`` (otherwise it changes the sector) and it
    commutes with the model.

    Parameters
    ----------
    model : Model
        The model.
    basis : Any
        The basis of ``psi``.
    psi : numpy.ndarray
        The normalized state.
    n_up, n_down : int
        The sector's particle numbers.

    Returns
    -------
    list of Symmetry
        The operations; a group (it contains the identity).
    """
    flips = (False, True) if n_up == n_down and spin_flip_commutes(model) else (False,)
    found = []
    for perm in lattice_permutations(model.cluster):
        if not commutes(model, np.asarray(perm)):
            continue
        for flip in flips:
            sym = Symmetry(perm, flip)
            if state_invariant(basis, model.n_sites, psi, sym):
                found.append(sym)
    return found


#: The item type of :func:`orbits` (its groups hold the items themselves).
_Item = TypeVar("_Item", bound=Hashable)


def orbits(items: Sequence[_Item], actions: Iterable[Callable[[Any], Hashable]], *, ignore_outside: bool = False) -> list[list[_Item]]:
    """Partition ``items`` into orbits under the maps in ``actions``.

    By default each action must map ``items`` onto itself (a ValueError names the first item it
    maps outside). With ``ignore_outside`` an image outside ``items`` is skipped: two items share a
    group only when some action maps one onto the other, so nothing inequivalent is merged; when
    ``actions`` is a whole group (as :func:`symmetries` returns) the groups are exactly its orbits
    cut down to ``items``. That is the case of a channel set with less symmetry than the model
    and the state (an XAS core hole on one octahedron of each oxygen, which a mirror through the
    oxygen maps onto the other octahedron).

    Parameters
    ----------
    items : sequence of hashable
        The items to partition.
    actions : iterable of callable
        Maps of an item to its image.
    ignore_outside : bool, optional
        Skip images outside ``items`` instead of refusing them.

    Returns
    -------
    list of list
        The groups, each in the order of ``items``.

    Raises
    ------
    ValueError
        When an action maps an item outside ``items`` and ``ignore_outside`` is False.
    """
    parent = {x: x for x in items}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for act in actions:
        for x in items:
            y = act(x)
            if y not in parent:
                if ignore_outside:
                    continue
                raise ValueError(f"symmetry maps {x!r} outside the channel set ({y!r})")
            rx, ry = find(x), find(y)
            if rx != ry:
                parent[ry] = rx
    groups: dict[Hashable, list] = {}
    for x in items:
        groups.setdefault(find(x), []).append(x)
    return list(groups.values())
