"""Momentum-resolved spectra across symmetry blocks: A(k, ω) from a ground state in its momentum
block (QuSpin's Op_shift_sector into the block k0 − k) against the no-symmetry k-resolved
Lehmann sum from dense diagonalization; sum rules; point-group blocks; refusals."""

import itertools
import warnings

import numpy as np
import pytest

from localpairs.errors import InputError
from localpairs.hamiltonians import Term, extended_hubbard, fermi_bose_mixture, make_cluster
from localpairs.hamiltonians.doping import DopingConfig
from localpairs.solvers import build_basis, hamiltonian_matrix, sector, solve
from localpairs.solvers.spectra.conductivity import peierls_model
from localpairs.solvers.spectra.excitations import (
    Excitation,
    apply_excitation,
    electron_addition,
    electron_removal,
    momentum_grid,
    target_sector,
)
from localpairs.solvers.spectra.spectral_functions import spectra

#: Block spectra against the dense no-symmetry Lehmann sum, relative to the largest peak: both are
#: exact (the block chains exhaust their Krylov spaces); round-off leaves ~1e-13.
SPECTRUM_TOL = 1e-10
#: Pole energies (eV) and weights: exact up to round-off of the tridiagonal eigenproblem.
POLE_TOL = 1e-9
#: Sum rules Σ_k ‖c_k ψ‖², sums of ≤ 10⁴ squared amplitudes.
SUM_TOL = 1e-12
#: Embedded block state against the no-symmetry H: ‖Hψ − E ψ‖, round-off.
EIGEN_TOL = 1e-11

PARAMS = dict(t=0.33, U=-1.2, V=0.15)
OMEGA = np.linspace(-3.5, 3.5, 351)
ETA = 0.08


# ---------------------------------------------------------------- helpers
def momentum_names(cluster):
    return [f"k{a}" for a, n in zip("xyz", cluster.shape) if n > 1]


def block_ground_state(model, n_up, n_down):
    """Lowest state over all momentum blocks: (result, labels of every block at that energy)."""
    cl = model.cluster
    names = momentum_names(cl)
    found = []
    for qs in itertools.product(*[range(n) for n in cl.shape if n > 1]):
        found.append(solve(model, sector(n_up=n_up, n_down=n_down, **dict(zip(names, qs))), n_states=1))
    lowest = min(r.ground_energy for r in found)
    # Degenerate blocks (within round-off) are ordered by label: the first one is "the" ground state.
    at_lowest = [r for r in found if abs(r.ground_energy - lowest) < 1e-9]
    best = at_lowest[0]
    degenerate = [dict(r.sector.blocks) for r in at_lowest]
    return best, degenerate


def channels(model):
    ops = []
    for k in momentum_grid(model.cluster):
        for spin in ("up", "down"):
            ops += [electron_addition(model, k=k, spin=spin), electron_removal(model, k=k, spin=spin)]
    return ops


def lehmann_reference(model, full_sec, psi_full, ops):
    """Poles and weights |⟨n|O|ψ⟩|² of each operator from dense diagonalization without symmetry."""
    eig: dict = {}
    full_basis = build_basis(model, full_sec)
    out = []
    for exc in ops:
        tsec = target_sector(full_sec, exc, model)
        key = (tsec.n_up, tsec.n_down)
        if key not in eig:
            b = build_basis(model, tsec)
            eig[key] = (b, *np.linalg.eigh(hamiltonian_matrix(model, b).toarray()))
        b, E, V = eig[key]
        phi, _ = apply_excitation(model, exc, psi_full, full_basis, b)
        out.append((E, np.abs(V.conj().T @ phi) ** 2))
    return out


def lorentzian(E, w, e_ref):
    x = OMEGA[:, None] - (E[None, :] - e_ref)
    return (w[None, :] * (ETA / np.pi) / (x**2 + ETA**2)).sum(axis=1)


def merged(E, w, tol=1e-7):
    out: dict = {}
    for e, x in zip(E, w):
        if x > 1e-12:
            key = next((k for k in out if abs(k - e) < tol), e)
            out[key] = out.get(key, 0.0) + x
    return out


