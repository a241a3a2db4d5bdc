"""Ground state of the half-filled 2×2×3 cluster: localpairs against plain QuSpin, side by side.

Each side runs in its own fresh subprocess (so peak memory, ru_maxrss, is its own), one after the
other in this one invocation; the table prints wall times, peak memory and the ratios.
Target (issue 2): localpairs ≤ 1.2× plain QuSpin in both wall time and peak memory.

    python benchmarks/bench_ground_state.py [--repeat 2]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

PARAMS = dict(t=0.33, U=-1.2, V=0.15, breathing=0.1)

PLAIN_QUSPIN = r"""
import json, resource, time
import numpy as np
from quspin.basis import spinful_fermion_basis_general
from quspin.operators import hamiltonian
t, U, V, D = {t}, {U}, {V}, {breathing}
Lx, Ly, Lz = 2, 2, 3
idx = lambda x, y, z: (x * Ly + y) * Lz + z
bonds = []
for x in range(Lx):
    for y in range(Ly):
        for z in range(Lz):
            bonds += [(idx(x, y, z), idx((x + 1) % Lx, y, z)), (idx(x, y, z), idx(x, (y + 1) % Ly, z)), (idx(x, y, z), idx(x, y, (z + 1) % Lz))]
N = Lx * Ly * Lz
eps = [-D if (x + y + z) % 2 == 0 else D for x in range(Lx) for y in range(Ly) for z in range(Lz)]
start = time.perf_counter()
basis = spinful_fermion_basis_general(N, Nf=(N // 2, N // 2))
hop = [[-t, i, j] for i, j in bonds] + [[-t, j, i] for i, j in bonds]
static = [["+-|", hop], ["|+-", hop], ["n|n", [[U, i, i] for i in range(N)]],
          ["nn|", [[V, i, j] for i, j in bonds]], ["|nn", [[V, i, j] for i, j in bonds]],
          ["n|n", [[V, i, j] for i, j in bonds] + [[V, j, i] for i, j in bonds]],
          ["n|", [[e, i] for i, e in enumerate(eps)]], ["|n", [[e, i] for i, e in enumerate(eps)]]]
H = hamiltonian(static, [], basis=basis, dtype=np.float64, check_herm=False, check_symm=False, check_pcon=False)
E = H.eigsh(k=1, which="SA", return_eigenvectors=True)[0]
wall = time.perf_counter() - start
print(json.dumps(dict(energy=float(E[0]), wall=wall, dim=basis.Ns, peak_gb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6)))
"""

LOCALPAIRS = r"""
import json, resource, time
from localpairs.hamiltonians import extended_hubbard, make_cluster
from localpairs.solvers import sector, solve
start = time.perf_counter()
model = extended_hubbard(make_cluster("2x2x3", periodic=True), t={t}, U={U}, V={V}, breathing={breathing})
res = solve(model, sector(electrons=12))
wall = time.perf_counter() - start
print(json.dumps(dict(energy=res.ground_energy, wall=wall, dim=res.dimension, peak_gb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, seconds=res.seconds)))
"""


def run(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code.format(**PARAMS)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=2, help="alternating runs per side; the best is kept")
    args = parser.parse_args()
    plain, ours = [], []
    for _ in range(args.repeat):
        plain.append(run(PLAIN_QUSPIN))
        ours.append(run(LOCALPAIRS))
    p = min(plain, key=lambda r: r["wall"])
    o = min(ours, key=lambda r: r["wall"])
    assert abs(p["energy"] - o["energy"]) < 1e-8, (p["energy"], o["energy"])
    print(f"2×2×3 half filling, dimension {o['dim']:,}, E0 = {o['energy']:.10f} eV (both)")
    print(f"{'':14s}{'wall (s)':>10s}{'peak (GB)':>11s}")
    print(f"{'plain QuSpin':14s}{p['wall']:10.2f}{p['peak_gb']:11.3f}")
    print(f"{'localpairs':14s}{o['wall']:10.2f}{o['peak_gb']:11.3f}   (basis {o['seconds']['basis']:.1f} s, matrix {o['seconds']['matrix']:.1f} s, solve {o['seconds']['solve']:.1f} s)")
    print(f"{'ratio':14s}{o['wall'] / p['wall']:10.2f}{o['peak_gb'] / p['peak_gb']:11.2f}   (target ≤ 1.2 each)")
    print("all runs (wall s):", [round(r["wall"], 2) for r in plain], [round(r["wall"], 2) for r in ours])


if __name__ == "__main__":
    main()
