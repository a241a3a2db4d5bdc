"""O K-edge XAS: against electron addition (U_c = 0), full diagonalization with the core hole,
the exact first-moment shift, symmetry-reduced against all oxygens, and bad input."""

import numpy as np
import pytest

from localpairs.errors import InputError
from localpairs.hamiltonians import Term, extended_hubbard, fermi_bose_mixture, make_cluster
from localpairs.hamiltonians.doping import DopingConfig
from localpairs.solvers import build_basis, hamiltonian_matrix, sector, solve
from localpairs.solvers.ed.observables import occupations
from localpairs.solvers.spectra.equivalent_channels import Symmetry, lattice_permutations, state_map, symmetries
from localpairs.solvers.spectra.excitations import Excitation, apply_excitation, electron_addition, target_sector
from localpairs.solvers.spectra.spectral_functions import SectorCache, spectra
from localpairs.solvers.spectra.xas import xas

#: Continued fraction (Krylov space exhausted) against a Lehmann sum, relative to the peak.
LEHMANN_TOL = 1e-8
#: Two exact routes to the same number (moments, symmetric vs all channels): round-off only.
EXACT_TOL = 1e-10


def lpdw(shape="plaquette", periodic=True):
    m = extended_hubbard(make_cluster(shape, periodic=periodic), t=0.8, U=-2.0, V=0.2, breathing=0.3)
    return m, solve(m, sector(electrons=m.n_sites), n_states=2)


def test_no_core_hole_equals_addition_summed_over_neighbouring_octahedra():
    m, res = lpdw()
    omega = np.linspace(-4, 8, 300)
    cache = SectorCache(m)
    cache.add(res.sector, res.basis)
    x = xas(m, res.sector, res.ground_state, omega, U_c=0.0, Gamma=0.3, n_steps=400, cache=cache, use_symmetry=False)
    ops = [electron_addition(m, site=s, spin=spin) for b in m.cluster.bonds for s in (b.i, b.j) for spin in ("up", "down")]
    add = spectra(m, res.sector, res.ground_state, ops, omega, eta=0.3, n_steps=400, cache=cache)
    assert np.abs(x["total"].values - add["total"].values).max() <= EXACT_TOL * add["total"].values.max()
    assert np.isclose(float((x["weight"] * x["m0"]).sum()), float(add["m0"].sum()), rtol=EXACT_TOL)


@pytest.mark.parametrize("coherence", ["incoherent", "coherent"])
def test_core_hole_spectrum_against_full_diagonalization(coherence):
    """One oxygen's channel with U_c on its two octahedra, against eigh of H + U_c(n_i + n_j)."""
    cl = make_cluster((3, 2, 1))
    m = extended_hubbard(cl, t=0.8, U=-2.0, V=0.2, breathing=0.3)
    res = solve(m, sector(electrons=6))
    omega = np.linspace(520, 540, 500)
    U_c, Gamma, offset = -1.3, 0.2, 527.0
    x = xas(m, res.sector, res.ground_state, omega, U_c=U_c, Gamma=Gamma, offset=offset, coherence=coherence, n_steps=400, basis=res.basis, use_symmetry=False)
    e_ref = res.ground_energy
    for k in range(0, x.sizes["channel"], 3):  # every third channel: all oxygens, sites and spins are sampled
        label = str(x["channel"].values[k])
        i, j = int(x["oxygen_i"].values[k]), int(x["oxygen_j"].values[k])
        spin = str(x["spin"].values[k])
        ops = "+|" if spin == "up" else "|+"
        if coherence == "incoherent":
            s = int(x["site"].values[k])
            exc = Excitation("xas", label, (Term(ops, ((1.0, s),)),), (1, 0) if spin == "up" else (0, 1))
        else:
            exc = Excitation("xas", label, (Term(ops, ((2**-0.5, i), (-(2**-0.5), j))),), (1, 0) if spin == "up" else (0, 1))
        tsec = target_sector(res.sector, exc, 6)
        b = build_basis(m, tsec)
        up, dn = occupations(b, 6)
        H = hamiltonian_matrix(m, b).toarray() + np.diag(U_c * (up[:, i] + dn[:, i] + up[:, j] + dn[:, j]))
        E, V = np.linalg.eigh(H)
        phi, _ = apply_excitation(m, exc, res.ground_state, res.basis, b)
        w = np.abs(V.T @ phi) ** 2
        ref = (w[None, :] * (Gamma / np.pi) / ((omega[:, None] - offset - (E[None, :] - e_ref)) ** 2 + Gamma**2)).sum(1)
        assert np.abs(x["spectrum"].values[k] - ref).max() <= LEHMANN_TOL * ref.max(), label
        # the core hole shifts the first moment by exactly U_c ⟨φ|n_i + n_j|φ⟩
        shift = U_c * np.sum(np.abs(phi) ** 2 * (up[:, i] + dn[:, i] + up[:, j] + dn[:, j]))
        first_no_hole = np.vdot(phi, hamiltonian_matrix(m, b) @ phi).real - e_ref * np.vdot(phi, phi).real + offset * np.vdot(phi, phi).real
        assert np.isclose(x["m1"].values[k], first_no_hole + shift, atol=EXACT_TOL)
    if coherence == "coherent":  # Σ over oxygens and spins of ⟨D D†⟩ differs from the incoherent sum
        inc = xas(m, res.sector, res.ground_state, omega, U_c=U_c, offset=offset, basis=res.basis, use_symmetry=False)
        assert abs(float((x["weight"] * x["m0"]).sum()) - float((inc["weight"] * inc["m0"]).sum()) / 2) > 1e-3


