"""Extended Hubbard model on a cluster of octahedra (one σ* orbital per octahedron)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from localpairs.errors import require
from localpairs.hamiltonians.cluster import Cluster
from localpairs.hamiltonians.doping import DopingConfig, doping_config
from localpairs.hamiltonians.hopping import HoppingValue, hopping_record, per_bond_hopping
from localpairs.hamiltonians.model import Model, Term, density_density, hopping, merge_terms, pair_hopping


def site_energies(
    cluster: Cluster,
    *,
    breathing: float = 0.0,
    doping: DopingConfig | None = None,
    eps: Sequence[float] | None = None,
) -> np.ndarray:
    """Compute the on-site energies ε_i in eV.

    ``eps`` given per site wins. Otherwise the breathing amplitude Δ sets ε_i = −Δ on large
    octahedra (they hold electron pairs, so their level is lower for Δ > 0) and ε_i = +Δ on
    small ones; ``doping`` says which are large (default: rock-salt order at x = 0).

    Parameters
    ----------
    cluster : Cluster
        The cluster of octahedra.
    breathing : float, optional
        Breathing amplitude Δ in eV (default 0).
    doping : DopingConfig or None, optional
        Which octahedra are large; default: rock-salt order at x = 0.
    eps : sequence of float or None, optional
        Site energies in eV, one per site; overrides ``breathing``.

    Returns
    -------
    numpy.ndarray
        (n_sites,) site energies ε_i in eV.

    Raises
    ------
    InputError
        When ``eps`` does not hold one finite number per site, or ``breathing`` is not finite.
    """
    if eps is not None:
        arr = np.asarray(eps, dtype=float)
        require(
            arr.shape == (cluster.n_sites,),
            "model.eps",
            list(eps),
            f"{cluster.n_sites} numbers (one per site) in eV",
        )
        require(bool(np.all(np.isfinite(arr))), "model.eps", list(eps), "finite numbers in eV")
        return arr
    require(np.isfinite(breathing), "model.breathing", breathing, "a finite number in eV")
    if breathing == 0.0:
        return np.zeros(cluster.n_sites)
    config = doping if doping is not None else doping_config(cluster, x=0.0)
    return np.where(np.array(config.large), -breathing, breathing).astype(float)


def extended_hubbard(
    cluster: Cluster,
    *,
    t: HoppingValue = 1.0,
    U: float = 0.0,
    V: float = 0.0,
    breathing: float = 0.0,
    eps: Sequence[float] | None = None,
    J_p: float = 0.0,
    mu: float = 0.0,
    doping: DopingConfig | None = None,
) -> Model:
    r"""Extended Hubbard model with breathing site energies and pair hopping.

    .. math::

        H = -\sum_{\langle ij\rangle\sigma} t_{ij}\,(c^\dagger_{i\sigma} c_{j\sigma} + \mathrm{h.c.})
            + U \sum_i n_{i\uparrow} n_{i\downarrow}
            + V \sum_{\langle ij\rangle} n_i n_j
            + \sum_i \varepsilon_i n_i
            + J_p \sum_{\langle ij\rangle} (c^\dagger_{i\uparrow} c^\dagger_{i\downarrow}
                   c_{j\downarrow} c_{j\uparrow} + \mathrm{h.c.})
            - \mu N

    Sums over ⟨ij⟩ run over bonds (bridging oxygens) of the cluster, so on a periodic axis of
    length 2 each pair of sites appears twice unless the cluster joins it once
    (``bond_multiplicity``, see :mod:`~localpairs.hamiltonians.cluster`). A complex ``t_b`` on the
    bond ``i → j`` (a flux or twist, see :mod:`~localpairs.hamiltonians.hopping`) enters as
    ``−t_b c†_iσ c_jσ − t_b* c†_jσ c_iσ``; the model is then complex (``Model.is_complex``) and
    the solvers build complex matrices. Only the single-electron hop carries the phase: ``J_p``
    stays real, so with ``J_p ≠ 0`` a phase on t is not a gauge-invariant flux for the pairs.

    Parameters
    ----------
    cluster : Cluster
        The cluster of octahedra.
    t : complex or sequence of complex, optional
        Hopping in eV, one for all bonds or one per bond (:attr:`Cluster.bonds` order); enters
        with a minus sign. Complex values (or ``[re, im]`` pairs per bond, the TOML form) put a
        phase on a bond; see :func:`~localpairs.hamiltonians.hopping.hopping_amplitudes`.
    U : float, optional
        On-site interaction in eV; U < 0 is attraction (the default use).
    V : float, optional
        Nearest-neighbour density interaction in eV (V > 0 repulsive).
    breathing : float, optional
        Breathing amplitude Δ in eV: ε_i = −Δ on large octahedra, +Δ on small ones.
    eps : sequence of float or None, optional
        Site energies ε_i in eV (overrides ``breathing``).
    J_p : float, optional
        Pair hopping in eV.
    mu : float, optional
        Chemical potential in eV (enters as −μN).
    doping : DopingConfig or None, optional
        Which octahedra are large (for ``breathing``); default: rock-salt order at x = 0.

    Returns
    -------
    Model
        The model, its terms merged by operator string and labelled with their bonds.

    Raises
    ------
    InputError
        When a coupling is not finite, ``t`` has the wrong number of values, or ``eps`` is not
        one finite number per site.
    """
    tb = per_bond_hopping(t, cluster, field="model.t")
    for name, value in (("model.U", U), ("model.V", V), ("model.J_p", J_p), ("model.mu", mu)):
        require(bool(np.isfinite(value)), name, value, "a finite number in eV")
    energies = site_energies(cluster, breathing=breathing, doping=doping, eps=eps)
    terms = _hubbard_terms(cluster, tb, U=float(U), V=float(V), J_p=float(J_p), onsite=energies - mu)
    params = {**hopping_record(tb), "U": float(U), "V": float(V), "breathing": float(breathing), "eps": energies.tolist(),
              "J_p": float(J_p), "mu": float(mu)}
    return Model(kind="extended_hubbard", cluster=cluster, terms=terms, parameters=params, doping=doping)


def _hubbard_terms(cluster: Cluster, tb: np.ndarray, *, U: float, V: float, J_p: float, onsite: np.ndarray) -> tuple[Term, ...]:
    """The terms of :func:`extended_hubbard` (hops and pair hops labelled with their bonds), merged by operator string."""
    terms: list[Term] = []
    for bond, tv in zip(cluster.bonds, tb):
        terms += hopping(bond, complex(tv) if np.iscomplexobj(tv) else float(tv))
    terms.append(Term("n|n", tuple((U, i, i) for i in range(cluster.n_sites))))
    for bond in cluster.bonds:
        terms += density_density(bond.i, bond.j, V)
        terms.append(pair_hopping(bond, J_p))
    site = tuple((float(e), i) for i, e in enumerate(onsite))
    terms += [Term("n|", site), Term("|n", site)]
    return merge_terms(terms)