def assert_same_poles(ds, k, E_ref, w_ref, e_ref):
    got = merged(ds["pole_energy"].values[k] + e_ref, ds["pole_weight"].values[k])
    ref = merged(E_ref, w_ref)
    assert len(got) == len(ref)
    for e, w in ref.items():
        key = min(got, key=lambda x: abs(x - e))
        assert abs(key - e) < POLE_TOL and abs(got[key] - w) < POLE_TOL


def compare_with_no_symmetry(model, res, psi_full, full_sec):
    """A(k, ω) from the block state res against the Lehmann sums of psi_full (no symmetry)."""
    ops = channels(model)
    e0 = res.ground_energy
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # c_k may annihilate the state (SpectraWarning)
        ds = spectra(model, res.sector, res.ground_state, ops, OMEGA, eta=ETA, e_ref=e0, basis=res.basis, n_steps=600)
    ref = lehmann_reference(model, full_sec, psi_full, ops)
    curves = np.array([lorentzian(E, w, e0) for E, w in ref])
    assert np.abs(ds["spectrum"].values - curves).max() <= SPECTRUM_TOL * curves.max()
    for k, (E, w) in enumerate(ref):
        assert_same_poles(ds, k, E, w, e0)
    # zeroth moments: Op_shift_sector's norm = the independent ⟨O†O⟩ = the no-symmetry weight
    m0_ref = np.array([w.sum() for _, w in ref])
    assert np.allclose(ds["m0"].values, ds["m0_expected"].values, rtol=0, atol=SUM_TOL)
    assert np.allclose(ds["m0"].values, m0_ref, rtol=0, atol=SUM_TOL)
    # sum rules over the k-grid: Σ_k ⟨c_k c†_k⟩ = N − N_σ, Σ_k ⟨c†_k c_k⟩ = N_σ
    N = model.n_sites
    for spin, n_sigma in (("up", res.sector.n_up), ("down", res.sector.n_down)):
        add = [i for i, o in enumerate(ops) if o.spin == spin and o.kind == "electron_addition"]
        rem = [i for i, o in enumerate(ops) if o.spin == spin and o.kind == "electron_removal"]
        assert abs(ds["m0"].values[add].sum() - (N - n_sigma)) < SUM_TOL and abs(m0_ref[add].sum() - (N - n_sigma)) < SUM_TOL
        assert abs(ds["m0"].values[rem].sum() - n_sigma) < SUM_TOL and abs(m0_ref[rem].sum() - n_sigma) < SUM_TOL
    # the block rule: c†_k from block q lands in q − n_α, c_k in q + n_α (mod L_α)
    for exc, label in zip(ops, ds["target_sector"].values):
        s = -1 if exc.kind == "electron_addition" else 1
        for a, name in enumerate("xyz"):
            if f"k{name}" in res.sector.blocks:
                q = (res.sector.blocks[f"k{name}"] + s * exc.k[a]) % model.cluster.shape[a]
                assert f"k{name}={q}" in label
    return ds


def embedded(model, res, full_sec):
    """The block state written in the no-symmetry basis (QuSpin's projector), checked as an eigenstate."""
    full = solve(model, full_sec, n_states=3)
    psi = res.basis.get_proj(np.complex128, pcon=True) @ res.ground_state
    H = hamiltonian_matrix(model, full.basis)
    assert np.linalg.norm(H @ psi - res.ground_energy * psi) < EIGEN_TOL
    assert abs(res.ground_energy - full.ground_energy) < EIGEN_TOL
    return full, psi


