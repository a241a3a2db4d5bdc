"""Hopping amplitudes per bond, real or complex, and the single-particle hopping matrix.

A bond ``b`` from site ``i`` to site ``j`` (:class:`~localpairs.hamiltonians.cluster.Bond`) with
amplitude ``t_b`` contributes

.. math::

    -t_b\\, c^\\dagger_{i\\sigma} c_{j\\sigma} - t_b^*\\, c^\\dagger_{j\\sigma} c_{i\\sigma},

Hermitian for any complex ``t_b``. A complex amplitude ``|t| e^{iφ}`` is a flux or twist on the
bond: it enters exactly like a Peierls phase ``φ = (e/ħ) A·(r_j − r_i)`` (see
:mod:`~localpairs.hamiltonians.driven_model`), so the phases summed around a closed loop of bonds
(forward bonds counted +, backward −) are the flux through it; only that sum is gauge invariant.

Accepted forms (:func:`hopping_amplitudes`): one number, or one per bond (in
the order of ``bonds`` of the :class:`~localpairs.hamiltonians.cluster.Cluster`), real or complex;
or, per bond, an ``[re, im]`` pair of real numbers, the form a TOML run spec uses (TOML has no
complex numbers). Values whose imaginary parts are all exactly zero are real.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from localpairs.errors import InputError, require
from localpairs.hamiltonians.cluster import Cluster

#: What a per-bond hopping may be given as (see the module docstring).
HoppingValue = complex | Sequence[complex] | Sequence[Sequence[float]]

_ALLOWED = ("a number in eV (complex |t|e^{iφ} for a flux or twist on the bond), one number per bond, "
            "or one [re, im] pair of real numbers per bond (the TOML form)")


def hopping_amplitudes(value: Any, *, field: str = "model.t") -> np.ndarray:
    """Parse hopping values into a 0-d (one for all bonds) or 1-d (per bond) array.

    Parameters
    ----------
    value : complex or sequence of complex or sequence of [re, im] pairs
        Hopping amplitude(s) in eV in one of the forms of the module docstring.
    field : str, optional
        The spec field named in an error message (default ``"model.t"``).

    Returns
    -------
    numpy.ndarray
        0-d (one value for all bonds) or 1-d (one per bond), float64 when every imaginary part
        is exactly zero, complex128 otherwise; in eV.

    Raises
    ------
    InputError
        Naming ``field`` and the value unless it has one of the forms of the module docstring
        with finite entries.
    """
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError):  # ragged nested lists
        raise InputError(field, value, _ALLOWED) from None
    require(arr.dtype.kind in "iufc" and arr.size >= 1, field, value, _ALLOWED)
    if arr.ndim == 2:
        require(arr.shape[1] == 2 and arr.dtype.kind != "c", field, value, _ALLOWED)
        arr = arr[:, 0].astype(float) + 1j * arr[:, 1].astype(float)
    require(arr.ndim <= 1, field, value, _ALLOWED)
    require(bool(np.all(np.isfinite(arr))), field, value, "finite numbers in eV")
    if arr.dtype.kind == "c" and np.all(arr.imag == 0.0):
        arr = arr.real
    return arr.astype(np.complex128 if arr.dtype.kind == "c" else float)


def per_bond_hopping(value: Any, cluster: Cluster, *, field: str = "model.t") -> np.ndarray:
    """Expand hopping values to one amplitude per bond of a cluster.

    Parameters
    ----------
    value : complex or sequence of complex or sequence of [re, im] pairs
        Hopping amplitude(s) in eV, one for all bonds or one per bond (in the order of
        ``cluster.bonds``), in any form of :func:`hopping_amplitudes`.
    cluster : Cluster
        The cluster whose bonds the amplitudes belong to.
    field : str, optional
        The spec field named in an error message (default ``"model.t"``).

    Returns
    -------
    numpy.ndarray
        (n_bonds,) amplitudes in eV, float64, or complex128 for any non-zero imaginary part.

    Raises
    ------
    InputError
        As :func:`hopping_amplitudes`, or when the number of values is not one or one per bond.
    """
    arr = hopping_amplitudes(value, field=field)
    if arr.ndim == 0:
        return np.full(cluster.n_bonds, arr[()], dtype=arr.dtype)
    require(arr.shape == (cluster.n_bonds,), field, value,
            f"one number or {cluster.n_bonds} (one per bond of {cluster.describe()}); {_ALLOWED}")
    return arr


def hopping_record(tb: np.ndarray) -> dict[str, Any]:
    """Record per-bond amplitudes for a model's parameters (JSON).

    Parameters
    ----------
    tb : numpy.ndarray
        (n_bonds,) hopping amplitudes in eV, real or complex.

    Returns
    -------
    dict of str to float or list of float
        ``{"t": ...}`` with one number when all bonds agree, else one per bond; complex
        amplitudes as ``t = |t|`` (eV) and ``t_phase = φ`` (radians).
    """
    def compact(x: np.ndarray) -> float | list[float]:
        return x.tolist() if np.ptp(x) > 0 else float(x[0])

    if np.iscomplexobj(tb):
        return {"t": compact(np.abs(tb)), "t_phase": compact(np.angle(tb))}
    return {"t": compact(tb)}


def hopping_matrix(cluster: Cluster, t: HoppingValue = 1.0) -> np.ndarray:
    """Build the single-particle hopping matrix, the U = 0 problem per spin.

    The matrix is ``h_ij = −Σ_b t_b``, ``h_ji = −Σ_b t_b*`` over bonds ``b: i → j`` (Hermitian).

    Parameters
    ----------
    cluster : Cluster
        The cluster.
    t : complex or sequence of complex, optional
        One hopping in eV for all bonds, or one per bond (in :attr:`Cluster.bonds` order), in any
        form of :func:`hopping_amplitudes`.

    Returns
    -------
    numpy.ndarray
        (N, N) matrix in eV, real symmetric for real ``t``, complex Hermitian otherwise.
    """
    tb = per_bond_hopping(t, cluster, field="t")
    h = np.zeros((cluster.n_sites, cluster.n_sites), dtype=tb.dtype)
    for b, tv in zip(cluster.bonds, tb):
        h[b.i, b.j] -= tv
        h[b.j, b.i] -= np.conj(tv)
    return h
