"""Parameter sweeps: a run spec with ``[sweep.parameters]`` grids runs one study per point on Dask.

Points are the Cartesian product of the grids. Every point's spec is validated (including the
physical checks and the memory estimate) before any point runs. Points run as tasks on
``dask.distributed``: a LocalCluster on this machine by default (one single-threaded worker
process per core; TLS with throw-away certificates, no HTTP endpoint), or an existing scheduler
given by address. Each point writes its study output
into ``OUT/points/<id>/`` and then, atomically, ``OUT/points/<id>.json`` with its scalar results:
that file marks the point finished. ``--resume`` skips finished points of the same spec, so a
sweep killed midway loses no finished point. The table of all points is ``OUT/sweep.csv``; a point
that fails is recorded there (``status`` = ``failed``, ``error``) and the others finish.
"""

from __future__ import annotations

import copy
import csv
import io
import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from localpairs.dask_tasks import (
    SCHEDULER_SCHEMES,
    SCHEDULER_TIMEOUT_S,
    _client,
    _gather,
    check_scheduler_address,
    run_tasks,
    task_client,
)
from localpairs.io import write_json_atomic, write_text_atomic
from localpairs.output_size import OutputEstimate, file_bytes, json_bytes
from localpairs.spec import RunSpec, SpecError, parse_spec, spec_data

__all__ = [
    "SCHEDULER_SCHEMES",
    "SCHEDULER_TIMEOUT_S",
    "SweepOutcome",
    "SweepPoint",
    "check_scheduler_address",
    "point_specs",
    "run_point",
    "run_sweep",
    "run_tasks",
    "sweep_output",
    "sweep_points",
    "task_client",
]


class SweepPoint(NamedTuple):
    """One validated grid point: its id, the overridden keys, its spec and what its run writes.

    Parameters
    ----------
    id : str
        ``point_<index>_<hash>``: the grid index and the first 8 characters of the point's spec hash.
    overrides : dict of str to Any
        The dotted spec keys this point sets (e.g. ``{"model.U": -2.0}``) and their values.
    spec : RunSpec
        The point's validated spec (the sweep's spec with the overrides, without ``[sweep]``).
    output : OutputEstimate
        What the point's study run writes (files and bytes).
    """

    id: str
    overrides: dict[str, Any]
    spec: RunSpec
    output: OutputEstimate


def point_specs(spec: RunSpec, *, source: str = "spec") -> list[tuple[str, dict[str, Any], RunSpec]]:
    """List every grid point of ``spec``'s sweep as ``(id, overrides, spec)``, all validated.

    Parameters
    ----------
    spec : RunSpec
        A spec with a ``[sweep]`` section.
    source : str
        Name of the spec in error messages (its file path when read from a file).

    Returns
    -------
    list of tuple of (str, dict, RunSpec)
        The fields ``id``, ``overrides`` and ``spec`` of each :class:`SweepPoint` of :func:`sweep_points`.

    Raises
    ------
    SpecError
        A grid key names no key of the spec, or a point's spec fails validation (message names the key).
    """
    return [(p.id, p.overrides, p.spec) for p in sweep_points(spec, source=source)]


