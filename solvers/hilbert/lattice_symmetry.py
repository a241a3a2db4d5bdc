"""Lattice symmetries of a cluster as QuSpin blocks: translations (momenta) and reflections.

Block names in a :class:`~localpairs.solvers.hilbert.sector.Sector`:

``kx``, ``ky``, ``kz``
    Translation by one site along a periodic axis; label q = 0 … L−1. QuSpin's convention,
    checked numerically here: with ``g`` the unitary ``g c†_iσ g† = c†_{perm(i)σ}`` (translation
    by +a), a state of block q has ``g|ψ⟩ = e^{+2πi q/L}|ψ⟩``, i.e. ψ(r) ∝ exp(−2πi q·r/L) for one
    particle: its crystal momentum in the plane-wave convention ``e^{+ik·r}`` of
    ``c†_k`` (:mod:`~localpairs.solvers.spectra.excitations`) is ``K = −2πq/(La)``. Complex unless
    2q ≡ 0 mod L.
``px``, ``py``, ``pz``
    Reflection r_α → L_α − 1 − r_α; label 0 (even) or 1 (odd). On an axis that also carries a
    momentum it commutes with the translation only at q = 0 or L/2. On a periodic axis of
    length 2 the reflection is the translation, so only ``k`` is offered there.
``dxy``
    The diagonal mirror x ↔ y when L_x = L_y; label 0 or 1. It commutes with momenta only
    when kx = ky and is not combined with ``px``/``py``.
``sf``
    The spin flip ↑ ↔ ↓ on every site (``g c†_i↑ g† = c†_i↓``); label 0 or 1. It keeps only an
    S_z = 0 sector and commutes with every lattice symmetry; the compiled block builder of
    :mod:`~localpairs.solvers.hilbert.block_matrix` handles it (QuSpin's spinful bases would
    need a mode permutation and are not offered it).

A symmetry is applied only after checking that it maps the model's terms (and the bosonic sites
of a Fermi–Bose mixture) onto themselves; otherwise an :class:`~localpairs.errors.InputError`
explains what breaks it.

Operators between blocks
------------------------
An operator O maps block q of generator g to a single block only when it is an eigenoperator,
``g O g† = e^{2πi m/P} O`` (P the period); the target label is then ``q + m mod P``
(:func:`shifted_blocks`). ``c†_k`` (k = 2πn/(La)) has m = −n under the translation: it moves
block q to q − n. A reflection maps ``c†_k`` to ``c†_{−k}``, so a reflection block is kept only
for k ≡ −k along its axis (m = 0 or 1); site-resolved operators are no eigenoperators of any
translation and are refused with an explanation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import product

import numpy as np

from localpairs.errors import InputError
from localpairs.hamiltonians import Cluster, Model, Term
from localpairs.solvers.hilbert.group_action import SPIN_FLIP, spin_flip_modes

AXES = "xyz"
#: Couplings are compared after rounding to this many decimals (eV).
COUPLING_DECIMALS = 12


def generators(cluster: Cluster) -> dict[str, tuple[np.ndarray, int]]:
    """All symmetry generators of the cluster's geometry.

    Parameters
    ----------
    cluster : Cluster
        The cluster.

    Returns
    -------
    dict[str, tuple[numpy.ndarray, int]]
        Name (``kx`` …, ``px`` …, ``dxy``) → (site permutation, period).
    """
    out: dict[str, tuple[np.ndarray, int]] = {}
    coords = cluster.coordinates
    for axis, (n, periodic) in enumerate(zip(cluster.shape, cluster.periodic)):
        if n < 2:
            continue
        if periodic:
            shifted = coords.copy()
            shifted[:, axis] = (shifted[:, axis] + 1) % n
            out[f"k{AXES[axis]}"] = (np.array([cluster.site_index(*c) for c in shifted]), n)
        if periodic and n == 2:
            continue  # the reflection equals the translation
        mirrored = coords.copy()
        mirrored[:, axis] = n - 1 - mirrored[:, axis]
        out[f"p{AXES[axis]}"] = (np.array([cluster.site_index(*c) for c in mirrored]), 2)
    if cluster.shape[0] == cluster.shape[1] >= 2 and cluster.periodic[0] == cluster.periodic[1]:
        swapped = coords[:, [1, 0, 2]]
        out["dxy"] = (np.array([cluster.site_index(*c) for c in swapped]), 2)
    return out


def translation_group(cluster: Cluster, names: tuple[str, ...]) -> np.ndarray:
    """Site permutations of every element of the translation group spanned by ``names``.

    Parameters
    ----------
    cluster : Cluster
        The cluster.
    names : tuple of str
        Translation names (``kx``, ``ky``, ``kz``).

    Returns
    -------
    numpy.ndarray
        (|G|, L) site permutations.
    """
    gens = generators(cluster)
    out = []
    for exps in product(*(range(gens[n][1]) for n in names)):
        site = np.arange(cluster.n_sites)
        for n, e in zip(names, exps):
            for _ in range(e):
                site = gens[n][0][site]
        out.append(site)
    return np.array(out)


def _canonical(opstr: str, sites: tuple[int, ...]) -> tuple:
    """A term as its factors (character, spin, site); products of densities commute, so sorted."""
    up, down = opstr.split("|")
    factors = [(ch, 0, s) for ch, s in zip(up, sites)] + [(ch, 1, s) for ch, s in zip(down, sites[len(up):])]
    return tuple(sorted(factors)) if set(up + down) <= {"n"} else tuple(factors)


def _term_multiset(model: Model, perm: np.ndarray | None) -> Counter:
    out: Counter = Counter()
    for opstr, couplings in model.static_list():
        for coef, *idx in couplings:
            sites = tuple(int(perm[i]) for i in idx) if perm is not None else tuple(idx)
            value = complex(coef)
            out[(_canonical(opstr, sites), round(value.real, COUPLING_DECIMALS), round(value.imag, COUPLING_DECIMALS))] += 1
    return out


def _spin_flipped(model: Model) -> Counter:
    """The term multiset of ``model`` with the two spins swapped (sites kept)."""
    out: Counter = Counter()
    for opstr, couplings in model.static_list():
        up, down = opstr.split("|")
        for coef, *idx in couplings:
            sites = tuple(idx[len(up):]) + tuple(idx[: len(up)])
            value = complex(coef)
            out[(_canonical(f"{down}|{up}", sites), round(value.real, COUPLING_DECIMALS), round(value.imag, COUPLING_DECIMALS))] += 1
    return out


def spin_flip_commutes(model: Model) -> bool:
    """True when swapping ↑ and ↓ maps every term of ``model`` onto a term of ``model``.

    Parameters
    ----------
    model : Model
        The Hamiltonian (no bosonic sites: those hold pairs, whose spin flip is not a mode swap).

    Returns
    -------
    bool
        Whether the spin flip is a symmetry.
    """
    return not model.bosonic_sites and _spin_flipped(model) == _term_multiset(model, None)


def commutes(model: Model, perm: np.ndarray) -> bool:
    """True when the site permutation maps every term of ``model`` onto a term of ``model``.

    Parameters
    ----------
    model : Model
        The Hamiltonian.
    perm : numpy.ndarray
        Site permutation.

    Returns
    -------
    bool
        Whether the permutation is a symmetry of the model (bosonic sites included).
    """
    if set(int(perm[i]) for i in model.bosonic_sites) != set(model.bosonic_sites):
        return False
    return _term_multiset(model, perm) == _term_multiset(model, None)


def is_complex_block(name: str, q: int, period: int) -> bool:
    """True when the block's characters exp(−2πi q/period) are not all real.

    Parameters
    ----------
    name : str
        Generator name.
    q : int
        Block label.
    period : int
        The generator's period.

    Returns
    -------
    bool
        Whether the block is complex (a momentum with 2q ≢ 0 mod period).
    """
    return name.startswith("k") and (2 * q) % period != 0


def resolve_blocks(model: Model, blocks: Mapping[str, int]) -> dict[str, tuple[np.ndarray, int, int]]:
    """Check the requested blocks against the cluster and the model.

    Parameters
    ----------
    model : Model
        The Hamiltonian.
    blocks : Mapping[str, int]
        Block labels by generator name (see the module docstring).

    Returns
    -------
    dict[str, tuple[numpy.ndarray, int, int]]
        Name → (permutation, period, q); the spin flip's permutation is of the 2L modes.

    Raises
    ------
    InputError
        When a name is no symmetry of the cluster, a label is out of range, a symmetry does not
        commute with the model, or two blocks cannot be combined.
    """
    available = generators(model.cluster)
    out: dict[str, tuple[np.ndarray, int, int]] = {}
    for name, q in blocks.items():
        if name == SPIN_FLIP:
            if q not in (0, 1):
                raise InputError(f"sector.{name}", q, "0 (even) or 1 (odd) under the spin flip")
            if not spin_flip_commutes(model):
                raise InputError(f"sector.{name}", q, f"no block: the spin flip does not commute with this {model.kind} Hamiltonian "
                                 "(a field, spin-dependent terms or bosonic sites); drop it from the sector")
            out[name] = (spin_flip_modes(model.n_sites), 2, int(q))
            continue
        if name not in available:
            raise InputError(f"sector.{name}", q, f"a symmetry of this cluster: one of {sorted(available)} (momenta need a periodic axis)")
        perm, period = available[name]
        if not (isinstance(q, (int, np.integer)) and 0 <= q < period):
            raise InputError(f"sector.{name}", q, f"an integer label 0 … {period - 1}")
        if not commutes(model, perm):
            raise InputError(
                f"sector.{name}",
                q,
                f"no block: the {name} symmetry does not commute with this {model.kind} Hamiltonian "
                "(a doping configuration, breathing, site energies or a field breaks it); drop it from the sector",
            )
        out[name] = (perm, period, int(q))
    if "dxy" in out:
        if "px" in out or "py" in out:
            raise InputError("sector.dxy", out["dxy"][2], "no diagonal-mirror block together with px or py (they do not commute)")
        if out.get("kx", (None, 0, 0))[2] != out.get("ky", (None, 0, 0))[2]:
            raise InputError("sector.dxy", out["dxy"][2], "a diagonal-mirror block needs kx = ky (both given, or neither)")
    for name, (_, _period, q) in out.items():
        if name.startswith("p") and f"k{name[1]}" in out:
            _, lk, qk = out[f"k{name[1]}"]
            if (2 * qk) % lk != 0:
                raise InputError(f"sector.{name}", q, f"no reflection block with k{name[1]} = {qk}: they commute only at q = 0 or {lk // 2}")
    return out


#: Relative tolerance of the eigenoperator test ``g O g† = λ O`` (coefficients are sums of phases).
CHARACTER_TOL = 1e-10


def _coefficients(terms: Sequence[Term], perm: np.ndarray | None) -> dict[tuple, complex]:
    """``{canonical factors: coefficient}`` of ``Σ terms``, with every site index mapped by ``perm``."""
    out: dict[tuple, complex] = {}
    for term in terms:
        for coef, *idx in term.couplings:
            sites = tuple(int(perm[i]) for i in idx) if perm is not None else tuple(int(i) for i in idx)
            key = _canonical(term.opstr, sites)
            out[key] = out.get(key, 0.0) + complex(coef)
    return out


def operator_character(terms: Sequence[Term], perm: np.ndarray, period: int) -> int | None:
    """Character m with ``g O g† = e^{2πi m/period} O`` for the site permutation g.

    ``g c†_iσ g† = c†_{perm(i)σ}`` maps every factor of a string to the permuted site without
    reordering, so ``g O g†`` has the same strings with permuted indices.

    Parameters
    ----------
    terms : Sequence[Term]
        The operator O as terms.
    perm : numpy.ndarray
        Site permutation of g.
    period : int
        Period of g.

    Returns
    -------
    int or None
        m, or None when O is no eigenoperator of g.
    """
    before, after = _coefficients(terms, None), _coefficients(terms, perm)
    scale = max((abs(c) for c in before.values()), default=0.0)
    if scale == 0.0:
        return 0
    ref = max(before, key=lambda k: abs(before[k]))
    lam = after.get(ref, 0.0) / before[ref]
    m = round(period * np.angle(lam) / (2.0 * np.pi)) % period
    lam_m = np.exp(2j * np.pi * m / period)
    if abs(lam - lam_m) > CHARACTER_TOL:
        return None
    keys = set(before) | set(after)
    if any(abs(after.get(k, 0.0) - lam_m * before.get(k, 0.0)) > CHARACTER_TOL * scale for k in keys):
        return None
    return m


def shifted_blocks(model: Model, blocks: Mapping[str, int], terms: Sequence[Term], label: str) -> dict[str, int]:
    """The block labels O (``terms``) maps ``blocks`` to: ``q + m mod period`` per generator.

    Parameters
    ----------
    model : Model
        The Hamiltonian.
    blocks : Mapping[str, int]
        Labels of the initial block.
    terms : Sequence[Term]
        The operator O.
    label : str
        What O is, for error messages.

    Returns
    -------
    dict[str, int]
        Labels of the final block.

    Raises
    ------
    InputError
        When O is not an eigenoperator of one of the generators (it would spread the state over
        several blocks), naming the generator, or the blocks include the spin flip.
    """
    out: dict[str, int] = {}
    for name, (perm, period, q) in resolve_blocks(model, blocks).items():
        if name == SPIN_FLIP:
            raise InputError(f"sector.{name}", q, f"a sector without the spin flip for {label} (operators between its blocks are not offered)")
        m = operator_character(terms, perm, period)
        if m is None:
            what = "a translation" if name.startswith("k") else "a reflection"
            raise InputError(
                f"sector.{name}",
                q,
                f"no {name} block for {label}: the operator is not an eigenoperator of {what} ({name}), so it spreads the "
                f"state over several {name} blocks. Use a momentum-resolved operator (k = …) on a translation block, a k "
                f"with k ≡ −k along a reflected axis, or a sector without {name}",
            )
        out[name] = (q + m) % period
    return out
