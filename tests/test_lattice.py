"""Classical oxygens: double well, sign convention, Hellmann–Feynman forces, Ehrenfest dynamics.

Tolerances: central finite differences (step 1e-6 Å) of smooth energies are exact to ~1e-8
relative. With γ = 0 and no pump the symmetric coupled step (triple jump of Strang steps, order 4)
keeps the total energy within a bounded error: measured spread 5e-10 eV at tol 1e-7 (3e-12 eV at
tol 1e-9), bound 1e-8 eV. An uncoupled oxygen at a minimum feels zero force and must stay there
to round-off (1e-12 Å).
"""

import numpy as np
import pytest

from localpairs.errors import InputError
from localpairs.hamiltonians import doping_config, extended_hubbard, make_cluster, site_energies
from localpairs.hamiltonians.driven_model import drive
from localpairs.hamiltonians.oxygen_lattice import AMU_EV_FS2_PER_A2, lpdw_displacements, oxygen_lattice, relax_lattice
from localpairs.solvers import build_basis, sector
from localpairs.solvers.dynamics.driven_operator import DrivenOperator
from localpairs.solvers.dynamics.evolution import EvolutionOptions, evolve
from localpairs.units import kelvin_to_ev


@pytest.fixture(scope="module")
def system():
    """2×2×1 plaquette (open x, periodic y), no static breathing: the lattice provides it."""
    cluster = make_cluster((2, 2, 1), periodic=[False, True, False])
    model = extended_hubbard(cluster, t=0.33, U=-1.2, V=0.15)
    basis = build_basis(model, sector(electrons=4))
    op = DrivenOperator(drive(model), basis)
    return cluster, op


def lowest(op, shifts):
    h = op.assemble(op.driven.coefficients(0.0), op.shift_diagonal(shifts)).toarray()
    return np.linalg.eigh(h)[1][:, 0].astype(complex)


def test_double_well_shape_and_units(system):
    cluster, _ = system
    lat = oxygen_lattice(cluster, coupling=0.0)
    u0 = lat.u0
    assert u0 == pytest.approx(0.035) and lat.barrier == pytest.approx(kelvin_to_ev(500.0))
    assert lat.mass == pytest.approx(16.0 * AMU_EV_FS2_PER_A2) and AMU_EV_FS2_PER_A2 == pytest.approx(103.6427, rel=1e-5)
    u = np.array([-u0, 0.0, u0, 0.3 * u0, -1.7 * u0, 2.2 * u0])
    assert lat.potential(np.array([u0, -u0])) == 0.0 and lat.potential(np.zeros(1)) == pytest.approx(lat.barrier)
    du = 1e-6
    fd = -np.array([(lat.potential(np.array([x + du])) - lat.potential(np.array([x - du]))) / (2 * du) for x in u])
    assert np.allclose(lat.potential_force(u), fd, rtol=1e-7, atol=1e-7)  # V‴δ²/6 ≈ 4e-9 eV/Å
    # small oscillations: ω² = V''(u0)/M = 8B/(M u0²); 15.3 fs with the defaults
    assert lat.well_period == pytest.approx(15.3, abs=0.1)


def test_sign_convention_reproduces_the_breathing():
    """Oxygens moved away from large octahedra by u0 with λ = Δ/(6u0) give ε = −Δ (large), +Δ (small)."""
    cube = make_cluster("cube", periodic=True)
    doping = doping_config(cube, x=0.0)
    delta = 0.1
    lat = oxygen_lattice(cube, coupling=delta / (6 * 0.035))
    shifts = lat.site_shifts(lpdw_displacements(cube, doping.large, lat.u0))
    assert np.allclose(shifts, site_energies(cube, breathing=delta, doping=doping), atol=1e-14)
    # moving one oxygen towards its head j lowers ε_i (i grows) and raises ε_j
    u = np.zeros(cube.n_bonds)
    b = cube.bonds[0]
    u[b.id] = 0.01
    s = lat.site_shifts(u)
    assert s[b.i] < 0 < s[b.j] and np.count_nonzero(s) == 2


