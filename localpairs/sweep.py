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
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from localpairs.errors import InputError, LocalPairsError
from localpairs.io import write_json_atomic, write_text_atomic
from localpairs.output_size import OutputEstimate, file_bytes, json_bytes
from localpairs.spec import RunSpec, SpecError, parse_spec, spec_data

logger = logging.getLogger(__name__)

#: Seconds to wait for an existing scheduler before giving up.
SCHEDULER_TIMEOUT_S = 5


class SweepPoint(NamedTuple):
    """One validated grid point: its id, the overridden keys, its spec and what its run writes."""

    id: str
    overrides: dict[str, Any]
    spec: RunSpec
    output: OutputEstimate


def point_specs(spec: RunSpec, *, source: str = "spec") -> list[tuple[str, dict[str, Any], RunSpec]]:
    """(id, overrides, spec) for every grid point, all validated; raises SpecError naming the key."""
    return [(p.id, p.overrides, p.spec) for p in sweep_points(spec, source=source)]


def sweep_points(spec: RunSpec, *, source: str = "spec") -> list[SweepPoint]:
    """Every grid point, validated (raises SpecError naming the key), with the estimate of its output."""
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
    """What a sweep writes: every point's output, its summary JSON and its row of sweep.csv."""
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
    """Run one point (on a worker); write and return its summary of scalar results."""
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


#: Schemes of a Dask scheduler address accepted by ``--scheduler``.
SCHEDULER_SCHEMES = ("tcp", "tls")
_SCHEDULER_ALLOWED = "the address of a running Dask scheduler, e.g. tls://127.0.0.1:8786 or tcp://127.0.0.1:8786"


def check_scheduler_address(address: str) -> None:
    """Refuse a ``--scheduler`` value that is not ``tcp://HOST:PORT`` or ``tls://HOST:PORT`` (before any work)."""
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address, strict=True)
        parse_host_port(location)
    except (ValueError, TypeError):
        raise InputError("--scheduler", address, _SCHEDULER_ALLOWED) from None
    if scheme not in SCHEDULER_SCHEMES:
        raise InputError("--scheduler", address, _SCHEDULER_ALLOWED)


def _local_cluster(workers: int) -> Any:
    """A LocalCluster on this machine only: TLS with throw-away self-signed certificates, no HTTP endpoint.

    ``security=True`` makes every connection TLS with a certificate created for this cluster, so
    another local user cannot submit code to it; the scheduler's and workers' HTTP servers
    (dashboard, metrics) get no routes and are stopped (the workers' by :func:`_client`).
    """
    import dask
    from dask.distributed import LocalCluster

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    with dask.config.set({"distributed.scheduler.http.routes": [], "distributed.worker.http.routes": []}):
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None, worker_dashboard_address=None, security=True,
                               scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})  # not 8787: a free loopback port, stopped below
    http = getattr(cluster.scheduler, "http_server", None)
    if http is not None:
        cluster.sync(_stop_http, http)
    return cluster


async def _stop_http(server: Any) -> None:
    server.stop()


def _client(scheduler: str | None, workers: int) -> tuple[Any, Any]:
    from dask.distributed import Client

    if scheduler:
        check_scheduler_address(scheduler)
        try:
            return Client(scheduler, timeout=f"{SCHEDULER_TIMEOUT_S}s"), None
        except (OSError, TimeoutError, ValueError) as err:
            raise LocalPairsError(
                f"could not reach the Dask scheduler at {scheduler!r} within {SCHEDULER_TIMEOUT_S} s ({err}). "
                "Start one bound to this machine, e.g. `dask scheduler --host 127.0.0.1`, and workers with "
                "`dask worker ADDRESS`, or leave out --scheduler to run on a local cluster."
            ) from None
    cluster = _local_cluster(workers)
    client = Client(cluster, security=cluster.security)
    client.run(_stop_worker_http)
    return client, cluster


def _stop_worker_http(dask_worker: Any) -> None:
    dask_worker.http_server.stop()


def _error_text(err: BaseException) -> str:
    """One line for ``sweep.csv``: a LocalPairsError's message, else the exception's type and message."""
    text = str(err) if isinstance(err, LocalPairsError) else f"{type(err).__name__}: {err}"
    return " ".join(text.split())


def _gather(futures: dict[Any, str], on_result: Callable[[str, Any], None], desc: str) -> dict[str, str]:
    """Wait for ``futures`` (future → id) as they finish: ``on_result(id, value)`` for each; the errors of those that raised, by id."""
    from dask.distributed import as_completed
    from tqdm import tqdm

    errors = {}
    for future in tqdm(as_completed(futures), total=len(futures), desc=desc, unit="point"):
        tid = futures[future]
        try:
            value = future.result()
        except Exception as err:
            errors[tid] = _error_text(err)
            logger.warning("%s %s failed: %s", desc, tid, errors[tid])
            continue
        on_result(tid, value)
    return errors


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


@contextmanager
def task_client(*, workers: int, scheduler: str | None = None) -> Iterator[Any]:
    """A Dask client for :func:`run_tasks`, closed on exit: a local cluster of ``workers`` single-threaded processes
    unless ``scheduler`` names one (:func:`check_scheduler_address`); ``workers = 0`` without a scheduler yields None
    (the tasks then run one after the other in this process: tests and debugging)."""
    if workers == 0 and not scheduler:
        yield None
        return
    client, cluster = _client(scheduler, workers)
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def run_tasks(client: Any, func: Callable[..., Any], tasks: Mapping[str, Mapping[str, Any]], *, on_result: Callable[[str, Any], None],
              desc: str = "tasks") -> dict[str, str]:
    """Run ``func(**kwargs)`` for every task on ``client`` (:func:`task_client`) and hand each result to ``on_result(id, value)``.

    The sweep machinery for work inside one study (e.g. the points of a parameter scan).
    ``on_result`` runs in this process as each task finishes, so it can write the task's checkpoint
    at once. A task that raises does not stop the others.

    Returns
    -------
    dict
        The error text of every task that raised, by id (empty when all finished).
    """
    if client is None:
        errors = {}
        for tid, kw in tasks.items():
            try:
                value = func(**kw)
            except Exception as err:
                errors[tid] = _error_text(err)
                logger.warning("%s %s failed: %s", desc, tid, errors[tid])
                continue
            on_result(tid, value)
        return errors
    futures = {client.submit(func, **dict(kw), key=f"{desc}-{tid}", pure=False): tid for tid, kw in tasks.items()}
    return _gather(futures, on_result, desc)


@dataclass(frozen=True)
class SweepOutcome:
    """Where the table is and which points failed (their errors are in its ``error`` column)."""

    table: Path
    failed: list[str]


def run_sweep(spec: RunSpec, outdir: Path, *, resume: bool = True, scheduler: str | None = None, source: str = "spec",
              force: bool = False) -> SweepOutcome:
    """Run every point of ``spec``'s sweep into ``outdir``; write ``sweep.csv`` (a ``status`` column).

    A point that fails is recorded as ``failed`` with its error and does not stop the others; it
    is run again by a resumed sweep. The folder is claimed as for a single run
    (:func:`localpairs.outdir.claimed_output_folder`), with the free space all points need (:func:`sweep_output`).
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
