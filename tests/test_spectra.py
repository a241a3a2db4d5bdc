"""Spectral functions: operators against Jordan–Wigner, continued fraction against Lehmann sums,
U = 0 and dimer closed forms, sum rules, the current as −∂H/∂A, bad input."""

import warnings

import numpy as np
import pytest

from localpairs.errors import InputError
from localpairs.hamiltonians import Term, extended_hubbard, fermi_bose_mixture, hopping_matrix, make_cluster
from localpairs.hamiltonians.doping import DopingConfig
from localpairs.hamiltonians.model import hopping
from localpairs.solvers import build_basis, hamiltonian_matrix, sector, solve
from localpairs.solvers.lanczos import lanczos_chain, pole_spectrum
from localpairs.solvers.spectra.conductivity import optical_conductivity, peierls_model
from localpairs.solvers.spectra.excitations import (
    apply_excitation,
    current,
    density,
    diamagnetic,
    electron_addition,
    electron_removal,
    expectation,
    make_excitation,
    momentum_vector,
    pair_addition,
    pair_removal,
    target_sector,
)
from localpairs.solvers.spectra.spectral_functions import SpectraWarning, spectra

from jw_reference import c, fock_states, number

#: The issue's bound: continued fraction vs Lehmann sum, relative to the peak height. With the
#: Krylov space exhausted the two are the same rational function; round-off leaves ~1e-13.
LEHMANN_TOL = 1e-8
#: Sum rules and closed forms are exact; round-off in sums over ≤ 400 amplitudes is ~1e-14.
EXACT_TOL = 1e-10
#: Operator vectors against dense Jordan–Wigner matrices: round-off only.
VEC_TOL = 1e-12


# ---------------------------------------------------------------- helpers
def embed(basis, v, L):
    full = np.zeros(1 << (2 * L), dtype=complex)
    full[np.asarray(basis.states, dtype=np.int64)] = v
    return full


def restrict_vec(basis, full):
    return full[np.asarray(basis.states, dtype=np.int64)]


def assert_equal_up_to_sign(phi, ref, tol=VEC_TOL):
    """QuSpin's spinful basis and the JW reference differ by an overall sign per operator type."""
    scale = max(np.linalg.norm(ref), 1.0)
    assert min(np.linalg.norm(phi - ref), np.linalg.norm(phi + ref)) <= tol * scale


def lehmann(model, sec, psi, exc, omega, *, eta, e_ref, sign=1, matrix=None, basis_in=None):
    """Poles and Lorentzian spectrum from full diagonalization of the target sector."""
    basis_in = basis_in or build_basis(model, sec)
    tsec = target_sector(sec, exc, model.n_sites)
    b = build_basis(model, tsec)
    H = (matrix if matrix is not None else hamiltonian_matrix(model, b)).toarray()
    E, V = np.linalg.eigh(H)
    phi, _ = apply_excitation(model, exc, psi, basis_in, b)
    w = np.abs(V.conj().T @ phi) ** 2
    x = omega[:, None] - sign * (E[None, :] - e_ref)
    return E - e_ref, w, (w[None, :] * (eta / np.pi) / (x**2 + eta**2)).sum(axis=1)


def complex_state(result, seed=3):
    rng = np.random.default_rng(seed)
    k = result.states.shape[1]
    psi = result.states @ (rng.standard_normal(k) + 1j * rng.standard_normal(k))
    return psi / np.linalg.norm(psi)


def flux_plaquette(flux=0.7):
    """Open 2×2 plaquette (a 4-ring) with a flux: one bond's hopping carries the phase e^{i flux}."""
    cl = make_cluster("plaquette")
    base = extended_hubbard(cl, t=1.0, U=-2.0, V=0.3, breathing=0.2)
    terms = [t for t in base.terms if t.opstr not in ("+-|", "|+-")]
    for k, bond in enumerate(cl.bonds):
        amp = complex(np.exp(1j * flux)) if k == 0 else 1.0
        terms += hopping(bond, amp)
    from localpairs.hamiltonians.model import merge_terms

    return base.with_terms(merge_terms(terms), flux=flux)


