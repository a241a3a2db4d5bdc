"""Operator strings of + − n on spinful-fermion Fock states compiled to four bit masks each.

A product of creation (+), annihilation (−) and number (n) operators, applied right to left to
the Fock state s (mode m in bit 2L − 1 − m, ``c_m`` carrying (−1)^(occupied modes m' < m)), is
non-zero exactly when the bits it touches have prescribed values in s, maps s to ``s ^ flip``,
and has the sign ``const · (−1)^popcount(s & sign_mask)``: when the operator at position p acts,
the state is ``s ^ F_p`` (F_p the bits flipped by the operators applied before it), and
``popcount((s ^ F_p) & above_p) ≡ popcount(s & above_p) + popcount(F_p & above_p)`` (mod 2), so
the s-dependent part of every operator's sign is a fixed mask and the rest is a constant. The
occupation it needs, ``s_b ^ (F_p)_b``, likewise fixes the bit s_b; two operators asking for
different values of the same bit make the string vanish identically (it is dropped).

Applying a term is then one AND, one comparison, one XOR and one popcount, instead of a loop over
its operators with a popcount each (:func:`apply_mask`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from localpairs.solvers.hilbert.group_action import popcount
from localpairs.solvers.hilbert.pair_basis import spinless_terms


def _compile(opstr: str, modes: list[int], n_modes: int) -> tuple[int, int, int, int, int] | None:
    """``(need_mask, need_value, flip, sign_mask, const)`` of one spinless string, None if it vanishes."""
    full = (1 << n_modes) - 1
    need_mask = need_value = flipped = sign_mask = 0
    const = 1
    for op, mode in reversed(list(zip(opstr, modes))):
        bit = 1 << (n_modes - 1 - mode)
        wanted = (flipped & bit) if op == "+" else (flipped & bit) ^ bit  # the value s_b must have
        if need_mask & bit and (need_value & bit) != wanted:
            return None
        need_mask, need_value = need_mask | bit, need_value | wanted
        if op in "+-":
            above = full & ~((bit << 1) - 1)
            sign_mask ^= above
            const *= -1 if bin(flipped & above).count("1") % 2 else 1
            flipped ^= bit
    return need_mask, need_value, flipped, sign_mask, const


def term_masks(static: list, n_sites: int, *, diagonal: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The diagonal (number operators only) or off-diagonal couplings of ``static`` as bit masks.

    Couplings come in a canonical order (operator string, modes, coefficient), so that a matrix
    element sums its contributions in the same order whatever order the model's terms have.

    Parameters
    ----------
    static : list
        QuSpin static list of spinful ``"A|B"`` terms with operators + − n.
    n_sites : int
        Number of sites L (2L modes).
    diagonal : bool
        True: the strings of number operators only; False: the others.

    Returns
    -------
    need_mask, need_value, flip, sign_mask : numpy.ndarray
        uint64 per coupling: the term is non-zero on s iff ``s & need_mask == need_value``; it maps
        s to ``s ^ flip`` with the sign ``(−1)^popcount(s & sign_mask)`` times the constant folded
        into the coefficient.
    coefficients : numpy.ndarray
        complex128 per coupling (eV), the constant sign included.
    """
    rows = [(o, c) for o, cs in spinless_terms(static, n_sites) for c in cs if (set(o) <= {"n"}) == diagonal]
    rows.sort(key=lambda row: (row[0], tuple(row[1][1:]), complex(row[1][0]).real, complex(row[1][0]).imag))
    masks, coefficients = [], []
    for opstr, c in rows:
        compiled = _compile(opstr, list(c[1:]), 2 * n_sites)
        if compiled is not None:
            masks.append(compiled[:4])
            coefficients.append(complex(c[0]) * compiled[4])
    table = np.array(masks, dtype=np.uint64).reshape(len(masks), 4)
    return (table[:, 0].copy(), table[:, 1].copy(), table[:, 2].copy(), table[:, 3].copy(),
            np.array(coefficients, dtype=np.complex128))


@njit(cache=True, inline="always")
def apply_mask(s, terms, t):
    """Term t of ``terms`` on the Fock state s, without its coefficient.

    Parameters
    ----------
    s : numpy.uint64
        The Fock state.
    terms : tuple
        Couplings from :func:`term_masks`.
    t : int
        Which coupling.

    Returns
    -------
    tuple
        ``(image, ±1.0)``, or ``(s, 0.0)`` when the term vanishes on s.
    """
    need_mask, need_value, flip, sign_mask, _ = terms
    if (s & need_mask[t]) != need_value[t]:
        return s, 0.0
    return s ^ flip[t], 1.0 - 2.0 * float(popcount(s & sign_mask[t]) & np.uint64(1))


@njit(cache=True, inline="always")
def diagonal_value(s, terms):
    """Sum of the number-operator couplings ``terms`` that are non-zero on s.

    Parameters
    ----------
    s : numpy.uint64
        The Fock state.
    terms : tuple
        Diagonal couplings from :func:`term_masks` (``diagonal=True``).

    Returns
    -------
    complex
        The diagonal element ⟨s|H_diag|s⟩ (eV).
    """
    need_mask, need_value, _, _, coefficients = terms
    total = 0.0 + 0.0j
    for t in range(coefficients.size):
        if (s & need_mask[t]) == need_value[t]:
            total += coefficients[t]
    return total
