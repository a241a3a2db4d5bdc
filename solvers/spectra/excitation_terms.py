"""The :class:`Excitation` record and the algebra of spinful operator terms it is made of.

Terms are QuSpin spinful strings ``"A|B"`` (spin-up factors A left of the spin-down factors B,
see :mod:`localpairs.hamiltonians.model`). Everything here is re-exported by
:mod:`~localpairs.solvers.spectra.excitations`, whose module docstring describes the operators.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from localpairs.hamiltonians import Model, Term
from localpairs.solvers.hilbert.basis import operator_matrix, quspin_terms

_DAGGER = {"+": "-", "-": "+", "n": "n", "I": "I"}


@dataclass(frozen=True)
class Excitation:
    """An operator O as spinful QuSpin terms, with the sector shift it causes.

    Parameters
    ----------
    kind : str
        One of ``localpairs.solvers.spectra.excitations.KINDS``.
    label : str
        Short text such as ``c†_3↑``.
    terms : tuple of Term
        ``O = Σ`` terms (spinful notation ``"A|B"``, see :mod:`localpairs.hamiltonians.model`).
    shift : tuple of int
        (Δn_up, Δn_down) from the source to the target sector.
    site, spin, k, polarization : int, str, tuple of int, tuple of float, optional
        What the operator was built for: site index, ``"up"``/``"down"``, momentum grid label,
        unit polarization (None where not applicable).
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
        """Give the terms of O†.

        Returns
        -------
        tuple of Term
            The adjoint's terms (:func:`adjoint`).
        """
        return adjoint(self.terms)


# ---------------------------------------------------------------- term algebra
def _odd(ops: str) -> int:
    return sum(ch in "+-" for ch in ops)


def adjoint(terms: Sequence[Term]) -> tuple[Term, ...]:
    """Take the adjoint of a sum of terms: ``(A B)† = (−1)^{odd(A)·odd(B)} A† B†``.

    A (B) are the spin-up (spin-down) factors of a term and odd(·) their number of fermion
    operators; coefficients are complex-conjugated.

    Parameters
    ----------
    terms : sequence of Term
        The operator's terms.

    Returns
    -------
    tuple of Term
        The adjoint's terms (no bond labels).
    """
    out = []
    for term in terms:
        up, dn = term.opstr.split("|")
        k = len(up)
        sign = -1.0 if (_odd(up) * _odd(dn)) % 2 else 1.0
        ops = "".join(_DAGGER[c] for c in reversed(up)) + "|" + "".join(_DAGGER[c] for c in reversed(dn))
        out.append(Term(ops, tuple((sign * np.conj(c[0]), *reversed(c[1 : 1 + k]), *reversed(c[1 + k :])) for c in term.couplings)))
    return tuple(out)


def product(left: Sequence[Term], right: Sequence[Term]) -> tuple[Term, ...]:
    """Multiply two sums of terms: ``(A1 B1)(A2 B2) = (−1)^{odd(B1)·odd(A2)} A1 A2 | B1 B2``.

    Parameters
    ----------
    left, right : sequence of Term
        The factors, ``left`` acting last.

    Returns
    -------
    tuple of Term
        The product's terms, grouped by operator string (no bond labels).
    """
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
    """Write terms as a QuSpin ``op_list`` in the notation of ``model``'s basis.

    Parameters
    ----------
    model : Model
        The model (spinful or pair-constrained basis).
    terms : sequence of Term
        The operator's terms; zero couplings are dropped.

    Returns
    -------
    list
        ``[[opstr, indices, coefficient], ...]``.
    """
    static = [[t.opstr, [list(c) for c in t.couplings if c[0] != 0]] for t in terms]
    out = []
    for opstr, couplings in quspin_terms(model, [s for s in static if s[1]]):
        out += [[opstr, list(c[1:]), c[0]] for c in couplings]
    return out


def _coef_dtype(terms: Sequence[Term]) -> type:
    return np.complex128 if any(isinstance(c[0], complex) or np.iscomplexobj(c[0]) for t in terms for c in t.couplings) else np.float64


def operator_on(model: Model, basis: Any, terms: Sequence[Term], dtype: DTypeLike) -> Any:
    """Build the sparse matrix of ``Σ terms`` within one sector (QuSpin's ``hamiltonian`` build).

    Parameters
    ----------
    model : Model
        The model.
    basis : Any
        The sector's basis.
    terms : sequence of Term
        The operator's terms (all couplings at once).
    dtype : numpy.typing.DTypeLike
        The matrix dtype.

    Returns
    -------
    Any
        The sparse matrix.
    """
    static = [[t.opstr, [list(c) for c in t.couplings]] for t in terms]
    return operator_matrix(model, basis, static, dtype=dtype)


def expectation(model: Model, basis: Any, psi: np.ndarray, terms: Sequence[Term]) -> complex:
    """Compute ``⟨ψ|Σ terms|ψ⟩`` for a normalized ψ.

    Parameters
    ----------
    model : Model
        The model.
    basis : Any
        The basis of ``psi``.
    psi : numpy.ndarray
        The normalized state.
    terms : sequence of Term
        The operator's terms (they must keep the sector).

    Returns
    -------
    complex
        The expectation value.
    """
    psi = np.asarray(psi)
    matrix = operator_on(model, basis, terms, np.result_type(_coef_dtype(terms), psi.dtype, np.float64))
    return complex(np.vdot(psi, matrix @ psi))
