"""The ``localpairs`` command line: ``localpairs run runs/X.toml [--out DIR] [--no-resume]``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from localpairs import __version__


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="localpairs", description="Exact-diagonalization studies of local electron pairing.")
    parser.add_argument("--version", action="version", version=f"localpairs {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="validate and run a study spec (TOML)")
    run.add_argument("spec", type=Path, help="run spec, e.g. runs/babio3_ground_state.toml")
    run.add_argument("--out", type=Path, default=None, help="output folder (default: results/<spec name>)")
    run.add_argument("--resume", dest="resume", action="store_true", default=True, help="reuse checkpoints of an earlier, interrupted run of the same spec (default)")
    run.add_argument("--no-resume", dest="resume", action="store_false", help="ignore checkpoints and recompute everything")
    run.add_argument("--scheduler", default=None, help="address of an existing Dask scheduler for sweeps (default: a local cluster)")
    check = sub.add_parser("check", help="validate a study spec without running it")
    check.add_argument("spec", type=Path)
    bench = sub.add_parser("bench", help="localpairs against plain-QuSpin baselines, side by side")
    bench.add_argument("--quick", action="store_true", help="small sizes (seconds)")
    bench.add_argument("--only", nargs="+", default=None, help="case keys to run")
    bench.add_argument("--repeat", type=int, default=1, help="runs per side; the fastest counts")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = _parser().parse_args(argv)
    from localpairs.errors import LocalPairsError
    from localpairs.spec import load_spec

    try:
        if args.command == "bench":
            from localpairs.bench import run_bench

            print(run_bench(quick=args.quick, only=args.only, repeat=args.repeat))
            return 0
        spec = load_spec(args.spec)
        from localpairs.studies import check_study, run_study

        out = getattr(args, "out", None) or Path("results") / args.spec.stem
        if spec.sweep is not None:
            from localpairs.sweep import point_specs, run_sweep

            if args.command == "check":
                print(f"{args.spec}: valid sweep of {len(point_specs(spec, source=str(args.spec)))} points")
                return 0
            print(run_sweep(spec, out, resume=args.resume, scheduler=args.scheduler, source=str(args.spec)))
            return 0
        if args.command == "check":  # every check `run` makes, nothing heavy
            system = check_study(spec, source=str(args.spec))
            print(f"{args.spec}: valid ({system.cluster.describe()}, {system.model.kind}, sector {system.sector.label()})")
            return 0
        report = run_study(spec, out, resume=args.resume, source=str(args.spec))
        print(report)
        return 0
    except LocalPairsError as err:
        print(f"localpairs: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("OMP_NUM_THREADS", str(os.cpu_count() or 1))
    sys.exit(main())
