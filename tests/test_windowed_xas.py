"""Long-probe XAS by energy windows: against a dense per-eigenlevel Lehmann sum (initial and every
final-state Hamiltonian diagonalized, c† built from bits), the eigenstate and one-window limits,
the halving check, the window bookkeeping and bad input."""

import warnings

import numpy as np
import pytest

from localpairs.errors import InputError
from localpairs.hamiltonians import extended_hubbard, make_cluster
from localpairs.solvers import build_basis, hamiltonian_matrix, sector, solve
from localpairs.solvers.spectra.spectral_functions import SectorCache, SpectraWarning
from localpairs.solvers.spectra.windowed_xas import windowed_xas
from localpairs.solvers.spectra.xas import xas

#: The issue's bound, relative to the peak: windowed against the dense per-eigenlevel sum.
ISSUE_TOL = 1e-6
#: Two routes to the same numbers (ψ rebuilt from its Lanczos vectors, 1e-15; identical chains):
#: round-off only.
EXACT_TOL = 1e-10
#: Eigenvalues closer than this are one level: its components are probed together (they do not
#: dephase in a long probe), in the reference as in the windows.
DEGENERATE = 1e-8
U_C, GAMMA = -1.0, 0.2
OMEGA = np.linspace(-8.0, 12.0, 401)  # 0.05 eV steps: four per Γ


# ---------------------------------------------------------------- independent reference
def creation_matrix(states_in, states_out, n_sites, site, spin):
    """c†_{site,spin} between two sectors from the Fock integers (QuSpin's layout: mode m = site + spin L
    is bit 2L − 1 − m, and c†_m carries (−1)^(occupied modes m' < m))."""
    bit = 2 * n_sites - 1 - (site + spin * n_sites)
    row = {int(s): k for k, s in enumerate(states_out)}
    op = np.zeros((len(states_out), len(states_in)))
    for col, s in enumerate(int(x) for x in states_in):
        if not (s >> bit) & 1:
            op[row[s | (1 << bit)], col] = (-1) ** bin(s >> (bit + 1)).count("1")
    return op


def occupation(states, n_sites, site):
    """n_site (both spins) on the Fock integers."""
    L = n_sites
    return np.array([((s >> (2 * L - 1 - site)) & 1) + ((s >> (L - 1 - site)) & 1) for s in (int(x) for x in states)], float)


def eigenlevels(E, V, psi):
    """[(E, P_E ψ)] over distinct eigenvalues with non-zero weight."""
    out, i = [], 0
    coef = V.conj().T @ psi
    while i < E.size:
        j = i + 1
        while j < E.size and E[j] - E[i] < DEGENERATE:
            j += 1
        comp = V[:, i:j] @ coef[i:j]
        if np.vdot(comp, comp).real > 1e-28:
            out.append((float(E[i:j].mean()), comp))
        i = j
    return out


def dense_long_probe(model, sec, psi, omega, *, U_c, Gamma):
    """Σ_E Σ_oxygens Σ_(i or j) Σ_σ Σ_f |⟨f|c† P_E ψ⟩|² L_Γ(ω − (E_f − E)) by dense diagonalization."""
    L = model.n_sites
    b_in = build_basis(model, sec)
    E, V = np.linalg.eigh(hamiltonian_matrix(model, b_in).toarray())
    levels = eigenlevels(E, V, psi)
    total = np.zeros_like(omega)
    for spin, (nu, nd) in enumerate([(sec.n_up + 1, sec.n_down), (sec.n_up, sec.n_down + 1)]):
        b_out = build_basis(model, sector(n_up=nu, n_down=nd))
        H_out = hamiltonian_matrix(model, b_out).toarray()
        finals = {}
        for bond in model.cluster.bonds:  # with multiplicity, as xas counts oxygens
            pair = tuple(sorted((int(bond.i), int(bond.j))))
            if pair not in finals:
                n = occupation(b_out.states, L, pair[0]) + occupation(b_out.states, L, pair[1])
                finals[pair] = np.linalg.eigh(H_out + U_c * np.diag(n))
            Ef, Vf = finals[pair]
            for site in pair:
                amps = Vf.conj().T @ creation_matrix(b_in.states, b_out.states, L, site, spin) @ np.array([c for _, c in levels]).T
                for k, (e_n, _) in enumerate(levels):
                    x = omega[:, None] - (Ef[None, :] - e_n)
                    total += ((np.abs(amps[:, k]) ** 2)[None, :] * (Gamma / np.pi) / (x**2 + Gamma**2)).sum(axis=1)
    return total, E


