r"""The current operator ``j_e = −∂H/∂A_e`` and the diamagnetic and Peierls terms of a model.

The formula, its signs and its units (ħ = e = 1: ``j`` in eV·Å) are stated in the module
docstring of :mod:`~localpairs.solvers.spectra.excitations`, which re-exports everything defined
here. The hops and their Peierls phases are the pump's
(:func:`~localpairs.hamiltonians.peierls_channels.channel_terms`,
:func:`~localpairs.hamiltonians.peierls_channels.peierls_phase`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from localpairs.errors import require
from localpairs.hamiltonians import Model, Term
from localpairs.hamiltonians.driven_model import Channel, channel_terms, peierls_phase
from localpairs.hamiltonians.model import merge_terms
from localpairs.solvers.spectra.excitation_terms import Excitation


def _unit(polarization: Sequence[float] | np.ndarray) -> np.ndarray:
    e = np.asarray(polarization, dtype=float)
    require(e.shape == (3,) and np.all(np.isfinite(e)) and np.linalg.norm(e) > 0, "polarization", list(np.ravel(polarization)),
            "three finite numbers, not all zero")
    return e / np.linalg.norm(e)


def _channel_terms(model: Model, weight: Callable[[Channel], tuple[complex, complex]]) -> tuple[Term, ...]:
    """``Σ_c (f_c K_c + g_c K_c†)`` with ``(f_c, g_c) = weight(channel)``, bond labels kept.

    ``K_c`` are the forward hops of channel c (axis, charge) and ``K_c†`` its backward hops, as
    split by :func:`~localpairs.hamiltonians.driven_model.channel_terms` from the model's own terms;
    the Peierls phase of a channel is :func:`~localpairs.hamiltonians.driven_model.peierls_phase` (ħ = e = 1).
    """
    scaled = []
    for channel, forward, backward in channel_terms(model)[1]:
        f, g = weight(channel)
        if f == 0 and g == 0:
            continue
        scaled += [t.scaled(f) for t in forward] + [t.scaled(g) for t in backward]
    return merge_terms(scaled)


def _vector_potential(value: Sequence[float] | np.ndarray | None) -> np.ndarray:
    if value is None:
        return np.zeros(3)
    a = np.asarray(value, dtype=float)
    require(a.shape == (3,) and bool(np.all(np.isfinite(a))), "vector_potential", list(np.ravel(value)), "three finite numbers in 1/Å (ħ = e = 1)")
    return a


def current(model: Model, *, polarization: Sequence[float] | np.ndarray = (1.0, 0.0, 0.0),
            vector_potential: Sequence[float] | np.ndarray | None = None) -> Excitation:
    """Build the current operator ``j_e = −∂H(A)/∂A_e`` at a uniform vector potential A.

    ``H(A)`` is :func:`~localpairs.solvers.spectra.conductivity.peierls_model`; see the module
    docstring for the formula and its signs.

    Parameters
    ----------
    model : Model
        The model at A = 0.
    polarization : sequence of float, optional
        Direction e (normalised here); default x.
    vector_potential : sequence of float or None, optional
        A in 1/Å (ħ = e = 1); default 0.

    Returns
    -------
    Excitation
        The operator, in eV·Å (ħ = e = 1); it keeps the sector.
    """
    e = _unit(polarization)
    A = _vector_potential(vector_potential)

    def weight(ch: Channel) -> tuple[complex, complex]:
        rate, theta = peierls_phase(ch, e, hbar=1.0), peierls_phase(ch, A, hbar=1.0)
        return -1j * rate * np.exp(1j * theta), 1j * rate * np.exp(-1j * theta)

    label = "j_(" + ",".join(f"{x:g}" for x in e) + ")"
    return Excitation("current", label, _channel_terms(model, weight), (0, 0), polarization=(float(e[0]), float(e[1]), float(e[2])))


def diamagnetic(model: Model, *, polarization: Sequence[float] | np.ndarray = (1.0, 0.0, 0.0),
                vector_potential: Sequence[float] | np.ndarray | None = None) -> tuple[Term, ...]:
    """Build the diamagnetic terms ``∂²H/∂A_e² = −Σ_c (q_c e·d_c)² (e^{iθ_c} K_c + e^{−iθ_c} K_c†)``.

    Parameters
    ----------
    model : Model
        The model at A = 0.
    polarization : sequence of float, optional
        Direction e (normalised here); default x.
    vector_potential : sequence of float or None, optional
        A in 1/Å (ħ = e = 1), which sets the phases θ_c; default 0.

    Returns
    -------
    tuple of Term
        The terms, in eV·Å².
    """
    e = _unit(polarization)
    A = _vector_potential(vector_potential)

    def weight(ch: Channel) -> tuple[complex, complex]:
        rate, theta = peierls_phase(ch, e, hbar=1.0), peierls_phase(ch, A, hbar=1.0)
        return -(rate**2) * np.exp(1j * theta), -(rate**2) * np.exp(-1j * theta)

    return _channel_terms(model, weight)


def peierls_terms(model: Model, vector_potential: Sequence[float] | np.ndarray) -> tuple[Term, ...]:
    """Give the terms of ``model`` that move charge across bonds, with their Peierls factors at A.

    Parameters
    ----------
    model : Model
        The model at A = 0.
    vector_potential : sequence of float
        A in 1/Å (ħ = e = 1).

    Returns
    -------
    tuple of Term
        Forward hops times ``e^{iθ_c}``, backward hops times ``e^{−iθ_c}`` (eV).
    """
    A = _vector_potential(vector_potential)
    return _channel_terms(model, lambda ch: (np.exp(1j * peierls_phase(ch, A, hbar=1.0)), np.exp(-1j * peierls_phase(ch, A, hbar=1.0))))
