"""Bond multiplicity on periodic axes of length 2: closed-form levels, the isotropic cluster, the
linear current it restores, and the run-spec key.

Tolerances: eigenvalues of ≤ 8×8 hopping matrices and of ≤ 1568-dimensional dense Hamiltonians
with O(1) entries agree to round-off, ~1e-14 × dimension-dependent factor; 1e-12 (single-particle)
and 1e-12 (many-body, the same graph gives the same matrix up to summation order) leave margin.
"""

import itertools
import warnings

import numpy as np
import pytest

from localpairs.errors import InputError
from localpairs.hamiltonians import extended_hubbard, hopping_matrix, make_cluster
from localpairs.hamiltonians.driven_model import PumpWarning, drive, gaussian_pulse
from localpairs.solvers import build_basis, hamiltonian_matrix, sector
from localpairs.solvers.dynamics.driven_operator import DrivenOperator
from localpairs.spec import SpecError, parse_spec
from localpairs.studies.common import build_system, spec_hash
from localpairs.studies.xfel_probe import check_pump_axis

#: Round-off on eigenvalues of small dense matrices with entries of order 1 (see module docstring).
EIG_TOL = 1e-12

PARAMS = dict(U=-1.7, V=0.25, J_p=0.11, breathing=0.2)


def many_body_spectrum(model, n_up, n_down):
    basis = build_basis(model, sector(n_up=n_up, n_down=n_down))
    return np.linalg.eigvalsh(hamiltonian_matrix(model, basis).toarray())


@pytest.mark.parametrize("multiplicity, levels", [(2, [-2.0, 2.0]), (1, [-1.0, 1.0])])
def test_length_two_axis_levels(multiplicity, levels):
    """Periodic dimer: −2t cos k, k ∈ {0, π} with two oxygens (as before); ∓t with one (a dimer).
    Checked on the one-electron sector of the U = 0 many-body model and on the hopping matrix."""
    t = 0.7
    cl = make_cluster("dimer", periodic=True, bond_multiplicity=multiplicity)
    assert cl.n_bonds == multiplicity and cl.bond_multiplicity == (multiplicity, 1, 1)
    model = extended_hubbard(cl, t=t, U=0.0)
    expected = t * np.array(levels)
    assert np.allclose(many_body_spectrum(model, 1, 0), expected, atol=EIG_TOL)
    assert np.allclose(np.linalg.eigvalsh(hopping_matrix(cl, t)), expected, atol=EIG_TOL)


@pytest.mark.parametrize("multiplicity", list(itertools.product((1, 2), repeat=3)))
def test_cube_levels_are_sums_of_axis_levels(multiplicity):
    """On the periodic 2×2×2 cube the hopping separates by axis: levels are Σ_α ε_α with
    ε_α ∈ {∓2t} (two oxygens) or {∓t} (one)."""
    t = 0.45
    cl = make_cluster("cube", periodic=True, bond_multiplicity=multiplicity)
    per_axis = [[-m * t, m * t] for m in multiplicity]
    closed = sorted(sum(e) for e in itertools.product(*per_axis))
    assert np.allclose(np.linalg.eigvalsh(hopping_matrix(cl, t)), closed, atol=EIG_TOL)


def test_isotropic_cluster_with_open_pump_axis():
    """x open, y and z periodic with one oxygen per pair: every axis hops with t (no 2t)."""
    t = 0.33
    cl = make_cluster("cube", periodic=[False, True, True], bond_multiplicity=1)
    h = hopping_matrix(cl, t)
    off = h[~np.eye(cl.n_sites, dtype=bool)]
    assert set(np.round(off[off != 0], 15)) == {-t}
    assert sorted(b.axis for b in cl.bonds) == [0] * 4 + [1] * 4 + [2] * 4
    assert "y, z one oxygen per pair" in cl.describe()


