"""Lattice symmetries of a cluster as QuSpin blocks: translations (momenta) and reflections.

Block names in a :class:`~localpairs.solvers.sector.Sector`:

``kx``, ``ky``, ``kz``
    Translation by one site along a periodic axis; label q = 0 … L−1, the momentum
    k = 2πq/L (QuSpin's convention: ψ(r) ∝ exp(−2πi q·r/L)). Complex unless 2q ≡ 0 mod L.
``px``, ``py``, ``pz``
    Reflection r_α → L_α − 1 − r_α; label 0 (even) or 1 (odd). On an axis that also carries a
    momentum it commutes with the translation only at q = 0 or L/2. On a periodic axis of
    length 2 the reflection is the translation, so only ``k`` is offered there.
``dxy``
    The diagonal mirror x ↔ y when L_x = L_y; label 0 or 1. It commutes with momenta only
    when kx = ky and is not combined with ``px``/``py``.

A symmetry is applied only after checking that it maps the model's terms (and the bosonic sites
of a Fermi–Bose mixture) onto themselves; otherwise an :class:`~localpairs.errors.InputError`
explains what breaks it.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import Any, Mapping

import numpy as np
from numba import cfunc, int32, uint64
from quspin.basis.user import map_sig_64

from localpairs.errors import InputError
from localpairs.hamiltonians import Cluster, Model

AXES = "xyz"
#: Couplings are compared after rounding to this many decimals (eV).
COUPLING_DECIMALS = 12


def generators(cluster: Cluster) -> dict[str, tuple[np.ndarray, int]]:
    """All symmetry generators of the cluster's geometry: name → (site permutation, period)."""
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


def commutes(model: Model, perm: np.ndarray) -> bool:
    """True when the site permutation maps every term of ``model`` onto a term of ``model``."""
    if set(int(perm[i]) for i in model.bosonic_sites) != set(model.bosonic_sites):
        return False
    return _term_multiset(model, perm) == _term_multiset(model, None)


def is_complex_block(name: str, q: int, period: int) -> bool:
    """True when the block's characters exp(−2πi q/period) are not all real."""
    return name.startswith("k") and (2 * q) % period != 0


def resolve_blocks(model: Model, blocks: Mapping[str, int]) -> dict[str, tuple[np.ndarray, int, int]]:
    """Check the requested blocks against the cluster and the model: name → (perm, period, q)."""
    available = generators(model.cluster)
    out: dict[str, tuple[np.ndarray, int, int]] = {}
    for name, q in blocks.items():
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
    for name, (_, period, q) in out.items():
        if name.startswith("p") and f"k{name[1]}" in out:
            _, lk, qk = out[f"k{name[1]}"]
            if (2 * qk) % lk != 0:
                raise InputError(f"sector.{name}", q, f"no reflection block with k{name[1]} = {qk}: they commute only at q = 0 or {lk // 2}")
    return out


@lru_cache(maxsize=None)
def _permute_modes_cfunc():
    """Compile the user-basis permutation map once, on first use (cached on disk by numba)."""

    @cfunc(map_sig_64, cache=True, locals=dict(out=uint64, m=int32, mp=int32, tm=uint64, inversions=int32, one=uint64))
    def _permute_modes(x, N, sign_ptr, args):
        # args[m] = target mode of mode m; mode m lives in bit N − 1 − m. Sign: parity of the
        # reordering of the occupied modes' images into Jordan–Wigner order.
        one = uint64(1)
        out = uint64(0)
        inversions = 0
        for m in range(N):
            if (x >> uint64(N - 1 - m)) & one:
                tm = args[m]
                out |= one << (uint64(N - 1) - tm)
                for mp in range(m):
                    if (x >> uint64(N - 1 - mp)) & one and args[mp] > tm:
                        inversions += 1
        if inversions & 1:
            sign_ptr[0] *= -1
        return out

    return _permute_modes


def quspin_blocks(resolved: Mapping[str, tuple[np.ndarray, int, int]], *, user_basis: bool, n_sites: int) -> dict[str, Any]:
    """Keyword arguments for a QuSpin basis: ``{name}block=(perm, q)`` or the user-basis form."""
    out: dict[str, Any] = {}
    for name, (perm, period, q) in resolved.items():
        if user_basis:
            modes = np.concatenate([perm, perm + n_sites]).astype(np.uint64)
            out[f"{name}block"] = (_permute_modes_cfunc(), period, q, modes)
        else:
            out[f"{name}block"] = (perm, q)
    return out
