"""A QuSpin ``user_basis`` of spinful fermions where chosen sites hold 0 or 2 electrons.

This is the Hilbert space of the Fermi–Bose mixture: a hard-core boson (local pair) on site i is
``b†_i = c†_i↑ c†_i↓`` and bosonic sites are never singly occupied. The conserved quantities are
``N_↑`` and ``N_↓`` (so the charge ``2N_B + N_F = N_↑ + N_↓`` and S_z).

Mode layout (2L modes for L sites): mode ``m < L`` is site m spin up, mode ``L + m`` is site m
spin down; mode m lives in bit ``2L − 1 − m`` (QuSpin's convention: site 0 is the leftmost bit).
Fermion signs follow the Jordan–Wigner order of the modes: ``c_m`` carries
``(−1)^(number of occupied modes m' < m)``.

Operator strings in spinful notation ``"A|B"`` with indices ``(i..., j...)`` are translated to the
spinless strings ``"AB"`` with indices ``(i..., L + j...)``: the same operator product.
"""

from __future__ import annotations

from functools import cache
from math import comb
from types import SimpleNamespace

import numpy as np
from numba import carray, cfunc, int32, uint64
from quspin.basis.user import (
    count_particles_sig_64,
    next_state_sig_64,
    op_sig_64,
    pre_check_state_sig_64,
    user_basis,
)


def _compile_fermion_op():
    """Compile the operator callback: + − n I on one mode, with the Jordan–Wigner sign."""

    @cfunc(op_sig_64, cache=True, locals=dict(pos=uint64, n=uint64, above=uint64, f_count=int32, b=uint64))
    def _fermion_op(op_struct_ptr, op_str, site_ind, N, args):
        op_struct = carray(op_struct_ptr, 1)[0]
        err = 0
        pos = uint64(N - site_ind - 1)
        n = (op_struct.state >> pos) & uint64(1)
        b = uint64(1) << pos
        above = op_struct.state >> (pos + uint64(1))
        f_count = 0
        while above:
            above &= above - uint64(1)
            f_count += 1
        sign = -1.0 if f_count & 1 else 1.0
        if op_str == 43:  # '+'
            if n:
                op_struct.matrix_ele = 0
            else:
                op_struct.matrix_ele *= sign
                op_struct.state ^= b
        elif op_str == 45:  # '-'
            if n:
                op_struct.matrix_ele *= sign
                op_struct.state ^= b
            else:
                op_struct.matrix_ele = 0
        elif op_str == 110:  # 'n'
            op_struct.matrix_ele *= n
        elif op_str == 73:  # 'I'
            pass
        else:
            op_struct.matrix_ele = 0
            err = -1
        return err

    return _fermion_op


