"""Extended Hubbard model against closed forms, counting, Jordan–Wigner and the Shiba mapping."""

import numpy as np
import pytest
from jw_reference import atomic_energies, fock_states, hubbard_full, restrict

from localpairs.errors import InputError, LocalPairsError
from localpairs.hamiltonians import PRESETS, extended_hubbard, hopping_matrix, make_cluster
from localpairs.solvers import build_basis, hamiltonian_matrix, sector, solve
from localpairs.solvers.ed.momentum import lowest_by_momentum
from localpairs.solvers.hilbert.basis import operator_matrix
from localpairs.spec import SpecError, parse_spec
from localpairs.studies.common import build_system

#: Eigenvalues of double-precision matrices of dimension ≤ 5000 agree to ~1e-12 eV (× norm).
EIG_TOL = 1e-10
#: Spectra of gauge-equivalent ≤ 36-dimensional matrices: round-off ~1e-14 (measured 1.5e-14).
GAUGE_TOL = 1e-12
#: Full-matrix ‖H − H†‖ is exactly zero up to round-off in the couplings.
HERM_TOL = 1e-13


def spectrum(model, n_up, n_down):
    basis = build_basis(model, sector(n_up=n_up, n_down=n_down))
    h = hamiltonian_matrix(model, basis).toarray()
    return np.linalg.eigvalsh(h)


@pytest.mark.parametrize("U", [4.0, -4.0, 7.3, -2.5])
def test_dimer_closed_forms(U):
    t = 1.0
    m = extended_hubbard(make_cluster("dimer"), t=t, U=U)
    assert np.allclose(spectrum(m, 1, 0), [-t, t], atol=EIG_TOL)
    root = np.sqrt(U**2 / 4 + 4 * t**2)
    assert np.allclose(spectrum(m, 1, 1), sorted([0.0, U, U / 2 - root, U / 2 + root]), atol=EIG_TOL)
    # the triplet: S_z = ±1 sectors hold one zero-energy state each
    assert np.allclose(spectrum(m, 2, 0), [0.0], atol=EIG_TOL)
    assert np.allclose(spectrum(m, 2, 1), [U - t, U + t], atol=EIG_TOL)
    assert np.allclose(spectrum(m, 2, 2), [2 * U], atol=EIG_TOL)
    assert np.isclose(solve(m, sector(electrons=2)).ground_energy, U / 2 - root, atol=EIG_TOL)


