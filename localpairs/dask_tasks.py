"""Dask task machinery: a client on a local cluster or a given scheduler, and tasks run on it.

Used by parameter sweeps (:mod:`localpairs.sweep`) and by work inside one study (e.g. the points
of a parameter scan, :mod:`localpairs.studies.xfel_scan`). The local cluster runs on this
machine only: one single-threaded worker process per requested worker, TLS with throw-away
certificates, no HTTP endpoint. A task that raises is recorded with its error and does not stop
the others.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from localpairs.errors import InputError, LocalPairsError

logger = logging.getLogger(__name__)

#: Seconds to wait for an existing scheduler before giving up.
SCHEDULER_TIMEOUT_S = 5


#: Schemes of a Dask scheduler address accepted by ``--scheduler``.
SCHEDULER_SCHEMES = ("tcp", "tls")
_SCHEDULER_ALLOWED = "the address of a running Dask scheduler, e.g. tls://127.0.0.1:8786 or tcp://127.0.0.1:8786"


def check_scheduler_address(address: str) -> None:
    """Refuse a ``--scheduler`` value that is not ``tcp://HOST:PORT`` or ``tls://HOST:PORT`` (before any work).

    Parameters
    ----------
    address : str
        The scheduler address given on the command line.

    Raises
    ------
    InputError
        ``address`` is not a host and port, or its scheme is not one of :data:`SCHEDULER_SCHEMES`.
    """
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


@contextmanager
def task_client(*, workers: int, scheduler: str | None = None) -> Iterator[Any]:
    """Open a Dask client for :func:`run_tasks`, closed on exit.

    Parameters
    ----------
    workers : int
        Single-threaded worker processes of the local cluster; ``0`` without a scheduler yields
        None (the tasks then run one after the other in this process: tests and debugging).
    scheduler : str or None
        Address of a running scheduler (:func:`check_scheduler_address`); None starts a local cluster.

    Yields
    ------
    distributed.Client or None
        The client, or None for in-process runs.

    Raises
    ------
    InputError
        ``scheduler`` is not a ``tcp://`` or ``tls://`` address.
    LocalPairsError
        The scheduler cannot be reached within :data:`SCHEDULER_TIMEOUT_S` seconds.
    """
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

    Parameters
    ----------
    client : distributed.Client or None
        From :func:`task_client`; None runs the tasks one after the other in this process.
    func : callable
        The task function, called as ``func(**kwargs)``; on a cluster it must be importable by the workers.
    tasks : mapping of str to mapping of str to Any
        Task id → keyword arguments of ``func``.
    on_result : callable
        Called as ``on_result(id, value)`` in this process for every task that finishes.
    desc : str
        Label of the progress bar, the log messages and the Dask task keys.

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
