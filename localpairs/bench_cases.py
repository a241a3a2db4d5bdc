"""The two sides of each ``localpairs bench`` case. Each returns the number both must agree on.

Baselines are written directly against QuSpin, the way a user would without localpairs.
"""

from __future__ import annotations

import json
import resource
import time
from typing import Callable

import numpy as np

PARAMS = dict(t=0.33, U=-1.2, V=0.15)


def report(func: Callable[[str], float], size: str) -> None:
    """Run one side and print wall time, peak memory and its value as JSON."""
    start = time.perf_counter()
    value = func(size)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    print(json.dumps(dict(wall=wall, peak_gb=peak, value=float(value))))


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
    from quspin.basis import spinful_fermion_basis_general
    from quspin.operators import hamiltonian

    n, static, (tx, ty, tz) = _plain_static(_shape(size))
    kw = dict(kxblock=(tx, 0), kyblock=(ty, 0), kzblock=(tz, 0)) if blocks else {}
    basis = spinful_fermion_basis_general(n, Nf=(n // 2, n // 2), **kw)
    H = hamiltonian(static, [], basis=basis, dtype=np.float64, check_herm=False, check_symm=False, check_pcon=False)
    return float(H.eigsh(k=1, which="SA", return_eigenvectors=False)[0])


def ours_ground_state(size: str, *, blocks: bool = False) -> float:
    from localpairs.hamiltonians import extended_hubbard, make_cluster
    from localpairs.solvers import sector, solve

    model = extended_hubbard(make_cluster(size, periodic=True), **PARAMS)
    n = model.n_sites
    sec = sector(electrons=n, kx=0, ky=0, kz=0) if blocks else sector(electrons=n)
    return solve(model, sec).ground_energy


def quspin_ground_state_k0(size: str) -> float:
    return quspin_ground_state(size, blocks=True)


def ours_ground_state_k0(size: str) -> float:
    return ours_ground_state(size, blocks=True)
