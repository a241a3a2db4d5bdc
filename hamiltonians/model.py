"""Models as plain data: operator terms in QuSpin's spinful-fermion notation, with their bonds.

A term is an operator string and a list of couplings, exactly as QuSpin takes them, plus one
:class:`BondLabel` per coupling that moves charge between sites::

    hopping(bond, t)       # −t (c†_i↑ c_j↑ + c†_j↑ c_i↑) and the same for spin down, labelled
    Term("n|n", ((U, i, i),))                  # U n_i↑ n_i↓: moves no charge, needs no label

Characters left of ``|`` act on spin-up modes, right of it on spin-down modes; the operator
product is taken in the written order (all spin-up factors stand left of the spin-down ones).
A :class:`Model` is a cluster plus its terms plus the resolved parameters; it never holds a
matrix. Solvers turn it into a QuSpin basis and operator.

Bond labels
-----------
A coupling moves charge when it creates electrons on one site and removes them from another
(:func:`charge_transfer`). Such a coupling carries the bond (bridging oxygen) it moves the charge
across and how many electrons it moves (:class:`BondLabel`), set by the builder that writes it;
the Peierls split of the pump, the current operator and the memory estimate read these labels.
:class:`Model` refuses a charge-moving coupling without a label, or with a label that does not
match its operator.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from localpairs.errors import InputError
from localpairs.hamiltonians.cluster import Bond, Cluster
from localpairs.hamiltonians.doping import DopingConfig


@dataclass(frozen=True)
class BondLabel:
    """The bond a coupling moves charge across, and the charge it moves.

    Parameters
    ----------
    bond : Bond
        The :class:`~localpairs.hamiltonians.cluster.Bond`: its id, sites ``i → j``, axis,
        displacement ``r_j − r_i`` and oxygen position (Å).
    charge : int
        Electrons the coupling moves from ``bond.j`` to ``bond.i``: 1 for a single-electron hop,
        2 for pair hopping, pair tunnelling or conversion, negative for the Hermitian-conjugate
        direction (``bond.i`` to ``bond.j``). The coupling's Peierls factor is
        ``exp[i charge (e/ħ) A·displacement]``.
    """

    bond: Bond
    charge: int


@dataclass(frozen=True)
class Term:
    """One operator string with its couplings ``(coefficient, site indices...)``.

    Parameters
    ----------
    opstr : str
        QuSpin operator string, spin-up characters left of ``|``, spin-down right of it.
    couplings : tuple of tuple
        ``(coefficient, site indices...)`` per coupling; coefficients in eV.
    bonds : tuple of (BondLabel or None), optional
        One :class:`BondLabel` (or None) per coupling; left empty it means no coupling is
        labelled (fine for terms that move no charge, such as densities).

    Raises
    ------
    InputError
        When ``bonds`` is given with a length other than one per coupling.
    """

    opstr: str
    couplings: tuple[tuple, ...]
    bonds: tuple[BondLabel | None, ...] = ()

    def __post_init__(self) -> None:
        if not self.bonds:
            object.__setattr__(self, "bonds", (None,) * len(self.couplings))
        if len(self.bonds) != len(self.couplings):
            raise InputError(f"Term({self.opstr!r}).bonds", len(self.bonds), f"one label (or None) per coupling: {len(self.couplings)}")

    def as_quspin(self) -> list:
        """Write the term in QuSpin's static-list form.

        Returns
        -------
        list
            ``[opstr, [[coef, i, ...], ...]]`` for QuSpin's ``hamiltonian``.
        """
        return [self.opstr, [list(c) for c in self.couplings]]

    def scaled(self, factor: complex) -> Term:
        """Scale every coefficient of the term (labels kept).

        Parameters
        ----------
        factor : complex
            The factor multiplying every coefficient.

        Returns
        -------
        Term
            The scaled term.
        """
        return Term(self.opstr, tuple((factor * c[0], *c[1:]) for c in self.couplings), self.bonds)

    @property
    def moves_charge(self) -> bool:
        """True when some coupling moves charge between sites."""
        return any(_moves(charge_transfer(self.opstr, c[1:])) for c in self.couplings)


def charge_transfer(opstr: str, sites: Sequence[int]) -> dict[int, int]:
    """Count the net electrons one coupling adds per site.

    Parameters
    ----------
    opstr : str
        QuSpin operator string (``+`` adds one electron, ``−`` removes one; ``|`` ignored).
    sites : sequence of int
        The coupling's site indices, one per operator character.

    Returns
    -------
    dict of int to int
        Net electrons added per site; sites with zero net change omitted.
    """
    net: dict[int, int] = {}
    for op, site in zip(opstr.replace("|", ""), sites):
        if op in "+-":
            net[site] = net.get(site, 0) + (1 if op == "+" else -1)
    return {s: n for s, n in net.items() if n}


def _moves(net: Mapping[int, int]) -> bool:
    return any(n > 0 for n in net.values()) and any(n < 0 for n in net.values())


def _check_labels(kind: str, cluster: Cluster, terms: Sequence[Term]) -> None:
    """Refuse charge-moving couplings without a bond, and labels that contradict their operator."""
    for term in terms:
        for c, label in zip(term.couplings, term.bonds):
            net = charge_transfer(term.opstr, c[1:])
            where = f"{kind} term {term.opstr!r}"
            if label is None:
                if _moves(net):
                    raise InputError(where, tuple(c[1:]), "a BondLabel on every coupling that moves charge between sites, set where the term is "
                                     "built (its Peierls phase needs the bond): use hopping() / pair_hopping() of hamiltonians.model")
                continue
            bond = label.bond
            if not (0 <= bond.id < cluster.n_bonds and cluster.bonds[bond.id] == bond):
                raise InputError(f"{where} bond", bond.id, f"a bond of {cluster.describe()}")
            expected = {s: n for s, n in ((bond.i, label.charge), (bond.j, -label.charge)) if n}
            if net != expected:
                raise InputError(f"{where} {tuple(c[1:])} charge", label.charge,
                                 f"the charge it moves from site {bond.j} to {bond.i}: net change per site {net}")


@dataclass(frozen=True, eq=False)
class Model:
    """A Hamiltonian on a cluster, as terms.

    Built by :func:`~localpairs.hamiltonians.extended_hubbard` or
    :func:`~localpairs.hamiltonians.fermi_bose_mixture`.

    Parameters
    ----------
    kind : str
        ``"extended_hubbard"`` or ``"fermi_bose"``.
    cluster : Cluster
        The cluster.
    terms : tuple of Term
        Static terms; together they are H. Every coupling that moves charge between sites
        carries its :class:`BondLabel` (refused otherwise).
    parameters : mapping of str to object
        The resolved parameters (eV), for the record.
    bosonic_sites : tuple of int, optional
        Sites restricted to occupancy 0 or 2 (hard-core bosons as local pairs); empty for the
        Hubbard model.
    doping : DopingConfig or None, optional
        The doping configuration used, if any.
    is_complex : bool, optional
        True when some coupling is complex (set from the terms when not given): the solvers then
        build complex matrices (a real matrix would drop the imaginary parts).

    Raises
    ------
    InputError
        When a coupling that moves charge has no :class:`BondLabel`, or a label names a bond
        not on the cluster or a charge its operator does not move.
    """

    kind: str
    cluster: Cluster
    terms: tuple[Term, ...]
    parameters: Mapping[str, Any]
    bosonic_sites: tuple[int, ...] = ()
    doping: DopingConfig | None = None
    is_complex: bool = field(default=False)

    def __post_init__(self) -> None:
        _check_labels(self.kind, self.cluster, self.terms)
        if not self.is_complex and _has_complex_coupling(self.terms):
            object.__setattr__(self, "is_complex", True)  # solvers then build complex matrices

    @property
    def n_sites(self) -> int:
        """Number of sites of the cluster."""
        return self.cluster.n_sites

    def static_list(self) -> list:
        """Write all terms as QuSpin's static list.

        Returns
        -------
        list
            ``[[opstr, [[coef, i, ...], ...]], ...]``, zero couplings dropped; coefficients in eV.
        """
        out = []
        for term in self.terms:
            couplings = [list(c) for c in term.couplings if c[0] != 0]
            if couplings:
                out.append([term.opstr, couplings])
        return out

    def with_terms(self, terms: tuple[Term, ...], **parameters: Any) -> Model:
        """Copy the model with other terms (and updated parameters), for quenches and added fields.

        Parameters
        ----------
        terms : tuple of Term
            The new static terms.
        **parameters : Any
            Parameters to add to or replace in the record.

        Returns
        -------
        Model
            The copy (``is_complex`` set again from the new terms).
        """
        merged = dict(self.parameters)
        merged.update(parameters)
        return Model(
            kind=self.kind,
            cluster=self.cluster,
            terms=terms,
            parameters=merged,
            bosonic_sites=self.bosonic_sites,
            doping=self.doping,
        )


def _has_complex_coupling(terms: Sequence[Term]) -> bool:
    """True when some coefficient is complex-typed (a Peierls phase, a complex hopping)."""
    return any(isinstance(c[0], complex) for t in terms for c in t.couplings)


def density_density(i: int, j: int, coef: float) -> list[Term]:
    """Build the terms of ``+coef · n_i n_j`` with ``n = n_↑ + n_↓`` (i ≠ j).

    Parameters
    ----------
    i, j : int
        The two (different) sites.
    coef : float
        Coefficient in eV.

    Returns
    -------
    list of Term
        The ↑↑, ↓↓ and ↑↓ terms.
    """
    return [
        Term("nn|", ((coef, i, j),)),
        Term("|nn", ((coef, i, j),)),
        Term("n|n", ((coef, i, j), (coef, j, i))),
    ]


def hopping(bond: Bond, amplitude: complex) -> list[Term]:
    """Build the hopping terms on one bond.

    The terms are ``−amplitude c†_iσ c_jσ − conj(amplitude) c†_jσ c_iσ`` summed over σ, on
    ``bond`` (i → j).

    Parameters
    ----------
    bond : Bond
        The bond ``i → j``.
    amplitude : complex
        Hopping amplitude t in eV (enters with a minus sign).

    Returns
    -------
    list of Term
        The spin-up and spin-down terms, each labelled with the bond (charge +1, −1).
    """
    i, j = bond.i, bond.j
    back = amplitude.conjugate() if isinstance(amplitude, complex) else amplitude
    labels = (BondLabel(bond, 1), BondLabel(bond, -1))
    return [
        Term("+-|", ((-amplitude, i, j), (-back, j, i)), labels),
        Term("|+-", ((-amplitude, i, j), (-back, j, i)), labels),
    ]


def pair_hopping(bond: Bond, amplitude: float, *, into: int | None = None) -> Term:
    """Build the pair-hopping term ``+amplitude (Δ†_a Δ_b + Δ†_b Δ_a)`` with ``Δ†_a = c†_a↑ c†_a↓``.

    ``a`` is ``into`` (one of the bond's sites; default ``bond.i``), ``b`` the other. In QuSpin's
    order ``"+-|+-"`` with indices ``(a, b, a, b)`` is
    ``c†_a↑ c_b↑ c†_a↓ c_b↓ = c†_a↑ c†_a↓ c_b↓ c_b↑ = Δ†_a Δ_b`` (two transpositions).

    Parameters
    ----------
    bond : Bond
        The bond the pair hops across.
    amplitude : float
        Pair-hopping amplitude in eV (enters with a plus sign).
    into : int or None, optional
        The site ``a`` (one of the bond's sites; default ``bond.i``).

    Returns
    -------
    Term
        The term, labelled with the bond (charge ±2).

    Raises
    ------
    InputError
        When ``into`` is not a site of ``bond``.
    """
    a = bond.i if into is None else into
    if a not in (bond.i, bond.j):
        raise InputError("pair_hopping.into", into, f"a site of bond {bond.id}: {bond.i} or {bond.j}")
    b = bond.j if a == bond.i else bond.i
    q = 2 if a == bond.i else -2
    return Term("+-|+-", ((amplitude, a, b, a, b), (amplitude, b, a, b, a)), (BondLabel(bond, q), BondLabel(bond, -q)))


def merge_terms(terms: Sequence[Term]) -> tuple[Term, ...]:
    """Group couplings (with their labels) by operator string, keeping first-seen order.

    Parameters
    ----------
    terms : sequence of Term
        The terms to merge.

    Returns
    -------
    tuple of Term
        One term per operator string.
    """
    grouped: dict[str, tuple[list, list]] = {}
    for term in terms:
        couplings, bonds = grouped.setdefault(term.opstr, ([], []))
        couplings.extend(term.couplings)
        bonds.extend(term.bonds)
    return tuple(Term(k, tuple(c), tuple(b)) for k, (c, b) in grouped.items())