def sweep_points(spec: RunSpec, *, source: str = "spec") -> list[SweepPoint]:
    """List every grid point of ``spec``'s sweep, validated, with the estimate of its output.

    Points are the Cartesian product of the grids of ``[sweep.parameters]``, in the order of the
    keys; each point's spec passes :func:`~localpairs.spec.parse_spec` and the study's own checks
    (:func:`localpairs.studies.check_study`: physical limits and the memory estimate).

    Parameters
    ----------
    spec : RunSpec
        A spec with a ``[sweep]`` section.
    source : str
        Name of the spec in error messages (its file path when read from a file).

    Returns
    -------
    list of SweepPoint
        One per grid point, in grid order.

    Raises
    ------
    SpecError
        A grid key names no section or key of the spec, or a point's spec fails validation
        (the message names the key and the point's overrides).
    """
    from localpairs.studies import check_study, study_output
    from localpairs.studies.common import spec_hash

    assert spec.sweep is not None
    base = spec_data(spec, exclude={"sweep"}, exclude_none=True)
    keys = list(spec.sweep.parameters)
    out = []
    for index, values in enumerate(itertools.product(*(spec.sweep.parameters[k] for k in keys))):
        data = copy.deepcopy(base)
        overrides = dict(zip(keys, values))
        for dotted, value in overrides.items():
            node = data
            *path, leaf = dotted.split(".")
            for part in path:
                if not isinstance(node.get(part), dict):
                    raise SpecError(f"{source}: sweep.parameters.{dotted}: '{part}' is not a section of the spec")
                node = node[part]
            if leaf not in type(_section(spec, path)).model_fields:
                raise SpecError(f"{source}: sweep.parameters.{dotted} = {list(spec.sweep.parameters[dotted])!r}: no key '{leaf}' in [{'.'.join(path)}]")
            node[leaf] = value
        point = parse_spec(data, source=f"{source} (sweep point {overrides})")
        system = check_study(point, source=f"{source} (sweep point {overrides})")
        out.append(SweepPoint(f"point_{index:03d}_{spec_hash(point)[:8]}", overrides, point, study_output(point, system)))
    return out


def sweep_output(points: list[SweepPoint]) -> OutputEstimate:
    """Estimate what a sweep writes: every point's output, its summary JSON and its row of sweep.csv.

    Parameters
    ----------
    points : list of SweepPoint
        The sweep's points (:func:`sweep_points`).

    Returns
    -------
    OutputEstimate
        Files and bytes of the whole sweep, checked against the free space before it starts.
    """
    total = OutputEstimate({"sweep.csv": file_bytes(300 * len(points)), "points/*.json": json_bytes(100 * len(points), files=len(points))})
    for point in points:
        total = total.plus(point.output)
    return total


def _section(spec: Any, path: list[str]) -> Any:
    node = spec
    for part in path:
        node = getattr(node, part)
    return node


def run_point(spec_data: dict[str, Any], overrides: dict[str, Any], outdir: str, point_id: str) -> dict[str, Any]:
    """Run one point (on a worker); write and return its summary of scalar results.

    The point's study writes into ``OUTDIR/points/<point_id>/`` (resumed if there), then its
    summary is written atomically to ``OUTDIR/points/<point_id>.json`` with the spec hash: that
    file marks the point finished.

    Parameters
    ----------
    spec_data : dict of str to Any
        The point's spec as data (:func:`~localpairs.spec.spec_data`), validated again here.
    overrides : dict of str to Any
        The dotted keys this point sets and their values (copied into the summary).
    outdir : str
        The sweep's output folder.
    point_id : str
        The point's id (:attr:`SweepPoint.id`).

    Returns
    -------
    dict of str to Any
        ``point``, the overrides, and every scalar attribute of the point's ``results.nc``
        (energies in eV, times in fs, as the study writes them).
    """
    import xarray as xr

    from localpairs.studies import run_study
    from localpairs.studies.common import spec_hash

    spec = parse_spec(spec_data, source=point_id)
    folder = Path(outdir) / "points" / point_id
    run_study(spec, folder, resume=True)
    summary: dict[str, Any] = {"point": point_id, **overrides}
    results = folder / "results.nc"
    if results.is_file():
        with xr.open_dataset(results, engine="h5netcdf") as ds:
            for key, value in ds.attrs.items():
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    summary[key] = value
                elif hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
                    summary[key] = value.item()
    write_json_atomic(Path(outdir) / "points" / f"{point_id}.json", {"spec_hash": spec_hash(spec), "summary": summary})
    return summary


def _finished(outdir: Path, point_id: str, point: RunSpec) -> dict[str, Any] | None:
    from localpairs.studies.common import spec_hash

    path = outdir / "points" / f"{point_id}.json"
    if not path.is_file():
        return None
    data = json.loads(path.read_text())
    return data["summary"] if data.get("spec_hash") == spec_hash(point) else None