@pytest.mark.parametrize("n_up, n_down", [(2, 2), (3, 2), (4, 1)])
def test_all_open_equals_all_periodic_single_bonded(n_up, n_down):
    """Open cube and periodic cube with multiplicity 1 are the same graph (each pair joined once):
    identical spectra of the full Hubbard model. The default periodic cube (pairs joined twice)
    equals the open cube with every bond term doubled (2t, 2V, 2J_p)."""
    t = 0.4
    open_cube = make_cluster("cube", periodic=False)
    single = make_cluster("cube", periodic=True, bond_multiplicity=1)
    assert [(b.i, b.j, b.axis) for b in open_cube.bonds] == [(b.i, b.j, b.axis) for b in single.bonds]
    e_open = many_body_spectrum(extended_hubbard(open_cube, t=t, **PARAMS), n_up, n_down)
    e_single = many_body_spectrum(extended_hubbard(single, t=t, **PARAMS), n_up, n_down)
    assert np.max(np.abs(e_open - e_single)) <= EIG_TOL
    doubled = dict(PARAMS, V=2 * PARAMS["V"], J_p=2 * PARAMS["J_p"])
    e_double = many_body_spectrum(extended_hubbard(make_cluster("cube", periodic=True), t=t, **PARAMS), n_up, n_down)
    e_open_2 = many_body_spectrum(extended_hubbard(open_cube, t=2 * t, **doubled), n_up, n_down)
    assert np.max(np.abs(e_double - e_open_2)) <= 10 * EIG_TOL  # entries twice as large
    assert np.max(np.abs(e_double - e_single)) > 0.1  # the multiplicity matters


def _current_fluctuation(cluster, polarization):
    """⟨0|j j|0⟩ of the ground state along ``polarization`` (j = −∂H/∂A at A = 0), drive()'s
    verdict on linear coupling, and the operator j. drive() must warn exactly when every axis along
    the polarization joins its pairs twice."""
    model = extended_hubbard(cluster, t=0.33, **PARAMS)
    basis = build_basis(model, sector(electrons=4))
    pulse = gaussian_pulse(photon_energy=1.0, duration=5.0, peak_field=1e-3, polarization=polarization)
    doubled = all(cluster.doubled_axes[ax] for ax in range(3) if polarization[ax])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        driven = drive(model, pulse=pulse)
    assert any(issubclass(w.category, PumpWarning) for w in caught) == doubled
    op = DrivenOperator(driven, basis)
    _, vecs = np.linalg.eigh(hamiltonian_matrix(model, basis).toarray())
    psi = vecs[:, 0].astype(complex)
    j = op.assemble(op.driven.current_coefficients_at(0.0))
    return float(np.vdot(j @ psi, j @ psi).real), driven.info["linear_coupling"], j


def test_single_bonded_axis_carries_a_linear_current():
    """Along a periodic length-2 axis the current vanishes identically with two oxygens per pair
    (opposite Peierls phases) and not with one; then it equals the open axis's current."""
    pol = (0.0, 1.0, 0.0)
    jj2, linear2, j2 = _current_fluctuation(make_cluster((2, 2, 1), periodic=[False, True, False]), pol)
    assert jj2 == 0.0 and abs(j2).max() == 0.0 and not linear2
    jj1, linear1, _ = _current_fluctuation(make_cluster((2, 2, 1), periodic=[False, True, False], bond_multiplicity=1), pol)
    jj_open, _, _ = _current_fluctuation(make_cluster((2, 2, 1), periodic=False), pol)
    assert linear1 and jj1 > 1e-3
    assert jj1 == pytest.approx(jj_open, rel=1e-10)  # same bonds and displacements: same operator


