"""Terms know their bond: builders label every charge-moving coupling, and the Peierls split,
the memory estimate and the compiled block builder read the labels, not the order of the terms."""

import numpy as np
import pytest

from localpairs.errors import InputError, LocalPairsError
from localpairs.hamiltonians import doping_config, extended_hubbard, fermi_bose_mixture, make_cluster
from localpairs.hamiltonians.driven_model import drive, split_hopping
from localpairs.hamiltonians.model import BondLabel, Term, charge_transfer, hopping, merge_terms, pair_hopping
from localpairs.solvers import build_basis, estimate_memory, hamiltonian_matrix, sector
from localpairs.solvers.hilbert.block_matrix import Representatives, block_matrix
from localpairs.solvers.hilbert.lattice_symmetry import resolve_blocks


def reference_split(model):
    """The split before bond labels: for every bond in order, the first unused coupling moving
    charge j → i is its forward hop and the first unused conjugate coupling i → j its backward hop
    (it relies on the builders' write order)."""
    hop_ops = {"+-|": 1, "|+-": 1, "+-|+-": 2}
    hops = {op: [] for op in hop_ops}
    static = []
    for op, couplings in model.static_list():
        (hops[op].extend(list(c) for c in couplings)) if op in hop_ops else static.append([op, couplings])
    used = {op: [False] * len(c) for op, c in hops.items()}

    def take(op, idx, value):
        for k, c in enumerate(hops[op]):
            if not used[op][k] and tuple(c[1:]) == idx and (value is None or np.isclose(c[0], value, rtol=1e-12, atol=1e-14)):
                used[op][k] = True
                return c
        return None

    grouped = {}
    for bond in model.cluster.bonds:
        for op, q in hop_ops.items():
            fwd_idx = (bond.i, bond.j) * q
            bwd_idx = (bond.j, bond.i) * q
            fwd = take(op, fwd_idx, None)
            if fwd is None:
                continue
            bwd = take(op, bwd_idx, np.conj(fwd[0]))
            forward, backward = grouped.setdefault((bond.axis, q), ({}, {}))
            forward.setdefault(op, []).append(fwd)
            backward.setdefault(op, []).append(bwd)
    channels = {key: ([[op, c] for op, c in f.items()], [[op, c] for op, c in b.items()]) for key, (f, b) in grouped.items()}
    return static, channels


def flux_model():
    """Open plaquette whose first bond's hopping carries the phase e^{0.7i} (complex couplings)."""
    cl = make_cluster("plaquette")
    base = extended_hubbard(cl, t=1.0, U=-2.0, V=0.3, J_p=0.05)
    terms = [t for t in base.terms if t.opstr not in ("+-|", "|+-")]
    for k, bond in enumerate(cl.bonds):
        terms += hopping(bond, complex(np.exp(0.7j)) if k == 0 else 1.0)
    return base.with_terms(merge_terms(terms))


def models():
    cube = make_cluster("cube", periodic=True)  # every axis periodic of length 2: doubled bonds
    cl = make_cluster("2x2x3", periodic=[True, True, False])
    return {
        "hubbard_cube_per_bond_t": extended_hubbard(cube, t=np.linspace(0.2, 0.43, cube.n_bonds), U=-1.2, V=0.1, J_p=0.05, breathing=0.3),
        "fermi_bose": fermi_bose_mixture(cl, doping_config(cl, x=0.25, placement="random", seed=3), t_B=0.1, t_F=0.3, g=0.2, V_BF=0.1, E_B=-0.4),
        "flux": flux_model(),
    }


def shuffled(model, seed=0):
    """The same model with its couplings written in a random order (labels travel with them)."""
    single = [Term(t.opstr, (c,), (b,)) for t in model.terms for c, b in zip(t.couplings, t.bonds)]
    order = np.random.default_rng(seed).permutation(len(single))
    return model.with_terms(merge_terms([single[k] for k in order]))


def test_charge_moving_term_without_bond_is_refused():
    model = extended_hubbard(make_cluster("dimer"), t=1.0, U=-2.0)
    bare = Term("+-|", ((-0.1, 0, 1), (-0.1, 1, 0)))  # a hop with no bond
    with pytest.raises(InputError, match=r"'\+-\|'.*BondLabel"):
        model.with_terms((*model.terms, bare))
    wrong = Term("+-|+-", ((0.1, 0, 1, 0, 1),), (BondLabel(model.cluster.bonds[0], 1),))  # moves 2, says 1
    with pytest.raises(InputError, match="charge"):
        model.with_terms((*model.terms, wrong))
    other = make_cluster("plaquette").bonds[3]  # not a bond of the dimer
    with pytest.raises(InputError, match="bond"):
        model.with_terms((*model.terms, Term("+-|", ((-0.1, other.i, other.j),), (BondLabel(other, 1),))))
    # spin exchange S+_0 S-_1 = c†_0↑ c_0↓ c†_1↓ c_1↑ moves no charge: no bond needed
    exchange = Term("+-|-+", ((0.1, 0, 1, 0, 1), (0.1, 1, 0, 1, 0)))
    assert charge_transfer(exchange.opstr, (0, 1, 0, 1)) == {} and not exchange.moves_charge
    model.with_terms((*model.terms, exchange))


def test_labels_carry_the_charge_their_operator_moves():
    bond = make_cluster("dimer").bonds[0]
    # Δ†_j Δ_i moves two electrons from i to j: charge −2 in the bond's j → i convention
    term = pair_hopping(bond, 0.3, into=bond.j)
    assert [b.charge for b in term.bonds] == [-2, 2]
    assert charge_transfer(term.opstr, term.couplings[0][1:]) == {bond.j: 2, bond.i: -2}
    with pytest.raises(InputError, match=r"pair_hopping\.into"):
        pair_hopping(bond, 0.3, into=5)


