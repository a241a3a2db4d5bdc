"""Sides of the pumped-evolution benchmark: localpairs' CFM4–Lanczos integrator and plain QuSpin.

The pump study's model (t = 0.33, U = −1.2, V = 0.15, breathing 0.1 eV; x open, y and z periodic where longer than 1)
and pulse (ħω = 2.0 eV, 30 fs intensity FWHM, 8 mJ/cm² along x, centred at 94.7 fs), evolved from
the half-filled ground state to ``t_end`` fs. Each side returns its final state's distance to a
tight reference (CFM4 at :data:`REFERENCE_TOL`) stored in the cache folder with the initial
state, its set-up and evolve wall times and peak memory.

Every side is an importable function; :func:`run_in_subprocess` runs one in a fresh process
(``python -m localpairs.bench_evolution SIDE JSON``) so its peak memory and thread count are its
own. Used by ``localpairs bench`` (case ``evolution``) and ``benchmarks/bench_evolution.py``.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

PARAMS: dict[str, Any] = dict(t=0.33, U=-1.2, V=0.15, breathing=0.1)
PULSE: dict[str, Any] = dict(photon_energy=2.0, duration=30.0, fluence=8.0, polarization=(1.0, 0.0, 0.0))
#: CFM4 tolerance of the reference state (achieved final-state error ~1e-11).
REFERENCE_TOL = 1e-9
#: Oxygens per pair on periodic axes of length 2, where not the cluster's default: the 12-site
#: cluster of the probe issue (runs/babio3_pump_12.toml) and its quick 6-site cut have one.
BOND_MULTIPLICITY = {"3x2x2": 1, "3x2x1": 1}


#: Fluences of the benchmark (mJ/cm²): the issue's strong pulse, and the pump study's calibrated
#: one (runs/babio3_pump.toml, ``[pump] alpha_target = 0.05``: ≈ 0.0119 mJ/cm² on the 2×2×2 cube).
FLUENCES: dict[str, float] = {"issue": 8.0, "calibrated": 0.0119}


def cache_folder(size: str, t_end: float, *, fluence: float = PULSE["fluence"], root: str | os.PathLike | None = None) -> Path:
    """Folder (created) for the initial state and reference of one size, end time and fluence.

    Parameters
    ----------
    size : str
        Cluster shape, e.g. ``"2x2x2"``.
    t_end : float
        End of the evolution in fs.
    fluence : float
        Pulse fluence in mJ/cm² (the default, 8, keeps the folder name of earlier caches).
    root : path, optional
        Cache root; defaults to ``$XDG_CACHE_HOME/localpairs-bench`` (``~/.cache/localpairs-bench``).

    Returns
    -------
    pathlib.Path
        The folder.
    """
    base = Path(root) if root is not None else Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "localpairs-bench"
    suffix = "" if fluence == PULSE["fluence"] else f"_F{fluence:g}"
    folder = base / f"{size}_t{t_end:g}{suffix}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _setting(size: str, fluence: float = PULSE["fluence"]) -> tuple[Any, Any, Any]:
    from localpairs.hamiltonians import extended_hubbard, make_cluster
    from localpairs.hamiltonians.driven_model import gaussian_pulse

    dims = [int(n) for n in size.split("x")]
    cluster = make_cluster(size, periodic=[False, dims[1] > 1, dims[2] > 1], bond_multiplicity=BOND_MULTIPLICITY.get(size))
    return cluster, extended_hubbard(cluster, **PARAMS), gaussian_pulse(**dict(PULSE, fluence=fluence))


def _report(psi: np.ndarray, cache: Path, *, wall: float, setup: float, stats: dict | None = None) -> dict[str, Any]:
    """Times, peak memory and the distance to the cached reference (``psi`` becomes it if there is none)."""
    out: dict[str, Any] = dict(wall=wall, setup=setup, peak_gb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, stats=stats or {},
                               load=os.getloadavg()[0])
    try:
        out["error"] = float(np.linalg.norm(psi - np.load(cache / "reference.npy")))
    except FileNotFoundError:
        np.save(cache / "reference.npy", psi)
    return out


def prepare(*, size: str, cache: str, t_end: float | None = None, tol: float | None = None, fluence: float | None = None) -> dict[str, Any]:
    """Solve the half-filled ground state and store it as ``cache/psi0.npy``.

    Parameters
    ----------
    size : str
        Cluster shape, e.g. ``"2x2x2"``.
    cache : str
        Folder of :func:`cache_folder`.
    t_end, tol, fluence : float, optional
        Ignored (accepted so that every side takes the same arguments).

    Returns
    -------
    dict
        ``dim`` (states) and ``energy`` (eV).
    """
    from localpairs.solvers import sector, solve

    cluster, model, _ = _setting(size)
    gs = solve(model, sector(electrons=cluster.n_sites))
    np.save(Path(cache) / "psi0.npy", gs.ground_state.astype(complex))
    return dict(dim=gs.dimension, energy=gs.ground_energy)


def evolve_localpairs(*, size: str, cache: str, t_end: float, tol: float, scheme: str = "cfm4", error_control: str = "doubling",
                      fluence: float = PULSE["fluence"], gauge: str = "auto") -> dict[str, Any]:
    """Evolve with localpairs' :class:`DrivenOperator` and :func:`evolve` (commutator-free Lanczos) at ``tol``.

    Parameters
    ----------
    size : str
        Cluster shape, e.g. ``"2x2x2"``.
    cache : str
        Folder of :func:`cache_folder` (initial state, reference).
    t_end : float
        End of the evolution in fs.
    tol : float
        ``EvolutionOptions.tol``.
    scheme, error_control, gauge : str
        ``EvolutionOptions.scheme``, ``error_control`` and ``gauge``.
    fluence : float
        Pulse fluence in mJ/cm².

    Returns
    -------
    dict
        Wall times (s), peak memory (GB), load, the final error against the reference and the
        integrator's stats (steps, matrix–vector products).
    """
    from localpairs.hamiltonians.driven_model import drive
    from localpairs.solvers import build_basis, sector
    from localpairs.solvers.dynamics.driven_operator import DrivenOperator
    from localpairs.solvers.dynamics.evolution import EvolutionOptions, evolve

    cluster, model, pulse = _setting(size, fluence)
    psi0 = np.load(Path(cache) / "psi0.npy")
    start = time.perf_counter()
    op = DrivenOperator(drive(model, pulse=pulse), build_basis(model, sector(electrons=cluster.n_sites)))
    setup = time.perf_counter() - start
    start = time.perf_counter()
    res = evolve(op, psi0, [0.0, t_end], options=EvolutionOptions(tol=tol, scheme=scheme, error_control=error_control, gauge=gauge))
    return _report(res.states[:, -1], Path(cache), wall=time.perf_counter() - start, setup=setup, stats=res.stats)


def _quspin_static(cluster: Any, *, length: bool) -> tuple[list, list, Any]:
    """QuSpin static list of the model (hops along x included when ``length``), the x hops' forward and backward lists, the basis."""
    from quspin.basis import spinful_fermion_basis_general

    from localpairs.units import HBAR_EV_FS as hbar

    N = cluster.n_sites
    basis = spinful_fermion_basis_general(N, Nf=(N // 2, N // 2))
    t, U, V, D = PARAMS["t"], PARAMS["U"], PARAMS["V"], PARAMS["breathing"]
    eps = [-D if s == 0 else D for s in cluster.sublattice]
    bonds = [(b.i, b.j, b.axis) for b in cluster.bonds]
    fixed = [[-t / hbar, i, j] for i, j, a in bonds if a != 0 or length] + [[-t / hbar, j, i] for i, j, a in bonds if a != 0 or length]
    fwd = [[-t / hbar, i, j] for i, j, a in bonds if a == 0]
    bwd = [[-t / hbar, j, i] for i, j, a in bonds if a == 0]
    static = [["+-|", fixed], ["|+-", fixed], ["n|n", [[U / hbar, i, i] for i in range(N)]],
              ["nn|", [[V / hbar, i, j] for i, j, _ in bonds]], ["|nn", [[V / hbar, i, j] for i, j, _ in bonds]],
              ["n|n", [[V / hbar, i, j] for i, j, _ in bonds] + [[V / hbar, j, i] for i, j, _ in bonds]],
              ["n|", [[e / hbar, i] for i, e in enumerate(eps)]], ["|n", [[e / hbar, i] for i, e in enumerate(eps)]]]
    return static, [fwd, bwd], basis


def evolve_quspin(*, size: str, cache: str, t_end: float, tol: float, fluence: float = PULSE["fluence"], length: bool = False) -> dict[str, Any]:
    """Plain QuSpin: ``hamiltonian`` from operator strings, Peierls factors as dynamic terms, ``evolve`` (dop853).

    With ``length`` QuSpin runs in the length gauge instead: static H(0) and the dynamic diagonal
    ``E(t)·Σ_i (x_i − x̄) n_i`` (x open), the state converted by ``e^{±iA D/ħ}`` at both ends.

    Parameters
    ----------
    size : str
        Cluster shape, e.g. ``"2x2x2"``.
    cache : str
        Folder of :func:`cache_folder` (initial state, reference).
    t_end : float
        End of the evolution in fs.
    tol : float
        dop853's ``rtol = atol`` (times in fs, energies over ħ).
    fluence : float
        Pulse fluence in mJ/cm².
    length : bool
        Length gauge (see above) instead of the Peierls phases.

    Returns
    -------
    dict
        Wall times (s), peak memory (GB), load and the final error against the reference.
    """
    from quspin.operators import hamiltonian

    from localpairs.units import HBAR_EV_FS as hbar

    cluster, _, pulse = _setting(size, fluence)
    psi0 = np.load(Path(cache) / "psi0.npy")
    start = time.perf_counter()
    static, (fwd, bwd), basis = _quspin_static(cluster, length=length)
    a = cluster.lattice_constant
    x = cluster.positions[:, 0] - cluster.positions[:, 0].mean()
    dipole = [[xi / hbar, i] for i, xi in enumerate(x)]

    def peierls(t_fs: float, sign: float) -> complex:
        return np.exp(sign * 1j * a * pulse.vector_potential(t_fs) / hbar)

    def field(t_fs: float) -> float:
        return float(pulse.electric_field(t_fs))

    if length:
        dynamic = [[op, dipole, field, ()] for op in ("n|", "|n")]
    else:
        dynamic = [[op, fwd, peierls, (1.0,)] for op in ("+-|", "|+-")] + [[op, bwd, peierls, (-1.0,)] for op in ("+-|", "|+-")]
    H = hamiltonian(static, dynamic, basis=basis, dtype=np.complex128, check_herm=False, check_symm=False, check_pcon=False)
    d = hamiltonian([[op, dipole] for op in ("n|", "|n")], [], basis=basis, dtype=np.float64, check_herm=False, check_symm=False,
                    check_pcon=False).diagonal() * hbar if length else np.zeros(basis.Ns)
    setup = time.perf_counter() - start
    start = time.perf_counter()
    psi = H.evolve(psi0 * np.exp(1j * pulse.vector_potential(0.0) * d / hbar), 0.0, [t_end], rtol=tol, atol=tol)
    psi = np.asarray(psi).reshape(-1) * np.exp(-1j * pulse.vector_potential(t_end) * d / hbar)
    return _report(psi, Path(cache), wall=time.perf_counter() - start, setup=setup)


def evolve_quspin_length(**arguments: Any) -> dict[str, Any]:
    """:func:`evolve_quspin` in the length gauge.

    Parameters
    ----------
    **arguments
        Keyword arguments of :func:`evolve_quspin`.

    Returns
    -------
    dict
        As :func:`evolve_quspin`.
    """
    return evolve_quspin(**arguments, length=True)


#: Side name → function, for ``python -m localpairs.bench_evolution SIDE JSON``.
SIDES: dict[str, Callable[..., dict[str, Any]]] = {"prepare": prepare, "localpairs": evolve_localpairs, "quspin": evolve_quspin,
                                                   "quspin_length": evolve_quspin_length}


def run_in_subprocess(side: str, *, threads: int = 1, source: str | None = None, **arguments: Any) -> dict[str, Any]:
    """Run ``SIDES[side](**arguments)`` in a fresh Python process with ``threads`` OpenMP threads.

    Parameters
    ----------
    side : str
        Key of :data:`SIDES`.
    threads : int
        ``OMP_NUM_THREADS`` of the child.
    source : str, optional
        Folder holding another copy of the package (``localpairs/`` with its sub-packages in
        place, e.g. an unpacked ``git archive`` of a baseline commit) put first on the child's
        ``PYTHONPATH`` and made its working directory (``python -m`` puts the working directory
        first on the path): the baseline side of a before/after comparison in one run.
    **arguments
        Keyword arguments of the side.

    Returns
    -------
    dict
        The side's result (JSON round trip).

    Raises
    ------
    RuntimeError
        With the end of the child's stderr if it fails.
    """
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS="1")
    if source is not None:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(source), os.environ.get("PYTHONPATH", "")) if p)
    done = subprocess.run([sys.executable, "-m", "localpairs.bench_evolution", side, json.dumps(arguments)],
                          capture_output=True, text=True, env=env, cwd=source)
    if done.returncode != 0:
        raise RuntimeError(f"evolution benchmark side {side!r} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    print(json.dumps(SIDES[sys.argv[1]](**json.loads(sys.argv[2]))))
