"""Peierls channels: hopping terms split by the axis and charge of their bonds, and the pieces built from them.

The pump (:mod:`~localpairs.hamiltonians.driven_model`, whose module docstring states the sign
convention) and the current operator of :mod:`localpairs.solvers.spectra.excitations` both read the
channels from here: a coupling that moves ``q`` electrons from ``bond.j`` to ``bond.i`` carries the
Peierls factor ``exp[i q (e/ħ) A·(r_j − r_i)]`` with ``r_j − r_i = bond.displacement``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from localpairs.errors import LocalPairsError
from localpairs.hamiltonians.model import Model, Term
from localpairs.units import HBAR_EV_FS


@dataclass(frozen=True)
class Channel:
    """Hops along one axis moving ``charge`` electrons; they share one Peierls phase.

    Parameters
    ----------
    axis : int
        0, 1 or 2 for x, y, z.
    charge : int
        Electrons ``q > 0`` a forward hop moves from ``bond.j`` to ``bond.i``.
    displacement : tuple of float
        ``r_j − r_i = +a e_axis`` in Å, shared by all forward hops of the channel.
    """

    axis: int
    charge: int
    displacement: tuple[float, float, float]


@dataclass(frozen=True)
class Piece:
    """One operator of ``H(t) = Σ_k c_k(t) P_k``.

    Parameters
    ----------
    name : str
        Label of the piece, e.g. ``"static0"`` or ``"hop_x_q1_s0_dagger"``.
    static : tuple
        A QuSpin static list (spinful notation), frozen to tuples; coefficients in eV.
    segment : int, optional
        0 before a quench and 1 after it.
    channel : Channel or None, optional
        None for the field-independent part.
    conjugate : bool, optional
        Tells forward (``f_c``, False) from backward (``f_c*``, True) hops of ``channel``.
    """

    name: str
    static: tuple
    segment: int = 0
    channel: Channel | None = None
    conjugate: bool = False


def channel_terms(model: Model) -> tuple[tuple[Term, ...], list[tuple[Channel, tuple[Term, ...], tuple[Term, ...]]]]:
    """Split ``model`` into static terms and Peierls channels by the bond labels of its terms.

    A coupling labelled with a bond and a charge ``q ≠ 0`` (:class:`~localpairs.hamiltonians.model.BondLabel`)
    belongs to channel ``(bond.axis, |q|)``: forward when it moves ``|q|`` electrons from
    ``bond.j`` to ``bond.i`` (q > 0), backward otherwise. Every other coupling is static. Zero
    couplings are dropped (as in :meth:`Model.static_list`). Channels are sorted by axis and
    charge; within one the terms by operator string and their couplings by bond id, so the
    result does not depend on the order in which the builder wrote the terms. Static terms keep
    the model's order.

    Parameters
    ----------
    model : Model
        The model to split.

    Returns
    -------
    static : tuple of Term
        The couplings that move no charge (or carry no bond label).
    channels : list of tuple
        ``(channel, forward, backward)`` per :class:`Channel`, the hops as tuples of
        :class:`~localpairs.hamiltonians.model.Term`.

    Raises
    ------
    LocalPairsError
        When the forward and backward couplings of one bond and operator string are not
        Hermitian conjugates (their coefficient sums are not complex conjugates).
    """
    static: dict[str, tuple[list, list]] = {}
    hops: dict[tuple[int, int, bool], dict[str, list]] = {}
    for term in model.terms:
        for c, label in zip(term.couplings, term.bonds):
            if c[0] == 0:
                continue
            if label is None or label.charge == 0:
                couplings, bonds = static.setdefault(term.opstr, ([], []))
                couplings.append(c)
                bonds.append(label)
                continue
            key = (label.bond.axis, abs(label.charge), label.charge < 0)
            hops.setdefault(key, {}).setdefault(term.opstr, []).append((label.bond.id, c, label))
    _check_hermitian(model, hops)
    channels = []
    for axis, q in sorted({(axis, q) for axis, q, _ in hops}):
        disp = [0.0, 0.0, 0.0]
        disp[axis] = model.cluster.lattice_constant
        forward, backward = (_sorted_terms(hops.get((axis, q, back), {})) for back in (False, True))
        channels.append((Channel(axis, q, tuple(disp)), forward, backward))  # type: ignore[arg-type]
    return tuple(Term(op, tuple(c), tuple(b)) for op, (c, b) in static.items()), channels


def _sorted_terms(by_op: dict[str, list]) -> tuple[Term, ...]:
    """Terms of one direction of a channel: operator strings sorted, couplings by bond id (stable)."""
    out = []
    for op in sorted(by_op):
        rows = sorted(by_op[op], key=lambda row: row[0])
        out.append(Term(op, tuple(c for _, c, _ in rows), tuple(label for _, _, label in rows)))
    return tuple(out)


def _check_hermitian(model: Model, hops: dict[tuple[int, int, bool], dict[str, list]]) -> None:
    sums: dict[tuple[str, int], list[complex]] = {}
    for (_, _, back), by_op in hops.items():
        for op, rows in by_op.items():
            for bond_id, c, _ in rows:
                pair = sums.setdefault((op, bond_id), [0.0, 0.0])
                pair[back] += complex(c[0])
    for (op, bond_id), (fwd, bwd) in sums.items():
        if not np.isclose(fwd, np.conj(bwd), rtol=1e-12, atol=1e-14):
            raise LocalPairsError(f"hopping {op} of {model.kind} on bond {bond_id} has no Hermitian partner: forward {fwd:.6g}, backward {bwd:.6g}")


def _static_list(terms: tuple[Term, ...]) -> list:
    return [[t.opstr, [list(c) for c in t.couplings]] for t in terms]


def split_hopping(model: Model) -> tuple[list, dict[tuple[int, int], tuple[list, list]]]:
    """Split ``model`` as :func:`channel_terms` does, into QuSpin static lists keyed by channel.

    Parameters
    ----------
    model : Model
        The model to split.

    Returns
    -------
    static : list
        QuSpin static list of the field-independent terms.
    channels : dict of tuple to tuple of list
        ``{(axis, q): (forward, backward)}``, both QuSpin static lists.
    """
    static, channels = channel_terms(model)
    return _static_list(static), {(ch.axis, ch.charge): (_static_list(f), _static_list(b)) for ch, f, b in channels}


def hopping_channels(model: Model) -> tuple[list, list[tuple[Channel, list, list]]]:
    """Split ``model`` as :func:`channel_terms` does, into QuSpin static lists sorted by channel.

    Every bond points along ``+a`` of
    its axis (across a periodic boundary too), so ``channel.displacement = r_j − r_i = +a e_axis``
    for all its forward hops ``i ← j``; with :func:`peierls_phase` this is the one place the
    Peierls sign convention lives (the pump pieces and the current operator of
    :mod:`localpairs.solvers.spectra.excitations` both use it).

    Parameters
    ----------
    model : Model
        The model to split.

    Returns
    -------
    static : list
        QuSpin static list of the field-independent terms.
    channels : list of tuple
        ``(channel, forward, backward)`` per :class:`Channel`, sorted by axis and charge;
        forward and backward as QuSpin static lists.
    """
    static, channels = channel_terms(model)
    return _static_list(static), [(ch, _static_list(f), _static_list(b)) for ch, f, b in channels]


def peierls_phase(channel: Channel, vector_potential: ArrayLike, *, hbar: float = HBAR_EV_FS) -> float:
    """Compute the Peierls phase ``θ = q A·d/ħ`` of a channel.

    Its forward hops carry ``exp(+iθ)``, its backward hops ``exp(−iθ)``. θ is linear in A, so
    ``peierls_phase(channel, e)`` is ``∂θ/∂A_e``.

    Parameters
    ----------
    channel : Channel
        The channel (charge q, displacement d in Å).
    vector_potential : array_like
        3-vector A in V·fs/Å with the default ħ (eV·fs); in 1/Å with ``hbar=1`` (ħ = e = 1,
        the units of :mod:`localpairs.solvers.spectra.excitations`).
    hbar : float, optional
        ħ in the units of ``A·d``; default ħ in eV·fs.

    Returns
    -------
    float
        θ in radians.
    """
    return channel.charge * float(np.dot(np.asarray(vector_potential, dtype=float), channel.displacement)) / hbar


def model_bandwidth(model: Model) -> float:
    """Compute the band width ``W = 2 max_i Σ_{b∋i} |t_b|``: 12t on the simple-cubic crystal.

    ``t_b`` is the bond's single-electron hop (spin up; spin down is the same) plus its pair hop
    (J_p, t_B or g), each bond counted once.

    Parameters
    ----------
    model : Model
        The model.

    Returns
    -------
    float
        W in eV (0 for a model without hopping).
    """
    _, channels = split_hopping(model)
    per_site = np.zeros(model.n_sites)
    for forward, _ in channels.values():
        for op, couplings in forward:
            if op == "|+-":  # the spin-down copy of "+-|"
                continue
            for c in couplings:
                per_site[c[1]] += abs(c[0])
                per_site[c[2]] += abs(c[0])
    return 2.0 * float(per_site.max()) if per_site.size else 0.0