def _compile_next_state():
    """Compile the enumeration callback: the next state with the same (N↑, N↓)."""

    @cfunc(next_state_sig_64, cache=True, locals=dict(half=uint64, s_left=uint64, s_right=uint64, t=uint64, mask=uint64))
    def _next_state(s, counter, N, args):
        # args: mask of the low half, smallest and largest right (spin-down) states
        mask = args[0]
        half = uint64(N) >> uint64(1)
        s_left = s >> half
        s_right = s & mask
        if s_right < args[2]:
            if s_right > uint64(0):
                t = (s_right | (s_right - uint64(1))) + uint64(1)
                s_right = t | ((((t & (~t + uint64(1))) // (s_right & (~s_right + uint64(1)))) >> uint64(1)) - uint64(1))
        else:
            s_right = args[1]
            if s_left > uint64(0):
                t = (s_left | (s_left - uint64(1))) + uint64(1)
                s_left = t | ((((t & (~t + uint64(1))) // (s_left & (~s_left + uint64(1)))) >> uint64(1)) - uint64(1))
        return (s_left << half) + s_right

    return _next_state


def _compile_pre_check():
    """Compile the filter callback: bosonic sites empty or doubly occupied."""

    @cfunc(pre_check_state_sig_64, cache=True, locals=dict(half=uint64, up=uint64, dn=uint64))
    def _pairs_only_on_bosonic_sites(s, N, args):
        # args: [bosonic-site mask over one half, mask of the low half]
        half = uint64(N) >> uint64(1)
        up = s >> half
        dn = s & args[1]
        return uint64(1) if ((up ^ dn) & args[0]) == uint64(0) else uint64(0)

    return _pairs_only_on_bosonic_sites


def _compile_count_particles():
    """Compile the particle-count callback: (N↑, N↓) of a state."""

    @cfunc(count_particles_sig_64, cache=True, locals=dict(x=uint64, c_up=int32, c_dn=int32, half=uint64))
    def _count_particles(s, p_number_ptr, args):
        half = uint64(args[0])
        x = s >> half
        c_up = 0
        while x:
            x &= x - uint64(1)
            c_up += 1
        x = s & ((uint64(1) << half) - uint64(1))
        c_dn = 0
        while x:
            x &= x - uint64(1)
            c_dn += 1
        p_number_ptr[0] = c_up
        p_number_ptr[1] = c_dn

    return _count_particles


@cache
def _compiled() -> SimpleNamespace:
    """Compile the basis's numba callbacks once, on first use (cached on disk by numba)."""
    return SimpleNamespace(op=_compile_fermion_op(), next_state=_compile_next_state(), pre_check=_compile_pre_check(),
                           count=_compile_count_particles())


def _get_s0_pcon(N: int, Np: tuple[int, int]) -> int:
    half = N // 2
    return (sum(1 << i for i in range(Np[0])) << half) + sum(1 << i for i in range(Np[1]))


def _get_Ns_pcon(N: int, Np: tuple[int, int]) -> int:
    half = N // 2
    return comb(half, Np[0]) * comb(half, Np[1])


def constrained_dimension(n_sites: int, bosonic_sites: tuple[int, ...], n_up: int, n_down: int) -> int:
    """Number of states with ``n_up``/``n_down`` electrons and bosonic sites holding 0 or 2.

    Parameters
    ----------
    n_sites : int
        Number of sites.
    bosonic_sites : tuple of int
        Sites restricted to occupancy 0 or 2.
    n_up, n_down : int
        Electrons per spin.

    Returns
    -------
    int
        The dimension.
    """
    nb = len(bosonic_sites)
    nf = n_sites - nb
    return sum(
        comb(nb, k) * comb(nf, n_up - k) * comb(nf, n_down - k)
        for k in range(min(nb, n_up, n_down) + 1)
        if n_up - k <= nf and n_down - k <= nf
    )


def pair_constrained_basis(
    n_sites: int, bosonic_sites: tuple[int, ...], n_up: int, n_down: int, *, blocks: dict | None = None
) -> user_basis:
    """QuSpin ``user_basis`` of ``n_up``/``n_down`` electrons, bosonic sites holding 0 or 2.

    Parameters
    ----------
    n_sites : int
        Number of sites L (at most 32: 2L modes in 64 bits).
    bosonic_sites : tuple of int
        Sites restricted to occupancy 0 or 2.
    n_up, n_down : int
        Electrons per spin.
    blocks : dict or None
        User-basis symmetry blocks ``name=(map_cfunc, period, q, args)``
        (see :func:`localpairs.solvers.hilbert.basis.quspin_blocks`).

    Returns
    -------
    quspin.basis.user_basis
        The basis.
    """
    L = n_sites
    N = 2 * L
    low = np.uint64((1 << L) - 1)
    bmask = np.uint64(sum(1 << (L - 1 - i) for i in bosonic_sites))
    s_right_min = sum(1 << i for i in range(n_down))
    s_right_max = sum(1 << (L - i - 1) for i in range(n_down))
    fn = _compiled()
    pcon = dict(
        Np=(n_up, n_down),
        next_state=fn.next_state,
        next_state_args=np.array([low, s_right_min, s_right_max], dtype=np.uint64),
        get_Ns_pcon=_get_Ns_pcon,
        get_s0_pcon=_get_s0_pcon,
        count_particles=fn.count,
        count_particles_args=np.array([L], dtype=np.int32),
        n_sectors=2,
    )
    blocks = blocks or {}
    order = int(np.prod([b[1] for b in blocks.values()])) if blocks else 1
    dim = constrained_dimension(L, tuple(bosonic_sites), n_up, n_down)
    estimate = dim if order == 1 else 2 * (dim // order) + 64
    return user_basis(
        np.uint64,
        N,
        dict(op=fn.op, op_args=np.array([], dtype=np.uint64)),
        allowed_ops=set("+-nI"),
        sps=2,
        pcon_dict=pcon,
        pre_check_state=(fn.pre_check, np.array([bmask, low], dtype=np.uint64)),
        Ns_block_est=max(estimate, 1),
        **blocks,
    )


def spinless_terms(static: list, n_sites: int) -> list:
    """Translate spinful ``"A|B"`` terms to the spinless strings of :func:`pair_constrained_basis`.

    Parameters
    ----------
    static : list
        QuSpin static list of spinful terms.
    n_sites : int
        Number of sites L (down spins become modes L … 2L − 1).

    Returns
    -------
    list
        The static list in spinless notation.
    """
    out = []
    for opstr, couplings in static:
        up, down = opstr.split("|")
        k = len(up)
        new = [[c[0], *c[1 : 1 + k], *(n_sites + j for j in c[1 + k :])] for c in couplings]
        out.append([up + down, new])
    return out