def test_force_is_minus_gradient_of_the_energy(system):
    cluster, op = system
    lat = oxygen_lattice(cluster, coupling=0.5)
    rng = np.random.default_rng(4)
    u = rng.uniform(-1.5, 1.5, lat.n_bonds) * lat.u0
    psi = rng.standard_normal(op.dim) + 1j * rng.standard_normal(op.dim)
    psi /= np.linalg.norm(psi)

    def total(v):
        return op.energy(0.0, psi, lat.site_shifts(v)) + lat.potential(v)

    force = lat.force(u, op.site_charge(psi))
    du = 1e-6
    for b in range(lat.n_bonds):
        e = np.zeros(lat.n_bonds)
        e[b] = du
        assert force[b] == pytest.approx(-(total(u + e) - total(u - e)) / (2 * du), rel=1e-6, abs=1e-8)


def test_uncoupled_oxygen_sits_at_a_double_well_minimum(system):
    cluster, op = system
    lat = oxygen_lattice(cluster, coupling=0.0)
    start = np.array([0.2, -0.4, 0.9, -1.6, 1.3, 0.5])[: lat.n_bonds] * lat.u0
    u, psi = relax_lattice(lat, lambda s: lowest(op, s), op.site_charge, start)
    assert np.allclose(np.abs(u), lat.u0, atol=1e-12) and np.all(np.sign(u) == np.sign(start))
    res = evolve(op, psi, [0.0, 10.0, 30.0], options=EvolutionOptions(tol=1e-8), lattice=lat, u0=u)
    assert np.max(np.abs(res.u - u)) < 1e-12 and np.max(np.abs(res.p)) < 1e-12
    # with damping an oxygen released off the minimum comes to rest in its well
    damped = oxygen_lattice(cluster, coupling=0.0, damping=0.1)  # amplitude ∝ e^{−γt/2}: 5e-4 after 150 fs
    res = evolve(op, psi, [0.0, 150.0], options=EvolutionOptions(tol=1e-5), lattice=damped, u0=np.full(lat.n_bonds, 0.5 * lat.u0))
    assert np.allclose(res.u[-1], lat.u0, atol=1e-3 * lat.u0)


def test_ehrenfest_conserves_quantum_plus_lattice_energy(system):
    cluster, op = system
    lat = oxygen_lattice(cluster, coupling=0.5)
    large = [bool(s == 0) for s in cluster.sublattice]
    u0 = lpdw_displacements(cluster, large, lat.u0)
    psi0 = lowest(op, lat.site_shifts(0.3 * u0))  # electrons relaxed for another lattice: things move
    times = np.linspace(0.0, 25.0, 51)
    res = evolve(op, psi0, times, options=EvolutionOptions(tol=1e-7), lattice=lat, u0=u0)
    totals = [op.energy(t, res.states[:, k], lat.site_shifts(res.u[k])) + lat.kinetic(res.p[k]) + lat.potential(res.u[k]) for k, t in enumerate(times)]
    assert np.ptp(res.u[:, 0]) > 0.05 * lat.u0  # the oxygens do move (by 0.12 u0)
    assert np.ptp(totals) < 1e-8  # measured 5e-10 eV (3e-12 eV at tol 1e-9)
    assert np.max(np.abs(np.linalg.norm(res.states, axis=0) - 1)) < 1e-7


def test_relaxed_lattice_has_zero_force(system):
    cluster, op = system
    lat = oxygen_lattice(cluster, coupling=0.5)
    large = [bool(s == 0) for s in cluster.sublattice]
    u, psi = relax_lattice(lat, lambda s: lowest(op, s), op.site_charge, lpdw_displacements(cluster, large, lat.u0))
    assert np.max(np.abs(lat.force(u, op.site_charge(psi)))) < 1e-7 * lat.barrier / lat.u0


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(coupling=-0.1), "lattice.coupling"),
        (dict(coupling=0.1, damping=-1.0), "lattice.damping"),
        (dict(coupling=0.1, barrier=0.0), "lattice.barrier"),
        (dict(coupling=0.1, well_separation=-0.07), "lattice.well_separation"),
    ],
)
def test_bad_lattice_input(system, kwargs, field):
    cluster, _ = system
    with pytest.raises(InputError) as err:
        oxygen_lattice(cluster, **kwargs)
    assert err.value.field == field
