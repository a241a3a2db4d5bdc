"""The one pump → XAS pipeline (solvers.dynamics.transient_xas): the pump study's probe and the
XFEL study's probe give the same spectrum for the same state; the split against closed forms.

Tolerances:
- SAME_RTOL = 1e-12 of max XAS: the two studies reach split_xas with the same state, model,
  settings, offset and (bit-identical) photon energies; they combine the two parts as
  (1 − α) g + α e and g + α (e − g), which differ by round-off (~1e-16 of max XAS).
- EXACT = 1e-10 eV: energies and spreads from exact eigenvectors of a 4×4 or 36×36 matrix
  (eigensolver round-off ~1e-14 eV, squared in the spread: σ² − (w1 w2)(ΔE)² ~ 1e-14 eV²).
"""

import math

import numpy as np
import pytest
from eigenlevel_reference import per_eigenlevel_xas

from localpairs.hamiltonians import extended_hubbard, make_cluster
from localpairs.hamiltonians.driven_model import drive
from localpairs.solvers import build_basis, hamiltonian_matrix, sector
from localpairs.solvers.dynamics.driven_operator import DrivenOperator
from localpairs.solvers.dynamics.transient_xas import (
    EXCITED_FLOOR,
    XasSettings,
    ground_offset,
    own_reference_xas,
    split_xas,
    state_xas,
)
from localpairs.solvers.spectra.spectral_functions import SectorCache
from localpairs.spec import parse_spec
from localpairs.studies.common import build_system

SAME_RTOL = 1e-12
EXACT = 1e-10

T, U, V, D = 0.33, -1.0, 0.15, 0.3
MODEL = {"kind": "extended_hubbard", "t": T, "V": V, "U": U, "breathing": D}
DIMER = {"shape": "dimer", "periodic": False}