# ---------------------------------------------------------------- k-resolved spectra from blocks
@pytest.mark.parametrize(
    "shape, n_up, n_down",
    [
        ((4, 1, 1), 2, 2),  # half filling; complex blocks kx = 1, 3 as targets
        ((4, 1, 1), 2, 1),  # off half filling: degenerate ground states in kx = 1 and kx = 3
        ((2, 2, 1), 2, 2),  # periodic plaquette at half filling (kx, ky)
        ((2, 2, 2), 2, 2),  # periodic cube off half filling (kx, ky, kz)
    ],
)
def test_block_spectra_equal_no_symmetry(shape, n_up, n_down):
    model = extended_hubbard(make_cluster(shape, periodic=True), **PARAMS)
    res, degenerate = block_ground_state(model, n_up, n_down)
    full_sec = sector(n_up=n_up, n_down=n_down)
    full, psi = embedded(model, res, full_sec)
    if shape == (4, 1, 1) and n_down == 1:
        assert degenerate == [{"kx": 1}, {"kx": 3}] and res.sector.blocks == {"kx": 1}
    if len(degenerate) == 1 and full.energies[1] - full.energies[0] > 1e-6:
        assert abs(abs(np.vdot(full.ground_state, psi)) - 1.0) < EIGEN_TOL  # it is the no-symmetry ground state
    compare_with_no_symmetry(model, res, psi, full_sec)


def test_twisted_ring_ground_state_at_finite_momentum():
    """A uniform vector potential breaks time reversal: the 2↑1↓ ground state is unique and sits
    in kx = 1, so A(k) ≠ A(−k) and a k ↔ −k mix-up of the block rule would show. The reference is
    the no-symmetry ground state itself (no projector involved)."""
    cl = make_cluster((4, 1, 1), periodic=True)
    model = peierls_model(extended_hubbard(cl, **PARAMS), (0.3 / cl.lattice_constant, 0.0, 0.0))
    res, degenerate = block_ground_state(model, 2, 1)
    assert degenerate == [{"kx": 1}]
    full = solve(model, sector(n_up=2, n_down=1), n_states=2)
    assert full.energies[1] - full.energies[0] > 0.1 and abs(full.ground_energy - res.ground_energy) < EIGEN_TOL
    ds = compare_with_no_symmetry(model, res, full.ground_state, full.sector)
    k1 = [i for i, o in enumerate(channels(model)) if o.kind == "electron_addition" and o.spin == "up" and o.k[0] in (1, 3)]
    assert abs(ds["m0"].values[k1[0]] - ds["m0"].values[k1[1]]) > 1e-3  # k and −k differ here


def test_pair_basis_blocks():
    """Fermi–Bose mixture (pair-constrained user basis), twisted along y so that the ground state is
    in ky = 2: a momentum-resolved pair operator Σ_i e^{ik·r_i} Δ†_i over the bosonic sites."""
    cl = make_cluster((2, 3, 1), periodic=True)
    dop = DopingConfig(x=0.0, large=(True, True, True, False, False, False), placement="rock_salt", seed=None)
    base = fermi_bose_mixture(cl, dop, t_B=0.3, t_F=1.0, g=0.45, E_B=-0.4, V_BB=0.2, V_BF=0.1)
    model = peierls_model(base, (0.0, 0.5, 0.0))
    full = solve(model, sector(n_up=1, n_down=1), n_states=2)
    res = min((solve(model, sector(n_up=1, n_down=1, ky=q)) for q in range(3)), key=lambda r: r.ground_energy)
    assert res.sector.blocks == {"ky": 2} and abs(res.ground_energy - full.ground_energy) < EIGEN_TOL
    ops = []
    for n in range(3):
        ph = np.exp(2j * np.pi * n * cl.coordinates[list(model.bosonic_sites), 1] / 3) / np.sqrt(3)
        ops.append(Excitation("pair_addition", f"Δ†_k{n}", (Term("+|+", tuple((complex(p), i, i) for p, i in zip(ph, model.bosonic_sites))),), (1, 1)))
    blk = spectra(model, res.sector, res.ground_state, ops, OMEGA, eta=ETA, e_ref=res.ground_energy, basis=res.basis)
    ref = spectra(model, full.sector, full.ground_state, ops, OMEGA, eta=ETA, e_ref=res.ground_energy, basis=full.basis, n_steps=600)
    assert np.abs(blk["spectrum"].values - ref["spectrum"].values).max() <= SPECTRUM_TOL * ref["spectrum"].values.max()
    assert list(blk["target_sector"].values) == [f"N=4 (2↑2↓) ky={(2 - n) % 3}" for n in range(3)]