HUBBARD_OPS = [
    ("electron_addition", dict(site=1, spin="up")),
    ("electron_addition", dict(site=2, spin="down")),
    ("electron_removal", dict(site=3, spin="down")),
    ("pair_addition", dict(site=0)),
    ("pair_removal", dict(site=2)),
    ("density", dict(site=1)),
]


# ---------------------------------------------------------------- operators vs Jordan–Wigner
def jw_operator(kind, L, *, site=None, spin="up", k=None, cluster=None):
    s = 0 if spin == "up" else 1
    if k is not None:
        ph = np.exp(1j * cluster.positions @ momentum_vector(cluster, k)) / np.sqrt(L)
        cdag = sum(ph[i] * c(L, i, s).T for i in range(L))
        return cdag if kind == "electron_addition" else cdag.conj().T
    return {
        "electron_addition": lambda: c(L, site, s).T,
        "electron_removal": lambda: c(L, site, s),
        "pair_addition": lambda: c(L, site, 0).T @ c(L, site, 1).T,
        "pair_removal": lambda: c(L, site, 1) @ c(L, site, 0),
        "density": lambda: number(L, site, 0) + number(L, site, 1),
    }[kind]()


@pytest.mark.parametrize("kind, opts", [*HUBBARD_OPS, ("electron_addition", dict(k=(1, 0, 0))), ("electron_removal", dict(k=(1, 1, 0), spin="down"))])
def test_operators_match_jordan_wigner_hubbard(kind, opts):
    cl = make_cluster("plaquette", periodic=True)
    m = extended_hubbard(cl, t=1.0, U=-2.0, V=0.3, breathing=0.2, J_p=0.1)
    res = solve(m, sector(electrons=4), n_states=3)
    psi = complex_state(res)
    exc = make_excitation(m, kind, **opts)
    tsec = target_sector(res.sector, exc, 4)
    b = build_basis(m, tsec)
    phi, expected = apply_excitation(m, exc, psi, res.basis, b)
    ref_full = jw_operator(kind, 4, cluster=cl, **opts) @ embed(res.basis, psi, 4)
    assert_equal_up_to_sign(phi, restrict_vec(b, ref_full))
    assert np.isclose(expected, np.vdot(ref_full, ref_full).real, atol=VEC_TOL)  # ⟨O†O⟩


@pytest.mark.parametrize("kind, site", [("electron_addition", 1), ("electron_removal", 2), ("pair_addition", 0), ("pair_removal", 3),
                                        ("pair_addition", 1), ("density", 0)])
def test_operators_on_the_pair_basis(kind, site):
    """Fermi–Bose mixture: bosonic sites 0 and 3 hold 0 or 2 electrons; P O P against JW."""
    cl = make_cluster("plaquette")
    dop = DopingConfig(x=0.0, large=(True, False, False, True), placement="rock_salt", seed=None)
    m = fermi_bose_mixture(cl, dop, t_B=0.3, t_F=1.0, g=0.4, E_B=-0.5, V_BF=0.2)
    res = solve(m, sector(electrons=4), n_states=2)
    psi = complex_state(res)
    exc = make_excitation(m, kind, site=site)
    b = build_basis(m, target_sector(res.sector, exc, 4))
    phi, _ = apply_excitation(m, exc, psi, res.basis, b)
    ref = restrict_vec(b, jw_operator(kind, 4, site=site) @ embed(res.basis, psi, 4))
    assert_equal_up_to_sign(phi, ref)
    # the target basis is exactly the constrained sector (bosonic sites 0 or 2)
    tsec = target_sector(res.sector, exc, 4)
    assert sorted(np.asarray(b.states).tolist()) == sorted(fock_states(4, tsec.n_up, tsec.n_down, (0, 3)))


def test_fermi_bose_refuses_single_electrons_on_bosonic_sites():
    cl = make_cluster("plaquette")
    dop = DopingConfig(x=0.0, large=(True, False, False, True), placement="rock_salt", seed=None)
    m = fermi_bose_mixture(cl, dop, t_F=1.0, g=0.4)
    with pytest.raises(InputError) as err:
        electron_addition(m, site=0)
    assert err.value.field == "site" and "fermionic site [1, 2]" in err.value.allowed


