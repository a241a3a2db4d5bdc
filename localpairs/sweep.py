"""Parameter sweeps: a run spec with ``[sweep.parameters]`` grids runs one study per point on Dask.

Points are the Cartesian product of the grids. Every point's spec is validated (including the
physical checks and the memory estimate) before any point runs. Points run as tasks on
``dask.distributed``: a LocalCluster on this machine by default (one single-threaded worker
process per core), or an existing scheduler given by address. Each point writes its study output
into ``OUT/points/<id>/`` and then, atomically, ``OUT/points/<id>.json`` with its scalar results:
that file marks the point finished. ``--resume`` skips finished points of the same spec, so a
sweep killed midway loses no finished point. The table of all points is ``OUT/sweep.csv``.
"""

from __future__ import annotations

import copy
import csv
import io
import itertools
import json
import os
from pathlib import Path
from typing import Any

from localpairs.errors import LocalPairsError
from localpairs.io import write_json_atomic, write_text_atomic
from localpairs.spec import RunSpec, SpecError, parse_spec, spec_data

#: Seconds to wait for an existing scheduler before giving up.
SCHEDULER_TIMEOUT_S = 5


def point_specs(spec: RunSpec, *, source: str = "spec") -> list[tuple[str, dict[str, Any], RunSpec]]:
    """(id, overrides, spec) for every grid point, all validated; raises SpecError naming the key."""
    from localpairs.studies import check_study
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
        check_study(point, source=f"{source} (sweep point {overrides})")
        out.append((f"point_{index:03d}_{spec_hash(point)[:8]}", overrides, point))
    return out


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


def _client(scheduler: str | None, workers: int):
    from dask.distributed import Client, LocalCluster

    if scheduler:
        try:
            return Client(scheduler, timeout=f"{SCHEDULER_TIMEOUT_S}s"), None
        except (OSError, TimeoutError) as err:
            raise LocalPairsError(
                f"could not reach the Dask scheduler at {scheduler!r} within {SCHEDULER_TIMEOUT_S} s ({err}). "
                "Start one with `dask scheduler` and workers with `dask worker ADDRESS`, or leave out "
                "--scheduler to run on a local cluster."
            ) from None
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    return Client(cluster), cluster


def run_sweep(spec: RunSpec, outdir: Path, *, resume: bool = True, scheduler: str | None = None, source: str = "spec") -> Path:
    """Run every point of ``spec``'s sweep; return the path of ``sweep.csv``."""
    from dask.distributed import as_completed
    from tqdm import tqdm

    assert spec.sweep is not None
    points = point_specs(spec, source=source)
    outdir.mkdir(parents=True, exist_ok=True)
    summaries: dict[str, dict[str, Any]] = {}
    todo = []
    for point_id, overrides, point in points:
        done = _finished(outdir, point_id, point) if resume else None
        if done is not None:
            summaries[point_id] = done
        else:
            todo.append((point_id, overrides, point))
    if todo:
        client, cluster = _client(scheduler, spec.sweep.workers)
        try:
            futures = [
                client.submit(run_point, spec_data(p, exclude_none=True), o, str(outdir.resolve()), pid, key=pid, pure=False)
                for pid, o, p in todo
            ]
            for future in tqdm(as_completed(futures), total=len(futures), desc="sweep points", unit="point"):
                summary = future.result()
                summaries[summary["point"]] = summary
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    rows = [summaries[pid] for pid, _, _ in points]
    columns = list(dict.fromkeys(k for row in rows for k in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    table = outdir / "sweep.csv"
    write_text_atomic(table, buffer.getvalue())
    return table
