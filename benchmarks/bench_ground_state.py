"""Ground state of the half-filled 2×2×3 cluster (853,776 states): localpairs against plain QuSpin.

Target (issue 2): localpairs ≤ 1.2× plain QuSpin (basis + hamiltonian + eigsh) in wall time and
peak memory, measured side by side in one run. The sides live in
:mod:`localpairs.bench_cases`; this is ``localpairs bench --only ground_state --repeat 2``.

    python benchmarks/bench_ground_state.py [--repeat N] [--quick]
"""

import argparse

from localpairs.bench import run_bench

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    print(run_bench(quick=args.quick, only=["ground_state", "ground_state_k0"], repeat=args.repeat))