@pytest.mark.parametrize("shape, periodic", [("plaquette", True), ((3, 2, 1), False)])
def test_symmetry_reduced_equals_all_oxygens(shape, periodic):
    m, res = lpdw(shape, periodic)
    omega = np.linspace(-6, 8, 200)
    steps = 400  # ≥ every target dimension here (≤ 300): exhausted chains, exact spectra
    cache = SectorCache(m)
    cache.add(res.sector, res.basis)
    reduced = xas(m, res.sector, res.ground_state, omega, U_c=-1.0, n_steps=steps, cache=cache)
    full = xas(m, res.sector, res.ground_state, omega, U_c=-1.0, n_steps=steps, cache=cache, use_symmetry=False)
    assert reduced.attrs["n_channels_computed"] < full.attrs["n_channels_computed"]
    assert np.isclose(reduced["weight"].sum(), full["weight"].sum())
    assert np.abs(reduced["total"].values - full["total"].values).max() <= EXACT_TOL * full["total"].values.max()


def test_found_symmetries_leave_hamiltonian_and_state_invariant():
    """Numerical check of what the symbolic test accepts: P H P† = H and Pψ = λψ on the basis."""
    m, res = lpdw("cube", True)
    syms = symmetries(m, res.basis, res.ground_state, n_up=4, n_down=4)
    assert Symmetry(tuple(range(8)), False) in syms and len(syms) > 2
    H = hamiltonian_matrix(m, res.basis).tocsr()
    rng = np.random.default_rng(1)
    v = rng.standard_normal(res.basis.Ns)
    for sym in syms:
        index, sign = state_map(res.basis, 8, sym)
        def P(x, index=index, sign=sign):
            out = np.zeros_like(x)
            out[index] = sign * x
            return out
        assert np.abs(P(H @ v) - H @ P(v)).max() < 1e-12
        assert abs(abs(np.vdot(res.ground_state, P(res.ground_state))) - 1) < 1e-10
    # a breathing pattern breaks the single translation x → x + 1 (it swaps the sublattices)
    shift_x = next(p for p in lattice_permutations(m.cluster)
                   if p[0] == m.cluster.site_index(1, 0, 0)
                   and all(p[m.cluster.site_index(0, y, z)] == m.cluster.site_index(1, y, z) for y in range(2) for z in range(2)))
    assert all(s.perm != shift_x for s in syms)


def test_offset_shifts_the_photon_energy_axis():
    m, res = lpdw()
    base = np.linspace(-3, 6, 91)
    a = xas(m, res.sector, res.ground_state, base, U_c=-1.0, basis=res.basis)
    b = xas(m, res.sector, res.ground_state, base + 529.0, U_c=-1.0, offset=529.0, basis=res.basis)
    assert np.abs(a["total"].values - b["total"].values).max() <= EXACT_TOL * a["total"].values.max()


def test_fermi_bose_electrons_enter_fermionic_octahedra_only():
    cl = make_cluster("plaquette")
    dop = DopingConfig(x=0.0, large=(True, False, False, True), placement="rock_salt", seed=None)
    m = fermi_bose_mixture(cl, dop, t_B=0.3, t_F=1.0, g=0.4, E_B=-0.5)
    res = solve(m, sector(electrons=4))
    x = xas(m, res.sector, res.ground_state, np.linspace(-4, 8, 100), U_c=-1.0, basis=res.basis, use_symmetry=False)
    assert set(x["site"].values.tolist()) == {1, 2}
    assert x["total"].values.max() > 0 and not np.isnan(x["total"].values).any()


@pytest.mark.parametrize("field, kwargs", [("Gamma", dict(Gamma=-0.2)), ("Gamma", dict(Gamma=0.0)), ("U_c", dict(U_c=float("nan"))),
                                            ("coherence", dict(coherence="partial")), ("gaussian_fwhm", dict(gaussian_fwhm=-0.1)),
                                            ("offset", dict(offset=float("inf")))])
def test_bad_input(field, kwargs):
    m = extended_hubbard(make_cluster("dimer"), t=1.0, U=-2.0)
    res = solve(m, sector(electrons=2))
    args = dict(U_c=-1.0, **kwargs) if field != "U_c" else kwargs
    with pytest.raises(InputError) as err:
        xas(m, res.sector, res.ground_state, [0.0, 1.0], basis=res.basis, **args)
    assert err.value.field == field