def _run_points(client: Any, todo: list[tuple[str, dict[str, Any], RunSpec]], outdir: Path) -> dict[str, dict[str, Any]]:
    """Run the points on ``client``; a point that raises is recorded as failed, with its error."""
    futures = {client.submit(run_point, spec_data(p, exclude_none=True), o, str(outdir.resolve()), pid, key=pid, pure=False): pid
               for pid, o, p in todo}
    summaries: dict[str, dict[str, Any]] = {}
    errors = _gather(futures, lambda pid, value: summaries.__setitem__(pid, {"status": "ok", **value}), "sweep points")
    for pid, o, _ in todo:
        if pid in errors:
            summaries[pid] = {"point": pid, **o, "status": "failed", "error": errors[pid]}
    return summaries


@dataclass(frozen=True)
class SweepOutcome:
    """Where the table is and which points failed (their errors are in its ``error`` column).

    Attributes
    ----------
    table : pathlib.Path
        The sweep's ``sweep.csv``: one row per point, its overrides, scalar results and ``status``.
    failed : list of str
        Ids of the points whose run raised.
    """

    table: Path
    failed: list[str]


def run_sweep(spec: RunSpec, outdir: Path, *, resume: bool = True, scheduler: str | None = None, source: str = "spec",
              force: bool = False) -> SweepOutcome:
    """Run every point of ``spec``'s sweep into ``outdir``; write ``sweep.csv`` (a ``status`` column).

    A point that fails is recorded as ``failed`` with its error and does not stop the others; it
    is run again by a resumed sweep. The folder is claimed as for a single run
    (:func:`localpairs.outdir.claimed_output_folder`), with the free space all points need (:func:`sweep_output`).

    Parameters
    ----------
    spec : RunSpec
        A spec with a ``[sweep]`` section.
    outdir : pathlib.Path
        The sweep's output folder.
    resume : bool
        Skip the points already finished in ``outdir`` with the same spec hash.
    scheduler : str or None
        Address of a running Dask scheduler (``tls://HOST:PORT`` or ``tcp://HOST:PORT``); None
        starts a local cluster of ``sweep.workers`` processes.
    source : str
        Name of the spec in error messages (its file path when read from a file).
    force : bool
        Claim ``outdir`` even if it holds another spec's results (see
        :func:`~localpairs.outdir.claimed_output_folder`).

    Returns
    -------
    SweepOutcome
        The table's path and the ids of the failed points.

    Raises
    ------
    SpecError
        A point's spec is invalid (before any point runs).
    InputError
        ``scheduler`` is not a ``tcp://`` or ``tls://`` address.
    LocalPairsError
        The scheduler cannot be reached, or the folder cannot be claimed (not writable, not enough space).
    """
    from localpairs.outdir import claimed_output_folder
    from localpairs.studies.common import spec_hash

    assert spec.sweep is not None
    if scheduler:
        check_scheduler_address(scheduler)
    checked = sweep_points(spec, source=source)
    points = [(p.id, p.overrides, p.spec) for p in checked]
    with claimed_output_folder(outdir, key=spec_hash(spec), source=source, force=force, estimate=sweep_output(checked)):
        summaries: dict[str, dict[str, Any]] = {}
        todo = []
        for point_id, overrides, point in points:
            done = _finished(outdir, point_id, point) if resume else None
            if done is not None:
                summaries[point_id] = {"status": "ok", **done}
            else:
                todo.append((point_id, overrides, point))
        if todo:
            client, cluster = _client(scheduler, spec.sweep.workers)
            try:
                summaries.update(_run_points(client, todo, outdir))
            finally:
                client.close()
                if cluster is not None:
                    cluster.close()
        rows = [summaries[pid] for pid, _, _ in points]
        columns = list(dict.fromkeys(["point", *(k for row in rows for k in row if k not in ("status", "error")), "status", "error"]))
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
        table = outdir / "sweep.csv"
        write_text_atomic(table, buffer.getvalue())
    return SweepOutcome(table, [pid for pid, _, _ in points if summaries[pid]["status"] != "ok"])
