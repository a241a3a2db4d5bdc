"""Issue 14 item 4: achieved bandwidth of the sparse matrix–vector product against a memory triad.

For the matrices the package multiplies in its Lanczos and evolution loops (the 2×2×2 and 2×2×3
half-filled sectors as ``eigsh`` sees them, the real sector with complex vectors as the XAS
chains see it, the evolution's complex H(t) from the DrivenOperator, 2×2×3 momentum blocks, and
with ``--sixteen`` two 2×2×4 N = 10 blocks), every kernel's bytes per second
(:func:`localpairs.bench_matvec.product_bytes`: values + indices + row pointers + x read + y
written) and its fraction of the triad ``a = b + s c`` measured in the same process. Each thread
count runs in its own process (``OMP_NUM_THREADS`` is read when QuSpin's kernel loads; SciPy's
kernel and ours are single-threaded whatever it says; the triad uses that many numba threads).
The load average is printed with every block: on a shared machine every figure is a lower bound.
``OMP_WAIT_POLICY=PASSIVE``: idle OpenMP threads sleep instead of spinning, so that one kernel's
threads do not steal the cores from the next measurement.

    python benchmarks/bench_matvec.py [--size quick|full|sixteen] [--threads 1 2] [--repeats 15]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys


def _child(size: str, repeats: int) -> None:
    from localpairs import bench_matvec as bm

    threads = int(os.environ["OMP_NUM_THREADS"])
    print(json.dumps({"load": os.getloadavg()[0]}), flush=True)
    for row in bm.measure(size, repeats=repeats):
        print(json.dumps(row), flush=True)
    # after the products: numba's triad threads would spin on and slow them down
    print(json.dumps({"triad": bm.triad_bandwidth(threads=threads, repeats=repeats), "load": os.getloadavg()[0]}), flush=True)


def _table(rows: list[dict], threads: int) -> list[str]:
    head, *body, tail = rows
    triad = tail["triad"]["fused"]
    lines = [f"threads {threads}: triad fused {triad:.1f} GB/s, numpy two-pass {tail['triad']['numpy']:.1f} GB/s; "
             f"load {head['load']:.1f} → {tail['load']:.1f}; (fraction of the fused triad)",
             f"{'matrix':42s}{'dim':>10s}{'nnz':>11s}{'B/nnz':>7s}" + "".join(f"{k:>16s}" for k in ("scipy", "quspin", "ours"))]
    for r in body:
        cells = "".join(f"{r[k]['GB/s']:7.1f} ({r[k]['GB/s'] / triad:4.0%})" for k in ("scipy", "quspin", "ours"))
        lines.append(f"{r['matrix']:42s}{r['dim']:10,d}{r['nnz']:11,d}{r['value_bytes'] + r['index_bytes']:7d}{cells}")
        lines.append(f"{'':42s}{'ms per product':>28s}" + "".join(f"{1e3 * r[k]['seconds']:16.3f}" for k in ("scipy", "quspin", "ours"))
                     + f"   max deviation from scipy {max(r[k]['deviation'] for k in ('quspin', 'ours')):.1e}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="full", choices=("quick", "full", "sixteen"))
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.size, args.repeats)
        return
    for threads in args.threads:
        env = dict(os.environ, OMP_NUM_THREADS=str(threads), NUMBA_NUM_THREADS=str(max(threads, 1)), OMP_WAIT_POLICY="PASSIVE")
        done = subprocess.run([sys.executable, __file__, "--child", "--size", args.size, "--repeats", str(args.repeats)],
                              env=env, capture_output=True, text=True, check=True)
        rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
        print("\n".join(_table(rows, threads)), flush=True)


if __name__ == "__main__":
    main()