# ---------------------------------------------------------------- continued fraction vs Lehmann
CLUSTERS = [("dimer", 2), ("plaquette", 4), ((2, 3, 1), 6)]


@pytest.mark.parametrize("shape, n", CLUSTERS)
@pytest.mark.parametrize("state", ["real", "complex", "flux"])
def test_continued_fraction_matches_lehmann(shape, n, state):
    if state == "flux":
        if shape != "plaquette":
            pytest.skip("the flux model is the 4-ring")
        m = flux_plaquette()
    else:
        m = extended_hubbard(make_cluster(shape), t=1.0, U=-2.0, V=0.3, breathing=0.2, J_p=0.1)
    res = solve(m, sector(electrons=n), n_states=3)
    psi = complex_state(res) if state == "complex" else res.ground_state
    assert (np.abs(psi.imag).max() > 1e-3) == (state != "real")
    ops = [make_excitation(m, kind, **{**opts, "site": opts["site"] % n}) for kind, opts in HUBBARD_OPS]
    if state != "flux":  # the current is built from real bond parameters
        ops.append(current(m, polarization=(1.0, 0.5, 0.2)))
    omega = np.linspace(-10, 10, 801)
    eta = 0.1
    ds = spectra(m, res.sector, psi, ops, omega, eta=eta, n_steps=500, basis=res.basis)
    e_ref = ds.attrs["e_ref_eV"]
    assert np.isclose(e_ref, np.vdot(psi, hamiltonian_matrix(m, res.basis) @ psi).real)
    for k, exc in enumerate(ops):
        poles, w, ref = lehmann(m, res.sector, psi, exc, omega, eta=eta, e_ref=e_ref, basis_in=res.basis)
        got = ds["spectrum"].values[k]
        assert np.abs(got - ref).max() <= LEHMANN_TOL * ref.max(), exc.label
        assert np.isclose(ds["m0"].values[k], w.sum(), atol=EXACT_TOL), exc.label  # zeroth moment
        assert np.isclose(ds["m0_expected"].values[k], w.sum(), atol=EXACT_TOL), exc.label
        assert np.isclose(ds["m1"].values[k], np.sum(w * poles), atol=EXACT_TOL * max(1, abs(np.sum(w * poles)))), exc.label
    assert not np.isnan(ds["spectrum"].values).any()


def test_mirrored_axis_and_gaussian_resolution():
    m = extended_hubbard(make_cluster("plaquette"), t=1.0, U=-3.0, breathing=0.3)
    res = solve(m, sector(electrons=4))
    exc = electron_removal(m, site=0)
    omega = np.linspace(-12, 12, 1201)
    ds = spectra(m, res.sector, res.ground_state, [exc], omega, eta=0.05, sign=-1, basis=res.basis, n_steps=100)
    poles, w, ref = lehmann(m, res.sector, res.ground_state, exc, omega, eta=0.05, e_ref=ds.attrs["e_ref_eV"], sign=-1)
    assert np.abs(ds["spectrum"].values[0] - ref).max() <= LEHMANN_TOL * ref.max()
    assert np.isclose(ds["m1"].values[0], -np.sum(w * poles))  # first moment on the mirrored axis
    # Gaussian resolution: against a numerical convolution of the Lehmann curve
    fwhm = 0.4
    dsg = spectra(m, res.sector, res.ground_state, [exc], omega, eta=0.05, gaussian_fwhm=fwhm, sign=-1, basis=res.basis, n_steps=100)
    sigma = fwhm / (2 * np.sqrt(2 * np.log(2)))
    fine = np.linspace(-14, 14, 28001)
    d = fine[1] - fine[0]
    lor = (w[None, :] * (0.05 / np.pi) / ((fine[:, None] + poles[None, :]) ** 2 + 0.05**2)).sum(1)
    gauss = np.exp(-0.5 * (np.arange(-800, 801) * d / sigma) ** 2) / (sigma * np.sqrt(2 * np.pi)) * d
    conv = np.interp(omega, fine, np.convolve(lor, gauss, mode="same"))
    assert np.abs(dsg["spectrum"].values[0] - conv).max() <= 1e-4 * conv.max()  # quadrature step 1e-3 eV
    assert np.isclose(np.trapezoid(dsg["spectrum"].values[0], omega), w.sum(), rtol=1e-2)


