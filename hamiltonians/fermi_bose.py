"""Spatially separated Fermi–Bose mixture: local pairs on large octahedra, fermions on small ones.

Bosons are local electron pairs, written as ``b†_i = c†_i↑ c†_i↓`` on bosonic sites whose
occupancy is restricted to 0 or 2 (hard-core bosons). With that identification the conserved
charge ``2 N_B + N_F`` is simply ``N_↑ + N_↓`` and S_z is conserved, so one QuSpin
spinful-fermion sector restricted to physical states holds the physics (see the solvers'
constrained basis). Nothing here is a tensor basis: the conversion term is never dropped.
"""

from __future__ import annotations

import numpy as np

from localpairs.errors import require
from localpairs.hamiltonians.cluster import Cluster
from localpairs.hamiltonians.doping import DopingConfig
from localpairs.hamiltonians.model import Model, Term, hopping, merge_terms, pair_hopping


def fermi_bose_mixture(
    cluster: Cluster,
    doping: DopingConfig,
    *,
    t_B: float = 0.0,
    t_F: float = 1.0,
    E_B: float = 0.0,
    g: float = 0.0,
    V_BB: float = 0.0,
    V_BF: float = 0.0,
    U_F: float = 0.0,
    eps_F: float = 0.0,
    mu: float = 0.0,
) -> Model:
    r"""Fermi–Bose mixture Hamiltonian on bosonic (large) and fermionic (small) octahedra.

    .. math::

        H = -t_B \sum_{\langle ij\rangle \in BB} (b^\dagger_i b_j + \mathrm{h.c.})
            - t_F \sum_{\langle ij\rangle \in FF,\sigma} (c^\dagger_{i\sigma} c_{j\sigma} + \mathrm{h.c.})
            + E_B \sum_{i \in B} n^B_i
            + g \sum_{\langle ij\rangle,\, i\in B,\, j\in F} (b^\dagger_i c_{j\downarrow} c_{j\uparrow} + \mathrm{h.c.})
            + V_{BB} \sum_{\langle ij\rangle \in BB} n^B_i n^B_j
            + V_{BF} \sum_{\langle ij\rangle,\, i\in B,\, j\in F} n^B_i n_j
            + U_F \sum_{j\in F} n_{j\uparrow} n_{j\downarrow}
            + \varepsilon_F \sum_{j \in F} n_j
            - \mu (2 N_B + N_F)

    with ``b†_i = c†_i↑ c†_i↓``, ``n^B_i = n_i↑ n_i↓`` on bosonic sites (occupancy 0 or 2) and
    ``n_j = n_j↑ + n_j↓`` on fermionic sites. Sums over ⟨ij⟩ run over the cluster's bonds.

    Parameters
    ----------
    cluster : Cluster
        The cluster.
    doping : DopingConfig
        Which sites are bosonic (large) and fermionic (small).
    t_B, t_F : float, optional
        Pair tunnelling between bosonic neighbours and fermion hopping between fermionic
        neighbours, in eV (both enter with a minus sign).
    E_B : float, optional
        Boson (local-pair) level in eV.
    g : float, optional
        Boson–fermion conversion amplitude in eV between neighbouring bosonic and fermionic sites.
    V_BB, V_BF : float, optional
        Boson–boson and boson–fermion nearest-neighbour density interactions in eV.
    U_F : float, optional
        Hubbard interaction on fermionic sites in eV (default 0).
    eps_F : float, optional
        Fermion level in eV (default 0).
    mu : float, optional
        Chemical potential in eV coupling to the charge 2N_B + N_F.

    Returns
    -------
    Model
        With :attr:`~Model.bosonic_sites` set: solvers restrict those sites to occupancy 0 or 2.

    Raises
    ------
    InputError
        When ``doping`` belongs to a cluster of another size or a coupling is not finite.
    """
    require(len(doping.large) == cluster.n_sites, "doping", f"{len(doping.large)} sites", f"a doping configuration of this {cluster.n_sites}-site cluster")
    values = dict(t_B=t_B, t_F=t_F, E_B=E_B, g=g, V_BB=V_BB, V_BF=V_BF, U_F=U_F, eps_F=eps_F, mu=mu)
    for name, value in values.items():
        require(bool(np.isfinite(value)), f"model.{name}", value, "a finite number in eV")
    params = {k: float(v) for k, v in values.items()}
    terms = _mixture_terms(cluster, doping, **params)
    return Model(
        kind="fermi_bose",
        cluster=cluster,
        terms=terms,
        parameters=params,
        bosonic_sites=doping.bosonic_sites,
        doping=doping,
    )


def _mixture_terms(cluster: Cluster, doping: DopingConfig, *, t_B: float, t_F: float, E_B: float, g: float, V_BB: float,
                   V_BF: float, U_F: float, eps_F: float, mu: float) -> tuple[Term, ...]:
    """The terms of :func:`fermi_bose_mixture` (tunnelling, hops and conversion labelled with their
    bonds), merged by operator string."""
    large = doping.large
    terms: list[Term] = []
    for bond in cluster.bonds:
        i, j = bond.i, bond.j
        if large[i] and large[j]:
            terms.append(pair_hopping(bond, -t_B))
            terms.append(Term("nn|nn", ((V_BB, i, j, i, j),)))
        elif not large[i] and not large[j]:
            terms += hopping(bond, t_F)
        else:
            b, f = (i, j) if large[i] else (j, i)
            terms.append(pair_hopping(bond, g, into=b))
            # n^B_b n_f = n_b↑ n_b↓ (n_f↑ + n_f↓)
            terms.append(Term("nn|n", ((V_BF, b, f, b),)))
            terms.append(Term("n|nn", ((V_BF, b, b, f),)))
    # boson level: n^B = n↑n↓, charge 2 per boson
    terms.append(Term("n|n", tuple((E_B - 2.0 * mu, i, i) for i in doping.bosonic_sites)))
    terms.append(Term("n|n", tuple((U_F, j, j) for j in doping.fermionic_sites)))
    onsite = tuple((eps_F - mu, j) for j in doping.fermionic_sites)
    terms += [Term("n|", onsite), Term("|n", onsite)]
    return merge_terms(terms)
