r"""Pump pulses and quenches: a time-dependent Hamiltonian described as pieces and time functions.

Vector potential and sign convention
------------------------------------
A Gaussian pulse polarised along the unit vector ``e``:

.. math::

    \mathbf A(t) = \mathbf e\,A_0\,\exp[-(t-t_0)^2/(2σ^2)]\,\cos[ω(t-t_0)],\qquad
    \mathbf E(t) = -\partial_t \mathbf A(t).

Every hopping term that moves ``q`` electrons from site ``j`` to site ``i`` across a bond gets the
Peierls factor ``exp[i q (e/ħ) A(t)·(r_j − r_i)]`` with ``r_j − r_i = bond.displacement`` (+a along
the bond's axis, also for bonds that wrap around a periodic axis). ``e > 0`` is the elementary
charge; with ``A`` in V·fs/Å, lengths in Å and ħ in eV·fs the phase ``q A·d/ħ`` is dimensionless.
With this convention the power absorbed by the electrons is ``dE/dt = ⟨j⟩·E`` with the current
``j = −∂H/∂A`` (in e·Å/fs), so ``E(t) − E(0) = ∫ ⟨j⟩·E dt``.

Pieces
------
A Peierls phase depends on a bond only through ``e·displacement``, i.e. on its axis, and on the
charge ``q`` it moves. Every charge-moving coupling carries its bond and charge
(:class:`~localpairs.hamiltonians.model.BondLabel`, set by the builder), so the hopping terms are
split by these labels (:func:`channel_terms`) into channels ``(axis, q)`` and

.. math::

    H(t) = H_0 + \sum_c [f_c(t) K_c + f_c(t)^* K_c^\dagger],\qquad f_c = e^{i q_c \mathbf A(t)·\mathbf d_c/ħ},

with ``K_c`` the forward hops of channel ``c`` and ``H_0`` everything else (interactions, site
energies). :class:`DrivenModel` lists these pieces (QuSpin static lists) and their time functions;
the solvers build one sparse matrix per piece, once.

A quench switches the whole Hamiltonian from one model to another at ``quench.time``: the pieces
of the first model carry the window ``t < time``, those of the second ``t ≥ time``.

Pulses are described in :mod:`~localpairs.hamiltonians.pulse` (shape, units, fluence), re-exported
here.

Periodic axes of length 2
-------------------------
There the two bonds between a pair of sites have opposite displacements as seen from the pair,
so their Peierls phases are opposite and ``H`` depends on A only through ``cos(eAa/ħ)``: the
current operator vanishes identically and a pulse has no one-photon (linear) coupling along such
an axis. :func:`drive` warns (:class:`PumpWarning`) when every axis along the polarization is of
this kind; open the axis (``periodic = [false, …]``) or join its pairs once
(``bond_multiplicity = 1``, see :mod:`~localpairs.hamiltonians.cluster`) to pump it.

Validity
--------
The single-band model with a Peierls phase is trusted only while the potential drop across one
bond stays below the model's band width: ``e E0 a ≤ W`` with ``W = 2 max_i Σ_{b∋i} |t_b|`` (the
band width 12t of the simple-cubic crystal for uniform t). Beyond that the field mixes in other
bands (Zener tunnelling) that the model does not have. :func:`drive` refuses such pulses.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from localpairs.errors import InputError, LocalPairsError, require
from localpairs.hamiltonians.model import Model, Term
from localpairs.hamiltonians.pulse import (  # noqa: F401 - the pulse API is part of this module's
    DEFAULT_CENTER_SIGMAS,
    SIGMA_PER_FIELD_FWHM,
    SIGMA_PER_INTENSITY_FWHM,
    Pulse,
    field_to_fluence,
    fluence_to_field,
    gaussian_pulse,
    unit_polarization,
)
from localpairs.units import HBAR_EV_FS

__all__ = [
    "Channel", "DrivenModel", "Piece", "Pulse", "PumpWarning", "Quench", "channel_terms", "drive", "field_to_fluence", "fluence_to_field",
    "gaussian_pulse", "hopping_channels", "model_bandwidth", "peierls_phase", "split_hopping", "unit_polarization",
]

class PumpWarning(UserWarning):
    """A pulse that is valid but probably not what was meant (e.g. no linear coupling)."""


#: Largest accepted e·E0·a relative to the band width W (see module docstring).
MAX_FIELD_BANDWIDTH_RATIO = 1.0
@dataclass(frozen=True)
class Quench:
    """A sudden change of all parameters: ``H(t) = model`` for ``t ≥ time`` (before: the driven model's own)."""

    model: Model
    time: float = 0.0


@dataclass(frozen=True)
class Channel:
    """Hops along one axis moving ``charge`` electrons; they share one Peierls phase."""

    axis: int
    charge: int
    displacement: tuple[float, float, float]


@dataclass(frozen=True)
class Piece:
    """One operator of ``H(t) = Σ_k c_k(t) P_k``.

    ``static`` is a QuSpin static list (spinful notation). ``channel`` is None for the
    field-independent part; otherwise ``conjugate`` tells forward (``f_c``) from backward
    (``f_c*``) hops. ``segment`` is 0 before a quench and 1 after it.
    """

    name: str
    static: tuple
    segment: int = 0
    channel: Channel | None = None
    conjugate: bool = False


def _freeze(static: list) -> tuple:
    return tuple((op, tuple(tuple(c) for c in couplings)) for op, couplings in static)


def channel_terms(model: Model) -> tuple[tuple[Term, ...], list[tuple[Channel, tuple[Term, ...], tuple[Term, ...]]]]:
    """Split ``model`` by the bond labels of its terms: ``(static, [(channel, forward, backward), ...])``.

    A coupling labelled with a bond and a charge ``q ≠ 0`` (:class:`~localpairs.hamiltonians.model.BondLabel`)
    belongs to channel ``(bond.axis, |q|)``: forward when it moves ``|q|`` electrons from
    ``bond.j`` to ``bond.i`` (q > 0), backward otherwise. Every other coupling is static. Zero
    couplings are dropped (as in :meth:`Model.static_list`). Channels are sorted by axis and
    charge; within one the terms by operator string and their couplings by bond id, so the
    result does not depend on the order in which the builder wrote the terms. Static terms keep
    the model's order.

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
    """:func:`channel_terms` as QuSpin static lists: ``(static, {(axis, q): (forward, backward)})``."""
    static, channels = channel_terms(model)
    return _static_list(static), {(ch.axis, ch.charge): (_static_list(f), _static_list(b)) for ch, f, b in channels}


def hopping_channels(model: Model) -> tuple[list, list[tuple[Channel, list, list]]]:
    """:func:`channel_terms` as QuSpin static lists, sorted by axis and charge.

    Returns ``(static, [(channel, forward, backward), ...])``. Every bond points along ``+a`` of
    its axis (across a periodic boundary too), so ``channel.displacement = r_j − r_i = +a e_axis``
    for all its forward hops ``i ← j``; with :func:`peierls_phase` this is the one place the
    Peierls sign convention lives (the pump pieces and the current operator of
    :mod:`localpairs.solvers.spectra.excitations` both use it).
    """
    static, channels = channel_terms(model)
    return _static_list(static), [(ch, _static_list(f), _static_list(b)) for ch, f, b in channels]


def peierls_phase(channel: Channel, vector_potential: ArrayLike, *, hbar: float = HBAR_EV_FS) -> float:
    """``θ = q A·d/ħ`` of a channel: its forward hops carry ``exp(+iθ)``, its backward hops ``exp(−iθ)``.

    ``vector_potential`` is a 3-vector in V·fs/Å with the default ħ (eV·fs); pass ``hbar=1`` for
    ``A`` in 1/Å (ħ = e = 1, the units of :mod:`localpairs.solvers.spectra.excitations`). θ is linear in A,
    so ``peierls_phase(channel, e)`` is ``∂θ/∂A_e``.
    """
    return channel.charge * float(np.dot(np.asarray(vector_potential, dtype=float), channel.displacement)) / hbar


def model_bandwidth(model: Model) -> float:
    """``W = 2 max_i Σ_{b∋i} |t_b|`` in eV: 12t on the simple-cubic crystal for uniform t.

    ``t_b`` is the bond's single-electron hop (spin up; spin down is the same) plus its pair hop
    (J_p, t_B or g), each bond counted once.
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


@dataclass(frozen=True, eq=False)
class DrivenModel:
    """A model under a pulse and/or a quench, as pieces ``P_k`` with time functions ``c_k(t)``.

    Build with :func:`drive`. ``H(t) = Σ_k c_k(t) P_k``; :meth:`coefficients` gives ``c(t)``,
    :meth:`current_coefficients` gives ``−∂c/∂A`` (the current ``j = −∂H/∂A`` along the
    polarization, e·Å/fs).
    """

    model: Model
    pieces: tuple[Piece, ...]
    pulse: Pulse | None = None
    quench: Quench | None = None
    info: dict = field(default_factory=dict)
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def breakpoints(self) -> tuple[float, ...]:
        """Times where H(t) jumps (steps must end there)."""
        return (float(self.quench.time),) if self.quench is not None else ()

    @property
    def polarization(self) -> np.ndarray:
        """Unit polarization (x by default when there is no pulse)."""
        return np.array(self.pulse.polarization if self.pulse else (1.0, 0.0, 0.0))

    def vector_potential(self, t: float) -> float:
        """A(t) along the polarization in V·fs/Å (0 without a pulse)."""
        return float(self.pulse.vector_potential(t)) if self.pulse else 0.0

    def electric_field(self, t: float) -> float:
        """E(t) = −dA/dt along the polarization in V/Å (0 without a pulse)."""
        return float(self.pulse.electric_field(t)) if self.pulse else 0.0

    def field_window(self, a_max: float) -> tuple[float, float] | None:
        """``(lo, hi)`` outside which ``|A(t)| ≤ a_max``; None without a pulse (H(t) is then
        constant between quench times)."""
        return self.pulse.quiet_window(a_max) if self.pulse else None

    def peierls_rates(self) -> np.ndarray:
        """Per piece: ``|∂(phase)/∂A|`` in 1/(V·fs/Å) (0 for pieces the field does not touch)."""
        _, rate, sign = self._tables()
        return np.abs(rate * sign)

    def segment(self, t: float) -> int:
        """0 before the quench, 1 from its time on."""
        return int(self.quench is not None and t >= self.quench.time)

    def _tables(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per piece: segment, Peierls phase per unit A (q e·d/ħ, 1/(V·fs)), and 0/±1 for
        static/forward/backward (cached: coefficients are evaluated at every step)."""
        cached = self._cache.get("tables")
        if cached is None:
            pol = self.polarization
            seg = np.array([p.segment for p in self.pieces])
            rate = np.array([0.0 if p.channel is None else p.channel.charge * float(pol @ np.array(p.channel.displacement)) / HBAR_EV_FS for p in self.pieces])
            sign = np.array([0.0 if p.channel is None else (-1.0 if p.conjugate else 1.0) for p in self.pieces])
            cached = self._cache["tables"] = (seg, rate, sign)
        return cached

    @property
    def constant(self) -> np.ndarray:
        """Per piece: True when neither its coefficient nor the current depend on A (no hop
        along the polarization, which is x when there is no pulse)."""
        _, rate, sign = self._tables()
        return (sign == 0) | (rate == 0)

    def coefficients_at(self, A: float, segment: int = 0) -> np.ndarray:
        """``c_k`` for a vector potential ``A`` (V·fs/Å) along the polarization, in ``segment``."""
        seg, rate, sign = self._tables()
        return np.where(seg == segment, np.exp(1j * sign * rate * A), 0.0)

    def current_coefficients_at(self, A: float, segment: int = 0) -> np.ndarray:
        """``−∂c_k/∂A`` at ``A``: ``j = Σ_k (−∂c_k/∂A) P_k`` in e·Å/fs."""
        seg, rate, sign = self._tables()
        return np.where(seg == segment, -1j * sign * rate * np.exp(1j * sign * rate * A), 0.0)

    def coefficients(self, t: float) -> np.ndarray:
        """``c_k(t)``."""
        return self.coefficients_at(self.vector_potential(t), self.segment(t))

    def current_coefficients(self, t: float) -> np.ndarray:
        """``−∂c_k/∂A`` at time t."""
        return self.current_coefficients_at(self.vector_potential(t), self.segment(t))


def _pieces_of(model: Model, segment: int) -> list[Piece]:
    static, channels = hopping_channels(model)
    out = [Piece(f"static{segment}", _freeze(static), segment)] if static else []
    for ch, forward, backward in channels:
        name = f"{'xyz'[ch.axis]}_q{ch.charge}_s{segment}"
        out.append(Piece(f"hop_{name}", _freeze(forward), segment, ch, False))
        out.append(Piece(f"hop_{name}_dagger", _freeze(backward), segment, ch, True))
    return out


def drive(model: Model, *, pulse: Pulse | None = None, quench: Quench | None = None) -> DrivenModel:
    """Describe ``model`` under a pulse and/or a quench (no matrices are built here).

    Raises
    ------
    InputError
        When the pulse's field exceeds the model's validity (``e E0 a > W``, module docstring),
        when the model has no hopping for the pulse to act on, or when the quench model lives on
        another cluster or another Hilbert space.
    """
    pieces = _pieces_of(model, 0)
    info: dict = {}
    if quench is not None:
        require(isinstance(quench.time, (int, float)) and math.isfinite(quench.time), "quench.time", quench.time, "a finite time in fs")
        same = quench.model.cluster.as_dict() == model.cluster.as_dict() and quench.model.bosonic_sites == model.bosonic_sites
        require(same, "quench.model", quench.model.kind, "a model on the same cluster with the same bosonic sites")
        pieces += _pieces_of(quench.model, 1)
    if pulse is not None:
        a = model.cluster.lattice_constant
        widths = [model_bandwidth(m) for m in ([model] + ([quench.model] if quench else []))]
        width = min(widths)
        require(width > 0, "pump", "a pulse", "a model with hopping (the pulse acts only through Peierls phases)")
        drop = pulse.peak_field * a
        max_field = MAX_FIELD_BANDWIDTH_RATIO * width / a
        if drop > MAX_FIELD_BANDWIDTH_RATIO * width:
            raise InputError(
                "pump.peak_field",
                round(pulse.peak_field, 6),
                f"e·E0·a ≤ band width W = {width:.3f} eV, i.e. E0 ≤ {max_field:.4f} V/Å "
                f"(fluence ≤ {field_to_fluence(max_field, pulse.sigma, refractive_index=pulse.refractive_index):.3g} mJ/cm² "
                "for this duration): beyond it the one-band Peierls model is not valid",
            )
        cl = model.cluster
        along = [ax for ax in range(3) if abs(pulse.polarization[ax]) > 1e-12]
        linear = not all(cl.doubled_axes[ax] for ax in along)
        if not linear:
            warnings.warn(
                f"every axis along the polarization {pulse.polarization} is periodic with length 2 on {cl.describe()}: "
                "its two bonds per pair carry opposite Peierls phases, the current operator vanishes and the pulse "
                "couples only through cos(eAa/ħ) (no one-photon absorption). Open that axis or polarise along another.",
                PumpWarning,
                stacklevel=2,
            )
        info = {"bandwidth_eV": width, "field_times_a_eV": drop, "peierls_phase": pulse.peierls_phase(a), "linear_coupling": linear}
    return DrivenModel(model=model, pieces=tuple(pieces), pulse=pulse, quench=quench, info=info)