# ---------------------------------------------------------------- closed forms
def merged(ds, k):
    e, w = ds["pole_energy"].values[k], ds["pole_weight"].values[k]
    keep = w > 1e-14
    e, w = e[keep], w[keep]
    out = {}
    for ei, wi in zip(e, w):
        key = next((x for x in out if abs(x - ei) < 1e-8), ei)
        out[key] = out.get(key, 0.0) + wi
    return out


def test_u0_poles_at_hopping_levels():
    """U = 0: c†_i↑ poles at the empty levels ε_k of h_ij, weights |U_ik|²; c_i↑ at −ε_k of the filled."""
    cl = make_cluster((2, 3, 1))
    t = np.random.default_rng(7).uniform(0.5, 1.5, cl.n_bonds)  # no degenerate levels
    m = extended_hubbard(cl, t=t, U=0.0)
    res = solve(m, sector(n_up=2, n_down=2))
    eps, U = np.linalg.eigh(hopping_matrix(cl, t))
    assert np.isclose(res.ground_energy, 2 * eps[:2].sum())
    omega = np.linspace(-5, 5, 11)
    for site in range(6):
        ds = spectra(m, res.sector, res.ground_state, [electron_addition(m, site=site), electron_removal(m, site=site)], omega, eta=0.1, basis=res.basis)
        add, rem = merged(ds, 0), merged(ds, 1)
        assert len(add) == 4 and len(rem) == 2
        for e_k, u_k in zip(eps[2:], U[site, 2:]):
            key = min(add, key=lambda x: abs(x - e_k))
            assert abs(key - e_k) < EXACT_TOL and abs(add[key] - u_k**2) < EXACT_TOL
        for e_k, u_k in zip(eps[:2], U[site, :2]):
            key = min(rem, key=lambda x: abs(x + e_k))
            assert abs(key + e_k) < EXACT_TOL and abs(rem[key] - u_k**2) < EXACT_TOL


def test_u0_momentum_resolved_single_pole():
    """On the periodic 4-ring at U = 0 a plane wave is an eigen-excitation: one pole at ε_k = −2t cos k."""
    cl = make_cluster((4, 1, 1), periodic=True)
    m = extended_hubbard(cl, t=1.0, U=0.0)
    res = solve(m, sector(n_up=1, n_down=1))  # k = 0 filled
    omega = np.linspace(-4, 4, 9)
    operators = [electron_addition(m, k=(n, 0, 0)) for n in (1, 2)] + [electron_removal(m, k=(0, 0, 0))]
    ds = spectra(m, res.sector, res.ground_state, operators, omega, eta=0.1, basis=res.basis)
    assert merged(ds, 0) == pytest.approx({0.0: 1.0}, abs=EXACT_TOL)  # ε_1 = 0
    for k in (1, 2):  # ε_2 = 2t and −ε_0 = 2t: one pole of weight 1 each
        [(energy, weight)] = merged(ds, k).items()
        assert energy == pytest.approx(2.0, abs=EXACT_TOL) and weight == pytest.approx(1.0, abs=EXACT_TOL)
    with pytest.warns(SpectraWarning, match="annihilates"):
        empty = spectra(m, res.sector, res.ground_state, [electron_removal(m, k=(1, 0, 0))], omega, eta=0.1, basis=res.basis)
    assert np.all(empty["spectrum"].values == 0.0) and empty["m0"].values[0] == 0.0