# ---------------------------------------------------------------- point-group blocks
def test_reflection_block_keeps_k_equal_minus_k():
    """4-ring at half filling in (kx = 0, px): c†_k with k ≡ −k (n = 0, 2) is an eigenoperator of
    the reflection (n = 2 flips the parity) and matches the no-symmetry spectrum; n = 1 is refused."""
    model = extended_hubbard(make_cluster((4, 1, 1), periodic=True), **PARAMS)
    res = min((solve(model, sector(n_up=2, n_down=2, kx=0, px=p)) for p in (0, 1)), key=lambda r: r.ground_energy)
    full_sec = sector(n_up=2, n_down=2)
    _, psi = embedded(model, res, full_sec)
    ops = [make(model, k=(n, 0, 0), spin=s) for make in (electron_addition, electron_removal) for n in (0, 2) for s in ("up", "down")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = spectra(model, res.sector, res.ground_state, ops, OMEGA, eta=ETA, e_ref=res.ground_energy, basis=res.basis)
    ref = lehmann_reference(model, full_sec, psi, ops)
    curves = np.array([lorentzian(E, w, res.ground_energy) for E, w in ref])
    assert np.abs(ds["spectrum"].values - curves).max() <= SPECTRUM_TOL * curves.max()
    p0 = res.sector.blocks["px"]
    assert [f"px={(p0 + (o.k[0] == 2)) % 2}" in t for o, t in zip(ops, ds["target_sector"].values)] == [True] * len(ops)
    with pytest.raises(InputError, match=r"sector\.px.*not an eigenoperator of a reflection"):
        spectra(model, res.sector, res.ground_state, [electron_addition(model, k=(1, 0, 0))], OMEGA, eta=ETA, basis=res.basis)


def test_diagonal_mirror_block():
    """Periodic plaquette in (kx = ky = 0, dxy): c†_k with kx = ky stays an eigenoperator of the
    mirror; k = (1, 0) is mapped to (0, 1) and refused."""
    model = extended_hubbard(make_cluster((2, 2, 1), periodic=True), **PARAMS)
    res = min((solve(model, sector(n_up=2, n_down=2, kx=0, ky=0, dxy=d)) for d in (0, 1)), key=lambda r: r.ground_energy)
    full_sec = sector(n_up=2, n_down=2)
    _, psi = embedded(model, res, full_sec)
    ops = [make(model, k=(n, n, 0), spin="up") for make in (electron_addition, electron_removal) for n in (0, 1)]
    ds = spectra(model, res.sector, res.ground_state, ops, OMEGA, eta=ETA, e_ref=res.ground_energy, basis=res.basis)
    ref = lehmann_reference(model, full_sec, psi, ops)
    curves = np.array([lorentzian(E, w, res.ground_energy) for E, w in ref])
    assert np.abs(ds["spectrum"].values - curves).max() <= SPECTRUM_TOL * curves.max()
    with pytest.raises(InputError, match=r"sector\.dxy"):
        spectra(model, res.sector, res.ground_state, [electron_removal(model, k=(1, 0, 0))], OMEGA, eta=ETA, basis=res.basis)


# ---------------------------------------------------------------- refusals
def test_site_operator_in_momentum_block_is_refused():
    model = extended_hubbard(make_cluster((4, 1, 1), periodic=True), **PARAMS)
    res = solve(model, sector(n_up=2, n_down=2, kx=0))
    with pytest.raises(InputError, match=r"sector\.kx.*not an eigenoperator of a translation"):
        spectra(model, res.sector, res.ground_state, [electron_addition(model, site=0)], OMEGA, eta=ETA, basis=res.basis)
    with pytest.raises(InputError, match="a sector without symmetry blocks, or the model"):
        target_sector(res.sector, electron_addition(model, k=(1, 0, 0)), model.n_sites)


def test_broken_translation_is_refused_for_spectra():
    """Breathing maps large onto small octahedra under a one-site translation: no kx block exists,
    and spectra say so before any work."""
    cl = make_cluster((4, 1, 1), periodic=True)
    model = extended_hubbard(cl, **PARAMS, breathing=0.1)
    psi = np.ones(36) / 6.0
    with pytest.raises(InputError, match="does not commute"):
        spectra(model, sector(n_up=2, n_down=2, kx=0), psi, [electron_addition(model, k=(1, 0, 0))], OMEGA, eta=ETA)