@pytest.mark.parametrize("name", sorted(PRESETS))
@pytest.mark.parametrize("periodic", [False, True])
def test_u0_ground_energy_fills_hopping_levels(name, periodic):
    cl = make_cluster(name, periodic=periodic)
    t = 0.33
    levels = np.linalg.eigvalsh(hopping_matrix(cl, t))
    n_up = n_dn = max(1, min(2, cl.n_sites // 4))  # small sectors keep 2x2x4 cheap
    m = extended_hubbard(cl, t=t, U=0.0)
    e0 = solve(m, sector(n_up=n_up, n_down=n_dn)).ground_energy
    assert np.isclose(e0, levels[:n_up].sum() + levels[:n_dn].sum(), atol=EIG_TOL)


def test_atomic_limit_by_counting():
    cl = make_cluster("plaquette", periodic=True)
    rng = np.random.default_rng(1)
    eps = rng.normal(size=cl.n_sites)
    m = extended_hubbard(cl, t=0.0, U=-1.3, V=0.4, eps=eps)
    bonds = [(b.i, b.j) for b in cl.bonds]
    for n_up, n_dn in [(1, 1), (2, 1), (2, 2), (3, 2)]:
        ref = atomic_energies(cl.n_sites, bonds, -1.3, 0.4, eps, n_up, n_dn)
        assert np.allclose(spectrum(m, n_up, n_dn), ref, atol=EIG_TOL)


def test_breathing_and_mu_enter_as_site_energies():
    cl = make_cluster("dimer")
    m = extended_hubbard(cl, t=0.0, U=0.0, breathing=0.3, mu=0.1)
    # site 0 is large: ε = −0.3; site 1 small: +0.3; −μ per electron
    assert np.allclose(spectrum(m, 1, 0), [-0.3 - 0.1, 0.3 - 0.1], atol=EIG_TOL)


@pytest.mark.parametrize("shape, periodic", [("dimer", False), ("plaquette", False), ((3, 1, 1), True)])
def test_sector_spectra_equal_jordan_wigner_full_space(shape, periodic):
    """Every term (t per bond, U, V, ε, J_p) against a dense Jordan–Wigner construction."""
    cl = make_cluster(shape, periodic=periodic)
    rng = np.random.default_rng(5)
    t = rng.uniform(0.5, 1.5, cl.n_bonds)
    eps = rng.normal(size=cl.n_sites)
    params = dict(t=t, U=-2.1, V=0.35, eps=eps, J_p=0.27)
    m = extended_hubbard(cl, **params)
    bonds = [(b.i, b.j) for b in cl.bonds]
    full = hubbard_full(cl.n_sites, bonds, **params)
    assert np.linalg.norm(full - full.T) == 0.0
    union = []
    for n_up in range(cl.n_sites + 1):
        for n_dn in range(cl.n_sites + 1):
            states = fock_states(cl.n_sites, n_up, n_dn)
            basis = build_basis(m, sector(n_up=n_up, n_down=n_dn))
            assert list(basis.states) == states  # QuSpin's layout and order
            h = hamiltonian_matrix(m, basis).toarray()
            # same Jordan–Wigner order: equal element by element, not only in spectrum
            assert np.abs(h - restrict(full, states)).max() <= HERM_TOL
            ref = np.linalg.eigvalsh(restrict(full, states))
            assert np.allclose(np.linalg.eigvalsh(h), ref, atol=EIG_TOL)
            union += list(ref)
    # sectors together are the whole Fock space
    assert np.allclose(np.sort(union), np.linalg.eigvalsh(full), atol=EIG_TOL)


@pytest.mark.parametrize("name", ["plaquette", "cube"])
def test_hermitian_matrices(name):
    cl = make_cluster(name, periodic=True)
    m = extended_hubbard(cl, t=0.33, U=-1.2, V=0.15, breathing=0.1, J_p=0.05)
    basis = build_basis(m, sector(electrons=cl.n_sites))
    h = hamiltonian_matrix(m, basis)
    assert abs(h - h.getH()).max() <= HERM_TOL
    assert solve(m, sector(electrons=cl.n_sites)).hermiticity < 1e-14


@pytest.mark.parametrize("name", ["plaquette", "cube"])
def test_shiba_mapping(name):
    """E_att(−|U|; N↑, L − N↓) = E_rep(+|U|; N↑, N↓) − |U| N↑ on bipartite clusters."""
    cl = make_cluster(name, periodic=True)
    L, U = cl.n_sites, 3.0
    att = extended_hubbard(cl, t=1.0, U=-U)
    rep = extended_hubbard(cl, t=1.0, U=U)
    for n_up, n_dn in [(1, 1), (2, 1), (L // 2, L // 2 - 1), (L // 2, L // 2)]:
        e_att = solve(att, sector(n_up=n_up, n_down=L - n_dn)).ground_energy
        e_rep = solve(rep, sector(n_up=n_up, n_down=n_dn)).ground_energy
        assert np.isclose(e_att, e_rep - U * n_up, atol=1e-9)


def test_lanczos_equals_dense():
    cl = make_cluster("cube", periodic=True)
    m = extended_hubbard(cl, t=0.33, U=-1.2, V=0.15, breathing=0.1)
    dense = solve(m, sector(electrons=4), n_states=3, dense_threshold=10**6)
    lanczos = solve(m, sector(electrons=4), n_states=3, dense_threshold=0)
    assert dense.method == "dense" and lanczos.method == "lanczos"
    assert np.allclose(dense.energies, lanczos.energies, atol=1e-10)


# ---------------------------------------------------------------- complex hopping (flux, twist)
def ring_levels(t, flux):
    """Closed form on the 4-site ring threaded by ``flux``: ε_k = −2t cos(k + Φ/4), k = 2πn/4."""
    return np.sort(-2 * t * np.cos(2 * np.pi * np.arange(4) / 4 + flux / 4))


def flux_ring(flux, *, spread, **params):
    """4-site ring (periodic 4×1×1) with total flux Φ: on the wrapping bond 3 → 0 or e^{iΦ/4} on each."""
    ring = make_cluster((4, 1, 1), periodic=True)
    t = params.pop("t", 1.0)
    phases = np.full(4, flux / 4) if spread else np.array([0.0, 0.0, 0.0, flux])
    return extended_hubbard(ring, t=t * np.exp(1j * phases), **params)


@pytest.mark.parametrize("flux", [0.3, np.pi / 2, 2.0, np.pi])
def test_flux_ring_gauge_invariance_and_closed_form(flux):
    """Flux on one bond ≡ flux spread over the ring (gauge invariance), for U ≠ 0 in every sector;
    at U = 0 the one-electron levels are −2t cos(k + Φ/4) and fill the many-body ground state."""
    t, params = 0.8, dict(U=2.3, V=0.4, eps=[0.1, -0.2, 0.05, 0.3])
    ring = make_cluster((4, 1, 1), periodic=True)
    assert [(b.i, b.j) for b in ring.bonds] == [(0, 1), (1, 2), (2, 3), (3, 0)]  # the flux is counted forward
    one, spread = flux_ring(flux, spread=False, t=t, **params), flux_ring(flux, spread=True, t=t, **params)
    assert one.is_complex and spread.is_complex
    plain = extended_hubbard(ring, t=t, **params)
    for n_up, n_dn in [(1, 0), (1, 1), (2, 1), (2, 2), (3, 2)]:
        basis = build_basis(one, sector(n_up=n_up, n_down=n_dn))
        h = hamiltonian_matrix(one, basis)
        assert h.dtype == np.complex128 and abs(h - h.getH()).max() == 0.0
        assert np.abs(spectrum(one, n_up, n_dn) - spectrum(spread, n_up, n_dn)).max() <= GAUGE_TOL
        assert np.abs(spectrum(one, n_up, n_dn) - spectrum(plain, n_up, n_dn)).max() > 1e-2  # the flux is felt (≥ 0.05 here)
    free = flux_ring(flux, spread=False, t=t, U=0.0)
    levels = ring_levels(t, flux)
    assert np.allclose(spectrum(free, 1, 0), levels, atol=EIG_TOL)
    assert np.allclose(np.linalg.eigvalsh(hopping_matrix(free.cluster, t * np.exp(1j * np.array([0, 0, 0, flux])))), levels, atol=EIG_TOL)
    assert np.isclose(solve(free, sector(n_up=2, n_down=1)).ground_energy, (levels[0] + levels[1]) + levels[0], atol=EIG_TOL)  # two up, one down


@pytest.mark.parametrize("shape, periodic", [((3, 1, 1), True), ("plaquette", False)])
def test_complex_t_equals_jordan_wigner(shape, periodic):
    """−t c†_i c_j − t* c†_j c_i per bond, element by element against a dense construction."""
    cl = make_cluster(shape, periodic=periodic)
    rng = np.random.default_rng(11)
    t = rng.uniform(0.5, 1.5, cl.n_bonds) * np.exp(1j * rng.uniform(-np.pi, np.pi, cl.n_bonds))
    params = dict(t=t, U=-1.4, V=0.3, J_p=0.2)
    m = extended_hubbard(cl, **params)
    full = hubbard_full(cl.n_sites, [(b.i, b.j) for b in cl.bonds], **params)
    assert np.abs(full - full.conj().T).max() == 0.0
    for n_up, n_dn in [(1, 0), (1, 1), (2, 1)]:
        h = hamiltonian_matrix(m, build_basis(m, sector(n_up=n_up, n_down=n_dn))).toarray()
        assert np.abs(h - restrict(full, fock_states(cl.n_sites, n_up, n_dn))).max() <= HERM_TOL


def test_re_im_pairs_equal_complex_values_and_parameters_record_them():
    ring = make_cluster((4, 1, 1), periodic=True)
    t = [1.0, 0.5j, -0.3 + 0.4j, 2.0]
    pairs = [[1.0, 0.0], [0.0, 0.5], [-0.3, 0.4], [2.0, 0.0]]
    a, b = extended_hubbard(ring, t=t, U=1.0), extended_hubbard(ring, t=pairs, U=1.0)
    assert a.static_list() == b.static_list()
    assert np.allclose(a.parameters["t"], np.abs(t)) and np.allclose(a.parameters["t_phase"], np.angle(t))
    real = extended_hubbard(ring, t=[[0.7, 0.0]] * 4)  # zero imaginary parts: a real model
    assert not real.is_complex and real.parameters["t"] == 0.7 and "t_phase" not in real.parameters


@pytest.mark.parametrize("t", [[1.0, 1.0], "a", [[1.0, 0.0, 2.0]] * 4, [1.0, [1.0, 2.0], 1.0, 1.0], [True] * 4, [[1j, 0.0]] * 4,
                               [1.0, float("nan"), 1.0, 1.0], []])
def test_bad_t_names_the_field(t):
    """Was a bare TypeError (complex) or ValueError (strings) from float()."""
    with pytest.raises(InputError) as err:
        extended_hubbard(make_cluster((4, 1, 1), periodic=True), t=t)
    assert err.value.field == "model.t" and repr(t) in str(err.value)


def test_real_matrix_of_complex_couplings_is_refused():
    m = flux_ring(1.0, spread=True)
    basis = build_basis(m, sector(n_up=1, n_down=1))
    with pytest.raises(LocalPairsError, match="imaginary parts would be dropped"):
        operator_matrix(m, basis, m.static_list(), dtype=np.float64)


def test_spec_takes_re_im_pairs_and_refuses_other_shapes():
    base = {"title": "x", "study": "ground_state", "cluster": {"shape": [4, 1, 1], "periodic": [True, False, False]}, "sector": {"electrons": 2}}
    spec = parse_spec(base | {"model": {"kind": "extended_hubbard", "t": [[1.0, 0.0]] * 3 + [[np.cos(1.0), np.sin(1.0)]], "U": 2.0}})
    model = build_system(spec).model
    assert model.is_complex and model.parameters["t_phase"] == pytest.approx([0, 0, 0, 1.0])
    assert np.allclose(spectrum(model, 1, 1), spectrum(flux_ring(1.0, spread=True, U=2.0), 1, 1), atol=EIG_TOL)
    for bad in ([[1.0, 0.0, 1.0]], "one", [1.0, [1.0, 0.0]]):
        with pytest.raises(SpecError, match=r"model\.t = .* is not allowed: .*\[re, im\] pair") as err:
            parse_spec(base | {"model": {"kind": "extended_hubbard", "t": bad}})
        assert str(err.value).count("\n") == 0
    with pytest.raises(SpecError, match=r"model\.t = \[\[1\.0, 0\.5\]\] is not allowed: one number or 4"):
        build_system(parse_spec(base | {"model": {"kind": "extended_hubbard", "t": [[1.0, 0.5]]}}))


def test_uniform_flux_momentum_blocks_equal_full_spectrum():
    """A uniform flux keeps the translations but not time reversal: the complex k-blocks (compiled
    block builder, no k ↔ −k map) together hold the whole sector's spectrum."""
    model = flux_ring(1.6, spread=True, t=0.8, U=2.0, V=0.3)
    full = solve(model, sector(n_up=2, n_down=2), n_states=36)
    scan = lowest_by_momentum(model, n_up=2, n_down=2, n_states=36, progress=False)
    assert scan.symmetries == ()
    blocks = np.sort(np.concatenate([b.energies for b in scan.blocks]))
    assert blocks.size == 36 and np.abs(blocks - full.energies).max() <= EIG_TOL
