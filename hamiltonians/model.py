"""Models as plain data: operator terms in QuSpin's spinful-fermion notation.

A term is an operator string and a list of couplings, exactly as QuSpin takes them::

    Term("+-|", ((-t, i, j), (-t, j, i)))      # −t (c†_i↑ c_j↑ + c†_j↑ c_i↑)
    Term("n|n", ((U, i, i),))                  # U n_i↑ n_i↓

Characters left of ``|`` act on spin-up modes, right of it on spin-down modes; the operator
product is taken in the written order (all spin-up factors stand left of the spin-down ones).
A :class:`Model` is a cluster plus its terms plus the resolved parameters; it never holds a
matrix. Solvers turn it into a QuSpin basis and operator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from localpairs.hamiltonians.cluster import Cluster
from localpairs.hamiltonians.doping import DopingConfig


@dataclass(frozen=True)
class Term:
    """One operator string with its couplings ``(coefficient, site indices...)``."""

    opstr: str
    couplings: tuple[tuple, ...]

    def as_quspin(self) -> list:
        """``[opstr, [[coef, i, ...], ...]]`` for QuSpin's ``hamiltonian``."""
        return [self.opstr, [list(c) for c in self.couplings]]


@dataclass(frozen=True, eq=False)
class Model:
    """A Hamiltonian on a cluster, as terms. Built by :func:`~localpairs.hamiltonians.extended_hubbard`
    or :func:`~localpairs.hamiltonians.fermi_bose_mixture`.

    Attributes
    ----------
    kind
        ``"extended_hubbard"`` or ``"fermi_bose"``.
    cluster
        The cluster.
    terms
        Static terms; together they are H.
    parameters
        The resolved parameters (eV), for the record.
    bosonic_sites
        Sites restricted to occupancy 0 or 2 (hard-core bosons as local pairs); empty for the
        Hubbard model.
    doping
        The doping configuration used, if any.
    """

    kind: str
    cluster: Cluster
    terms: tuple[Term, ...]
    parameters: Mapping[str, Any]
    bosonic_sites: tuple[int, ...] = ()
    doping: DopingConfig | None = None
    is_complex: bool = field(default=False)

    @property
    def n_sites(self) -> int:
        """Number of sites of the cluster."""
        return self.cluster.n_sites

    def static_list(self) -> list:
        """All terms as QuSpin's static list, zero couplings dropped."""
        out = []
        for term in self.terms:
            couplings = [list(c) for c in term.couplings if c[0] != 0]
            if couplings:
                out.append([term.opstr, couplings])
        return out

    def with_terms(self, terms: tuple[Term, ...], **parameters: Any) -> "Model":
        """A copy with other terms (and updated parameters): for quenches and added fields."""
        merged = dict(self.parameters)
        merged.update(parameters)
        complex_terms = any(isinstance(c[0], complex) for t in terms for c in t.couplings)
        return Model(
            kind=self.kind,
            cluster=self.cluster,
            terms=terms,
            parameters=merged,
            bosonic_sites=self.bosonic_sites,
            doping=self.doping,
            is_complex=complex_terms,
        )


def density_density(i: int, j: int, coef: float) -> list[Term]:
    """Terms of ``coef · n_i n_j`` with ``n = n_↑ + n_↓`` (i ≠ j)."""
    return [
        Term("nn|", ((coef, i, j),)),
        Term("|nn", ((coef, i, j),)),
        Term("n|n", ((coef, i, j), (coef, j, i))),
    ]


def hopping(i: int, j: int, amplitude: complex) -> list[Term]:
    """Terms of ``−amplitude c†_iσ c_jσ − conj(amplitude) c†_jσ c_iσ`` summed over σ."""
    back = amplitude.conjugate() if isinstance(amplitude, complex) else amplitude
    return [
        Term("+-|", ((-amplitude, i, j), (-back, j, i))),
        Term("|+-", ((-amplitude, i, j), (-back, j, i))),
    ]


def pair_hopping(i: int, j: int, amplitude: float) -> Term:
    """``amplitude (Δ†_i Δ_j + Δ†_j Δ_i)`` with ``Δ†_i = c†_i↑ c†_i↓``.

    In QuSpin's order ``"+-|+-"`` with indices ``(i, j, i, j)`` is
    ``c†_i↑ c_j↑ c†_i↓ c_j↓ = c†_i↑ c†_i↓ c_j↓ c_j↑ = Δ†_i Δ_j`` (two transpositions).
    """
    return Term("+-|+-", ((amplitude, i, j, i, j), (amplitude, j, i, j, i)))


def merge_terms(terms: list[Term]) -> tuple[Term, ...]:
    """Group couplings by operator string, keeping first-seen order."""
    grouped: dict[str, list[tuple]] = {}
    for term in terms:
        grouped.setdefault(term.opstr, []).extend(term.couplings)
    return tuple(Term(k, tuple(v)) for k, v in grouped.items())