def pumped_like_state(psi0: np.ndarray, seed: int = 3, weight: float = 0.3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    psi = psi0 + weight * (rng.standard_normal(psi0.size) + 1j * rng.standard_normal(psi0.size)) / math.sqrt(psi0.size)
    return psi / np.linalg.norm(psi)


def test_pump_probe_and_xfel_probe_agree_for_the_same_state():
    """The pump study's probe (make_xas_probe) and the XFEL study's probe (probe_states) on the
    dimer, same model, XAS settings, offset and photon energies: the same XAS of the same state."""
    from localpairs.studies.pump_xas import make_xas_probe
    from localpairs.studies.xfel_fit import Context
    from localpairs.studies.xfel_probe import probe_states

    xfel_spec = parse_spec({"title": "x", "study": "xfel", "cluster": DIMER, "model": MODEL,
                            # the pump study's probe is the one-reference split: the XFEL study's "instantaneous" model
                            "xfel": {"probe": {"omega_step": 0.125, "lanczos_steps": 40, "U_c": -0.8, "Gamma": 0.15, "probe_model": "instantaneous"}}})
    ctx = Context(xfel_spec, build_system(xfel_spec))
    cfg = ctx.cfg.probe
    model = ctx.model(U, V, D)
    basis = build_basis(model, ctx.system.sector)
    energies, vecs = np.linalg.eigh(hamiltonian_matrix(model, basis).toarray())
    psi0, e0 = vecs[:, 0].astype(complex), float(energies[0])
    psi = pumped_like_state(psi0)
    run = {"states": np.column_stack([psi0, psi]), "times": np.array([0.0, 1.0]), "E0": e0, "population": [0.0], "absorbed": [0.0], "pulse": {}}
    xfel = probe_states(ctx, {"U": U, "V": V, "breathing": D}, run, full=False)

    span = cfg.omega_span
    n = round((span[1] - span[0]) / cfg.omega_step) + 1
    xas_table = {"U_c": cfg.U_c, "Gamma": cfg.Gamma, "lanczos_steps": cfg.lanczos_steps, "offset_eV": xfel["offset"],
                 "pre_edge_eV": cfg.pre_edge_peak, "window": list(span), "n_omega": n, "probe": "instantaneous"}
    pump_spec = parse_spec({"title": "p", "study": "pump", "cluster": DIMER, "model": MODEL,
                            "pump": {"photon_energy": 1.5, "peak_field": 0.01, "xas_delays": [0.0], "xas": xas_table}})
    system = build_system(pump_spec)
    probe = make_xas_probe(system, DrivenOperator(drive(system.model), basis), pump_spec, psi0=psi0, e_ground=e0)
    assert np.array_equal(probe.omega, np.asarray(xfel["omega"]))  # 0.125 eV steps: both grids exact
    scale = probe.ground.max()
    assert np.max(np.abs(probe.ground - np.asarray(xfel["ground"]))) < SAME_RTOL * scale
    got = probe(0.0, psi)
    assert np.max(np.abs(got["total"] - np.asarray(xfel["last_xas"]))) < SAME_RTOL * scale
    assert got["excited_population"] == pytest.approx(1 - abs(np.vdot(psi0, psi)) ** 2, abs=1e-14)
    # not trivially equal: the pumped state's XAS differs from the ground state's
    assert np.max(np.abs(got["total"] - probe.ground)) > 1e-3 * scale


@pytest.fixture(scope="module")
def plaquette():
    cluster = make_cluster((2, 2, 1), periodic=[False, True, False])
    model = extended_hubbard(cluster, t=0.33, U=-1.2, V=0.15, breathing=0.1)
    sec = sector(electrons=4)
    cache = SectorCache(model)
    energies, vecs = np.linalg.eigh(cache.matrix(sec).toarray())
    return cache, sec, energies, vecs.astype(complex)


def test_spread_of_two_eigenstates_is_closed_form(plaquette):
    """φ = √w1 |1⟩ + √w2 e^{iθ}|2⟩: mean w1 E1 + w2 E2, spread √(w1 w2) |E1 − E2|; an eigenstate: spread 0."""
    cache, sec, energies, vecs = plaquette
    omega = np.linspace(-4.0, 8.0, 61)
    settings = XasSettings(U_c=-1.0, n_steps=40)
    w1, w2 = 0.7, 0.3
    phi = math.sqrt(w1) * vecs[:, 1] + math.sqrt(w2) * np.exp(0.4j) * vecs[:, 5]
    spectrum, mean, spread = own_reference_xas(cache, sec, phi, omega, settings, offset=0.0)
    assert mean == pytest.approx(w1 * energies[1] + w2 * energies[5], abs=EXACT)
    assert spread == pytest.approx(math.sqrt(w1 * w2) * abs(energies[5] - energies[1]), abs=1e-6)  # √(σ² ± 1e-14)
    direct = state_xas(cache, sec, phi, omega, settings, offset=0.0, e_ref=w1 * energies[1] + w2 * energies[5])["total"].values
    assert np.max(np.abs(spectrum - direct)) < SAME_RTOL * direct.max()
    assert own_reference_xas(cache, sec, vecs[:, 2], omega, settings, offset=0.0)[2] < 1e-6


def test_split_of_a_stationary_state_is_the_ground_xas(plaquette):
    """ψ = e^{iθ} ψ0: α below the floor, total = ground exactly, ΔXAS = 0; a real admixture is not."""
    cache, sec, energies, vecs = plaquette
    omega = np.linspace(525.0, 535.0, 51)
    settings = XasSettings(U_c=-1.0, n_steps=40)
    psi0 = vecs[:, 0]
    ground = state_xas(cache, sec, psi0, omega, settings, offset=529.0, e_ref=energies[0])["total"].values
    still = split_xas(psi0, np.exp(0.9j) * psi0, ground=ground, cache=cache, sec=sec, omega=omega, offset=529.0, settings=settings)
    assert still.alpha < EXCITED_FLOOR and still.total is still.ground and not np.any(still.difference)
    psi = pumped_like_state(psi0)
    moved = split_xas(psi0, psi, ground=ground, cache=cache, sec=sec, omega=omega, offset=529.0, settings=settings)
    assert moved.alpha == pytest.approx(1 - abs(np.vdot(psi0, psi)) ** 2, abs=1e-14)
    assert np.max(np.abs(moved.total - ground - moved.difference)) < SAME_RTOL * ground.max()
    assert np.max(np.abs(moved.difference)) > 1e-3 * ground.max()


def test_ground_offset_puts_the_feature_at_the_target(plaquette):
    """With the arg-max as feature, the ground XAS on the final axis peaks at the target (to a grid step)."""
    cache, sec, energies, vecs = plaquette
    settings = XasSettings(U_c=-1.0, n_steps=40)
    grid = np.linspace(-20.0, 20.0, 4001)  # 0.01 eV
    offset = ground_offset(cache, sec, vecs[:, 0], settings, e_ground=energies[0], grid=grid, target=529.0,
                           feature=lambda x, y: float(x[np.argmax(y)]))
    omega = 529.0 + np.linspace(-2.0, 2.0, 401)
    ground = state_xas(cache, sec, vecs[:, 0], omega, settings, offset=offset, e_ref=energies[0])["total"].values
    assert abs(omega[np.argmax(ground)] - 529.0) <= 0.0101


# ---------------------------------------------------------------- windowed (long-probe) excited part
#: Windowed split against the dense per-eigenlevel sum: the issue's bound, relative to the peak.
#: Chains run to exhaustion (n_steps ≥ every final-sector dimension, 24 here) and reorthogonalized,
#: halving_tol = 1e-9 (light remainder ≤ 1e-10 of the weight): what remains is round-off (~1e-13).
LONG_PROBE_RTOL = 1e-6
def test_windowed_split_equals_dense_per_eigenstate_sum(plaquette):
    """ψ = ground state + random components on every excited level of the plaquette (spanning > 3 eV):
    the windowed split (1 − α) I[ψ0] + α I_χ equals Σ_n |c_n|² I_n from full diagonalization to 1e-6
    of the peak; the single reference on the same state does not (its error is printed in the report)."""
    cache, sec, energies, vecs = plaquette
    rng = np.random.default_rng(7)
    c = 0.15 * (rng.standard_normal(energies.size) + 1j * rng.standard_normal(energies.size))
    c[0] = 1.0
    psi = vecs @ c
    psi /= np.linalg.norm(psi)
    assert np.ptp(energies) > 3.0
    omega = np.linspace(524.0, 536.0, 241)
    opts = dict(U_c=-1.0, Gamma=0.2, n_steps=60, reorthogonalize=True)
    windowed = XasSettings(**opts, halving_tol=1e-9)
    ground = state_xas(cache, sec, vecs[:, 0], omega, windowed, offset=529.0, e_ref=energies[0])["total"].values
    got = split_xas(vecs[:, 0], psi, ground=ground, cache=cache, sec=sec, omega=omega, offset=529.0, settings=windowed)
    ref = per_eigenlevel_xas(lambda phi, e: state_xas(cache, sec, phi, omega, windowed, offset=529.0, e_ref=e)["total"].values, energies, vecs, psi)
    peak = ref.max()
    assert got.excited_energy_spread > 5 * 0.2  # a spread the single reference cannot follow
    assert np.max(np.abs(got.total - ref)) < LONG_PROBE_RTOL * peak
    assert got.excited_probe == "windowed" and got.window_width <= 0.05 + 1e-12 and got.halving_change <= 1e-9 and got.n_windows > 1
    single = split_xas(vecs[:, 0], psi, ground=ground, cache=cache, sec=sec, omega=omega, offset=529.0,
                       settings=XasSettings(**opts, excited_probe="single_reference"))
    assert np.max(np.abs(single.total - ref)) > 1e-2 * peak
    assert math.isnan(single.window_width) and math.isnan(single.halving_change)
    assert single.alpha == pytest.approx(got.alpha, abs=1e-15) and single.excited_energy_spread == pytest.approx(got.excited_energy_spread, abs=EXACT)


def test_unknown_excited_probe_is_refused():
    from localpairs.errors import InputError

    with pytest.raises(InputError) as err:
        XasSettings(U_c=-1.0, excited_probe="sudden")
    assert err.value.field == "excited_probe"
