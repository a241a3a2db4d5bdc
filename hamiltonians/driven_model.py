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
split by these labels (:func:`~localpairs.hamiltonians.peierls_channels.channel_terms`) into channels ``(axis, q)`` and

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

from localpairs.errors import InputError, require
from localpairs.hamiltonians.model import Model
from localpairs.hamiltonians.peierls_channels import Channel, Piece, channel_terms, hopping_channels, model_bandwidth, peierls_phase, split_hopping
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
    """A sudden change of all parameters at one time.

    ``H(t) = model`` for ``t ≥ time``; before it, the driven model's own Hamiltonian.

    Parameters
    ----------
    model : Model
        The Hamiltonian after the quench (same cluster and bosonic sites as the driven model).
    time : float, optional
        Quench time in fs (default 0).
    """

    model: Model
    time: float = 0.0


def _freeze(static: list) -> tuple:
    return tuple((op, tuple(tuple(c) for c in couplings)) for op, couplings in static)


@dataclass(frozen=True, eq=False)
class DrivenModel:
    """A model under a pulse and/or a quench, as pieces ``P_k`` with time functions ``c_k(t)``.

    Build it with :func:`drive`. ``H(t) = Σ_k c_k(t) P_k``; :meth:`coefficients` gives ``c(t)``,
    :meth:`current_coefficients` gives ``−∂c/∂A`` (the current ``j = −∂H/∂A`` along the
    polarization, e·Å/fs).

    Parameters
    ----------
    model : Model
        The static model (before any quench).
    pieces : tuple of Piece
        The operators ``P_k``.
    pulse : Pulse or None, optional
        The pump pulse, if any.
    quench : Quench or None, optional
        The quench, if any.
    info : dict, optional
        Validity figures for the record: band width (eV), e·E0·a (eV), peak Peierls phase,
        whether the pulse couples linearly.
    _cache : dict, optional
        Internal cache of per-piece tables; leave it empty.
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
        """Evaluate A(t) along the polarization.

        Parameters
        ----------
        t : float
            Time in fs.

        Returns
        -------
        float
            A(t) in V·fs/Å (0 without a pulse).
        """
        return float(self.pulse.vector_potential(t)) if self.pulse else 0.0

    def electric_field(self, t: float) -> float:
        """Evaluate E(t) = −dA/dt along the polarization.

        Parameters
        ----------
        t : float
            Time in fs.

        Returns
        -------
        float
            E(t) in V/Å (0 without a pulse).
        """
        return float(self.pulse.electric_field(t)) if self.pulse else 0.0

    def field_window(self, a_max: float) -> tuple[float, float] | None:
        """Find the window outside which ``|A(t)| ≤ a_max``.

        Parameters
        ----------
        a_max : float
            Bound on ``|A|`` in V·fs/Å.

        Returns
        -------
        tuple of float or None
            ``(lo, hi)`` in fs; None without a pulse (H(t) is then constant between quench
            times).
        """
        return self.pulse.quiet_window(a_max) if self.pulse else None

    def peierls_rates(self) -> np.ndarray:
        """List the rate ``|∂(phase)/∂A|`` of every piece.

        Returns
        -------
        numpy.ndarray
            Per piece, in 1/(V·fs/Å) (0 for pieces the field does not touch).
        """
        _, rate, sign = self._tables()
        return np.abs(rate * sign)

    def segment(self, t: float) -> int:
        """Tell the segment of a time: 0 before the quench, 1 from its time on.

        Parameters
        ----------
        t : float
            Time in fs.

        Returns
        -------
        int
            0 or 1.
        """
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
        """Per piece: True when neither its coefficient nor the current depend on A.

        Such a piece has no hop along the polarization (which is x when there is no pulse).
        """
        _, rate, sign = self._tables()
        return (sign == 0) | (rate == 0)

    def coefficients_at(self, A: float, segment: int = 0) -> np.ndarray:
        """Evaluate the coefficients ``c_k`` at a vector potential.

        Parameters
        ----------
        A : float
            Vector potential along the polarization in V·fs/Å.
        segment : int, optional
            0 before the quench, 1 after it; pieces of the other segment get 0.

        Returns
        -------
        numpy.ndarray
            Complex ``c_k`` per piece.
        """
        seg, rate, sign = self._tables()
        return np.where(seg == segment, np.exp(1j * sign * rate * A), 0.0)

    def current_coefficients_at(self, A: float, segment: int = 0) -> np.ndarray:
        """Evaluate the current coefficients ``−∂c_k/∂A``, so that ``j = Σ_k (−∂c_k/∂A) P_k``.

        Parameters
        ----------
        A : float
            Vector potential along the polarization in V·fs/Å.
        segment : int, optional
            0 before the quench, 1 after it; pieces of the other segment get 0.

        Returns
        -------
        numpy.ndarray
            Complex coefficients per piece; the current in e·Å/fs.
        """
        seg, rate, sign = self._tables()
        return np.where(seg == segment, -1j * sign * rate * np.exp(1j * sign * rate * A), 0.0)

    def coefficients(self, t: float) -> np.ndarray:
        """Evaluate the coefficients ``c_k(t)``.

        Parameters
        ----------
        t : float
            Time in fs.

        Returns
        -------
        numpy.ndarray
            Complex ``c_k`` per piece.
        """
        return self.coefficients_at(self.vector_potential(t), self.segment(t))

    def current_coefficients(self, t: float) -> np.ndarray:
        """Evaluate the current coefficients ``−∂c_k/∂A`` at time t.

        Parameters
        ----------
        t : float
            Time in fs.

        Returns
        -------
        numpy.ndarray
            Complex coefficients per piece; the current in e·Å/fs.
        """
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

    Parameters
    ----------
    model : Model
        The static model.
    pulse : Pulse or None, optional
        The pump pulse; its field must satisfy ``e E0 a ≤ W`` (module docstring).
    quench : Quench or None, optional
        A quench to another model on the same cluster.

    Returns
    -------
    DrivenModel
        The pieces and their time functions.

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
