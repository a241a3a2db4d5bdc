"""The ``localpairs`` command line: ``localpairs run runs/X.toml [--out DIR] [--no-resume]``.

Results (report path, sweep table, ``check`` verdict, bench table) go to stdout. Messages go
through :mod:`logging` (logger ``localpairs`` and its children); only this module configures
it: a handler on stderr showing INFO as ``[localpairs] message`` and warnings and errors as
``localpairs: warning: message`` / ``localpairs: error: message``, for the duration of
:func:`main`. It also selects matplotlib's
Agg backend (files only, no display), which the library itself never does.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from localpairs import __version__

if TYPE_CHECKING:
    from localpairs.spec import RunSpec

log = logging.getLogger("localpairs")


class _MessageFormatter(logging.Formatter):
    """``[localpairs] message`` below WARNING, ``localpairs: warning: message`` from WARNING up."""

    def format(self, record: logging.LogRecord) -> str:
        if record.levelno >= logging.WARNING:
            return f"localpairs: {record.levelname.lower()}: {record.getMessage()}"
        return f"[localpairs] {record.getMessage()}"


def _logging_handler(level: int) -> logging.Handler:
    """Attach a stderr handler at ``level`` to the ``localpairs`` logger; return it (to remove)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_MessageFormatter())
    log.addHandler(handler)
    log.setLevel(level)
    return handler


def _add_loudness(parser: argparse.ArgumentParser, *, default: object) -> None:
    loud = parser.add_mutually_exclusive_group()
    loud.add_argument("-q", "--quiet", dest="log_level", action="store_const", const=logging.WARNING, default=default,
                      help="only warnings and errors on stderr, no progress messages")
    loud.add_argument("-v", "--verbose", dest="log_level", action="store_const", const=logging.DEBUG, default=default,
                      help="also debug messages")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="localpairs", description="Exact-diagonalization studies of local electron pairing.")
    parser.add_argument("--version", action="version", version=f"localpairs {__version__}")
    _add_loudness(parser, default=logging.INFO)
    loudness = argparse.ArgumentParser(add_help=False)  # the same options after the command
    _add_loudness(loudness, default=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", parents=[loudness], help="validate and run a study spec (TOML)")
    run.add_argument("spec", type=Path, help="run spec, e.g. runs/babio3_ground_state.toml")
    run.add_argument("--out", type=Path, default=None, help="output folder (default: results/<spec name>)")
    run.add_argument("--resume", dest="resume", action="store_true", default=True,
                     help="reuse checkpoints of an earlier, interrupted run of the same spec (default)")
    run.add_argument("--no-resume", dest="resume", action="store_false", help="ignore checkpoints and recompute everything")
    run.add_argument("--scheduler", default=None, help="address of an existing Dask scheduler for sweeps, e.g. tls://127.0.0.1:8786 (default: a local cluster)")
    run.add_argument("--force", action="store_true", help="write into an --out folder that holds results of a different spec")
    check = sub.add_parser("check", parents=[loudness], help="validate a study spec without running it")
    check.add_argument("spec", type=Path)
    check.add_argument("--out", type=Path, default=None,
                       help="also check this output folder as run would: writable, with free space for the estimated output")
    bench = sub.add_parser("bench", parents=[loudness], help="localpairs against plain-QuSpin baselines, side by side")
    bench.add_argument("--quick", action="store_true", help="small sizes (seconds)")
    bench.add_argument("--only", nargs="+", default=None, help="case keys to run")
    bench.add_argument("--repeat", type=int, default=1, help="runs per side (≥ 1); the fastest counts")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``localpairs`` command line.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (``sys.argv[1:]`` when None).

    Returns
    -------
    int
        The exit status (0 on success).
    """
    args = _parser().parse_args(argv)
    import matplotlib

    # Figures are only written to files: Agg here before any study imports pyplot, and in the
    # processes a sweep or bench starts (Dask workers run tasks in threads, where GUI backends fail).
    matplotlib.use("Agg")
    backend_env = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "Agg"
    level = log.level
    handler = _logging_handler(args.log_level)
    try:
        return _dispatch(args)
    finally:
        log.removeHandler(handler)
        log.setLevel(level)
        if backend_env is None:
            del os.environ["MPLBACKEND"]
        else:
            os.environ["MPLBACKEND"] = backend_env


def _dispatch(args: argparse.Namespace) -> int:
    """Run the parsed command; results on stdout, a LocalPairsError as an error message (status 2)."""
    from localpairs.errors import LocalPairsError
    from localpairs.spec import load_spec

    try:
        if args.command == "bench":
            from localpairs.bench import run_bench

            print(run_bench(quick=args.quick, only=args.only, repeat=args.repeat))
            return 0
        spec = load_spec(args.spec)
        if args.command == "check":
            return _check(spec, args.spec, out=args.out)
        return _run(spec, args)
    except LocalPairsError as err:
        message, spec_path = str(err), getattr(args, "spec", None)
        if spec_path is not None and not message.startswith(f"{spec_path}:"):  # every message names the spec file
            message = f"{spec_path}: {message}"
        log.error("%s", message)
        return 2


def _check(spec: RunSpec, source: Path, *, out: Path | None = None) -> int:
    """``localpairs check``: every check ``run`` makes, nothing heavy; the verdict and the output estimate on stdout.

    With ``out`` the output folder is checked as ``run`` checks it (writable, free space for the estimate).
    """
    from localpairs.outdir import check_output_folder
    from localpairs.studies import check_study, study_output

    if spec.sweep is not None:
        from localpairs.sweep import sweep_output, sweep_points

        points = sweep_points(spec, source=str(source))
        verdict, estimate = f"valid sweep of {len(points)} points", sweep_output(points)
    else:
        system = check_study(spec, source=str(source))
        verdict = f"valid ({system.cluster.describe()}, {system.model.kind}, sector {system.sector.label()})"
        estimate = study_output(spec, system)
    room = ""
    if out is not None:
        check_output_folder(out, estimate=estimate)
        room = f"; --out {out} has room for it"
    print(f"{source}: {verdict}; writes {estimate.describe()}{room}")
    return 0


def _run(spec: RunSpec, args: argparse.Namespace) -> int:
    """``localpairs run``: the output folder and the scheduler address are checked before any work.

    Returns 0, or 1 when some points of a sweep failed (they are listed in ``sweep.csv``).
    """
    from localpairs.outdir import check_output_folder
    from localpairs.studies import run_study
    from localpairs.sweep import check_scheduler_address

    if args.scheduler:
        check_scheduler_address(args.scheduler)
        if spec.sweep is None:
            log.warning("--scheduler is used by sweeps only; this spec has no [sweep], so it runs here")
    out = check_output_folder(args.out or Path("results") / args.spec.stem)
    if spec.sweep is None:
        print(run_study(spec, out, resume=args.resume, source=str(args.spec), force=args.force))
        return 0
    from localpairs.sweep import run_sweep

    outcome = run_sweep(spec, out, resume=args.resume, scheduler=args.scheduler, source=str(args.spec), force=args.force)
    print(outcome.table)
    if outcome.failed:
        log.error("%d of the sweep's points failed (%s): see the status and error columns of %s",
                  len(outcome.failed), ", ".join(outcome.failed), outcome.table)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("OMP_NUM_THREADS", str(os.cpu_count() or 1))
    sys.exit(main())