@pytest.mark.parametrize("name", ["hubbard_cube_per_bond_t", "fermi_bose", "flux"])
def test_split_from_labels_reproduces_the_order_based_split(name):
    model = models()[name]
    static, channels = split_hopping(model)
    ref_static, ref_channels = reference_split(model)
    assert static == ref_static
    assert channels == ref_channels and list(channels) == sorted(ref_channels)


@pytest.mark.parametrize("name", ["hubbard_cube_per_bond_t", "fermi_bose", "flux"])
def test_pieces_do_not_depend_on_the_order_of_the_terms(name):
    model = models()[name]
    a, b = drive(model).pieces, drive(shuffled(model)).pieces
    assert [p.name for p in a] == [p.name for p in b]
    for pa, pb in zip(a, b):
        if pa.channel is None:  # the static piece keeps the model's order: compare per operator
            assert {op: sorted(map(str, c)) for op, c in pa.static} == {op: sorted(map(str, c)) for op, c in pb.static}
        else:
            assert pa == pb


def test_memory_estimate_reads_labels_not_term_order_or_parameter_names():
    cl = make_cluster("2x2x3", periodic=True)
    model = extended_hubbard(cl, t=0.33, U=-1.2, V=0.1, J_p=0.05)
    sec = sector(electrons=12)
    assert estimate_memory(shuffled(model, seed=1), sec) == estimate_memory(model, sec)
    # pair hopping added as labelled terms, with no J_p among the parameters, counts as J_p does
    plain = extended_hubbard(cl, t=0.33, U=-1.2, V=0.1)
    added = plain.with_terms(merge_terms(list(plain.terms) + [pair_hopping(b, 0.05) for b in cl.bonds]))
    assert added.parameters["J_p"] == 0.0
    assert estimate_memory(added, sec) == estimate_memory(model, sec) != estimate_memory(plain, sec)
    # no charge moves: H is diagonal, one non-zero per row at most (closed form)
    dimer = extended_hubbard(make_cluster("plaquette"), t=0.0, U=-1.0, V=0.2)
    est = estimate_memory(dimer, sector(electrons=4))
    assert est.nnz == est.dimension >= hamiltonian_matrix(dimer, build_basis(dimer, sector(electrons=4))).nnz


@pytest.mark.parametrize("name, blocks", [("hubbard_cube_per_bond_t", dict(kx=1, ky=0, kz=1)), ("flux", {})])
def test_block_matrix_does_not_depend_on_the_order_of_the_terms(name, blocks):
    model = models()[name]
    if name == "hubbard_cube_per_bond_t":  # translations need uniform couplings
        model = extended_hubbard(model.cluster, t=0.33, U=-1.2, V=0.1, J_p=0.05, mu=0.2)
    reps = Representatives(resolve_blocks(model, blocks), n_sites=model.n_sites, n_up=3, n_down=2)
    basis = reps.block(blocks, np.complex128)
    h_a = block_matrix(model, reps, basis)
    h_b = block_matrix(shuffled(model, seed=2), reps, basis)
    assert h_a.nnz > 0 and abs(h_a - h_b).max() == 0.0  # exact: the same sums in the same order


def test_non_hermitian_hop_is_refused_by_the_split():
    model = extended_hubbard(make_cluster("dimer"), t=1.0)
    bond = model.cluster.bonds[0]
    one_way = Term("+-|", ((-0.5, bond.i, bond.j),), (BondLabel(bond, 1),))
    with pytest.raises(LocalPairsError, match="Hermitian partner"):
        split_hopping(model.with_terms((*model.terms, one_way)))


def test_a_new_labelled_term_gets_its_peierls_phase_without_other_edits():
    """Correlated hopping x (c†_0↑ c_1↑ + h.c.) n_0↓, written only where the model is built, is
    split into the single-electron channel of its bond. Reference: gauge invariance. On an open
    dimer a uniform A is a pure gauge, so H(A) has the spectrum of H(0) only if every hop across
    the bond carries the phase (a term left static would change the spectrum)."""
    from localpairs.solvers.spectra.conductivity import peierls_model

    base = extended_hubbard(make_cluster("dimer"), t=1.0, U=-2.0, V=0.3)
    bond = base.cluster.bonds[0]
    corr = Term("+-|n", ((0.4, bond.i, bond.j, bond.i), (0.4, bond.j, bond.i, bond.i)), (BondLabel(bond, 1), BondLabel(bond, -1)))
    model = base.with_terms(merge_terms([*base.terms, corr]))
    _, channels = split_hopping(model)
    assert dict(channels[(0, 1)][0])["+-|n"] == [[0.4, bond.i, bond.j, bond.i]]
    sec = sector(n_up=1, n_down=1)

    def spectrum(m):
        return np.linalg.eigvalsh(hamiltonian_matrix(m, build_basis(m, sec)).toarray())

    e0 = spectrum(model)
    e_a = spectrum(peierls_model(model, (0.3, 0.0, 0.0)))
    # phase 0.3 · a ≈ 1.3 rad: far from a gauge-trivial multiple of 2π; eigvalsh round-off ~1e-15
    assert np.abs(e_a - e0).max() < 1e-12
    base_a = peierls_model(base, (0.3, 0.0, 0.0))
    broken = spectrum(base_a.with_terms(merge_terms([*base_a.terms, corr])))
    assert np.abs(broken - e0).max() > 1e-3  # the same term without its phase breaks the gauge symmetry