@pytest.mark.parametrize("U", [-3.0, 0.0, 2.5])
def test_dimer_closed_forms(U):
    """Hubbard dimer at N = 2: ψ = α|BB⟩ + β|AA⟩ in bonding/antibonding orbitals (t = 1).

    Removal c_0↑ → |B↓⟩ (−t) with weight α²/2 and |A↓⟩ (+t) with β²/2; addition c†_0↑ → U − t and
    U + t with the same weights; Δ†_0 → 2U and Δ_0 → vacuum with the double occupancy d_0.
    """
    t = 1.0
    m = extended_hubbard(make_cluster("dimer"), t=t, U=U)
    res = solve(m, sector(electrons=2))
    R = np.sqrt(U**2 / 4 + 4 * t**2)
    E0 = U / 2 - R
    a2, b2 = 0.5 * (1 + 2 * t / R), 0.5 * (1 - 2 * t / R)
    d0 = 0.25 - U / (8 * R)
    assert np.isclose(res.ground_energy, E0)
    omega = np.linspace(-6, 6, 13)
    ops = [electron_removal(m, site=0), electron_addition(m, site=0), pair_addition(m, site=0), pair_removal(m, site=0)]
    ds = spectra(m, res.sector, res.ground_state, ops, omega, eta=0.1, basis=res.basis)
    expected = [
        {-t - E0: a2 / 2, t - E0: b2 / 2},
        {U - t - E0: a2 / 2, U + t - E0: b2 / 2},
        {2 * U - E0: d0},
        {-E0: d0},
    ]
    for k, ref in enumerate(expected):
        got = merged(ds, k)
        ref = {e: w for e, w in ref.items() if w > 1e-14}
        assert len(got) == len(ref)
        for e, w in ref.items():
            key = min(got, key=lambda x: abs(x - e))
            assert abs(key - e) < EXACT_TOL and abs(got[key] - w) < EXACT_TOL


# ---------------------------------------------------------------- current and optics
def jw_peierls_hamiltonian(cluster, A, *, t, U, V, eps):
    """Dense H(A) with t_ij → t_ij exp[i A·(r_j − r_i)] on every bond (ħ = e = 1), by Jordan–Wigner."""
    L = cluster.n_sites
    H = np.zeros((1 << (2 * L), 1 << (2 * L)), dtype=complex)
    for b in cluster.bonds:
        ph = np.exp(1j * np.dot(A, b.displacement))
        for s in (0, 1):
            hop = c(L, b.i, s).T @ c(L, b.j, s)
            H -= t * (ph * hop + np.conj(ph) * hop.T)
        H += V * (number(L, b.i, 0) + number(L, b.i, 1)) @ (number(L, b.j, 0) + number(L, b.j, 1))
    for i in range(L):
        H += U * number(L, i, 0) @ number(L, i, 1) + eps[i] * (number(L, i, 0) + number(L, i, 1))
    return H


@pytest.mark.parametrize("periodic", [False, True])
def test_current_is_minus_dH_dA(periodic):
    cl = make_cluster("plaquette", periodic=periodic)
    m = extended_hubbard(cl, t=0.8, U=-1.5, V=0.2, breathing=0.3)
    e = np.array([0.6, 0.8, 0.0])
    A0 = np.array([0.05, -0.03, 0.0])
    ref = jw_peierls_hamiltonian(cl, A0, t=0.8, U=-1.5, V=0.2, eps=m.parameters["eps"])
    h = 1e-5
    num = -(jw_peierls_hamiltonian(cl, A0 + h * e, t=0.8, U=-1.5, V=0.2, eps=m.parameters["eps"])
            - jw_peierls_hamiltonian(cl, A0 - h * e, t=0.8, U=-1.5, V=0.2, eps=m.parameters["eps"])) / (2 * h)
    sec = sector(n_up=2, n_down=1)
    b = build_basis(m, sec)
    idx = np.asarray(b.states, dtype=np.int64)
    # H(A) from peierls_model, and j(A) applied with QuSpin, against the dense references (up to the global sign convention)
    HA = hamiltonian_matrix(peierls_model(m, A0), b).toarray()
    assert np.abs(HA - ref[np.ix_(idx, idx)]).max() < 1e-12
    rng = np.random.default_rng(0)
    v = rng.standard_normal(b.Ns) + 1j * rng.standard_normal(b.Ns)
    j = current(m, polarization=e, vector_potential=A0)
    jv, _ = apply_excitation(m, j, v / np.linalg.norm(v), b, b)
    ref_jv = num[np.ix_(idx, idx)] @ (v / np.linalg.norm(v))
    assert_equal_up_to_sign(jv, ref_jv, tol=1e-8)  # central difference error ~h²
    d2 = -(jw_peierls_hamiltonian(cl, A0 + h * e, t=0.8, U=-1.5, V=0.2, eps=m.parameters["eps"]) - 2 * ref
           + jw_peierls_hamiltonian(cl, A0 - h * e, t=0.8, U=-1.5, V=0.2, eps=m.parameters["eps"])) / h**2
    psi = v / np.linalg.norm(v)
    dia = expectation(m, b, psi, diamagnetic(m, polarization=e, vector_potential=A0))
    assert np.isclose(dia, np.vdot(psi, -d2[np.ix_(idx, idx)] @ psi), atol=1e-4)  # second difference error ~1e-5