def lpdw(shape, n_up, n_down, periodic=True):
    m = extended_hubbard(make_cluster(shape, periodic=periodic), t=0.8, U=-2.0, V=0.2, breathing=0.3)
    return m, sector(n_up=n_up, n_down=n_down)


def spread_state(m, sec, n_excited, seed=0, *, nondegenerate=False):
    """Ground state plus random complex components on ``n_excited`` random excited eigenstates.

    ``nondegenerate``: only non-degenerate levels, whose eigenvectors keep the cluster's symmetry
    (xas then computes a few channels per window instead of all: the cube test stays fast).
    """
    H = hamiltonian_matrix(m, build_basis(m, sec)).toarray()
    E, V = np.linalg.eigh(H)
    rng = np.random.default_rng(seed)
    gaps = np.diff(E) > DEGENERATE
    alone = np.flatnonzero(np.concatenate([[True], gaps]) & np.concatenate([gaps, [True]]))
    pool = alone[alone > 0] if nondegenerate else np.arange(1, E.size)
    idx = np.concatenate([[0], rng.choice(pool, size=min(n_excited, pool.size), replace=False)])
    c = rng.standard_normal(idx.size) + 1j * rng.standard_normal(idx.size)
    psi = V[:, idx] @ c
    return psi / np.linalg.norm(psi), E[idx]


def rel(a, b):
    return float(np.abs(a - b).max() / np.abs(b).max())


# ---------------------------------------------------------------- tests
#: (shape, n_up, n_down, excited components, only non-degenerate ones); the plaquette's 35 include
#: degenerate levels, probed as one component each.
CLUSTERS = [("dimer", 1, 1, 3, False), ("plaquette", 2, 2, 35, False), ("cube", 1, 1, 4, True)]  # the cube sector has 4 non-degenerate excited levels


@pytest.mark.parametrize("shape, n_up, n_down, n_excited, nondegenerate", CLUSTERS)
def test_equals_dense_per_eigenlevel_sum(shape, n_up, n_down, n_excited, nondegenerate):
    m, sec = lpdw(shape, n_up, n_down)
    psi, energies = spread_state(m, sec, n_excited, nondegenerate=nondegenerate)
    assert np.ptp(energies) > 3.0  # the superposition spans several eV
    ref, _ = dense_long_probe(m, sec, psi, OMEGA, U_c=U_C, Gamma=GAMMA)
    # n_steps ≥ every final-sector dimension (≤ 224): exhausted chains, exact continued fractions
    # halving_tol well below the issue's bound: the light remainder then holds ≤ 1e-9 of the weight
    got = windowed_xas(m, sec, psi, OMEGA, U_c=U_C, Gamma=GAMMA, halving_tol=1e-8, n_steps=300, reorthogonalize=True)
    assert rel(got["total"].values, ref) <= ISSUE_TOL
    assert got.attrs["width_converged"] == 1 and got.attrs["ritz_residual_eV"] <= 1e-10 * GAMMA
    assert got.attrs["energy_spread_eV"] > GAMMA  # a state the single reference gets wrong
    # today's single reference on the same state: far off (the number is in the final report)
    old = xas(m, sec, psi, OMEGA, U_c=U_C, Gamma=GAMMA, n_steps=300, reorthogonalize=True)
    assert rel(old["total"].values, ref) > 0.1


