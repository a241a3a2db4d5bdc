"""The XAS core hole where the user puts it, against independent references.

Pole tables (energy E_n − E0 in eV, weight |⟨n|c†|ψ0⟩|²) of a single-site core hole, U_c on
the octahedron at the bond's i end (``core_hole="site_i"``), channel c†_0↑ on the oxygen of the
first bond (0 → j): (a) the Hubbard dimer in closed form, (b) the 4-site ring and (c) the
periodic 2×2×2 cube at the spectra study's parameters, the last two from the dense construction
of ``tests/lehmann_reference.py`` (bit-arithmetic sector bases, eigh of H + U_c n_0 in N + 1,
Lehmann weights). Regenerate (b) and (c) with ``cd tests && python lehmann_reference.py``.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from localpairs.errors import InputError
from localpairs.hamiltonians import extended_hubbard, make_cluster
from localpairs.solvers import sector, solve
from localpairs.solvers.spectra.xas import xas

from lehmann_reference import DenseXas, lorentzian_sum, merged

#: Continued fraction of an exhausted (or converged) chain against a Lehmann sum, relative to the peak.
LEHMANN_TOL = 1e-8
#: Closed form, dense eigh and exhausted Lanczos poles agree to round-off (eigh of ≤ 3920 states).
POLE_TOL = 1e-10
#: Two exact routes to one number (symmetry-reduced vs every channel, equal placements): round-off only.
EXACT_TOL = 1e-10

STUDY = dict(t=0.33, U=-1.2, V=0.15, U_c=-1.0, Gamma=0.2)
DIMER = dict(shape="dimer", periodic=False, breathing=0.0, electrons=2, **STUDY)
RING = dict(shape=(4, 1, 1), periodic=(True, False, False), breathing=0.1, electrons=4, table_min_weight=1e-4, **STUDY)
CUBE = dict(shape="cube", periodic=True, breathing=0.1, electrons=8, table_min_weight=1e-3, **STUDY)

# (b) 4-site ring, bond 0 → 1, c†_0↑, U_c n_0 (python lehmann_reference.py)
RING_POLES = [  # (E_n − E0 in eV, |⟨n|c†_0↑|ψ0⟩|²), weight ≥ 0.0001
    (-1.152375201901, 0.053221842129),
    (-0.733184449834, 0.005255284662),
    (-0.046570887180, 0.000487990733),
    (0.334013404679, 0.001180189112),
    (0.817470287171, 0.000853927980),
    (1.257225197012, 0.000506904035),
    (1.679468850324, 0.001169501747),
]
# (c) periodic 2×2×2 cube (bond multiplicity 2), bond 0 → 4 along x, c†_0↑, U_c n_0 (python lehmann_reference.py)
CUBE_POLES = [  # (E_n − E0 in eV, |⟨n|c†_0↑|ψ0⟩|²), weight ≥ 0.001
    (-0.192685820106, 0.060385031126),
    (0.886653924191, 0.056074687543),
    (1.719094726051, 0.002505399436),
]


@cache
def _solved(name: str):
    case = dict(DIMER=DIMER, RING=RING, CUBE=CUBE)[name]
    model = extended_hubbard(make_cluster(case["shape"], periodic=case["periodic"]), t=case["t"], U=case["U"], V=case["V"], breathing=case["breathing"])
    return model, solve(model, sector(electrons=case["electrons"]))


def reference_of(case: dict, *, psi_from_solver: bool = True) -> DenseXas:
    """The dense reference of a case; its ψ0 is the solver's, mapped by Fock integers (checked an eigenvector)."""
    name = next(k for k, v in dict(DIMER=DIMER, RING=RING, CUBE=CUBE).items() if v is case)
    model, res = _solved(name)
    L, n = model.n_sites, case["electrons"]
    kw = dict(t=case["t"], U=case["U"], V=case["V"], eps=model.parameters["eps"], n_up=n // 2, n_down=n // 2)
    bonds = [(b.i, b.j) for b in model.cluster.bonds]
    if not psi_from_solver:
        return DenseXas(L, bonds, **kw)
    from lehmann_reference import sector_states

    order = {int(s): k for k, s in enumerate(sector_states(L, n // 2, n // 2))}
    psi = np.zeros(len(order))
    psi[[order[int(s)] for s in res.basis.states]] = res.ground_state
    return DenseXas(L, bonds, psi=psi, **kw)


def dimer_closed_form(t: float, U: float, V: float, U_c: float) -> dict[int, list[tuple[float, float]]]:
    """Poles of c†_0↑ and c†_1↑ on the open dimer (N = 2, ε = 0) with the core hole U_c n_0.

    Ground state a|D+⟩ + b|S⟩ (D+ = (|20⟩ + |02⟩)/√2, S the singlet) of [[U, −2t], [−2t, V]],
    E0 = (U + V)/2 − R, R = √(((U − V)/2)² + 4t²). Final states (2↑1↓): A (↓ on 0, n_0 = 2) and
    B (↓ on 1) with H = [[c + δ, −t], [−t, c − δ]], c = U + 2V + 3U_c/2, δ = U_c/2, so
    E∓ = c ∓ r, r = √(δ² + t²), v₋ ∝ (t, r + δ), v₊ ∝ (r + δ, −t). c†_0↑ψ0 = (bA + aB)/√2 and
    c†_1↑ψ0 = −(aA + bB)/√2 (modes ordered 0↑, 1↑, 0↓, 1↓).
    """
    R = np.hypot((U - V) / 2, 2 * t)
    e0 = (U + V) / 2 - R
    a, b = 2 * t, (U - V) / 2 + R
    a, b = a / np.hypot(a, b), b / np.hypot(a, b)
    c, d = U + 2 * V + 1.5 * U_c, U_c / 2
    r = np.hypot(d, t)
    n2 = 2 * (t**2 + (r + d) ** 2)
    return {
        0: [(c - r - e0, (b * t + a * (r + d)) ** 2 / n2), (c + r - e0, (b * (r + d) - a * t) ** 2 / n2)],
        1: [(c - r - e0, (a * t + b * (r + d)) ** 2 / n2), (c + r - e0, (a * (r + d) - b * t) ** 2 / n2)],
    }


def _poles(ds, label: str, *, min_weight: float = 1e-14) -> list[tuple[float, float]]:
    """Poles of one channel of an xas dataset (offset 0: energies from E_ref), weight ≥ min_weight."""
    k = list(ds["channel"].values).index(label)
    e, w = ds["pole_energy"].values[k], ds["pole_weight"].values[k]
    return merged(e[w > 0], w[w > 0], min_weight=min_weight)


def _assert_tables_equal(got, table, tol):
    assert len(got) == len(table), (got, table)
    for (e, w), (e_ref, w_ref) in zip(got, table):
        assert abs(e - e_ref) <= tol and abs(w - w_ref) <= tol, ((e, w), (e_ref, w_ref))


def _xas(name: str, omega, **kw):
    model, res = _solved(name)
    case = dict(DIMER=DIMER, RING=RING, CUBE=CUBE)[name]
    return xas(model, res.sector, res.ground_state, omega, U_c=case["U_c"], Gamma=case["Gamma"], e_ref=res.ground_energy, basis=res.basis, **kw)


def test_dimer_single_site_poles_closed_form_dense_and_xas():
    """(a) Table from the closed form; the dense construction and xas(core_hole="site_i") reproduce it."""
    table = dimer_closed_form(DIMER["t"], DIMER["U"], DIMER["V"], DIMER["U_c"])
    assert abs(sum(w for _, w in table[0]) - 0.5) <= POLE_TOL  # ‖c†_0↑ψ0‖² = 1 − ⟨n_0↑⟩ = ½
    ref = reference_of(DIMER, psi_from_solver=False)
    assert abs(ref.e0 - _solved("DIMER")[1].ground_energy) <= POLE_TOL
    omega = np.linspace(-3, 4, 701)
    x = _xas("DIMER", omega, core_hole="site_i", use_symmetry=False)
    for site in (0, 1):
        _assert_tables_equal(merged(*ref.channel(site, "up", DIMER["U_c"], {0: 1.0})), table[site], POLE_TOL)
        label = f"O(0, 1): c†_{site}↑, core hole U_c(n_0)"
        _assert_tables_equal(_poles(x, label), table[site], POLE_TOL)
        e, w = np.array(table[site]).T
        curve = lorentzian_sum(e, w, omega, DIMER["Gamma"])
        got = x["spectrum"].values[list(x["channel"].values).index(label)]
        assert np.abs(got - curve).max() <= LEHMANN_TOL * curve.max()
    # the mirror image: core hole on site 1 (the j end) gives the same channels with 0 ↔ 1
    xj = _xas("DIMER", omega, core_hole="site_j", use_symmetry=False)
    _assert_tables_equal(_poles(xj, "O(0, 1): c†_1↑, core hole U_c(n_1)"), table[0], POLE_TOL)


def _fields(core_hole, i: int, j: int, s: int | None) -> list[tuple[dict[int, float], float]]:
    """Core-hole fields {site: w} and their probabilities for the oxygen on bond i → j, electron on s."""
    if isinstance(core_hole, tuple):
        return [({i: core_hole[0], j: core_hole[1]}, 1.0)]
    return {
        "both": [({i: 1.0, j: 1.0}, 1.0)], "site": [({i: 1.0}, 0.5), ({j: 1.0}, 0.5)], "site_i": [({i: 1.0}, 1.0)], "site_j": [({j: 1.0}, 1.0)],
        "receiving": [({s: 1.0}, 1.0)],
    }[core_hole]


def _dense_total(ref: DenseXas, model, omega, core_hole, *, U_c: float, Gamma: float, coherence: str = "incoherent") -> np.ndarray:
    """Σ_oxygens Σ_(s = i, j) Σ_σ Σ_fields p × Lehmann sum, every channel by eigh (coherent: D = (c†_min − c†_max)/√2)."""
    total = np.zeros(omega.size)
    for b in model.cluster.bonds:
        lo, hi = sorted((b.i, b.j))
        operators = [({b.i: 1.0}, b.i), ({b.j: 1.0}, b.j)] if coherence == "incoherent" else [({lo: 2**-0.5, hi: -(2**-0.5)}, None)]
        for spin in ("up", "down"):
            for amplitudes, s in operators:
                for hole, p in _fields(core_hole, b.i, b.j, s):
                    e, w = ref.operator(amplitudes, spin, U_c, hole)
                    total += p * lorentzian_sum(e, w, omega, Gamma)
    return total


def test_ring_single_site_table_from_dense_and_xas():
    """(b) The 4-site ring: the dense construction and xas(core_hole="site_i") reproduce the table."""
    ref = reference_of(RING)
    _assert_tables_equal(merged(*ref.channel(0, "up", RING["U_c"], {0: 1.0}), min_weight=RING["table_min_weight"]), RING_POLES, POLE_TOL)
    x = _xas("RING", np.linspace(-3, 4, 11), core_hole="site_i", use_symmetry=False)  # 150 steps ≥ dimension 24: exhausted chains
    _assert_tables_equal(_poles(x, "O(0, 1): c†_0↑, core hole U_c(n_0)", min_weight=RING["table_min_weight"]), RING_POLES, POLE_TOL)


@pytest.mark.parametrize("core_hole, coherence", [("both", "incoherent"), ("site", "incoherent"), ("site_i", "incoherent"), ("site_j", "incoherent"),
                                                  ("receiving", "incoherent"), ((1.0, 0.4), "incoherent"), ("site", "coherent"), ((0.3, 1.0), "coherent")])
def test_every_placement_against_dense_lehmann_sum(core_hole, coherence):
    """Total XAS (symmetry-reduced) on the ring against the dense sum over every oxygen, site, spin and field."""
    model, _ = _solved("RING")
    omega = np.linspace(-3, 4, 351)
    x = _xas("RING", omega, core_hole=core_hole, coherence=coherence)
    ref = _dense_total(reference_of(RING), model, omega, core_hole, U_c=RING["U_c"], Gamma=RING["Gamma"], coherence=coherence)
    assert x.attrs["n_channels_computed"] < x.attrs["n_channels_all"]  # the symmetry reduction is in play
    assert np.abs(x["total"].values - ref).max() <= LEHMANN_TOL * ref.max()


@pytest.mark.parametrize("core_hole", ["site_i", "site", "receiving", (1.0, 0.3)])
@pytest.mark.parametrize("shape, periodic", [((3, 2, 1), False), ((4, 1, 1), (True, False, False))])
def test_symmetry_groups_only_channels_with_equal_spectra(shape, periodic, core_hole):
    """Every symmetry group of channels (which a single-site hole makes smaller) holds equal spectra, checked
    on every channel computed without symmetry; the reduced total equals the full one."""
    from localpairs.solvers.spectra.equivalent_channels import orbits, symmetries
    from localpairs.solvers.spectra.xas import _act, _channels, _representatives

    model = extended_hubbard(make_cluster(shape, periodic=periodic), t=0.8, U=-2.0, V=0.2, breathing=0.3)
    res = solve(model, sector(electrons=model.n_sites))
    omega = np.linspace(-6, 8, 200)
    kw = dict(U_c=-1.3, n_steps=400, basis=res.basis, core_hole=core_hole)  # 400 ≥ every target dimension: exact chains
    full = xas(model, res.sector, res.ground_state, omega, use_symmetry=False, **kw)
    reduced = xas(model, res.sector, res.ground_state, omega, **kw)
    keys, mult = _channels(model, "incoherent", core_hole)
    syms = symmetries(model, res.basis, res.ground_state, n_up=res.sector.n_up, n_down=res.sector.n_down)
    groups = [[keys.index(k) for k in g] for g in orbits(keys, [_act(s) for s in syms], ignore_outside=True)]
    spectra = full["spectrum"].values
    scale = spectra.max()
    assert any(len(g) > 1 for g in groups)  # something is merged ...
    assert any(np.abs(spectra[a] - spectra[b]).max() > 1e-3 * scale for a in range(len(keys)) for b in range(a))  # ... and wrong merges would show
    for g in groups:
        assert all(np.abs(spectra[k] - spectra[g[0]]).max() <= EXACT_TOL * scale for k in g), [keys[k] for k in g]
    assert len(groups) == reduced.attrs["n_channels_computed"]
    assert _representatives(keys, mult, [_act(s) for s in syms], closed=False)[0] == [keys[g[0]] for g in groups]
    assert np.abs(reduced["total"].values - full["total"].values).max() <= EXACT_TOL * full["total"].values.max()


def test_mirror_through_the_oxygen_moves_a_single_site_hole_out_of_the_channel_set():
    """On the open chain the mirror x → −x is a symmetry of model and state; it maps a hole at the i end onto a
    hole at the j end, so for "site_i" it is no symmetry of the channel set (a strict orbit partition refuses it)."""
    from localpairs.solvers.spectra.equivalent_channels import orbits, symmetries
    from localpairs.solvers.spectra.xas import _act, _channels

    model = extended_hubbard(make_cluster((3, 1, 1)), t=0.8, U=-2.0, V=0.2)
    res = solve(model, sector(n_up=2, n_down=1))
    syms = symmetries(model, res.basis, res.ground_state, n_up=2, n_down=1)
    mirror = [s for s in syms if s.perm == (2, 1, 0)]
    assert mirror
    keys, _ = _channels(model, "incoherent", "site_i")
    with pytest.raises(ValueError, match="outside the channel set"):
        orbits(keys, [_act(s) for s in mirror])
    both, _ = _channels(model, "incoherent", "both")
    assert len(orbits(both, [_act(s) for s in mirror])) < len(both)


def _half_max_width(omega: np.ndarray, curve: np.ndarray) -> float:
    """FWHM measured on the curve: half-maximum crossings by linear interpolation."""
    k = int(np.argmax(curve))
    half = curve[k] / 2
    lo = np.nonzero(curve[:k] < half)[0][-1]
    hi = k + np.nonzero(curve[k:] < half)[0][0]
    left = omega[lo] + (half - curve[lo]) * (omega[lo + 1] - omega[lo]) / (curve[lo + 1] - curve[lo])
    right = omega[hi - 1] + (half - curve[hi - 1]) * (omega[hi] - omega[hi - 1]) / (curve[hi] - curve[hi - 1])
    return float(right - left)


@pytest.mark.parametrize("Gamma", [0.1, 0.35])
def test_gamma_is_the_half_width_of_a_single_pole(Gamma):
    """Empty dimer (ε = 0), coherent D = (c†_0 − c†_1)/√2 with the hole on both sites: D adds the electron into the
    antibonding orbital, one final state, so the XAS is a single pole at t + U_c of weight 1 per oxygen and spin:
    its FWHM measured on the curve is 2Γ and its height 2/(πΓ). With a Gaussian resolution the Voigt FWHM follows
    Olivero & Longbothum (JQSRT 17, 233 (1977), accurate to 0.02 %) with f_L = 2Γ."""
    model = extended_hubbard(make_cluster("dimer"), t=0.33, U=-1.2, V=0.15)
    res = solve(model, sector(n_up=0, n_down=0))
    omega = np.linspace(-4, 6, 200_001)  # h = 5e-5 eV: interpolation error of the crossings ~1e-9 eV
    kw = dict(U_c=-1.0, Gamma=Gamma, coherence="coherent", basis=res.basis)
    x = xas(model, res.sector, res.ground_state, omega, **kw)
    assert abs(omega[np.argmax(x["total"].values)] - (0.33 - 1.0)) <= 5e-5
    assert abs(_half_max_width(omega, x["total"].values) - 2 * Gamma) <= 1e-6
    assert abs(x["total"].values.max() - 2 / (np.pi * Gamma)) <= 1e-6 * x["total"].values.max()
    fwhm_g = 0.15
    v = xas(model, res.sector, res.ground_state, omega, gaussian_fwhm=fwhm_g, **kw)
    f_l = 2 * Gamma
    assert abs(_half_max_width(omega, v["total"].values) / (0.5346 * f_l + np.sqrt(0.2166 * f_l**2 + fwhm_g**2)) - 1) <= 3e-4


def test_placements_agree_where_they_must():
    """U_c = 0: every placement is the addition spectrum; (1, 1) is "both"; (1, 0) is "site_i"; "site" averages i and j."""
    omega = np.linspace(-3, 4, 301)
    zero = {ch: _xas_with(omega, U_c=0.0, core_hole=ch) for ch in ("both", "site", "site_i", "receiving", (0.5, 2.0))}
    for ch, ds in zero.items():
        assert np.abs(ds["total"].values - zero["both"]["total"].values).max() <= EXACT_TOL * zero["both"]["total"].values.max(), ch
    both, ones = _xas("RING", omega, core_hole="both"), _xas("RING", omega, core_hole=(1.0, 1.0))
    assert np.abs(both["total"].values - ones["total"].values).max() <= EXACT_TOL * both["total"].values.max()
    si, s10 = _xas("RING", omega, core_hole="site_i"), _xas("RING", omega, core_hole=(1.0, 0.0))
    assert np.abs(si["total"].values - s10["total"].values).max() <= EXACT_TOL * si["total"].values.max()
    site, sj = _xas("RING", omega, core_hole="site"), _xas("RING", omega, core_hole="site_j")
    half = 0.5 * (si["total"].values + sj["total"].values)
    assert np.abs(site["total"].values - half).max() <= EXACT_TOL * half.max()
    assert np.isclose(float((site["weight"] * site["m0"]).sum()), float((both["weight"] * both["m0"]).sum()), rtol=EXACT_TOL)
    assert site.attrs["core_hole"] == "site" and both.attrs["core_hole"] == "both"
    assert np.abs(site["total"].values - both["total"].values).max() > 1e-2 * both["total"].values.max()  # the placement matters


def _xas_with(omega, **kw):
    model, res = _solved("RING")
    return xas(model, res.sector, res.ground_state, omega, Gamma=RING["Gamma"], e_ref=res.ground_energy, basis=res.basis, **kw)


@pytest.mark.parametrize("core_hole, coherence", [("middle", "incoherent"), ((1.0,), "incoherent"), ((float("nan"), 1.0), "incoherent"),
                                                  ((True, 1.0), "incoherent"), ("receiving", "coherent"), (None, "incoherent")])
def test_bad_core_hole(core_hole, coherence):
    with pytest.raises(InputError) as err:
        _xas_with([0.0, 1.0], U_c=-1.0, core_hole=core_hole, coherence=coherence)
    assert err.value.field == "core_hole"


def test_cube_single_site_leading_poles_reproduce_the_table():
    """(c) The cube at the study's parameters: xas(core_hole="site_i") with its default 150 Lanczos steps reproduces
    the leading poles of the dense table (measured agreement 5e-13; the chain is not exhausted, 3920 states, so the
    tolerance is 1e-9 rather than round-off)."""
    x = _xas("CUBE", np.linspace(-3, 4, 11), core_hole="site_i")
    label = "O(0, 4): c†_0↑, core hole U_c(n_0)"
    assert str(x["channel"].values[0]) == label  # the first channel is its orbit's representative
    _assert_tables_equal(_poles(x, label, min_weight=CUBE["table_min_weight"]), CUBE_POLES, 1e-9)


@pytest.mark.slow
def test_cube_single_site_spectrum_against_dense_lehmann_sum():
    """(c) The same channel's continued-fraction spectrum against the full dense Lehmann sum (eigh of 3920 states,
    about 40 s), to 1e-8 of the peak (measured 6.7e-10 with 150 steps); the dense poles reproduce the table."""
    omega = np.linspace(-3, 4, 701)
    x = _xas("CUBE", omega, core_hole="site_i")
    e, w = reference_of(CUBE).channel(0, "up", CUBE["U_c"], {0: 1.0})
    _assert_tables_equal(merged(e, w, min_weight=CUBE["table_min_weight"]), CUBE_POLES, POLE_TOL)
    curve = lorentzian_sum(e, w, omega, CUBE["Gamma"])
    assert np.abs(x["spectrum"].values[0] - curve).max() <= LEHMANN_TOL * curve.max()


SPEC = {
    "title": "dimer spectra", "study": "spectra", "cluster": {"shape": "dimer", "periodic": False},
    "model": {"kind": "extended_hubbard", "t": 1.0, "U": -3.0, "breathing": 0.2}, "solver": {"n_states": 1},
    "spectra": {"compute": ["xas"], "n_omega": 60, "twists": 1, "xas_lanczos_steps": 20},
}


@pytest.mark.parametrize("value, ok", [("both", True), ("site", True), ([1.0, 0.5], True), ("receiving", True), ("middle", False), ([1.0], False),
                                       ([1.0, float("inf")], False), ("one", False)])
def test_spectra_spec_core_hole(value, ok):
    from localpairs.spec import SpecError, parse_spec

    data = {**SPEC, "spectra": {**SPEC["spectra"], "core_hole": value}}
    if ok:
        assert parse_spec(data).spectra.core_hole == value
    else:
        with pytest.raises(SpecError, match=r"spectra\.core_hole"):
            parse_spec(data)


def test_spectra_spec_core_hole_default_and_coherent_receiving():
    from localpairs.spec import SpecError, parse_spec

    assert parse_spec(SPEC).spectra.core_hole == "both"
    with pytest.raises(SpecError, match="coherence = 'incoherent'"):
        parse_spec({**SPEC, "spectra": {**SPEC["spectra"], "core_hole": "receiving", "coherence": "coherent"}})


def test_spectra_study_reports_the_placement(tmp_path):
    """A run with core_hole = "site" passes it to xas and its report says so."""
    import xarray as xr

    from localpairs.spec import parse_spec
    from localpairs.studies import run_study

    report = run_study(parse_spec({**SPEC, "spectra": {**SPEC["spectra"], "core_hole": "site"}}), tmp_path).read_text()
    assert "on one octahedron next to the oxygen (single-site core hole, averaged over the two) (`core_hole = site`)" in report
    with xr.open_dataset(tmp_path / "results.nc", group="xas", engine="h5netcdf") as x:
        assert x.attrs["core_hole"] == "site" and "core hole U_c(n_0)" in str(x["channel"].values[0])
