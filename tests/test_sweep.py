"""Sweeps on a two-worker Dask LocalCluster: killed midway and resumed equals uninterrupted."""

import csv
import os
import signal
import socket
import subprocess
import sys
import time
import tomllib

import pytest

from localpairs.cli import main
from localpairs.spec import SpecError, parse_spec
from localpairs.sweep import point_specs

SPEC = """title = "sweep"
study = "ground_state"
[cluster]
shape = "plaquette"
[model]
kind = "extended_hubbard"
t = 1.0
[sweep]
workers = 2
[sweep.parameters]
"model.U" = [-1.0, -2.0, -3.0, -4.0]
"model.V" = [0.0, 0.5]
"""

#: The same computation twice gives bit-identical floats; CSV round trip is exact for repr().
TABLE_TOL = 1e-12


def read_table(path):
    with open(path) as fh:
        return list(csv.DictReader(fh))


def same_tables(a, b):
    assert [r["point"] for r in a] == [r["point"] for r in b]
    for ra, rb in zip(a, b):
        for key in ra:
            try:
                assert abs(float(ra[key]) - float(rb[key])) <= TABLE_TOL
            except ValueError:
                assert ra[key] == rb[key]


def test_sweep_killed_and_resumed_equals_uninterrupted(tmp_path):
    spec = tmp_path / "sweep.toml"
    spec.write_text(SPEC)
    whole = tmp_path / "whole"
    assert main(["run", str(spec), "--out", str(whole)]) == 0
    reference = read_table(whole / "sweep.csv")
    assert len(reference) == 8

    killed = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "localpairs.cli", "run", str(spec), "--out", str(killed)], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    points = killed / "points"
    while time.time() < deadline and len(list(points.glob("*.json"))) < 2:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = sorted(p.name for p in points.glob("*.json"))
    assert 2 <= len(finished) < 8, finished  # killed midway, finished points kept
    stamps = {name: (points / name).stat().st_mtime_ns for name in finished}
    assert main(["run", str(spec), "--out", str(killed), "--resume"]) == 0
    assert {name: (points / name).stat().st_mtime_ns for name in finished} == stamps  # not recomputed
    same_tables(read_table(killed / "sweep.csv"), reference)


def test_bad_sweep_keys_are_refused_before_running():
    base = {"title": "x", "study": "ground_state", "cluster": {"shape": "dimer"}, "model": {"kind": "extended_hubbard"}}
    with pytest.raises(SpecError, match=r"model\.W"):
        point_specs(parse_spec({**base, "sweep": {"parameters": {"model.W": [1.0]}}}))
    with pytest.raises(SpecError, match=r"sector\.electrons"):
        point_specs(parse_spec({**base, "sweep": {"parameters": {"sector.electrons": [2, 9]}}}))


def test_unreachable_scheduler_fails_fast(tmp_path, capsys):
    spec = tmp_path / "sweep.toml"
    spec.write_text(SPEC)
    start = time.time()
    assert main(["run", str(spec), "--out", str(tmp_path / "o"), "--scheduler", "tcp://127.0.0.1:9"]) == 2
    assert time.time() - start < 30
    assert "could not reach the Dask scheduler" in capsys.readouterr().err


def test_a_failing_point_is_recorded_and_the_others_finish(tmp_path, capsys):
    """A point whose checkpoint is damaged fails on its worker; sweep.csv records it, the rest run, exit 1."""
    spec = tmp_path / "sweep.toml"
    spec.write_text(SPEC.replace('"model.U" = [-1.0, -2.0, -3.0, -4.0]\n"model.V" = [0.0, 0.5]', '"model.U" = [-1.0, -2.0, -3.0]'))
    out = tmp_path / "out"
    points = point_specs(parse_spec(tomllib.loads(spec.read_text())))
    assert len(points) == 3
    bad = points[1][0]
    folder = out / "points" / bad / "checkpoints"
    folder.mkdir(parents=True)
    for n in range(9):  # whichever ladder sector the point reads first is damaged
        (folder / f"ground_energy_N{n}.json").write_text('{"spec_hash": "trunc')
    assert main(["run", str(spec), "--out", str(out)]) == 1
    rows = {row["point"]: row for row in read_table(out / "sweep.csv")}
    assert {pid: rows[pid]["status"] for pid, _, _ in points} == {points[0][0]: "ok", bad: "failed", points[2][0]: "ok"}
    assert "damaged" in rows[bad]["error"] and "--no-resume" in rows[bad]["error"]
    assert rows[points[0][0]]["pair_binding_eV"] != "" and rows[bad]["pair_binding_eV"] == ""
    assert f"1 of the sweep's points failed ({bad})" in capsys.readouterr().err


def _refused(port):
    with socket.socket() as probe:
        probe.settimeout(2)
        return probe.connect_ex(("127.0.0.1", port)) != 0


def test_local_cluster_uses_tls_and_serves_no_http():
    """Only TLS with this cluster's certificate is accepted; the scheduler's and workers' HTTP ports are closed."""
    from dask.distributed import Client

    from localpairs.sweep import _client

    client, cluster = _client(None, 1)
    try:
        address = cluster.scheduler_address
        assert address.startswith("tls://127.0.0.1:")
        assert client.submit(lambda: 6 * 7).result() == 42
        with pytest.raises((OSError, TypeError)):  # plain TCP, or TLS without the cluster's certificate
            Client(address.replace("tls://", "tcp://"), timeout="3s")
        http_ports = [cluster.scheduler.http_server.port, *client.run(lambda dask_worker: dask_worker.http_server.port).values()]
        assert len(http_ports) == 2 and all(_refused(port) for port in http_ports), http_ports
    finally:
        client.close()
        cluster.close()