def test_eigenstate_gives_xas_of_that_eigenstate():
    m, sec = lpdw("plaquette", 2, 2)
    res = solve(m, sec)
    got = windowed_xas(m, sec, res.ground_state, OMEGA, U_c=U_C, Gamma=GAMMA, basis=res.basis)
    ref = xas(m, sec, res.ground_state, OMEGA, U_c=U_C, Gamma=GAMMA, basis=res.basis, e_ref=res.ground_energy)
    assert got.attrs["n_windows"] == 1 and got.attrs["krylov_steps"] == 1
    assert np.isclose(float(got["window_energy"][0]), res.ground_energy, atol=EXACT_TOL)
    assert rel(got["total"].values, ref["total"].values) <= EXACT_TOL


def test_one_window_is_the_single_reference_xas():
    """width → ∞: one window holding ψ, probed from ⟨ψ|H|ψ⟩ — what xas does by default."""
    m, sec = lpdw("plaquette", 2, 2)
    psi, _ = spread_state(m, sec, 35, seed=1)
    cache = SectorCache(m)
    with pytest.warns(SpectraWarning, match="not converged"):
        got = windowed_xas(m, sec, psi, OMEGA, U_c=U_C, Gamma=GAMMA, width=np.inf, cache=cache)
    old = xas(m, sec, psi, OMEGA, U_c=U_C, Gamma=GAMMA, cache=cache)
    assert got.attrs["n_windows"] == 1
    assert rel(got["total"].values, old["total"].values) <= EXACT_TOL
    # the halving check of one window compares with the window bisected: large for a spread state
    assert got.attrs["halving_change"] > 0.1 and got.attrs["width_converged"] == 0


def test_halving_change_bounds_the_change_of_a_halved_width():
    """Γ = 1 eV and w = Γ/4 put several levels into some windows of the 36-state plaquette."""
    m, sec = lpdw("plaquette", 2, 2)
    psi, _ = spread_state(m, sec, 35, seed=2)
    cache = SectorCache(m)
    opts = dict(U_c=U_C, Gamma=1.0, cache=cache, max_halvings=0, halving_tol=1e-9)  # no light remainder
    with pytest.warns(SpectraWarning, match="not converged"):
        coarse = windowed_xas(m, sec, psi, OMEGA, width=0.25, **opts)
    with pytest.warns(SpectraWarning, match="not converged"):
        half = windowed_xas(m, sec, psi, OMEGA, width=0.125, **opts)
    assert half.attrs["n_windows"] > coarse.attrs["n_windows"]
    change = rel(coarse["total"].values, half["total"].values)
    assert 0 < change <= coarse.attrs["halving_change"] + EXACT_TOL
    # converged run: within its own reported change of the dense sum
    ref, _ = dense_long_probe(m, sec, psi, OMEGA, U_c=U_C, Gamma=1.0)
    conv = windowed_xas(m, sec, psi, OMEGA, U_c=U_C, Gamma=1.0, cache=cache, halving_tol=1e-4, max_halvings=12)
    assert conv.attrs["width_converged"] == 1 and conv.attrs["remainder_weight"] <= 1e-5
    # the error is the halving change's order (its accepted width's levels still share windows)
    assert rel(conv["total"].values, ref) <= max(3 * conv.attrs["halving_change"], ISSUE_TOL)


def test_windows_add_up_to_the_state():
    """Weights sum to ‖ψ‖², weighted window energies to ⟨H⟩, spread σ of ψ, window spectra to the total."""
    m, sec = lpdw("plaquette", 2, 2)
    psi, _ = spread_state(m, sec, 35, seed=3)
    H = hamiltonian_matrix(m, build_basis(m, sec))
    # halving_tol = 0.1: a light remainder of ≤ 1 % of the weight
    got = windowed_xas(m, sec, psi, OMEGA, U_c=U_C, Gamma=GAMMA, width=0.5, max_halvings=0, halving_tol=0.1)
    w, e = got["window_weight"].values, got["window_energy"].values
    mean = np.vdot(psi, H @ psi).real
    assert np.isclose(w.sum(), 1.0, atol=EXACT_TOL) and np.isclose(w @ e, mean, atol=EXACT_TOL)
    assert np.isclose(got.attrs["energy_spread_eV"], np.sqrt(np.vdot(H @ psi, H @ psi).real - mean**2), atol=EXACT_TOL)
    assert np.abs(got["window_spectrum"].sum("window").values - got["total"].values).max() <= EXACT_TOL
    kind = got["window_kind"].values
    assert list(kind[:-1]) == ["window"] * (kind.size - 1) and kind[-1] == "remainder"
    assert 0 < got.attrs["remainder_weight"] == w[-1] <= 0.01
    assert np.all(np.diff(e[:-1]) > 0) and np.all(got["window_spread"].values[:-1] <= 0.5)


