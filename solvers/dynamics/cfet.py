r"""Commutator-free exponential time-propagators (CFETs): coefficient tables and their form.

One step of size h from t of a scheme with ``s`` exponentials and Gauss–Legendre nodes
``c_1 … c_q`` on [0, 1] is

.. math:: ψ(t+h) = e^{-ih Ω_s/ħ} ⋯ e^{-ih Ω_1/ħ}\,ψ(t),\qquad Ω_i = \sum_m g_{im}\, H(t + c_m h)

(``Ω_1`` acts first). Alvermann & Fehske (J. Comput. Phys. 230, 5930 (2011), arXiv:1102.5071,
Eqs. (58)–(60)) give the schemes as coefficients ``f_{in}`` of the shifted Legendre moments of H
on the step; with the Gauss weights ``w_m`` (summing to 1) the node weights are

.. math:: g_{im} = w_m \sum_n (2n - 1) f_{in} P_{n-1}(2c_m - 1)

(Eq. (60); ``P`` Legendre polynomials). The paper writes the product as ``exp(Ω_1)⋯exp(Ω_s)``
with its *last* factor acting first; :func:`legendre_scheme` stores the rows in the order they act.
Time-symmetric schemes have ``f_{s+1−i, n} = (−1)^{n+1} f_{in}``, so only the first half of the
table (and the middle row) is printed in the paper.

Schemes
-------
``cf2``
    The exponential midpoint rule, one exponential at the single Gauss node: ``c = 1/2``,
    ``g = ((1,),)``, i.e. ``ψ(t+h) = e^{-ih H(t + h/2)/ħ} ψ(t)``. Time-symmetric, order 2 (the
    one-node Magnus expansion truncated after its first term). The cheapest rung of the scheme
    ladder (:mod:`~localpairs.solvers.dynamics.scheme_ladder`); on its own (``scheme = "cf2"``)
    capped at 16 steps per carrier period like CFM4.
``cfm4``
    CF4:2, the two-exponential 4th-order scheme with two Gauss nodes (Eq. (61); Blanes & Moan,
    Appl. Numer. Math. 56, 1519 (2006)), in closed form: ``c_{1,2} = 1/2 ∓ √3/6``,
    ``g = ((α_2, α_1), (α_1, α_2))``, ``α_{1,2} = (3 ∓ 2√3)/12``.
``cf6``
    CF6:5Opt, five exponentials, order 6, four Gauss nodes: Table 6 of Alvermann & Fehske (the
    optimized 6th-order scheme; its free parameters f_11 = 0.1714 and f_14 = 0.07195 are the
    paper's rounded optimum, the rest solve the order conditions). Time-symmetric. One exponent has
    a negative total weight (a backward sub-step: harmless for a unitary evolution). Measured on a
    30-level driven test problem: errors 14× below the unoptimized CF6:5 (f_11 = 0.16) at equal
    steps; the tests pin order 6 by step halving. Controller safety 0.8: with 0.9 the 2×2×2 pump
    rejected 72 of 581 steps (the estimate grows faster than h⁷ at these steps), with 0.8 14 of 555
    (−7 % matrix–vector products at equal error).

Each coefficient table is checked by the order tests in ``tests/test_cfet.py``: a wrong digit
breaks the order conditions and the measured slope.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.polynomial.legendre import leggauss, legvander

from localpairs.errors import require


@dataclass(frozen=True)
class CommutatorFreeScheme:
    """A commutator-free exponential scheme (see module docstring).

    Parameters
    ----------
    name
        Key in :data:`SCHEMES`.
    order
        Classical order p (local error O(h^{p+1})).
    nodes
        Gauss–Legendre nodes ``c_m`` in [0, 1] (fractions of the step).
    weights
        ``weights[i][m] = g_{im}``: exponent ``i`` (in the order the exponentials act) is
        ``Σ_m g_{im} H(t + c_m h)``.
    symmetric
        Time-symmetric (local error has only odd powers of h: Richardson extrapolation of two half
        steps gains two orders).
    steps_per_cycle
        Default of :attr:`EvolutionOptions.steps_per_cycle` for this scheme (the step cap while
        the field is on, see :mod:`~localpairs.solvers.dynamics.cfm4`).
    safety
        Default of :attr:`EvolutionOptions.safety` (step-size controller).
    """

    name: str
    order: int
    nodes: tuple[float, ...]
    weights: tuple[tuple[float, ...], ...]
    symmetric: bool
    steps_per_cycle: int
    safety: float

    @property
    def exponentials(self) -> int:
        """Number of exponentials per step."""
        return len(self.weights)


def legendre_scheme(name: str, table: list[list[float]], *, order: int, n_nodes: int, steps_per_cycle: int, safety: float) -> CommutatorFreeScheme:
    """A scheme from Alvermann & Fehske's Legendre-moment table ``f_{in}`` (paper's row order).

    Parameters
    ----------
    name : str
        Key of the scheme.
    table : list of list of float
        Rows ``f_{i1} … f_{iK}`` of all ``s`` exponentials as printed (``exp(Ω_1)⋯exp(Ω_s)``).
    order : int
        Classical order of the scheme.
    n_nodes : int
        Gauss–Legendre nodes used for the moments (at least K).
    steps_per_cycle : int
        Default carrier cap (steps per period).
    safety : float
        Default controller safety factor.

    Returns
    -------
    CommutatorFreeScheme
        Node weights ``g_{im}`` in the order the exponentials act.

    Raises
    ------
    InputError
        When a row has more moments than nodes.
    """
    f = np.asarray(table, dtype=float)
    require(f.ndim == 2 and f.shape[1] <= n_nodes, "table", f.shape, f"rows of at most {n_nodes} Legendre moments")
    x, w = leggauss(n_nodes)
    legendre = legvander(x, f.shape[1] - 1) * (2 * np.arange(f.shape[1]) + 1)  # (2n−1) P_{n−1}(x_m)
    g = (f @ legendre.T) * (0.5 * w)
    rows = tuple(tuple(float(v) for v in row) for row in g[::-1])  # the paper's last factor acts first
    return CommutatorFreeScheme(name, order, tuple(float(c) for c in 0.5 * (x + 1.0)), rows, True, steps_per_cycle, safety)


def symmetric_table(half: list[list[float]], middle: list[float] | None) -> list[list[float]]:
    """Full table of a time-symmetric scheme from its first rows: ``f_{s+1−i, n} = (−1)^{n+1} f_{in}``.

    Parameters
    ----------
    half : list of list of float
        The first ⌊s/2⌋ rows.
    middle : list of float or None
        The middle row when s is odd.

    Returns
    -------
    list of list of float
        All s rows.
    """
    parity = [(-1.0) ** n for n in range(len(half[0]))]
    mirror = [[p * v for p, v in zip(parity, row)] for row in reversed(half)]
    return [list(r) for r in half] + ([list(middle)] if middle is not None else []) + mirror


SQRT3 = math.sqrt(3.0)
#: Gauss nodes c1, c2 and weights α1, α2 of the 4th-order commutator-free Magnus step (closed form).
CFM4_NODES = (0.5 - SQRT3 / 6.0, 0.5 + SQRT3 / 6.0)
CFM4_ALPHA = ((3.0 - 2.0 * SQRT3) / 12.0, (3.0 + 2.0 * SQRT3) / 12.0)
CFM4 = CommutatorFreeScheme("cfm4", 4, CFM4_NODES, ((CFM4_ALPHA[1], CFM4_ALPHA[0]), (CFM4_ALPHA[0], CFM4_ALPHA[1])), True, 16, 0.9)

#: The exponential midpoint rule (closed form): one exponential of H at the step's midpoint, order 2.
CF2 = CommutatorFreeScheme("cf2", 2, (0.5,), ((1.0,),), True, 16, 0.9)

#: CF6:5Opt, Alvermann & Fehske (2011), Table 6: rows f_1, f_2 (f_4, f_5 by symmetry).
_CF6_F1 = [0.1714, 0.15409059414309687213, 0.11947178242929061641, 0.07195]
_CF6_F2 = [0.37496374319946236513, 0.13813675394387646682, -0.13090674649282935743, -0.21123356253315514306]
#: Middle row from the order conditions Σ_i f_i1 = 1 and Σ_i f_i3 = 0 (zero odd moments by symmetry).
_CF6_F3 = [1.0 - 2.0 * (_CF6_F1[0] + _CF6_F2[0]), 0.0, -2.0 * (_CF6_F1[2] + _CF6_F2[2]), 0.0]
CF6 = legendre_scheme("cf6", symmetric_table([_CF6_F1, _CF6_F2], _CF6_F3), order=6, n_nodes=4, steps_per_cycle=4, safety=0.8)

#: CF4:2 (CFM4's table, Alvermann & Fehske Eq. (61)) on CF6's four Gauss nodes: the embedded
#: 4th-order companion of CF6 (``EvolutionOptions.error_control = "embedded"``). Its two Legendre
#: moments are integrated by the 4-node rule from the values CF6 assembles anyway; only its two
#: exponentials are extra.
CF4_ON_CF6_NODES = legendre_scheme("cf4_on_cf6_nodes", [[0.5, 1.0 / 3.0], [0.5, -1.0 / 3.0]], order=4, n_nodes=4, steps_per_cycle=4, safety=0.8)

#: Scheme name → scheme (``EvolutionOptions.scheme``).
SCHEMES: dict[str, CommutatorFreeScheme] = {s.name: s for s in (CF2, CFM4, CF6)}
#: Scheme name → its embedded lower-order companion on the same nodes (schemes that have one).
EMBEDDED: dict[str, CommutatorFreeScheme] = {"cf6": CF4_ON_CF6_NODES}
#: Scheme name → its scheme ladder, cheapest first and ending with the scheme itself
#: (``EvolutionOptions.scheme_ladder``, :mod:`~localpairs.solvers.dynamics.scheme_ladder`).
LADDERS: dict[str, tuple[CommutatorFreeScheme, ...]] = {"cfm4": (CF2, CFM4), "cf6": (CF2, CFM4, CF6)}
#: Scheme name → whether its adaptive steps use the ladder by default (measured in ``benchmarks/bench_evolution.py``).
LADDER_DEFAULT: dict[str, bool] = {"cf6": True}