def test_pump_axis_check_follows_the_multiplicity():
    check_pump_axis(make_cluster("cube", periodic=True, bond_multiplicity={"x": 1}))  # x-polarized
    with pytest.raises(InputError, match="cluster.periodic"):
        check_pump_axis(make_cluster("cube", periodic=True))


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(bond_multiplicity=3), "cluster.bond_multiplicity"),
        (dict(bond_multiplicity=0), "cluster.bond_multiplicity"),
        (dict(bond_multiplicity=True), "cluster.bond_multiplicity"),
        (dict(bond_multiplicity=1.0), "cluster.bond_multiplicity"),
        (dict(bond_multiplicity=[1, 2]), "cluster.bond_multiplicity"),
        (dict(bond_multiplicity={"w": 1}), "cluster.bond_multiplicity"),
        (dict(bond_multiplicity=[1, 5, 1]), "cluster.bond_multiplicity.y"),
        (dict(periodic=False, bond_multiplicity=1), "cluster.bond_multiplicity"),  # no axis with a choice
        (dict(periodic=[False, True, True], bond_multiplicity=[1, 1, 1]), "cluster.bond_multiplicity.x"),  # open
        (dict(shape="2x2x3", periodic=True, bond_multiplicity={"z": 1}), "cluster.bond_multiplicity.z"),  # length 3
    ],
)
def test_bad_multiplicity_names_the_field(kwargs, field):
    kwargs = {"shape": "cube", "periodic": True, **kwargs}
    with pytest.raises(InputError) as err:
        make_cluster(**kwargs)
    assert err.value.field == field
    assert repr(err.value.value) in str(err.value)


@pytest.mark.parametrize(
    "shape, periodic, multiplicity",
    [("cube", True, None), ("cube", [False, True, True], {"z": 1}), ("2x2x3", True, 1), ("plaquette", True, [1, 2, None]),
     ("cube", True, np.array([2, 1, 2]))],
)
def test_as_dict_rebuilds_the_cluster(shape, periodic, multiplicity):
    cl = make_cluster(shape, periodic=periodic, bond_multiplicity=multiplicity)
    record = cl.as_dict()
    record.pop("name")
    again = make_cluster(**record)
    assert again.bonds == cl.bonds and again.bond_multiplicity == cl.bond_multiplicity
    assert cl.as_dict()["bond_multiplicity"] == [m if p and n == 2 else None for m, p, n in zip(cl.bond_multiplicity, cl.periodic, cl.shape)]


def test_default_is_two_oxygens_and_describe_unchanged():
    cl = make_cluster("cube", periodic=True)
    assert cl.bond_multiplicity == (2, 2, 2) and cl.n_bonds == 24
    assert cl.describe() == "cube 2×2×2 (ppp), 8 sites, 24 bonds, a = 4.35 Å"
    assert make_cluster("cube", periodic=True, bond_multiplicity=2).bonds == cl.bonds


BASE = {"title": "x", "study": "ground_state", "model": {"kind": "extended_hubbard", "t": 0.33, "U": -1.0}}


def test_spec_key():
    plain = parse_spec(BASE)
    assert "bond_multiplicity" not in plain.model_dump()["cluster"]  # earlier specs dump (and hash) as before
    one = parse_spec(BASE | {"cluster": {"periodic": [False, True, True], "bond_multiplicity": 1}})
    table = parse_spec(BASE | {"cluster": {"periodic": [False, True, True], "bond_multiplicity": {"y": 1, "z": 1}}})
    assert one.model_dump()["cluster"]["bond_multiplicity"] == 1
    assert spec_hash(one) != spec_hash(plain)
    c1, ct = build_system(one).cluster, build_system(table).cluster
    assert c1.bonds == ct.bonds and c1.bond_multiplicity == (1, 1, 1) and c1.n_bonds == 12
    assert build_system(plain).cluster.n_bonds == 24


@pytest.mark.parametrize(
    "cluster, message",
    [
        ({"bond_multiplicity": 3}, "cluster.bond_multiplicity = 3 is not allowed"),
        ({"bond_multiplicity": [2, 0, 2]}, "cluster.bond_multiplicity.y = 0"),
        ({"bond_multiplicity": "one"}, "cluster.bond_multiplicity = 'one' is not allowed"),
    ],
)
def test_spec_refuses_bad_multiplicity_at_parse(cluster, message):
    with pytest.raises(SpecError, match=message) as err:
        parse_spec(BASE | {"cluster": cluster})
    assert str(err.value).count("\n") == 0  # one error, not one per member of the type union


def test_spec_refuses_multiplicity_without_choice_when_built():
    spec = parse_spec(BASE | {"cluster": {"periodic": [False, True, True], "bond_multiplicity": [1, 1, 1]}})
    with pytest.raises(SpecError, match="cluster.bond_multiplicity.x = 1 is not allowed: None: the x axis is open"):
        build_system(spec)