def test_unconverged_width_warns():
    m, sec = lpdw("plaquette", 2, 2)
    psi, _ = spread_state(m, sec, 35, seed=4)
    with pytest.warns(SpectraWarning, match="not converged in the window width"):
        got = windowed_xas(m, sec, psi, OMEGA, U_c=U_C, Gamma=GAMMA, width=4.0, max_halvings=0)
    assert got.attrs["width_converged"] == 0 and got.attrs["halving_change"] > got.attrs["halving_tol"]


@pytest.mark.parametrize("field, kwargs", [("width", dict(width=0.0)), ("width", dict(width=float("nan"))), ("halving_tol", dict(halving_tol=-1.0)),
                                           ("max_halvings", dict(max_halvings=-1)), ("krylov_steps", dict(krylov_steps=0)), ("Gamma", dict(Gamma=0.0))])
def test_bad_input(field, kwargs):
    m, sec = lpdw("dimer", 1, 1)
    psi = solve(m, sec).ground_state
    args = dict(U_c=U_C, **kwargs)
    with pytest.raises(InputError) as err, warnings.catch_warnings():
        warnings.simplefilter("ignore", SpectraWarning)
        windowed_xas(m, sec, psi, [0.0, 1.0], **args)
    assert err.value.field == field


@pytest.mark.slow
def test_half_filled_cube_quench_against_dense_eigenlevels():
    """The 2×2×2 cube at half filling (4,900 states): the ground state of the breathing lattice
    (Δ = 0.6 eV) probed after a sudden Δ → 0, against eigh of H(Δ = 0) and xas of every eigenlevel
    from its own energy (the issue's reference). Minutes: dense eigh plus ~80 xas calls each way."""
    cl = make_cluster("cube", periodic=True)
    m0 = extended_hubbard(cl, t=0.8, U=-2.0, V=0.2, breathing=0.0)
    sec = sector(n_up=4, n_down=4)
    psi = solve(extended_hubbard(cl, t=0.8, U=-2.0, V=0.2, breathing=0.6), sec).ground_state
    cache = SectorCache(m0)
    # 300 reorthogonalized steps per channel: xas's defaults (150 plain steps, 3,920 final states)
    # give the same eigenvector perturbed by 4e-15 spectra that differ by 1e-5 of the peak; these
    # agree to 1e-8, below the bound tested
    chain = dict(n_steps=300, reorthogonalize=True)
    E, V = np.linalg.eigh(cache.matrix(sec).toarray())
    ref = np.zeros_like(OMEGA)
    for e_n, comp in eigenlevels(E, V, psi):
        w = np.vdot(comp, comp).real
        if w > 1e-12:  # the ~2,000 lighter levels hold < 1e-9 of the weight together
            ref += w * xas(m0, sec, comp, OMEGA, U_c=U_C, Gamma=GAMMA, e_ref=e_n, cache=cache, **chain)["total"].values
    got = windowed_xas(m0, sec, psi, OMEGA, U_c=U_C, Gamma=GAMMA, halving_tol=1e-8, cache=cache, **chain)
    assert got.attrs["energy_spread_eV"] > 1.0  # PHYSICS.md: 0.7–1.8 eV after a sudden Δ → 0
    assert got.attrs["width_converged"] == 1 and got.attrs["krylov_converged"] == 1
    assert rel(got["total"].values, ref) <= ISSUE_TOL
    assert rel(xas(m0, sec, psi, OMEGA, U_c=U_C, Gamma=GAMMA, cache=cache)["total"].values, ref) > 0.1