def test_f_sum_rule_on_open_cluster():
    """Open cluster: A is a gauge, D = 0, Σ|⟨n|j|0⟩|²/ω_n = ⟨∂²H/∂A²⟩/2 exactly; σ against dense Kubo."""
    cl = make_cluster((2, 3, 1))
    m = extended_hubbard(cl, t=1.0, U=-2.0, V=0.3, breathing=0.2, J_p=0.1)
    omega = np.linspace(0.05, 10, 400)
    ds = optical_conductivity(m, sector(electrons=6), omega, eta=0.1, polarization=(1, 1, 0), n_steps=500)
    assert np.isclose(ds["f_sum_regular"].values[0], ds["f_sum_total"].values[0], rtol=EXACT_TOL)
    res = solve(m, sector(electrons=6))
    H = hamiltonian_matrix(m, res.basis).toarray()
    E, V = np.linalg.eigh(H)
    jpsi, _ = apply_excitation(m, current(m, polarization=(1, 1, 0)), res.ground_state, res.basis, res.basis)
    w = np.abs(V.conj().T @ jpsi) ** 2
    wn = E - E[0]
    sel = wn > 1e-8
    pref = ds.attrs["S_per_cm_per_e2_over_hbar_angstrom"] * np.pi / ds.attrs["volume_A3"]
    ref = pref * pole_spectrum(wn[sel], w[sel] / wn[sel], omega, eta=0.1)
    assert np.abs(ds["sigma"].values - ref).max() <= LEHMANN_TOL * ref.max()


def test_current_vanishes_on_length_two_axis_and_twists_restore_it():
    m = extended_hubbard(make_cluster("plaquette", periodic=True), t=1.0, U=-2.0, breathing=0.3)
    omega = np.linspace(0.1, 8, 50)
    with pytest.warns(SpectraWarning, match="annihilates"):
        flat = optical_conductivity(m, sector(electrons=4), omega, eta=0.1)
    assert np.all(flat["sigma"].values == 0.0)
    tw = optical_conductivity(m, sector(electrons=4), omega, eta=0.1, twists=4)
    assert tw.sizes["twist"] == 2 and np.isclose(tw["twist_weight"].sum(), 1.0)
    assert tw["sigma"].max() > 0 and not np.isnan(tw["sigma"].values).any()


# ---------------------------------------------------------------- Lanczos variants
def test_plain_recursion_agrees_with_reorthogonalized():
    """Without reorthogonalization ghosts appear but share weight: the broadened curve agrees."""
    m = extended_hubbard(make_cluster("cube", periodic=True), t=0.33, U=-1.2, V=0.15, breathing=0.1)
    res = solve(m, sector(electrons=8))
    exc = electron_addition(m, site=1)
    b = build_basis(m, target_sector(res.sector, exc, 8))
    H = hamiltonian_matrix(m, b)
    phi, _ = apply_excitation(m, exc, res.ground_state, res.basis, b)
    full = lanczos_chain(H, phi, n_steps=150, reorthogonalize=True)
    plain = lanczos_chain(H, phi, n_steps=150, reorthogonalize=False)
    z = res.ground_energy + np.linspace(0, 4, 400) + 0.1j
    g_full, g_plain = full.greens_function(z).imag, plain.greens_function(z).imag
    assert np.abs(g_full - g_plain).max() <= 1e-8 * np.abs(g_full).max()


