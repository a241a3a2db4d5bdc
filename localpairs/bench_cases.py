"""The two sides of each ``localpairs bench`` case. Each returns the number both must agree on.

Baselines are written directly against QuSpin, the way a user would without localpairs. A side
returns either that number or a dict ``{"value": …, "wall": …, "note": …}`` when its wall time
is not simply its run time (a time measured inside, or extrapolated: the note says which).
The ``spectra`` and ``evolution`` cases are registered at the end of this module, which also imports
the sides of :mod:`localpairs.bench_scaling` (``matvec``, ``window_12``, ``scan_16``).
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from localpairs.bench import CASES, Case, register

PARAMS: dict[str, Any] = dict(t=0.33, U=-1.2, V=0.15)


def report(func: Callable[[str], Any], size: str) -> None:
    """Run one side and print wall time, peak memory, its value (and a note) as JSON.

    ``python -m localpairs.bench_cases CASE SIDE SIZE`` (SIDE: ``ours`` or ``baseline``) does this
    for a side of :data:`localpairs.bench.CASES` in a fresh process.

    Parameters
    ----------
    func : callable
        The side: takes ``size``, returns its value or a dict with ``value``, ``wall`` and ``note``.
    size : str
        The case's size.
    """
    start = time.perf_counter()
    out = func(size)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    out = dict(out) if isinstance(out, dict) else {"value": out}
    print(json.dumps(dict(wall=float(out.get("wall", wall)), peak_gb=peak, value=float(out["value"]), note=str(out.get("note", "")))))


def _shape(size: str) -> tuple[int, int, int]:
    return {"cube": (2, 2, 2), "2x2x3": (2, 2, 3), "2x2x4": (2, 2, 4)}[size]


def _plain_static(shape: tuple[int, int, int]) -> tuple[int, list, list]:
    lx, ly, lz = shape

    def idx(x, y, z):
        return (x * ly + y) * lz + z

    bonds = []
    for x in range(lx):
        for y in range(ly):
            for z in range(lz):
                bonds += [(idx(x, y, z), idx((x + 1) % lx, y, z)), (idx(x, y, z), idx(x, (y + 1) % ly, z)), (idx(x, y, z), idx(x, y, (z + 1) % lz))]
    n = lx * ly * lz
    t, U, V = PARAMS["t"], PARAMS["U"], PARAMS["V"]
    hop = [[-t, i, j] for i, j in bonds] + [[-t, j, i] for i, j in bonds]
    static = [
        ["+-|", hop],
        ["|+-", hop],
        ["n|n", [[U, i, i] for i in range(n)] + [[V, i, j] for i, j in bonds] + [[V, j, i] for i, j in bonds]],
        ["nn|", [[V, i, j] for i, j in bonds]],
        ["|nn", [[V, i, j] for i, j in bonds]],
    ]
    translations = []
    for axis in range(3):
        perm = []
        for x in range(lx):
            for y in range(ly):
                for z in range(lz):
                    c = [x, y, z]
                    c[axis] = (c[axis] + 1) % shape[axis]
                    perm.append(idx(*c))
        translations.append(np.array(perm))
    return n, static, translations


def quspin_ground_state(size: str, *, blocks: bool = False) -> float:
    """Return the ground energy of the benchmark's Hubbard cluster with plain QuSpin (baseline).

    Parameters
    ----------
    size : str
        Cluster of the case: ``"cube"`` or ``"2x2x3"`` (periodic, half filling).
    blocks : bool
        Solve the k = 0 translation block only.

    Returns
    -------
    float
        Ground energy in eV.
    """
    from quspin.basis import spinful_fermion_basis_general
    from quspin.operators import hamiltonian

    n, static, (tx, ty, tz) = _plain_static(_shape(size))
    kw = dict(kxblock=(tx, 0), kyblock=(ty, 0), kzblock=(tz, 0)) if blocks else {}
    basis = spinful_fermion_basis_general(n, Nf=(n // 2, n // 2), **kw)
    H = hamiltonian(static, [], basis=basis, dtype=np.float64, check_herm=False, check_symm=False, check_pcon=False)
    return float(H.eigsh(k=1, which="SA", return_eigenvectors=False)[0])


def ours_ground_state(size: str, *, blocks: bool = False) -> float:
    """Return the ground energy of the benchmark's Hubbard cluster with :func:`localpairs.solvers.solve`.

    Parameters
    ----------
    size : str
        Cluster of the case: ``"cube"`` or ``"2x2x3"`` (periodic, half filling).
    blocks : bool
        Solve the k = 0 translation block only.

    Returns
    -------
    float
        Ground energy in eV.
    """
    from localpairs.hamiltonians import extended_hubbard, make_cluster
    from localpairs.solvers import sector, solve

    model = extended_hubbard(make_cluster(size, periodic=True), **PARAMS)
    n = model.n_sites
    sec = sector(electrons=n, kx=0, ky=0, kz=0) if blocks else sector(electrons=n)
    return solve(model, sec).ground_energy


def quspin_ground_state_k0(size: str) -> float:
    """Return the k = 0 block's ground energy with plain QuSpin (baseline).

    Parameters
    ----------
    size : str
        Cluster of the case: ``"cube"`` or ``"2x2x3"`` (periodic, half filling).

    Returns
    -------
    float
        Ground energy in eV.
    """
    return quspin_ground_state(size, blocks=True)


def ours_ground_state_k0(size: str) -> float:
    """Return the k = 0 block's ground energy with :func:`localpairs.solvers.solve`.

    Parameters
    ----------
    size : str
        Cluster of the case: ``"cube"`` or ``"2x2x3"`` (periodic, half filling).

    Returns
    -------
    float
        Ground energy in eV.
    """
    return ours_ground_state(size, blocks=True)


# ---------------------------------------------------------------- spectra
#: Spectrum of c†_0↑ from the half-filled ground state (as benchmarks/bench_spectra.py): ω grid,
#: broadening, Lanczos steps; the baseline solves (E0 + ω + iη − H) x = c†|ψ⟩ at a few ω.
SPECTRA_OMEGA = np.linspace(-1.0, 8.0, 200)
SPECTRA_ETA = 0.1
SPECTRA_STEPS = 300
#: Frequencies the baseline actually solves (interior of the grid, where solvers work hardest).
SPECTRA_SOLVED = {"cube": 3, "2x2x3": 2}
#: GMRES relative residual per size (at 7 × 10⁵ states 1e-9 is out of reach in 3,000 matvecs).
SPECTRA_RTOL = {"cube": 1e-9, "2x2x3": 1e-6}


def _solved_frequencies(size: str) -> np.ndarray:
    n = SPECTRA_OMEGA.size
    return np.unique(np.linspace(0, n - 1, SPECTRA_SOLVED[size] + 2)[1:-1].round().astype(int))


def ours_spectra(size: str) -> float:
    """Return the c†_0↑ spectrum (Lanczos continued fraction) summed over the baseline's solved frequencies.

    Parameters
    ----------
    size : str
        Cluster of the case: ``"cube"`` or ``"2x2x3"`` (periodic, half filling).

    Returns
    -------
    float
        The sum of the spectrum at those ω, in 1/eV.
    """
    from localpairs.hamiltonians import extended_hubbard, make_cluster
    from localpairs.solvers import sector, solve, spectra
    from localpairs.solvers.spectra.excitations import electron_addition

    model = extended_hubbard(make_cluster(size, periodic=True), **PARAMS)
    gs = solve(model, sector(electrons=model.n_sites))
    exc = electron_addition(model, site=0, spin="up")
    ds = spectra(model, gs.sector, gs.ground_state, [exc], SPECTRA_OMEGA, eta=SPECTRA_ETA, e_ref=gs.ground_energy, n_steps=SPECTRA_STEPS, basis=gs.basis)
    return float(ds["spectrum"].values[0, _solved_frequencies(size)].sum())


def quspin_spectra(size: str) -> dict:
    """Compute the same sum with plain QuSpin + SciPy: one GMRES(60) solve per frequency (baseline).

    SciPy's ``spsolve`` took 10 s per ω on the cube already: the LU factors of a 3D cluster fill in.
    Only :data:`SPECTRA_SOLVED` frequencies are solved; the wall time is the set-up (ground
    state, target sector, c†|ψ⟩) plus the mean time per solved ω times all 200 ω: extrapolated.

    Parameters
    ----------
    size : str
        Cluster of the case: ``"cube"`` or ``"2x2x3"`` (periodic, half filling).

    Returns
    -------
    dict
        ``{"value": sum in 1/eV, "wall": extrapolated s, "note": ...}``.
    """
    start = time.perf_counter()  # imports count, as on the localpairs side
    import scipy.sparse as sp
    import scipy.sparse.linalg as spla
    from quspin.basis import spinful_fermion_basis_general
    from quspin.operators import hamiltonian

    n, static, _ = _plain_static(_shape(size))
    checks = dict(check_herm=False, check_symm=False, check_pcon=False)
    basis = spinful_fermion_basis_general(n, Nf=(n // 2, n // 2))
    e0, psi = hamiltonian(static, [], basis=basis, dtype=np.float64, **checks).eigsh(k=1, which="SA")
    target = spinful_fermion_basis_general(n, Nf=(n // 2 + 1, n // 2))
    H = hamiltonian(static, [], basis=target, dtype=np.float64, **checks).tocsr()
    phi = target.Op_shift_sector(basis, [["+|", [0], 1.0]], psi[:, 0]).astype(complex)
    setup = time.perf_counter() - start
    picks = _solved_frequencies(size)
    eye = sp.identity(H.shape[0], dtype=complex, format="csr")
    start = time.perf_counter()
    value, infos = 0.0, []
    for k in picks:
        A = ((e0[0] + SPECTRA_OMEGA[k] + 1j * SPECTRA_ETA) * eye - H).tocsr()
        x, info = spla.gmres(A, phi, rtol=SPECTRA_RTOL[size], restart=60, maxiter=50)
        infos.append(int(info))
        value += -np.vdot(phi, x).imag / np.pi  # S = −Im⟨φ|(z − H)^{-1}|φ⟩/π
    per = (time.perf_counter() - start) / len(picks)
    note = (f"base time extrapolated: GMRES(60) rtol {SPECTRA_RTOL[size]:g} at {len(picks)} of {SPECTRA_OMEGA.size} ω "
            f"({per:.2f} s each, info {infos}; 0 = converged) + set-up {setup:.1f} s")
    return {"value": value, "wall": setup + per * SPECTRA_OMEGA.size, "note": note}


# ---------------------------------------------------------------- evolution
#: Fixed tolerances of the two integrators: the loosest reaching a final-state error ≤ 1e-8 on the
#: 2×2×2 cube to 600 fs in benchmarks/bench_evolution.py's searches (5.2e-9 each); the value
#: compared in the table is that error.
EVOLUTION_TOL = {"localpairs": 1e-5, "quspin": 1e-13}
#: Size → (cluster, end time in fs); the quick window ends before the pulse (centre 94.7 fs). The tolerances
#: above were searched on 0–600 fs: the error each side reaches on the other windows is in the table's note.
EVOLUTION_SIZES = {"2x2x2,5fs": ("2x2x2", 5.0), "2x2x2,200fs": ("2x2x2", 200.0), "2x2x2,600fs": ("2x2x2", 600.0),
                   "3x2x1,20fs": ("3x2x1", 20.0), "3x2x2,20fs": ("3x2x2", 20.0)}


def _evolution_side(size: str, which: str) -> dict:
    """One side of :mod:`localpairs.bench_evolution` in this process; its own timer (set-up + evolve).

    The initial state and the reference are computed once per size in separate processes
    (untimed) and cached under ``$XDG_CACHE_HOME/localpairs-bench``.
    """
    from localpairs import bench_evolution as be

    cluster, t_end = EVOLUTION_SIZES[size]
    cache = be.cache_folder(cluster, t_end)
    where: dict[str, Any] = dict(size=cluster, cache=str(cache), t_end=t_end)
    if not (cache / "psi0.npy").is_file():
        be.run_in_subprocess("prepare", **where)
    if not (cache / "reference.npy").is_file():
        be.run_in_subprocess("localpairs", tol=be.REFERENCE_TOL, **where)
    side = be.evolve_localpairs if which == "localpairs" else be.evolve_quspin
    r = side(tol=EVOLUTION_TOL[which], **where)
    note = f"{which} tol {EVOLUTION_TOL[which]:g}: final-state error {r['error']:.1e} vs CFM4 tol {be.REFERENCE_TOL:g}; time = set-up + evolve"
    return {"value": r["error"], "wall": r["setup"] + r["wall"], "note": note}


def ours_evolution(size: str) -> dict:
    """Run localpairs' side of :mod:`localpairs.bench_evolution` (CFM4 with its fixed tolerance).

    Parameters
    ----------
    size : str
        A key of :data:`EVOLUTION_SIZES` (cluster and end time in fs).

    Returns
    -------
    dict
        ``{"value": final-state error, "wall": set-up + evolve in s, "note": ...}``.
    """
    return _evolution_side(size, "localpairs")


def quspin_evolution(size: str) -> dict:
    """Run QuSpin's side of :mod:`localpairs.bench_evolution` (its ODE solver with its fixed tolerance).

    Parameters
    ----------
    size : str
        A key of :data:`EVOLUTION_SIZES` (cluster and end time in fs).

    Returns
    -------
    dict
        ``{"value": final-state error, "wall": set-up + evolve in s, "note": ...}``.
    """
    return _evolution_side(size, "quspin")


register("spectra", Case("spectrum c†_0↑, 200 ω", "ours_spectra", "quspin_spectra", "QuSpin + sparse solve per ω (extrapolated)", "cube", "2x2x3", 1e-4))
DOP853 = "QuSpin hamiltonian.evolve (dop853)"
register("evolution", Case("pumped evolution 0–600 fs", "ours_evolution", "quspin_evolution", DOP853, "2x2x2,5fs", "2x2x2,600fs", 1e-7))
register("evolution_200", Case("pumped evolution 0–200 fs", "ours_evolution", "quspin_evolution", DOP853, "2x2x2,5fs", "2x2x2,200fs", 1e-7))
# the matvec, window_12 and scan_16 cases: sides in localpairs.bench_scaling, run from here by name
from localpairs.bench_scaling import ours_matvec, ours_scan, quspin_scan, triad_matvec  # noqa: E402, F401

if __name__ == "__main__":
    _case = CASES[sys.argv[1]]
    report(globals()[{"ours": _case.ours, "baseline": _case.baseline}[sys.argv[2]]], sys.argv[3])
