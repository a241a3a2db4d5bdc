"""Operator strings compiled to bit masks (solvers/hilbert/fock_terms.py).

Reference: the operators applied one by one, right to left, to the Fock state in plain Python
(``c_m`` with the sign (−1)^(occupied modes m' < m), mode m in bit 2L − 1 − m).
"""

import numpy as np

from localpairs.solvers.hilbert.fock_terms import apply_mask, diagonal_value, term_masks


def apply_sequentially(opstr, modes, state, n_modes):
    """(image, sign) of the string on ``state``, sign 0 when it vanishes."""
    sign = 1
    for op, mode in reversed(list(zip(opstr, modes))):
        bit = n_modes - 1 - mode
        occupied = state >> bit & 1
        if op == "n":
            if not occupied:
                return state, 0
            continue
        if occupied != (op == "-"):
            return state, 0
        sign *= -1 if bin(state >> (bit + 1)).count("1") % 2 else 1
        state ^= 1 << bit
    return state, sign


def test_masks_act_like_the_operators_applied_one_by_one():
    """Random strings of + − n on 3 sites (6 modes), repeated modes included, on every Fock state."""
    rng = np.random.default_rng(3)
    n_sites, n_modes = 3, 6
    for _ in range(200):
        up, down = "".join(rng.choice(list("+-n"), rng.integers(0, 4))), "".join(rng.choice(list("+-n"), rng.integers(0, 3)))
        if not up + down:
            continue
        sites = [int(s) for s in rng.integers(0, n_sites, len(up) + len(down))]
        coupling = complex(rng.normal(), rng.normal())
        static = [[f"{up}|{down}", [[coupling, *sites]]]]
        modes = sites[: len(up)] + [n_sites + s for s in sites[len(up):]]
        diagonal = set(up + down) <= {"n"}
        terms = term_masks(static, n_sites, diagonal=diagonal)
        for state in range(1 << n_modes):
            image, sign = apply_sequentially(up + down, modes, state, n_modes)
            if diagonal:
                assert diagonal_value(np.uint64(state), terms) == coupling * sign
                continue
            if not terms[4].size:  # the string vanishes identically (two operators ask for different occupations)
                assert sign == 0
                continue
            got, got_sign = apply_mask(np.uint64(state), terms, 0)
            assert got_sign * terms[4][0] == sign * coupling
            if sign:
                assert int(got) == image


def test_masks_keep_a_canonical_order():
    """The same couplings listed in another order give the same arrays (matrix elements summed in one order)."""
    static = [["+-|", [[-1.0, 0, 1], [-1.0, 1, 0]]], ["|+-", [[-0.5, 2, 0]]], ["n|n", [[2.0, 1, 1], [2.0, 0, 0]]]]
    shuffled = [["|+-", [[-0.5, 2, 0]]], ["n|n", [[2.0, 0, 0], [2.0, 1, 1]]], ["+-|", [[-1.0, 1, 0], [-1.0, 0, 1]]]]
    for diagonal in (False, True):
        for a, b in zip(term_masks(static, 3, diagonal=diagonal), term_masks(shuffled, 3, diagonal=diagonal)):
            assert np.array_equal(a, b)
