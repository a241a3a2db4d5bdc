"""Independent reference: spinful fermions by Jordan–Wigner, dense, in the full Fock space.

Nothing here uses QuSpin or localpairs. Modes: m < L is site m spin up, L + m is site m spin
down. A Fock state is an integer whose bit ``2L − 1 − m`` is the occupation of mode m (the same
layout QuSpin uses), and ``c_m`` carries ``(−1)^(occupied modes m' < m)``.
"""

from __future__ import annotations

import itertools
from functools import cache

import numpy as np


@cache
def annihilators(n_sites: int) -> tuple[np.ndarray, ...]:
    """Dense c_m for the 2L modes on the 2^(2L) Fock space (index = integer state)."""
    n_modes = 2 * n_sites
    dim = 1 << n_modes
    ops = []
    for m in range(n_modes):
        bit = n_modes - 1 - m
        op = np.zeros((dim, dim))
        for s in range(dim):
            if (s >> bit) & 1:
                sign = (-1) ** bin(s >> (bit + 1)).count("1")
                op[s ^ (1 << bit), s] = sign
        ops.append(op)
    return tuple(ops)


def c(n_sites: int, site: int, spin: int) -> np.ndarray:
    """c_{site, spin} (spin 0 = up, 1 = down)."""
    return annihilators(n_sites)[site + spin * n_sites]


def number(n_sites: int, site: int, spin: int) -> np.ndarray:
    a = c(n_sites, site, spin)
    return a.T @ a


def fock_states(n_sites: int, n_up: int, n_down: int, bosonic: tuple[int, ...] = ()) -> list[int]:
    """Fock states of the sector, descending (QuSpin's order), bosonic sites 0 or 2."""
    L = n_sites
    out = []
    for s in range(1 << (2 * L)):
        up = [(s >> (2 * L - 1 - i)) & 1 for i in range(L)]
        dn = [(s >> (L - 1 - i)) & 1 for i in range(L)]
        if sum(up) != n_up or sum(dn) != n_down:
            continue
        if any(up[i] != dn[i] for i in bosonic):
            continue
        out.append(s)
    return sorted(out, reverse=True)


def hubbard_full(n_sites, bonds, t, U, V=0.0, eps=None, J_p=0.0):
    """Extended Hubbard H on the full Fock space; bonds as (i, j) pairs, t one per bond (complex t:
    −t c†_i c_j − t* c†_j c_i)."""
    L = n_sites
    dim = 1 << (2 * L)
    H = np.zeros((dim, dim))
    eps = np.zeros(L) if eps is None else np.asarray(eps)
    tb = np.broadcast_to(np.asarray(t), (len(bonds),))
    if np.iscomplexobj(tb):
        H = H.astype(complex)
    else:
        tb = tb.astype(float)
    for (i, j), tv in zip(bonds, tb):
        for s in (0, 1):
            hop = c(L, i, s).T @ c(L, j, s)
            H -= tv * hop + np.conj(tv) * hop.T if np.iscomplexobj(tb) else tv * (hop + hop.T)
        ni = number(L, i, 0) + number(L, i, 1)
        nj = number(L, j, 0) + number(L, j, 1)
        H += V * ni @ nj
        pair = c(L, i, 0).T @ c(L, i, 1).T @ c(L, j, 1) @ c(L, j, 0)
        H += J_p * (pair + pair.T)
    for i in range(L):
        H += U * number(L, i, 0) @ number(L, i, 1)
        H += eps[i] * (number(L, i, 0) + number(L, i, 1))
    return H


def fermi_bose_full(n_sites, bonds, large, *, t_B, t_F, E_B, g, V_BB, V_BF, U_F=0.0, eps_F=0.0):
    """Fermi–Bose mixture on the full Fock space with b†_i = c†_i↑ c†_i↓ on large sites."""
    L = n_sites
    dim = 1 << (2 * L)
    H = np.zeros((dim, dim))

    def b(i):
        return c(L, i, 1) @ c(L, i, 0)  # b_i = c_i↓ c_i↑ = (c†_i↑ c†_i↓)†

    def nb(i):
        return number(L, i, 0) @ number(L, i, 1)

    def nf(j):
        return number(L, j, 0) + number(L, j, 1)

    for i, j in bonds:
        if large[i] and large[j]:
            hop = b(i).T @ b(j)
            H += -t_B * (hop + hop.T) + V_BB * nb(i) @ nb(j)
        elif not large[i] and not large[j]:
            for s in (0, 1):
                hop = c(L, i, s).T @ c(L, j, s)
                H -= t_F * (hop + hop.T)
        else:
            bi, fj = (i, j) if large[i] else (j, i)
            conv = b(bi).T @ c(L, fj, 1) @ c(L, fj, 0)
            H += g * (conv + conv.T) + V_BF * nb(bi) @ nf(fj)
    for i in range(L):
        if large[i]:
            H += E_B * nb(i)
        else:
            H += U_F * number(L, i, 0) @ number(L, i, 1) + eps_F * nf(i)
    return H


def restrict(H: np.ndarray, states: list[int]) -> np.ndarray:
    idx = np.array(states)
    return H[np.ix_(idx, idx)]


def atomic_energies(n_sites, bonds, U, V, eps, n_up, n_down):
    """Sorted eigenvalues of the t = 0 Hamiltonian by direct counting of occupations."""
    out = []
    for up in itertools.combinations(range(n_sites), n_up):
        for dn in itertools.combinations(range(n_sites), n_down):
            n = np.zeros(n_sites)
            n[list(up)] += 1
            n[list(dn)] += 1
            e = U * len(set(up) & set(dn)) + sum(V * n[i] * n[j] for i, j in bonds) + float(np.dot(eps, n))
            out.append(e)
    return np.sort(out)