# ---------------------------------------------------------------- bad input
@pytest.fixture(scope="module")
def small():
    m = extended_hubbard(make_cluster("dimer"), t=1.0, U=-2.0)
    return m, solve(m, sector(electrons=2))


@pytest.mark.parametrize("eta", [-0.1, 0.0, float("nan"), float("inf")])
def test_bad_eta(small, eta):
    m, res = small
    with pytest.raises(InputError) as err:
        spectra(m, res.sector, res.ground_state, [electron_addition(m, site=0)], [0.0, 1.0], eta=eta, basis=res.basis)
    assert err.value.field == "eta" and "> 0" in err.value.allowed


def test_bad_input_gives_one_clear_error(small):
    m, res = small
    with pytest.raises(InputError) as err:
        make_excitation(m, "spin_flip", site=0)
    assert err.value.field == "kind" and "electron_addition" in err.value.allowed
    with pytest.raises(InputError) as err:
        make_excitation(m, "electron_addition", site=5)
    assert err.value.field == "site" and "0 … 1" in err.value.allowed
    with pytest.raises(InputError) as err:
        electron_addition(m, k=(1, 0, 0))  # the open dimer has no k-grid
    assert err.value.field == "k"
    full = sector(n_up=2, n_down=0)
    with pytest.raises(InputError) as err:
        spectra(m, full, np.ones(1), [electron_addition(m, site=0, spin="up")], [0.0], eta=0.1)
    assert err.value.field == "excitation" and "target sector" in err.value.allowed
    with pytest.raises(InputError) as err:
        spectra(m, res.sector, res.ground_state, [electron_addition(m, site=0)], [], eta=0.1, basis=res.basis)
    assert err.value.field == "omega"
    with pytest.raises(InputError) as err:
        spectra(m, res.sector, res.ground_state[:2], [electron_addition(m, site=0)], [0.0], eta=0.1, basis=res.basis)
    assert err.value.field == "psi"
    with pytest.raises(InputError) as err:
        spectra(m, res.sector, res.ground_state, [electron_addition(m, site=0)], [0.0], eta=0.1, gaussian_fwhm=-1.0, basis=res.basis)
    assert err.value.field == "gaussian_fwhm"


def test_operator_that_annihilates_the_state_gives_zero_spectrum(small):
    m, res = small
    psi = np.zeros(res.basis.Ns)
    psi[0] = 1.0  # one Fock state of 1↑1↓: its occupied spin-up site takes no further spin-up electron
    up_site = next(i for i in range(2) if (int(res.basis.states[0]) >> (3 - i)) & 1)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        operators = [electron_addition(m, site=up_site, spin="up"), electron_addition(m, site=1 - up_site, spin="up")]
        ds = spectra(m, res.sector, psi, operators, np.linspace(-3, 3, 7), eta=0.1, basis=res.basis)
    assert any(issubclass(r.category, SpectraWarning) for r in rec)
    assert np.all(ds["spectrum"].values[0] == 0.0) and ds["m0"].values[0] == 0.0 and ds["m1"].values[0] == 0.0
    assert ds["spectrum"].values[1].max() > 0
    assert not np.isnan(ds["spectrum"].values).any() and not np.isnan(ds["pole_energy"].values).any()


def test_terms_are_plain_data():
    m = extended_hubbard(make_cluster("dimer"), t=1.0)
    exc = pair_removal(m, site=1)
    assert exc.terms == (Term("-|-", ((-1.0, 1, 1),)),) and exc.shift == (-1, -1)
    assert density(m, site=0).shift == (0, 0)
