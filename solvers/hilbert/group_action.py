"""A symmetry group acting on spinful Fock states: images, fermion signs and orbit maxima.

A group element g permutes the sites (the same permutation for both spins) and may swap the two
spins (the spin flip, a symmetry of an S_z = 0 sector of a spin-symmetric model). It acts on the
Fock state s (mode m < L: site m spin up, L + m: site m spin down; mode m in bit 2L − 1 − m) as
``g c†_m g† = c†_{image(m)}``, with the fermion sign of the reordering of the occupied modes.

Finding the representative of s (the largest integer of its orbit) is the inner loop of every
block build: the plain way computes all |G| images. For clusters of at most
:data:`TABLE_MAX_SITES` sites the images of a spin pattern (an L-bit integer) under every
element's site permutation are tabulated once, together with the largest image of every pattern
and the elements that reach it. The representative of ``s = (u, d)`` has as upper half the
largest image of u (or, with the spin flip, of d); only the few elements reaching it are tried
on the lower half, usually one instead of |G|.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import product

import numpy as np
from numba import njit

#: Largest L for the per-pattern image tables (|G| · 2^L entries of 4 bytes each).
TABLE_MAX_SITES = 16
#: Generator name of the spin flip (up ↔ down on every site).
SPIN_FLIP = "sf"


def spin_flip_modes(n_sites: int) -> np.ndarray:
    """Mode permutation of the spin flip: mode m ↦ m ± L.

    Parameters
    ----------
    n_sites : int
        Number of sites L.

    Returns
    -------
    numpy.ndarray
        The 2L mode images.
    """
    return np.concatenate([np.arange(n_sites, 2 * n_sites), np.arange(n_sites)])


def _elements(resolved: Mapping[str, tuple[np.ndarray, int, int]], n_sites: int) -> tuple[list, list, list]:
    """Site permutation, swap flag and generator powers of every element (identity first)."""
    gens = list(resolved.items())
    sites, swaps, exps = [], [], []
    for e in product(*(range(period) for _, (_, period, _) in gens)):
        site, swap = np.arange(n_sites), False
        for (name, (perm, _, _)), power in zip(gens, e):
            if name == SPIN_FLIP:
                swap ^= bool(power % 2)
                continue
            for _ in range(power):
                site = np.asarray(perm)[site]
        sites.append(site)
        swaps.append(swap)
        exps.append(e)
    return sites, swaps, exps


def group_tables(resolved: Mapping[str, tuple[np.ndarray, int, int]], n_sites: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every element of the group the generators span: ``(P, X, exponents)``.

    Parameters
    ----------
    resolved : Mapping[str, tuple[numpy.ndarray, int, int]]
        Generators ``name → (site permutation, period, q)``; the name :data:`SPIN_FLIP` is the
        spin flip (its permutation is ignored).
    n_sites : int
        Number of sites L.

    Returns
    -------
    P : numpy.ndarray
        ``P[g, c, v]``: the image of the bits ``v`` of byte c of a state.
    X : numpy.ndarray
        ``X[g, c, v]``: the XOR of the masks of later modes with earlier images, so that g's sign
        on s is ``(−1)^popcount(s & ⊕_c X[g, c, byte_c(s)])``.
    exponents : numpy.ndarray
        The generator powers of every element (identity first).

    Raises
    ------
    ValueError
        When two exponent tuples give the same element (the generators are not independent).
    """
    n_modes = 2 * n_sites
    sites, swaps, exps = _elements(resolved, n_sites)
    if len({(tuple(s), w) for s, w in zip(sites, swaps)}) != len(sites):
        raise ValueError("the generators are not independent")
    P = np.zeros((len(sites), (n_modes + 7) // 8, 256), dtype=np.uint64)
    X = np.zeros_like(P)
    byte = np.arange(256)
    for g, (site, swap) in enumerate(zip(sites, swaps)):
        image = np.concatenate([site + n_sites, site]) if swap else np.concatenate([site, n_sites + site])
        for b in range(n_modes):
            m = n_modes - 1 - b  # the mode in bit b
            later = sum(1 << (n_modes - 1 - mp) for mp in range(m + 1, n_modes) if image[mp] < image[m])
            c, k = divmod(b, 8)
            has = (byte >> k & 1).astype(bool)
            P[g, c, has] |= np.uint64(1 << (n_modes - 1 - int(image[m])))
            X[g, c, has] ^= np.uint64(later)
    return P, X, np.array(exps, dtype=np.int64).reshape(len(sites), len(resolved))


@njit(cache=True)
def _maxima(half, swaps, flag, max_out, ptr, cand):
    """Largest image of every pattern over the elements with swap flag ``flag`` and those reaching it.
    cand.size == 0: only count into ptr[x + 1]."""
    for x in range(half.shape[1]):
        best = -1
        for g in range(half.shape[0]):
            if swaps[g] == flag and half[g, x] > best:
                best = half[g, x]
        max_out[x] = best
        k = 0
        for g in range(half.shape[0]):
            if swaps[g] == flag and half[g, x] == best:
                if cand.size:
                    cand[ptr[x] + k] = g
                k += 1
        if not cand.size:
            ptr[x + 1] = k


def orbit_tables(resolved: Mapping[str, tuple[np.ndarray, int, int]], n_sites: int) -> tuple:
    """Tables of :func:`canonical` (empty ones when L > :data:`TABLE_MAX_SITES`: plain search).

    Parameters
    ----------
    resolved : Mapping[str, tuple[numpy.ndarray, int, int]]
        Generators as for :func:`group_tables` (the same element order).
    n_sites : int
        Number of sites L.

    Returns
    -------
    tuple
        ``(half, max_plain, ptr_plain, cand_plain, max_swap, ptr_swap, cand_swap)``: ``half[g, x]``
        the image of pattern x under g's site permutation; per pattern the largest image over the
        elements without (with) the spin flip and, in CSR form, those elements.
    """
    empty_u, empty_i = np.empty((0, 0), np.int64), np.empty(0, np.int64)
    if n_sites > TABLE_MAX_SITES:
        return (empty_u, empty_i, empty_i, empty_i, empty_i, empty_i, empty_i)
    sites, swaps, _ = _elements(resolved, n_sites)
    x = np.arange(1 << n_sites, dtype=np.int64)
    half = np.zeros((len(sites), x.size), dtype=np.int64)
    for g, site in enumerate(sites):
        for b in range(n_sites):  # site m in bit L − 1 − m of a pattern
            m = n_sites - 1 - b
            half[g] |= ((x >> b) & 1) << (n_sites - 1 - int(site[m]))
    flags = np.array(swaps, dtype=np.int64)
    out: list = [half]
    for flag in (0, 1):
        max_out, ptr = np.full(x.size, -1, np.int64), np.zeros(x.size + 1, np.int64)
        if flag == 0 or flags.any():
            _maxima(half, flags, flag, max_out, ptr, empty_i)
            np.cumsum(ptr, out=ptr)
            cand = np.empty(int(ptr[-1]), np.int64)
            _maxima(half, flags, flag, max_out, ptr, cand)
        else:
            cand = empty_i
        out += [max_out, ptr, cand]
    return tuple(out)


@njit(cache=True, inline="always")
def popcount(x):
    """Number of set bits of a uint64.

    Parameters
    ----------
    x : numpy.uint64
        The integer.

    Returns
    -------
    numpy.uint64
        Its number of set bits.
    """
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return (x * np.uint64(0x0101010101010101)) >> np.uint64(56)


@njit(cache=True, inline="always")
def image(s, P, g):
    """The image g s of the Fock state s (without the fermion sign).

    Parameters
    ----------
    s : numpy.uint64
        The Fock state.
    P : numpy.ndarray
        Byte image tables from :func:`group_tables`.
    g : int
        The group element.

    Returns
    -------
    numpy.uint64
        g s.
    """
    t = np.uint64(0)
    for c in range(P.shape[1]):
        t |= P[g, c, (s >> np.uint64(8 * c)) & np.uint64(255)]
    return t


@njit(cache=True, inline="always")
def sign(s, X, g):
    """The fermion sign σ_g(s) = ±1.0 of g on the Fock state s.

    Parameters
    ----------
    s : numpy.uint64
        The Fock state.
    X : numpy.ndarray
        Sign tables from :func:`group_tables`.
    g : int
        The group element.

    Returns
    -------
    float
        ±1.0.
    """
    x = np.uint64(0)
    for c in range(X.shape[1]):
        x ^= X[g, c, (s >> np.uint64(8 * c)) & np.uint64(255)]
    return 1.0 - 2.0 * float(popcount(s & x) & np.uint64(1))


@njit(cache=True, inline="always")
def canonical(s, P, tables, L):
    """The largest state of s's orbit and an element reaching it.

    Parameters
    ----------
    s : numpy.uint64
        The Fock state.
    P : numpy.ndarray
        Byte image tables from :func:`group_tables`.
    tables : tuple
        Orbit tables from :func:`orbit_tables` (empty ones: every element is tried).
    L : int
        Number of sites.

    Returns
    -------
    tuple
        ``(representative, g)`` with ``g s = representative`` (up to the sign).
    """
    half, max_a, ptr_a, cand_a, max_b, ptr_b, cand_b = tables
    if half.shape[0] == 0:
        best, bg = s, 0
        for g in range(1, P.shape[0]):
            im = image(s, P, g)
            if im > best:
                best, bg = im, g
        return best, bg
    mask = (np.uint64(1) << np.uint64(L)) - np.uint64(1)
    u, d = np.int64(s >> np.uint64(L)), np.int64(s & mask)
    upper = max(max_a[u], max_b[d])
    lower, bg = np.int64(-1), 0
    if max_a[u] == upper:
        for k in range(ptr_a[u], ptr_a[u + 1]):
            g = cand_a[k]
            if half[g, d] > lower:
                lower, bg = half[g, d], g
    if max_b[d] == upper:
        for k in range(ptr_b[d], ptr_b[d + 1]):
            g = cand_b[k]
            if half[g, u] > lower:
                lower, bg = half[g, u], g
    return (np.uint64(upper) << np.uint64(L)) | np.uint64(lower), bg
